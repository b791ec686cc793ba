"""SIP message model: requests, responses and their headers (RFC 3261 section 7).

Messages are immutable. Header names are kept in their canonical spelling; look-ups ignore case
and accept compact forms ("v" for Via). Header values stay raw strings: the parts of a header
that the stack needs (Via, CSeq, From/To tags, URIs) are parsed on demand by `uri.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from veertien.errors import ProtocolError
from veertien.sip.uri import split_commas

SIP_VERSION = "SIP/2.0"

COMPACT = {
    "a": "accept-contact",
    "b": "referred-by",
    "c": "content-type",
    "d": "request-disposition",
    "e": "content-encoding",
    "f": "from",
    "i": "call-id",
    "j": "reject-contact",
    "k": "supported",
    "l": "content-length",
    "m": "contact",
    "n": "identity-info",
    "o": "event",
    "r": "refer-to",
    "s": "subject",
    "t": "to",
    "u": "allow-events",
    "v": "via",
    "x": "session-expires",
    "y": "identity",
}
_SPECIAL = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
    "rack": "RAck",
    "rseq": "RSeq",
    "sip-etag": "SIP-ETag",
    "sip-if-match": "SIP-If-Match",
    "p-asserted-identity": "P-Asserted-Identity",
}
_CANONICAL_CACHE: dict[str, str] = {}

REASONS = {
    100: "Trying",
    180: "Ringing",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    301: "Moved Permanently",
    302: "Moved Temporarily",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "Version Not Supported",
    603: "Decline",
}


def canonical_name(name: str) -> str:
    """'content-length', 'l' and 'CONTENT-LENGTH' all become 'Content-Length'."""
    found = _CANONICAL_CACHE.get(name)
    if found is not None:
        return found
    lower = name.lower()
    lower = COMPACT.get(lower, lower)
    result = _SPECIAL.get(lower) or "-".join(p.capitalize() for p in lower.split("-"))
    if len(_CANONICAL_CACHE) < 4096:
        _CANONICAL_CACHE[name] = result
    return result


class Headers:
    """An ordered, immutable list of (name, value) pairs with case-insensitive look-up."""

    __slots__ = ("_index", "_items")

    def __init__(self, items: Iterable[tuple[str, str]] = (), *, canonical: bool = False) -> None:
        """`canonical=True` promises the names are already canonical (skips the work)."""
        self._items = tuple(items) if canonical else tuple((canonical_name(n), v) for n, v in items)
        self._index: dict[str, list[str]] | None = None

    def _lookup(self) -> dict[str, list[str]]:
        if self._index is None:
            index: dict[str, list[str]] = {}
            for name, value in self._items:
                index.setdefault(name, []).append(value)
            self._index = index
        return self._index

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of a header."""
        index = self._lookup()
        values = index.get(name) or index.get(canonical_name(name))
        return values[0] if values else default

    def get_all(self, name: str) -> list[str]:
        """Every header line of that name, in order (comma lists are not split)."""
        return list(self._lookup().get(canonical_name(name), ()))

    def values(self, name: str) -> list[str]:
        """Every value of a header, comma-separated lists split (Via, Contact, Allow ...)."""
        lines = self._lookup().get(canonical_name(name), ())
        return [v for line in lines for v in split_commas(line)]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_name(name) in self._lookup()

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    def __hash__(self) -> int:
        return hash(self._items)

    def __repr__(self) -> str:
        return f"Headers({list(self._items)!r})"

    def replace(self, name: str, value: str | None) -> Headers:
        """A copy where the first header of that name is `value` (or removed if None), others
        of that name dropped; appended at the end if it was absent."""
        canon = canonical_name(name)
        items: list[tuple[str, str]] = []
        done = False
        for n, v in self._items:
            if n != canon:
                items.append((n, v))
            elif not done and value is not None:
                items.append((n, value))
                done = True
            else:
                done = True
        if not done and value is not None:
            items.append((canon, value))
        return Headers(items, canonical=True)

    def add(self, name: str, value: str) -> Headers:
        return Headers((*self._items, (canonical_name(name), value)), canonical=True)


class HeaderInjectionError(ProtocolError):
    """A start line or header value holds CR or LF: sending it would end the line and start a
    header (or a body) that nobody meant. Raised instead of sending."""


def _serialise(start: str, headers: Headers, body: bytes) -> bytes:
    lines = [start]
    lines.extend(f"{n}: {v}" for n, v in headers if n != "Content-Length")
    lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines)
    # Two scans in C: every CR and every LF must be one of the separators just written.
    if head.count("\r") != len(lines) - 1 or head.count("\n") != len(lines) - 1:
        raise HeaderInjectionError(f"CR or LF inside a header of {start[:40]!r}: not sent")
    return (head + "\r\n\r\n").encode() + body


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    uri: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = SIP_VERSION

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def to_bytes(self) -> bytes:
        return _serialise(f"{self.method} {self.uri} {self.version}", self.headers, self.body)


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    reason: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = SIP_VERSION

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def to_bytes(self) -> bytes:
        return _serialise(f"{self.version} {self.status} {self.reason}", self.headers, self.body)


Message = Request | Response
