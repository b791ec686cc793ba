"""The built-in caller (`veertien call`) and traffic generator (`veertien traffic`): a real SIP
user agent that dials a running server, listens to its prompts and answers with keys or speech."""
