"""Media: G.711, RTP packets, RFC 4733 DTMF and the endpointer (sans I/O); session.py runs one
call's RTP on asyncio."""
