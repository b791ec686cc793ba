from __future__ import annotations

import hashlib
import math
import struct

import pytest

from veertien.media.g711 import Law, decode, encode, silence

FULL_RANGE = b"".join(i.to_bytes(2, "little", signed=True) for i in range(-32768, 32768))
# sha256 of the encoding of every 16-bit value, checked once against CPython's audioop (the
# ITU/Sun reference algorithm) while it still shipped; kept as a regression vector.
DIGESTS = {
    Law.PCMU: "81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a",
    Law.PCMA: "38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b",
}


@pytest.mark.parametrize("law", list(Law))
def test_every_sample_encodes_like_the_reference(law: Law) -> None:
    assert hashlib.sha256(encode(FULL_RANGE, law)).hexdigest() == DIGESTS[law]


@pytest.mark.parametrize(("law", "zero"), [(Law.PCMU, 0xFF), (Law.PCMA, 0xD5)])
def test_silence_and_known_codes(law: Law, zero: int) -> None:
    assert encode(b"\x00\x00", law) == bytes([zero]) == silence(law, 1)
    assert law.payload_type == (0 if law is Law.PCMU else 8)


@pytest.mark.parametrize("law", list(Law))
def test_codes_survive_decode_then_encode(law: Law) -> None:
    codes = bytes(range(256))
    again = encode(decode(codes, law), law)
    differ = [c for c, d in zip(codes, again, strict=True) if c != d]
    assert differ == ([0x7F] if law is Law.PCMU else [])  # µ-law has two zeros


@pytest.mark.parametrize("law", list(Law))
def test_a_tone_comes_back_within_quantisation_error(law: Law) -> None:
    tone = [int(8000 * math.sin(2 * math.pi * 440 * n / 8000)) for n in range(160)]
    pcm = struct.pack("<160h", *tone)
    back = struct.unpack("<160h", decode(encode(pcm, law), law))
    assert max(abs(a - b) for a, b in zip(tone, back, strict=True)) <= 256


def test_odd_pcm_is_refused() -> None:
    with pytest.raises(ValueError, match="even number of bytes"):
        encode(b"\x00", Law.PCMA)
