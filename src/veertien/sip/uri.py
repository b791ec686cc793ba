"""SIP and tel URIs, name-addr values (From, To, Contact), Via and CSeq (RFC 3261 19, 20; RFC 3966).

Each parser raises `SipSyntaxError` with a short reason on malformed input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from veertien.errors import ProtocolError


class SipSyntaxError(ProtocolError):
    """A header or URI is malformed; the text says what."""


_TOKEN = re.compile(r"[A-Za-z0-9\-.!%*_+`'~]+")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-.]+)(?::([0-9]{1,5}))?")
_VIA = re.compile(r"SIP\s*/\s*2\.0\s*/\s*([A-Za-z]+)\s+([^;\s]+)\s*(;.*)?", re.IGNORECASE | re.S)
_CSEQ = re.compile(r"\s*([0-9]{1,10})\s+([A-Za-z0-9\-.!%*_+`'~]+)\s*")
# Every character a SIP or tel URI may hold (RFC 3261 25.1, RFC 3966): no white space, no control
# characters, no quotes or angle brackets; so a URI can never end a header line or open another.
_URI_TEXT = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;?/:@%\[\]#]+")
_USER = re.compile(r"[A-Za-z0-9\-_.!~*'()&=+$,;/%#]+")  # unreserved, escaped, user-unreserved
_PARAM_VALUE = re.compile(r"[A-Za-z0-9\-_.!~*'()\[\]/:&+$%]*")  # paramchar
_URI_HEADERS = re.compile(r"[A-Za-z0-9\-_.!~*'()\[\]/?:+$%=&]*")  # hname=hvalue&...
MAX_DESTINATION = 256


def split_commas(value: str) -> list[str]:
    """Split a header value on commas outside quotes and angle brackets."""
    if "," not in value:
        stripped = value.strip()
        return [stripped] if stripped else []
    parts: list[str] = []
    depth_angle, quoted, escaped, start = False, False, False, 0
    for i, ch in enumerate(value):
        if escaped:
            escaped = False
        elif quoted:
            escaped = ch == "\\"
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == "<":
            depth_angle = True
        elif ch == ">":
            depth_angle = False
        elif ch == "," and not depth_angle:
            parts.append(value[start:i].strip())
            start = i + 1
    parts.append(value[start:].strip())
    return [p for p in parts if p]


def tag_of(name_addr: str) -> str | None:
    """The tag of a From/To value (a parameter outside any <URI>), cheaply: no full parse."""
    params = name_addr.rpartition(">")[2] if "<" in name_addr else name_addr.partition(";")[2]
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "tag" and value:
            return value
    return None


def parse_params(text: str) -> tuple[tuple[str, str | None], ...]:
    """';a=b;c' → (('a', 'b'), ('c', None)). Names are lower-cased."""
    params: list[tuple[str, str | None]] = []
    for raw in text.split(";"):
        part = raw.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not _TOKEN.fullmatch(name):
            raise SipSyntaxError(f"bad parameter name {name!r}")
        params.append((name, value.strip() if sep else None))
    return tuple(params)


def format_params(params: tuple[tuple[str, str | None], ...]) -> str:
    return "".join(f";{k}={v}" if v is not None else f";{k}" for k, v in params)


def _param(params: tuple[tuple[str, str | None], ...], name: str) -> str | None:
    for key, value in params:
        if key == name:
            return value
    return None


@dataclass(frozen=True, slots=True)
class SipUri:
    """sip:user@host:port;params?headers, sips: likewise, or tel:number;params (user = number)."""

    scheme: str
    user: str | None
    host: str
    port: int | None = None
    params: tuple[tuple[str, str | None], ...] = ()
    headers: str = ""

    def param(self, name: str) -> str | None:
        return _param(self.params, name)

    def __str__(self) -> str:
        if self.scheme == "tel":
            return f"tel:{self.user}{format_params(self.params)}"
        user = f"{self.user}@" if self.user is not None else ""
        port = f":{self.port}" if self.port is not None else ""
        tail = f"?{self.headers}" if self.headers else ""
        return f"{self.scheme}:{user}{self.host}{port}{format_params(self.params)}{tail}"

    @classmethod
    def parse(cls, text: str) -> SipUri:
        text = text.strip()
        if not _URI_TEXT.fullmatch(text):
            raise SipSyntaxError(f"character not allowed in a URI in {text[:60]!r}")
        scheme, sep, rest = text.partition(":")
        scheme = scheme.lower()
        if not sep or scheme not in ("sip", "sips", "tel"):
            raise SipSyntaxError(f"unsupported URI scheme in {text[:60]!r}")
        if scheme == "tel":
            number, _, params = rest.partition(";")
            if not number or not re.fullmatch(r"[0-9A-Fa-f*#+\-.()pw]+", number):
                raise SipSyntaxError(f"bad tel number {number[:40]!r}")
            return cls("tel", number, "", None, _uri_params(params))
        rest, _, headers = rest.partition("?")
        if not _URI_HEADERS.fullmatch(headers):
            raise SipSyntaxError(f"bad headers in URI {text[:60]!r}")
        userinfo, at, hostpart = rest.rpartition("@")
        if not at:
            userinfo, hostpart = "", rest
        hostport, _, params = hostpart.partition(";")
        match = _HOST.fullmatch(hostport)
        if not match or (at and not userinfo):
            raise SipSyntaxError(f"bad host in URI {text[:60]!r}")
        port = int(match.group(2)) if match.group(2) else None
        if port is not None and not 0 < port < 65536:
            raise SipSyntaxError(f"bad port {port}")
        user = userinfo.partition(":")[0] if at else None
        if user is not None and not _USER.fullmatch(user):
            raise SipSyntaxError(f"bad user part in URI {text[:60]!r}")
        return cls(scheme, user, match.group(1).lower(), port, _uri_params(params), headers)


def _uri_params(text: str) -> tuple[tuple[str, str | None], ...]:
    params = parse_params(text)
    for name, value in params:
        if value is not None and not _PARAM_VALUE.fullmatch(value):
            raise SipSyntaxError(f"bad value of URI parameter {name!r}")
    return params


def destination_uri(text: str) -> str:
    """A destination that an operator, an admin or an import gives for calls (302 Contact,
    REFER's Refer-To, a bridged INVITE): a sip:, sips: or tel: URI that the SIP parser accepts
    whole, at most `MAX_DESTINATION` characters, without URI headers (`?...` would add headers to
    the next request). Returns it trimmed; raises `SipSyntaxError` saying why not."""
    if len(text) > MAX_DESTINATION:
        raise SipSyntaxError(f"longer than {MAX_DESTINATION} characters")
    uri = SipUri.parse(text)
    if uri.headers or "?" in text:
        raise SipSyntaxError("URI headers (?...) are not allowed in a destination")
    if uri.scheme != "tel" and not uri.host:
        raise SipSyntaxError("no host")
    return text.strip()


@dataclass(frozen=True, slots=True)
class NameAddr:
    """A From, To, Contact, Refer-To value: optional display name, URI, header parameters."""

    uri: str
    display: str = ""
    params: tuple[tuple[str, str | None], ...] = ()

    @property
    def tag(self) -> str | None:
        return _param(self.params, "tag")

    def with_tag(self, tag: str) -> NameAddr:
        kept = tuple(p for p in self.params if p[0] != "tag")
        return NameAddr(self.uri, self.display, (*kept, ("tag", tag)))

    def __str__(self) -> str:
        display = f"{self.display} " if self.display else ""
        return f"{display}<{self.uri}>{format_params(self.params)}"

    @classmethod
    def parse(cls, text: str) -> NameAddr:
        text = text.strip()
        if "<" in text:
            display, _, rest = text.partition("<")
            uri, close, params = rest.partition(">")
            if not close or not uri.strip():
                raise SipSyntaxError(f"unclosed or empty <URI> in {text[:60]!r}")
            return cls(uri.strip(), display.strip(), parse_params(params))
        uri, _, params = text.partition(";")
        if ":" not in uri:
            raise SipSyntaxError(f"no URI in {text[:60]!r}")
        return cls(uri.strip(), "", parse_params(params))


@dataclass(frozen=True, slots=True)
class Via:
    transport: str
    host: str
    port: int | None
    params: tuple[tuple[str, str | None], ...] = ()

    @property
    def branch(self) -> str | None:
        return _param(self.params, "branch")

    @property
    def sent_by(self) -> str:
        return f"{self.host}:{self.port}" if self.port is not None else self.host

    def param(self, name: str) -> str | None:
        return _param(self.params, name)

    def has_param(self, name: str) -> bool:
        return any(k == name for k, _ in self.params)

    def with_params(self, **values: str | None) -> Via:
        """A copy with parameters set (replacing existing ones of the same name)."""
        kept = tuple(p for p in self.params if p[0] not in values)
        return Via(self.transport, self.host, self.port, (*kept, *values.items()))

    def __str__(self) -> str:
        port = f":{self.port}" if self.port is not None else ""
        return f"SIP/2.0/{self.transport} {self.host}{port}{format_params(self.params)}"

    @classmethod
    def parse(cls, text: str) -> Via:
        match = _VIA.fullmatch(text.strip())
        if not match:
            raise SipSyntaxError(f"bad Via {text[:60]!r}")
        host = _HOST.fullmatch(match.group(2))
        if not host:
            raise SipSyntaxError(f"bad Via sent-by {match.group(2)[:40]!r}")
        port = int(host.group(2)) if host.group(2) else None
        params = parse_params(match.group(3) or "")
        return cls(match.group(1).upper(), host.group(1).lower(), port, params)


def top_via(values: list[str]) -> Via:
    """The topmost Via of a message's Via values (`Headers.values("Via")`)."""
    if not values:
        raise SipSyntaxError("no Via header")
    return Via.parse(values[0])


@dataclass(frozen=True, slots=True)
class CSeq:
    number: int
    method: str

    def __str__(self) -> str:
        return f"{self.number} {self.method}"

    @classmethod
    def parse(cls, text: str) -> CSeq:
        match = _CSEQ.fullmatch(text)
        if not match or int(match.group(1)) >= 2**31:
            raise SipSyntaxError(f"bad CSeq {text[:40]!r}")
        return cls(int(match.group(1)), match.group(2))
