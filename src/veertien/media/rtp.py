"""RTP packets (RFC 3550) and telephone-events (RFC 4733), sans I/O."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from veertien.errors import ProtocolError

_HEADER = struct.Struct("!BBHII")
DTMF_EVENTS = "0123456789*#ABCD"


class RtpError(ProtocolError):
    """Not an RTP packet we can use; the text says why."""


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes = b""
    marker: bool = False
    csrc: tuple[int, ...] = ()

    def to_bytes(self) -> bytes:
        first = 0x80 | len(self.csrc)
        second = (0x80 if self.marker else 0) | (self.payload_type & 0x7F)
        header = _HEADER.pack(
            first,
            second,
            self.sequence & 0xFFFF,
            self.timestamp & 0xFFFFFFFF,
            self.ssrc & 0xFFFFFFFF,
        )
        return header + b"".join(struct.pack("!I", c) for c in self.csrc) + self.payload

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < 12:
            raise RtpError(f"{len(data)} bytes is too short for RTP")
        first, second, sequence, timestamp, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise RtpError(f"RTP version {first >> 6}")
        offset = 12 + 4 * (first & 0x0F)
        csrc = struct.unpack_from(f"!{first & 0x0F}I", data, 12) if offset <= len(data) else ()
        if first & 0x10:  # header extension: skip it
            if len(data) < offset + 4:
                raise RtpError("truncated header extension")
            offset += 4 + 4 * struct.unpack_from("!H", data, offset + 2)[0]
        end = len(data)
        if first & 0x20:  # padding: the last byte says how much
            end -= data[-1] if data else 0
        if offset > end:
            raise RtpError("header longer than the packet")
        return cls(
            second & 0x7F,
            sequence,
            timestamp,
            ssrc,
            data[offset:end],
            bool(second & 0x80),
            tuple(csrc),
        )


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """One RFC 4733 event payload."""

    event: int
    end: bool
    volume: int
    duration: int

    @property
    def digit(self) -> str | None:
        return DTMF_EVENTS[self.event] if self.event < len(DTMF_EVENTS) else None

    def to_bytes(self) -> bytes:
        return struct.pack(
            "!BBH",
            self.event,
            (0x80 if self.end else 0) | (self.volume & 0x3F),
            self.duration & 0xFFFF,
        )

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) < 4:
            raise RtpError("telephone-event payload shorter than 4 bytes")
        event, flags, duration = struct.unpack_from("!BBH", payload)
        return cls(event, bool(flags & 0x80), flags & 0x3F, duration)


class DtmfReceiver:
    """Turns RFC 4733 packets into key presses, once each.

    An event is identified by its RTP timestamp (RFC 4733 2.5.1.2): the start packet, the
    updates and the (usually three) end packets of one press share it. A key is reported on the
    first packet of a new event, so a lost start packet still counts, and retransmitted end
    packets do not count again.
    """

    def __init__(self, payload_type: int) -> None:
        self.payload_type = payload_type
        self._seen: tuple[int, int] | None = None  # (ssrc, timestamp) of the last event

    def feed(self, packet: RtpPacket) -> str | None:
        if packet.payload_type != self.payload_type:
            return None
        try:
            event = TelephoneEvent.parse(packet.payload)
        except RtpError:
            return None
        key = (packet.ssrc, packet.timestamp)
        if key == self._seen or event.digit is None:
            return None
        self._seen = key
        return event.digit
