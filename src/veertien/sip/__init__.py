"""Sans-I/O SIP: message, parser, uri, sdp, transaction, dialog, core; transport.py is asyncio."""
