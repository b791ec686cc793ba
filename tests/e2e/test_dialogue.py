"""The shared-area dialogue end to end with SIPp: menu in early media, RFC 4733 keys from
Debian's recordings, and the 302 (or the announcement) that ends it."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.peers import (
    Baresip,
    FakeMunicipality,
    Server,
    free_port,
    keypress,
    line_noise,
    scenario,
    sipp,
    sipp_errors,
    veertien_server,
    xml_attr,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("data")
    (data / "settings.json").write_text(json.dumps({"key_timeout_s": 1}))
    with veertien_server(data) as running:
        yield running


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
    audio = line_noise(tmp_path, codec)
    path = scenario(
        "uac_early_media.xml",
        tmp_path,
        AUDIO=str(audio),
        CODEC=codec,
        PT="0" if codec == "PCMU" else "8",
        KEYPRESS=keypress(key),
        STATUS=status,
        REGEXP=xml_attr(re.escape(expected)),
        CALLER="0612345678",
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


def test_baresip_presses_a_key_in_the_menu_and_arrives_at_the_municipality(
    server: Server,
    tmp_path: Path,
) -> None:
    """baresip hears the 0113 menu in early media, sends key 3 over ctrl_tcp (RFC 4733) and
    follows the 302 to Reimerswaal, played here by SIPp as a fake municipality."""
    muni_port = free_port()
    settings = json.loads((server.data / "settings.json").read_text())
    settings["municipalities"] = {
        "GM0703": {"destination": f"sip:+31113000003@127.0.0.1:{muni_port}"}
    }
    (server.data / "settings.json").write_text(json.dumps(settings))
    time.sleep(1.2)  # the server reloads changed settings within a second
    muni = scenario("uas_municipality.xml", tmp_path, USER=r"\+31113000003")
    municipality = FakeMunicipality(muni, muni_port, timeout=40)
    phone = Baresip(tmp_path / "baresip")
    try:
        phone.events(until="", timeout=0.5)
        phone.command("dial", f"sip:140113@127.0.0.1:{server.port}")
        early = phone.events(until="CALL_PROGRESS", timeout=10)
        time.sleep(1.5)  # listen to the menu for a moment
        phone.command("sndcode", "3")
        events = early + phone.events(until="CALL_CLOSED", timeout=20)
    finally:
        log = phone.close()
    municipality.check(log)
    closed = [e for e in events if e.get("type") == "CALL_CLOSED"]
    assert closed and closed[0]["param"] == "486 Busy Here", events
    (record,) = server.records(lambda r: r["peer"] == f"udp:127.0.0.1:{phone.sip_port}")
    assert (record["response"], record["municipality"], _keys(record)) == (302, "GM0703", ["3"])
