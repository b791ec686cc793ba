"""G.711 µ-law and A-law (ITU-T G.711), for 16-bit signed little-endian linear PCM at 8 kHz.

Encoding goes through a 64 KiB table per law built on first use, so a 20 ms frame (160 samples)
is one pass of table look-ups; decoding through a 256-entry table.
"""

from __future__ import annotations

import sys
from array import array
from enum import Enum
from functools import cache

_BIAS = 0x84
_ULAW_CLIP = 8159


class Law(Enum):
    PCMU = "PCMU"  # µ-law, RTP payload type 0
    PCMA = "PCMA"  # A-law, RTP payload type 8

    @property
    def payload_type(self) -> int:
        return 0 if self is Law.PCMU else 8


def ulaw_encode_sample(sample: int) -> int:
    """The reference (CCITT / Sun g711.c) algorithm on the 14-bit value."""
    value = sample >> 2
    mask = 0x7F if value < 0 else 0xFF
    value = min(-value if value < 0 else value, _ULAW_CLIP) + (_BIAS >> 2)
    segment = (value >> 6).bit_length()  # the first of 0x3F, 0x7F, 0xFF, ... at or above
    if segment > 7:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def ulaw_decode_sample(code: int) -> int:
    code = ~code & 0xFF
    magnitude = ((((code & 0x0F) << 3) + _BIAS) << ((code >> 4) & 0x07)) - _BIAS
    return -magnitude if code & 0x80 else magnitude


def alaw_encode_sample(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(-sample - 1 if sample < 0 else sample, 32767) >> 3  # 13-bit magnitude
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (sign | code) ^ 0x55


def alaw_decode_sample(code: int) -> int:
    code ^= 0x55
    exponent, mantissa = (code >> 4) & 0x07, code & 0x0F
    magnitude = (
        (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    )
    return magnitude if code & 0x80 else -magnitude


@cache
def _encode_table(law: Law) -> bytes:
    encode = ulaw_encode_sample if law is Law.PCMU else alaw_encode_sample
    return bytes(encode(i - 65536 if i >= 32768 else i) for i in range(65536))


@cache
def _decode_table(law: Law) -> tuple[int, ...]:
    decode = ulaw_decode_sample if law is Law.PCMU else alaw_decode_sample
    return tuple(decode(code) for code in range(256))


def _samples(pcm: bytes) -> array[int]:
    if len(pcm) % 2:
        raise ValueError("16-bit PCM must have an even number of bytes")
    samples = array("h")
    samples.frombytes(pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def encode(pcm: bytes, law: Law) -> bytes:
    """16-bit little-endian PCM → G.711 bytes (one per sample)."""
    table = _encode_table(law)
    return bytes(table[s & 0xFFFF] for s in _samples(pcm))


def decode(data: bytes, law: Law) -> bytes:
    """G.711 bytes → 16-bit little-endian PCM."""
    table = _decode_table(law)
    samples = array("h", (table[b] for b in data))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


def silence(law: Law, samples: int) -> bytes:
    return _encode_table(law)[0:1] * samples
