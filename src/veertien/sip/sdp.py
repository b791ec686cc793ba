"""SDP (RFC 4566) parse and generate, and the audio offer/answer the IVR needs (RFC 3264).

Only what a telephony platform meets is modelled: v, o, s, c, t, m and a lines; other lines
(b, i, u, e, p, k, r, z) are kept verbatim so nothing is lost when a description is re-emitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from veertien.errors import ProtocolError

STATIC_PAYLOADS = {"0": ("PCMU", 8000), "8": ("PCMA", 8000), "18": ("G729", 8000)}
DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")


class SdpError(ProtocolError):
    status = 488
    """The body is not a usable session description; the text says why."""


Attribute = tuple[str, str | None]


@dataclass(frozen=True, slots=True)
class Origin:
    username: str
    session_id: str
    session_version: str
    address: str
    address_type: str = "IP4"

    def __str__(self) -> str:
        return (
            f"{self.username} {self.session_id} {self.session_version} IN "
            f"{self.address_type} {self.address}"
        )


@dataclass(frozen=True, slots=True)
class Media:
    kind: str  # "audio"
    port: int
    proto: str  # "RTP/AVP"
    formats: tuple[str, ...]
    connection: str | None = None  # address from this section's c= line
    attributes: tuple[Attribute, ...] = ()
    other: tuple[str, ...] = ()

    def attribute(self, name: str) -> str | None:
        return next((v for k, v in self.attributes if k == name), None)

    @property
    def direction(self) -> str:
        found = [k for k, _ in self.attributes if k in DIRECTIONS]
        return found[-1] if found else "sendrecv"

    def rtpmap(self) -> dict[str, tuple[str, int]]:
        """Payload type → (encoding name upper-cased, clock rate), static types included."""
        mapping = {pt: STATIC_PAYLOADS[pt] for pt in self.formats if pt in STATIC_PAYLOADS}
        for name, value in self.attributes:
            if name == "rtpmap" and value:
                pt, _, spec = value.partition(" ")
                encoding, _, rest = spec.partition("/")
                rate = rest.partition("/")[0]
                if pt in self.formats and rate.isdigit():
                    mapping[pt] = (encoding.upper(), int(rate))
        return mapping


@dataclass(frozen=True, slots=True)
class SessionDescription:
    origin: Origin
    name: str = "-"
    connection: str | None = None
    media: tuple[Media, ...] = ()
    attributes: tuple[Attribute, ...] = ()
    timing: str = "0 0"
    other: tuple[str, ...] = ()

    def audio(self) -> Media | None:
        return next((m for m in self.media if m.kind == "audio" and m.port != 0), None)

    def address_of(self, media: Media) -> str | None:
        return media.connection or self.connection

    def to_bytes(self) -> bytes:
        lines = ["v=0", f"o={self.origin}", f"s={self.name}"]
        if self.connection:
            lines.append(f"c=IN {_addr_type(self.connection)} {self.connection}")
        lines.extend(self.other)
        lines.append(f"t={self.timing}")
        lines.extend(_attr_line(a) for a in self.attributes)
        for m in self.media:
            lines.append(f"m={m.kind} {m.port} {m.proto} {' '.join(m.formats)}")
            if m.connection:
                lines.append(f"c=IN {_addr_type(m.connection)} {m.connection}")
            lines.extend(m.other)
            lines.extend(_attr_line(a) for a in m.attributes)
        return ("\r\n".join(lines) + "\r\n").encode()


def _addr_type(address: str) -> str:
    return "IP6" if ":" in address else "IP4"


def _attr_line(attribute: Attribute) -> str:
    name, value = attribute
    return f"a={name}:{value}" if value is not None else f"a={name}"


def _connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"bad c= line {value[:40]!r}")
    return parts[2].split("/")[0]


def _media(value: str) -> Media:
    parts = value.split()
    if len(parts) < 4 or not parts[1].split("/")[0].isdigit():
        raise SdpError(f"bad m= line {value[:40]!r}")
    port = int(parts[1].split("/")[0])
    if port > 65535:
        raise SdpError(f"bad port {port}")
    return Media(parts[0], port, parts[2], tuple(parts[3:]))


def _origin(value: str) -> Origin:
    parts = value.split()
    if len(parts) != 6 or parts[3] != "IN":
        raise SdpError(f"bad o= line {value[:40]!r}")
    return Origin(parts[0], parts[1], parts[2], parts[5], parts[4])


@dataclass
class _Builder:
    origin: Origin | None = None
    name: str = "-"
    connection: str | None = None
    timing: str = "0 0"
    attributes: list[Attribute] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)

    def line(self, kind: str, value: str) -> None:
        if kind == "m":
            self.media.append(_media(value))
        elif self.media:
            self.media[-1] = _media_line(self.media[-1], kind, value)
        elif kind == "a":
            self.attributes.append(_attribute(value))
        elif kind == "c":
            self.connection = _connection(value)
        elif kind == "o":
            self.origin = _origin(value)
        elif kind == "s":
            self.name = value
        elif kind == "t":
            self.timing = value
        elif kind == "v":
            if value != "0":
                raise SdpError(f"unsupported SDP version {value!r}")
        else:
            self.other.append(f"{kind}={value}")

    def build(self) -> SessionDescription:
        if self.origin is None:
            raise SdpError("SDP without an o= line")
        return SessionDescription(
            self.origin,
            self.name,
            self.connection,
            tuple(self.media),
            tuple(self.attributes),
            self.timing,
            tuple(self.other),
        )


def _attribute(value: str) -> Attribute:
    name, colon, rest = value.partition(":")
    return (name, rest if colon else None)


def _media_line(media: Media, kind: str, value: str) -> Media:
    if kind == "a":
        return replace(media, attributes=(*media.attributes, _attribute(value)))
    if kind == "c":
        return replace(media, connection=_connection(value))
    return replace(media, other=(*media.other, f"{kind}={value}"))


def parse_sdp(data: bytes) -> SessionDescription:
    """Parse a session description. Raises `SdpError` with a reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SdpError("SDP is not UTF-8") from None
    builder = _Builder()
    for raw in text.replace("\r\n", "\n").split("\n"):
        if not raw:
            continue
        kind, eq, value = raw.partition("=")
        if not eq or len(kind) != 1:
            raise SdpError(f"bad SDP line {raw[:40]!r}")
        builder.line(kind, value.strip())
    return builder.build()


@dataclass(frozen=True, slots=True)
class AudioChoice:
    """What we will send and receive: the codec and the telephone-event type from the offer."""

    payload_type: str
    encoding: str  # "PCMA" or "PCMU"
    dtmf_payload_type: str | None
    remote_address: str
    remote_port: int


def choose_audio(
    offer: SessionDescription,
    supported: tuple[str, ...] = ("PCMA", "PCMU"),
) -> AudioChoice:
    """The first offered codec we support, and the offer's own telephone-event payload type."""
    audio = offer.audio()
    address = offer.address_of(audio) if audio else None
    if audio is None or address is None:
        raise SdpError("no usable audio stream in the offer")
    mapping = audio.rtpmap()
    codec = next((pt for pt in audio.formats if mapping.get(pt, ("", 0))[0] in supported), None)
    if codec is None:
        raise SdpError("none of the offered codecs is G.711")
    dtmf = next((pt for pt in audio.formats if mapping.get(pt) == ("TELEPHONE-EVENT", 8000)), None)
    return AudioChoice(codec, mapping[codec][0], dtmf, address, audio.port)


MIRROR = {
    "sendonly": "recvonly",
    "recvonly": "sendonly",
    "sendrecv": "sendrecv",
    "inactive": "inactive",
}


def _audio_section(
    port: int, codecs: tuple[tuple[str, str], ...], dtmf: str | None, direction: str
) -> Media:
    """One audio m-line: G.711 `codecs` as (payload type, encoding), RFC 4733 events on
    `dtmf` when given, 20 ms packets, `direction`."""
    formats = [pt for pt, _ in codecs] + ([dtmf] if dtmf else [])
    attributes: list[Attribute] = [("rtpmap", f"{pt} {enc}/8000") for pt, enc in codecs]
    if dtmf:
        attributes += [("rtpmap", f"{dtmf} telephone-event/8000"), ("fmtp", f"{dtmf} 0-15")]
    attributes += [("ptime", "20"), (direction, None)]
    return Media("audio", port, "RTP/AVP", tuple(formats), attributes=tuple(attributes))


def _session(
    address: str, session_id: str, version: int, media: tuple[Media, ...]
) -> SessionDescription:
    origin = Origin("veertien", session_id, str(version), address, _addr_type(address))
    return SessionDescription(origin, "veertien", address, media)


def offer(
    media_address: tuple[str, int],
    session_id: str,
    codecs: tuple[tuple[str, str], ...] = (("8", "PCMA"), ("0", "PCMU")),
    dtmf: str | None = "101",
    *,
    version: int = 1,
) -> SessionDescription:
    """Our offer (RFC 3264 5): one audio stream received at `media_address` (host, port), the
    G.711 `codecs` in order of preference as (payload type, encoding), RFC 4733 events on
    payload type `dtmf` (None: no DTMF)."""
    address, port = media_address
    return _session(address, session_id, version, (_audio_section(port, codecs, dtmf, "sendrecv"),))


def answer(
    offer: SessionDescription,
    choice: AudioChoice,
    media_address: tuple[str, int],
    session_id: str,
    *,
    version: int = 1,
) -> SessionDescription:
    """The answer to `offer`: one audio stream with the chosen codec (and DTMF when offered),
    received at `media_address` (host, port), its direction mirroring the offer's."""
    address, port = media_address
    chosen = offer.audio()
    direction = MIRROR[chosen.direction] if chosen is not None else "sendrecv"
    codec = ((choice.payload_type, choice.encoding),)
    ours = _audio_section(port, codec, choice.dtmf_payload_type, direction)
    # one m-line per offered stream, in order; the ones we do not take get port 0 (RFC 3264 6)
    media = [ours if m is chosen else Media(m.kind, 0, m.proto, m.formats) for m in offer.media]
    return _session(address, session_id, version, tuple(media))
