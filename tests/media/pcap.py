"""Read the UDP payloads of a classic pcap file (Ethernet or raw IPv4), for test fixtures."""

from __future__ import annotations

import os
import struct
from pathlib import Path

import pytest

SIPP_PCAPS = Path("/usr/share/sip-tester")


def udp_payloads(path: Path) -> list[bytes]:
    data = path.read_bytes()
    magic, _, _, _, _, _, link = struct.unpack_from("<IHHiIII", data)
    if magic != 0xA1B2C3D4:
        raise ValueError(f"{path} is not a little-endian pcap")
    offset, payloads = 24, []
    while offset + 16 <= len(data):
        length = struct.unpack_from("<IIII", data, offset)[2]
        frame = data[offset + 16 : offset + 16 + length]
        offset += 16 + length
        ip = frame[14:] if link == 1 else frame
        if ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4 :]
        payloads.append(udp[8 : struct.unpack_from("!H", udp, 4)[0]])
    return payloads


def sipp_pcap(name: str) -> Path:
    path = SIPP_PCAPS / name
    if not path.is_file():
        message = f"{path} missing (Debian sip-tester ships it; scripts/test installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path
