"""Media: G.711, RTP packets, RFC 4733 DTMF, endpointing (sans I/O)."""
