"""Learning end to end, with Whisper and SIPp: callers on 14 0113 say what the directory does not
know ("de Zeeuwse hoofdstad"), are not understood and press Goes's key; once two different
callers did so and Whisper wrote their words alike, the spoken form is a learned alias and the
next caller who says it is transferred to Goes without a question. Rejected in the portal, the
next caller is back at the keypad. The voice is espeak-ng's: synthetic."""

from __future__ import annotations

import json
import re
import sqlite3
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
SAID = "de Zeeuwse hoofdstad"  # a caller describing Goes; not a name in the directory
SETTINGS = {
    "learning_support": 2, "learning_window_s": 1,  # two different callers teach (the test)
    "municipalities": {"GM0664": {"learn_from_calls": True}},
}  # fmt: skip


def _call(server: Server, folder: Path, caller: str, *, key: bool = True) -> dict[str, object]:
    """Say SAID once greeted, then (with `key`: 8 s in, when still asked) key 2 (Goes); without
    `key` the call must end at Goes on what was said."""
    folder.mkdir()
    voice = EspeakSynthesiser(folder)
    quiet = b"\0\0" * 8000
    audio = folder / "said.ulaw"
    audio.write_bytes(encode(quiet * 2 + voice.render(SAID) + quiet * 8, Law.PCMU))
    path = scenario(
        "uac_early_media.xml", folder, AUDIO=str(audio), CODEC="PCMU", PT="0",
        KEYPRESS=keys("2", wait_ms=8000) if key else "", STATUS="302",
        REGEXP=xml_attr(re.escape(f"Contact: <{GOES}>")), CALLER=caller,
    )  # fmt: skip
    before = len(server.records(lambda r: r["target"] == GOES, at_least=0))
    result = sipp(path, "-s", "140113", f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0",
                  timeout=60)  # fmt: skip
    assert result.returncode == 0, sipp_errors(folder)
    return server.records(lambda r: r["target"] == GOES, at_least=before + 1)[-1]


def _learning(server: Server, changed_from: str, wait_s: float = 10) -> str:
    """The node's learned set once it moved on from `changed_from` (read every second); the
    same when it has not within `wait_s`."""
    deadline = time.monotonic() + wait_s
    while True:
        version = httpx.get(f"http://127.0.0.1:{server.http_port}/health").json()["learning"]
        if version != changed_from or time.monotonic() > deadline:
            return str(version)
        time.sleep(0.2)


def _examples(server: Server) -> list[tuple[str, str, str]]:
    with sqlite3.connect(server.data / "veertien.db") as db:
        return db.execute("SELECT form, label, caller FROM learning_examples").fetchall()


def test_a_form_chosen_by_key_is_learned_accepted_and_rejected(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.json").write_text(json.dumps(SETTINGS))
    with veertien_server(data, speech=True) as server:
        learned = "none"
        for n in range(1, 5):  # two callers whose words Whisper wrote alike teach it
            record = _call(server, tmp_path / f"keyed{n}", f"061234567{n}")
            assert record["route"] == "keys", record["dialogue"]
            learned = _learning(server, "none", wait_s=12)  # judged at least every 10 s
            if learned != "none":
                break
        assert learned != "none", _examples(server)
        record = _call(server, tmp_path / "learned", "0612345670", key=False)
        assert record["route"] == "speech" and record["learning_version"] == learned
        assert "confirm_asked" not in record["stages"], record["dialogue"]  # type: ignore[operator]

        portal = signed_in(server)
        page = portal.get("/leren/0113").text
        assert "in gebruik" in page
        with sqlite3.connect(server.data / "veertien.db") as db:
            (body,) = db.execute(
                "SELECT body FROM learning_versions WHERE version = ?", (learned,)
            ).fetchone()
        ((area, form, code),) = json.loads(body)  # the form as Whisper wrote it
        assert (area, code) == ("0113", "GM0664") and f'value="{form}"' in page
        done = portal.post("/leren/0113", data={
            "csrf": csrf_of(page), "vorm": form, "gemeente": code,
            "actie": "afwijzen",
        }, follow_redirects=True)  # fmt: skip
        assert done.status_code == 200 and "afgewezen" in done.text
        assert _learning(server, learned) == "none", _examples(server)
        record = _call(server, tmp_path / "rejected", "0612345679")
        assert record["route"] == "keys" and record["learning_version"] == "none"
