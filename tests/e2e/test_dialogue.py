"""The shared-area dialogue end to end with SIPp: menu in early media, RFC 4733 keys from
Debian's recordings, and the 302 (or the announcement) that ends it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.peers import Server, scenario, sipp, sipp_errors, veertien_server, xml_attr
from tests.media.pcap import sipp_pcap

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("data")
    (data / "settings.json").write_text(json.dumps({"key_timeout_s": 1}))
    with veertien_server(data) as running:
        yield running


def _keypress(key: str | None) -> str:
    if key is None:
        return ""
    return f'<exec play_pcap_audio="{sipp_pcap(f"dtmf_2833_{key}.pcap")}"/>'


@pytest.mark.parametrize(
    ("dialled", "key", "codec", "status", "expected"),
    [
        ("140113", "2", "PCMU", "302", "Contact: <sip:+31113000001@127.0.0.1:5080>"),
        ("140113", "5", "PCMA", "302", "Contact: <sip:+31113000002@127.0.0.1:5080>"),
        ("140578", None, "PCMA", "302", "Contact: <sip:+31578000001@127.0.0.1:5080>"),
        ("14020", "3", "PCMU", "480", "SIP/2.0 480 Announcement Played"),
    ],
)
def test_menu_key_and_outcome(
    server: Server,
    tmp_path: Path,
    dialled: str,
    key: str | None,
    codec: str,
    status: str,
    expected: str,
) -> None:
    path = scenario(
        "uac_early_media.xml",
        tmp_path,
        CODEC=codec,
        PT="0" if codec == "PCMU" else "8",
        KEYPRESS=_keypress(key),
        STATUS=status,
        REGEXP=xml_attr(re.escape(expected)),
    )
    result = sipp(
        path, "-s", dialled, f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0", timeout=60
    )
    assert result.returncode == 0, sipp_errors(tmp_path)
    pressed = [key] if key else []
    (record,) = server.records(
        lambda r: r["dialled"] == dialled and _keys(r) == pressed and r["route"] == "keys"
    )
    assert record["response"] == int(status)


def _keys(record: dict[str, object]) -> list[str]:
    dialogue = record["dialogue"]
    assert isinstance(dialogue, list)
    return [detail for kind, detail in dialogue if kind == "key"]
