"""Learning end to end, with Whisper and SIPp: callers on 14 0113 say a name the directory does
not know, are not understood and press Goes's key; once enough different callers did so, the
same spoken form is a learned alias and the next caller who says it is transferred to Goes
without the keypad. Rejected in the portal, the next caller is back at the keypad. The voice is
espeak-ng's: synthetic."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from tests.e2e.peers import (
    Server,
    csrf_of,
    keys,
    scenario,
    signed_in,
    sipp,
    sipp_errors,
    veertien_server,
    xml_attr,
)
from veertien.media.g711 import Law, encode
from veertien.speech.synthesis import EspeakSynthesiser

pytestmark = pytest.mark.e2e
GOES = "sip:+31113000001@127.0.0.1:5080"
SAID = "Ganzenstad"
SETTINGS = {
    "learning_support": 2, "learning_window_s": 1,  # two different callers teach (the test)
    "municipalities": {"GM0664": {"learn_from_calls": True}},
}  # fmt: skip


def _call(server: Server, folder: Path, caller: str) -> dict[str, object]:
    """Say SAID once greeted, then (8 s in, if the call is still in its dialogue) key 2 (Goes)."""
    folder.mkdir()
    voice = EspeakSynthesiser(folder)
    quiet = b"\0\0" * 8000
    audio = folder / "said.ulaw"
    audio.write_bytes(encode(quiet * 2 + voice.render(SAID) + quiet * 8, Law.PCMU))
    path = scenario(
        "uac_early_media.xml", folder, AUDIO=str(audio), CODEC="PCMU", PT="0",
        KEYPRESS=keys("2", wait_ms=8000), STATUS="302",
        REGEXP=xml_attr(re.escape(f"Contact: <{GOES}>")), CALLER=caller,
    )  # fmt: skip
    before = len(server.records(lambda r: r["target"] == GOES, at_least=0))
    result = sipp(path, "-s", "140113", f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0",
                  timeout=60)  # fmt: skip
    assert result.returncode == 0, sipp_errors(folder)
    return server.records(lambda r: r["target"] == GOES, at_least=before + 1)[-1]


def _learning(server: Server, changed_from: str) -> str:
    """The node's learned set once it moved on from `changed_from` (read every second)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        version = httpx.get(f"http://127.0.0.1:{server.http_port}/health").json()["learning"]
        if version != changed_from:
            return str(version)
        time.sleep(0.2)
    raise AssertionError(f"the learned set stayed {changed_from}")


def test_a_form_chosen_by_key_is_learned_accepted_and_rejected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.json").write_text(json.dumps(SETTINGS))
    with veertien_server(data, speech=True) as server:
        for n in (1, 2):
            record = _call(server, tmp_path / f"keyed{n}", f"061234567{n}")
            assert record["route"] == "keys", record["dialogue"]
        learned = _learning(server, "none")
        record = _call(server, tmp_path / "learned", "0612345673")
        assert record["route"] == "speech" and record["learning_version"] == learned
        assert "confirm_asked" not in record["stages"], record["dialogue"]  # type: ignore[operator]

        portal = signed_in(server)
        page = portal.get("/leren/0113").text
        assert "“ganzenstad”" in page and "in gebruik" in page
        done = portal.post("/leren/0113", data={
            "csrf": csrf_of(page), "vorm": "ganzenstad", "gemeente": "GM0664",
            "actie": "afwijzen",
        })  # fmt: skip
        assert done.status_code == 200 and "afgewezen" in done.text
        assert _learning(server, learned) == "none"
        record = _call(server, tmp_path / "rejected", "0612345674")
        assert record["route"] == "keys" and record["learning_version"] == "none"
