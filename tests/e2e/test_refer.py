"""Hand-over by REFER after answering: SIPp checks the exact Refer-To; linphone puts the call on
hold (re-INVITE) and then follows the REFER to a fake municipality."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.peers import (
    FakeMunicipality,
    Linphone,
    Server,
    free_port,
    scenario,
    sipp,
    sipp_errors,
    veertien_server,
    xml_attr,
)
from tests.media.pcap import sipp_pcap

pytestmark = pytest.mark.e2e
MUNI_PORT = free_port()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("data")
    settings = {
        "handover": "refer",
        "key_timeout_s": 1,
        "municipalities": {"GM0678": {"destination": f"sip:+31113000002@127.0.0.1:{MUNI_PORT}"}},
    }
    (data / "settings.json").write_text(json.dumps(settings))
    with veertien_server(data) as running:
        yield running


def test_sipp_gets_a_refer_with_the_exact_refer_to(server: Server, tmp_path: Path) -> None:
    sipp_pcap("dtmf_2833_2.pcap")
    refer_to = xml_attr(f"^ *{re.escape('<sip:+31113000001@127.0.0.1:5080>')}$")
    path = scenario("uac_refer.xml", tmp_path, KEY="2", REFER_TO_REGEXP=refer_to)
    result = sipp(
        path, "-s", "140113", f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0", timeout=40
    )
    assert result.returncode == 0, sipp_errors(tmp_path)
    (record,) = server.records(
        lambda r: r["handover"] == "refer" and ["notify", "200 OK"] in r["dialogue"]  # type: ignore[operator]
    )
    assert str(record["caller"]).startswith("h:"), "callers' numbers are kept hashed"
    assert (record["outcome"], record["response"], record["target"]) == (
        "transferred",
        200,
        "sip:+31113000001@127.0.0.1:5080",
    )
    assert ["notify", "200 OK"] in record["dialogue"]  # type: ignore[operator]


def _linphone_refer(record: dict[str, object]) -> bool:
    dialogue = record["dialogue"]
    return isinstance(dialogue, list) and ["key", "5"] in dialogue and record["handover"] == "refer"


def test_linphone_holds_then_follows_the_refer_to_the_municipality(
    server: Server,
    tmp_path: Path,
) -> None:
    muni = scenario("uas_municipality.xml", tmp_path, USER=r"\+31113000002")
    municipality = FakeMunicipality(muni, MUNI_PORT, timeout=40)
    phone = Linphone(tmp_path / "linphone")
    try:
        time.sleep(1.5)
        phone.say("soundcard use files")
        phone.say(f"call sip:140113@127.0.0.1:{server.port}")
        time.sleep(3)  # answered; the menu plays
        phone.say("5")  # Kapelle
        found = server.records(_linphone_refer, 1)
    finally:
        log = phone.close()
    municipality.check(log)
    (record,) = found
    dialogue = record["dialogue"]
    assert isinstance(dialogue, list)
    assert ["key", "5"] in dialogue and ["reinvite", "sendonly"] in dialogue, dialogue
    assert ["refer", "sip:+31113000002@127.0.0.1:" + str(MUNI_PORT)] in dialogue
    assert ["notify", "486 Busy Here"] in dialogue  # the municipality's answer, as linphone saw it


def test_a_caller_without_refer_is_bridged_to_the_municipality(
    server: Server,
    tmp_path: Path,
) -> None:
    """No REFER in the caller's Allow: the platform calls Kapelle itself (a SIPp municipality
    that answers, talks and hangs up), relays the media, and hangs up the caller after it."""
    muni = scenario("uas_municipality_answers.xml", tmp_path, USER=r"\+31113000002", TALK_MS="1500")
    municipality = FakeMunicipality(muni, MUNI_PORT, "-mp", "0", "-rtp_echo", timeout=40)
    sipp_pcap("dtmf_2833_5.pcap")
    path = scenario("uac_bridge.xml", tmp_path, KEY="5")
    result = sipp(
        path, "-s", "140113", f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0", timeout=40
    )
    municipality.check()
    assert result.returncode == 0, sipp_errors(tmp_path)
    (record,) = server.records(lambda r: r["handover"] == "bridge")
    assert (record["outcome"], record["response"], record["municipality"]) == (
        "bridged",
        200,
        "GM0678",
    )
