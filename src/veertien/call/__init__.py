"""One call's session: glues sip, media, ivr, speech and routing; hands calls over (302,
REFER, bridge) and writes their records. Nothing above it is imported here."""
