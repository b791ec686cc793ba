"""Bytes to SIP messages: datagrams (`parse_message`) and TCP streams (`StreamFramer`).

Parsing is in two steps. `parse_message` checks the syntax that every message needs (start
line, header lines, folding, Content-Length) and raises `ParseError` for garbage. `check_request`
then checks what a UAS needs of a request (Via, From, To, Call-ID, CSeq, Max-Forwards) and returns
a reason when the request is parseable but invalid, so the server can answer 400 with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from veertien.errors import ProtocolError
from veertien.sip.message import SIP_VERSION, Headers, Message, Request, Response, canonical_name
from veertien.sip.uri import CSeq, SipSyntaxError, Via, top_via

MAX_MESSAGE = 65_535
_METHOD = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_HEADER_NAME = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_CONTENT_LENGTH = re.compile(
    rb"^(?:content-length|l)[ \t]*:[ \t]*([0-9]+)[ \t]*$", re.IGNORECASE | re.MULTILINE
)


_BARE_CR = re.compile(r"\r(?!\n)")


class ParseError(ProtocolError):
    """The bytes are not a SIP message; the text says why."""


def _split_head(data: bytes) -> tuple[bytes, bytes]:
    end = data.find(b"\r\n\r\n")
    if end >= 0:
        return data[:end], data[end + 4 :]
    end = data.find(b"\n\n")
    if end >= 0:
        return data[:end], data[end + 2 :]
    raise ParseError("no empty line after the headers")


def _header_lines(head: str) -> list[str]:
    """Header lines with folded continuations joined (RFC 3261 7.3.1)."""
    lines: list[str] = []
    for raw in head.split("\n"):
        line = raw.rstrip("\r")
        if line[:1] in (" ", "\t"):
            if not lines:
                raise ParseError("continuation line before the first header")
            lines[-1] = lines[-1] + " " + line.strip()
        elif line:
            lines.append(line)
    return lines


def _headers(lines: list[str]) -> Headers:
    items: list[tuple[str, str]] = []
    for line in lines:
        name, colon, value = line.partition(":")
        name = name.strip()
        if not colon or not _HEADER_NAME.fullmatch(name):
            raise ParseError(f"bad header line {line[:40]!r}")
        items.append((canonical_name(name), value.strip()))
    return Headers(items, canonical=True)


def _start(line: str, headers: Headers, body: bytes) -> Message:
    if line.startswith(SIP_VERSION + " "):
        _, code, reason = [*line.split(" ", 2), ""][:3]
        if not (len(code) == 3 and code.isdigit() and 100 <= int(code) <= 699):
            raise ParseError(f"bad status code {code[:10]!r}")
        return Response(int(code), reason, headers, body)
    parts = line.split(" ")
    if len(parts) != 3 or not _METHOD.fullmatch(parts[0]) or not parts[1]:
        raise ParseError(f"bad start line {line[:60]!r}")
    if parts[2] != SIP_VERSION:
        raise ParseError(f"unsupported version {parts[2][:20]!r}")
    return Request(parts[0], parts[1], headers, body)


def parse_message(data: bytes) -> Message:
    """Parse one SIP message. Raises `ParseError` with a reason if it is not one."""
    if len(data) > MAX_MESSAGE:
        raise ParseError(f"message of {len(data)} bytes is too large")
    head, rest = _split_head(data.lstrip(b"\r\n"))
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise ParseError("headers are not UTF-8") from None
    if text.count("\r") != text.count("\r\n"):
        # A bare CR inside a header value would be echoed into our responses (From, To, Via of
        # a 400 or 302), where a peer may read it as the end of a line: it becomes a space.
        text = _BARE_CR.sub(" ", text)
    first, _, head_rest = text.partition("\n")
    headers = _headers(_header_lines(head_rest))
    length_text = headers.get("Content-Length")
    if length_text is None:
        body = rest
    elif not length_text.isdigit():
        raise ParseError(f"bad Content-Length {length_text[:20]!r}")
    elif int(length_text) > len(rest):
        raise ParseError(f"body shorter ({len(rest)}) than Content-Length ({length_text})")
    else:
        body = rest[: int(length_text)]
    return _start(first.rstrip("\r"), headers, body)


REQUIRED = ("Via", "From", "To", "Call-ID", "CSeq")
URI_SCHEMES = ("sip:", "sips:", "tel:")


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of `check_request`: a problem, or the parsed top Via and CSeq."""

    problem: str | None
    via: Via | None = None
    cseq: CSeq | None = None


def check_request(request: Request) -> Checked:
    """Why a syntactically parsed request is invalid for a UAS, or its top Via and CSeq."""
    headers = request.headers
    for name in REQUIRED:
        if not headers.get(name):
            return Checked(f"Missing {name} header")
    try:
        cseq = CSeq.parse(headers.get("CSeq") or "")
        via = top_via(headers.values("Via"))
    except SipSyntaxError as exc:
        return Checked(f"Malformed request: {exc}")
    if cseq.method != request.method:
        return Checked("CSeq method does not match the request method")
    if not request.uri.lower().startswith(URI_SCHEMES):
        return Checked("Unsupported Request-URI scheme")
    max_forwards = headers.get("Max-Forwards")
    if max_forwards is not None and not (max_forwards.isdigit() and int(max_forwards) < 256):
        return Checked("Bad Max-Forwards")
    return Checked(None, via, cseq)


class StreamFramer:
    """Cuts a TCP byte stream into SIP messages by Content-Length (RFC 3261 18.3)."""

    def __init__(self) -> None:
        self._buffer = b""

    def pending(self) -> bool:
        """Whether part of a message has come and the rest not yet."""
        return bool(self._buffer.strip(b"\r\n"))

    def feed(self, data: bytes) -> list[bytes]:
        """Complete messages now available. Raises `ParseError` if the stream is unusable
        (no Content-Length, or a message too large); the connection should then be closed."""
        self._buffer += data
        messages: list[bytes] = []
        while True:
            self._buffer = self._buffer.lstrip(b"\r\n")  # keep-alive CRLFs
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_MESSAGE:
                    raise ParseError("header section too large")
                return messages
            match = _CONTENT_LENGTH.search(self._buffer[:end])
            if match is None:
                raise ParseError("message on a stream without Content-Length")
            total = end + 4 + int(match.group(1))
            if total > MAX_MESSAGE:
                raise ParseError(f"message of {total} bytes is too large")
            if len(self._buffer) < total:
                return messages
            messages.append(self._buffer[:total])
            self._buffer = self._buffer[total:]


__all__ = [
    "MAX_MESSAGE",
    "Checked",
    "ParseError",
    "StreamFramer",
    "canonical_name",
    "check_request",
    "parse_message",
]
