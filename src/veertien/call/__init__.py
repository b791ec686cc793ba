"""One call's handling: glues sip, routing (and later media and ivr); writes call records."""
