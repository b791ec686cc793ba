"""The cheap 503: a new INVITE refused while the node is behind, answered from its bytes.

Under four times the load it can take, the node spends most of its time saying no; a full parse
and check of each INVITE (about 47 µs) then takes the CPU the calls it accepts need. This copies
the header lines a response must echo (Via, From, To, Call-ID, CSeq; RFC 3261 8.2.6.2) from the
raw message and adds a To tag, in a few µs. Anything unusual — a folded line, a header missing
or given twice, a To with a tag (a request inside a dialog), a message over the limit — gives
None, and the core takes its normal path (which answers 503 just the same, or 400).
"""

from __future__ import annotations

import re

MAX_FAST = 4096  # larger INVITEs take the normal path
_NAMES = {
    b"via": b"Via", b"v": b"Via", b"from": b"From", b"f": b"From", b"to": b"To", b"t": b"To",
    b"call-id": b"Call-ID", b"i": b"Call-ID", b"cseq": b"CSeq",
}  # fmt: skip
_ONCE = (b"From", b"To", b"Call-ID", b"CSeq")
_TAG = re.compile(rb";\s*tag\s*=", re.IGNORECASE)
_RPORT = re.compile(rb";\s*rport(?=\s*(?:;|$))", re.IGNORECASE)
_SAFE = re.compile(rb"^[\x20-\x7e\t]*$")  # header values as sent, no control bytes


def fast_503(
    data: bytes,
    to_tag: str,
    server: str,
    retry_after: int,
    source: tuple[str, int],
    *,
    top_params: bytes = b"",
) -> bytes | None:
    """A 503 for this INVITE with Retry-After, or None when the normal path must decide. The
    top Via gets `received` and a filled-in `rport` (RFC 3261 18.2.1, RFC 3581) from `source`."""
    echoed = _echoed(data) if len(data) <= MAX_FAST and data.startswith(b"INVITE ") else None
    if echoed is None:
        return None
    vias, once = echoed
    host, port = source
    top = _RPORT.sub(b";rport=" + str(port).encode(), vias[0], count=1)
    vias[0] = top + b";received=" + host.encode() + top_params  # and RFC 7339's, if asked
    out = [b"SIP/2.0 503 Overloaded"]
    out += [b"Via: " + via for via in vias]
    out += [
        b"From: " + once[b"From"],
        b"To: " + once[b"To"] + b";tag=" + to_tag.encode(),
        b"Call-ID: " + once[b"Call-ID"],
        b"CSeq: " + once[b"CSeq"],
        b"Server: " + server.encode(),
        b"Retry-After: " + str(retry_after).encode(),
        b"Content-Length: 0",
    ]
    return b"\r\n".join(out) + b"\r\n\r\n"


def _echoed(data: bytes) -> tuple[list[bytes], dict[bytes, bytes]] | None:
    """The Via values and the single From, To, Call-ID and CSeq of an initial INVITE."""
    head, sep, _ = data.partition(b"\r\n\r\n")
    vias: list[bytes] = []
    once: dict[bytes, bytes] = {}
    for line in head.split(b"\r\n")[1:] if sep else [b" "]:
        if not line or line[0] in b" \t":
            return None  # a folded header: the parser knows what to do with it
        name, colon, value = line.partition(b":")
        canonical = _NAMES.get(name.strip().lower()) if colon else None
        value = value.strip()
        if canonical is None:
            continue
        if not _SAFE.match(value) or (canonical != b"Via" and canonical in once):
            return None
        if canonical == b"Via":
            vias.append(value)
        else:
            once[canonical] = value
    complete = vias and all(key in once for key in _ONCE)
    if not complete or _TAG.search(once[b"To"]) or not once[b"CSeq"].upper().endswith(b"INVITE"):
        return None
    return vias, once


__all__ = ["MAX_FAST", "fast_503"]
