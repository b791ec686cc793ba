"""A mutation fuzzer for SIP: valid messages bent the ways peers and attackers bend them."""

from __future__ import annotations

import random
from collections.abc import Iterator

from tests.sip.helpers import invite, request

SPECIAL = [
    b"\r\n",
    b"\n",
    b"\r",
    b":",
    b";",
    b",",
    b"<",
    b">",
    b'"',
    b" ",
    b"\t",
    b"\x00",
    b"\xff",
    b"=",
    b"@",
    b"%",
    b"\\",
    b"sip:",
    b"tel:",
    b"SIP/2.0",
    b"z9hG4bK",
    b"4294967296",
    b"-1",
    b"99999999999999999999",
    b"\r\n\r\n",
    b"\xc3\x28",
    b"[::1]",
]
HEADERS = [
    b"Via: SIP/2.0/UDP",
    b"Via: ",
    b"Content-Length: 99999",
    b"Content-Length: -4",
    b"l: 3",
    b"CSeq: 1 BYE",
    b"CSeq: ",
    b"Max-Forwards: 0",
    b"Require: foo",
    b"To: <sip:a@b",
    b"From: ",
    b"Call-ID:",
    b"v: SIP/2.0/TCP a;branch=z9hG4bK1",
    b"Contact: *",
    b"Route: <sip:x;lr>",
    b" folded",
    b"i: x",
    b"Expires: never",
]


def corpus() -> list[bytes]:
    return [
        invite("140320"),
        invite("140113", body="v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n"),
        invite("tel:+3114020"),
        invite("14"),
        invite("140116"),
        request("OPTIONS"),
        request("BYE", to_tag="x"),
        request("CANCEL", branch="z9hG4bK-1"),
        request("ACK", branch="z9hG4bK-1", to_tag="t"),
        request("REGISTER"),
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKx\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n",
    ]


def _flip(rng: random.Random, data: bytes, pos: int) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
    return bytes(out)


def _special(rng: random.Random, data: bytes, pos: int) -> bytes:
    return data[:pos] + rng.choice(SPECIAL) + data[pos:]


def _delete(rng: random.Random, data: bytes, pos: int) -> bytes:
    return data[:pos] + data[min(len(data), pos + rng.randint(1, 40)) :]


def _repeat(rng: random.Random, data: bytes, pos: int) -> bytes:
    end = min(len(data), pos + rng.randint(1, 80))
    return data[:end] + data[pos:end] * rng.randint(1, 4) + data[end:]


def _truncate(rng: random.Random, data: bytes, pos: int) -> bytes:
    return data[:pos]


def _header(rng: random.Random, data: bytes, pos: int) -> bytes:
    line = data.find(b"\r\n", pos)
    cut = line + 2 if line >= 0 else len(data)
    return data[:cut] + rng.choice(HEADERS) + b"\r\n" + data[cut:]


def _shuffle(rng: random.Random, data: bytes, pos: int) -> bytes:
    lines = data.split(b"\r\n")
    rng.shuffle(lines)
    return b"\r\n".join(lines)


def _noise(rng: random.Random, data: bytes, pos: int) -> bytes:
    return data[:pos] + rng.randbytes(rng.randint(1, 30)) + data[pos:]


def _line_end(rng: random.Random, data: bytes, pos: int) -> bytes:
    return data.replace(b"\r\n", rng.choice([b"\n", b"\r", b"\r\n\r\n", b" "]), 1)


def _printable(rng: random.Random, data: bytes, pos: int) -> bytes:
    return bytes(rng.randrange(32, 127) for _ in range(rng.randint(0, 200)))


MUTATIONS = (
    _flip,
    _special,
    _delete,
    _repeat,
    _truncate,
    _header,
    _shuffle,
    _noise,
    _line_end,
    _printable,
)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    return rng.choice(MUTATIONS)(rng, data, rng.randrange(len(data) + 1))


def messages(seed: int, count: int) -> Iterator[bytes]:
    """`count` inputs: mostly stacked mutations of valid messages, some pure random bytes."""
    rng = random.Random(seed)
    base = corpus()
    for _ in range(count):
        if rng.random() < 0.05:
            yield rng.randbytes(rng.randint(0, 1500))
            continue
        data = rng.choice(base)
        for _ in range(rng.choice((1, 1, 1, 2, 3, 5))):
            data = _mutate(rng, data)
        yield data
