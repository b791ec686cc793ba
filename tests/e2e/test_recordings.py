"""Recorded prompts end to end: the operator uploads every Frisian sentence of area 0113 through
the portal (WAV files, converted by sox), the running node takes them within a second, and a
SIPp caller hears "Foar it Frysk, druk op 8." after the greeting, presses 8, then 2, and is sent
to Goes; the call record says `fy` and every prompt after the choice is a Frisian sentence."""

from __future__ import annotations

import io
import json
import math
import time
import wave
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import TUESDAY_MORNING
from tests.e2e.peers import (
    Server,
    csrf_of,
    keyed_call,
    keys,
    signed_in,
    veertien_server,
)
from tests.e2e.test_portal import browser_page
from veertien.directory import demo_directory
from veertien.ivr.recorded import area_sentences
from veertien.routing import CallFacts, RoutingContext, Settings, decide, decide_municipality

pytestmark = pytest.mark.e2e
GOES = "Contact: <sip:+31113000001@127.0.0.1:5080>"
SETTINGS = {"key_timeout_s": 3, "speech": False, "languages": {"areas": {"0113": {"fy": "8"}}}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("data")
    (data / "settings.json").write_text(json.dumps(SETTINGS))
    with veertien_server(data) as running:
        yield running


def _wav(n: int) -> bytes:
    """A second of a tone that comes and goes like speech, at 16 kHz: one per sentence."""
    t = np.arange(16000) / 16000
    tone = (
        3000 * (0.5 + 0.5 * np.sin(2 * math.pi * 2 * t)) * np.sin(2 * math.pi * (250 + 20 * n) * t)
    )
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(tone.astype("<i2").tobytes())
    return out.getvalue()


def _required() -> tuple[str, ...]:
    ctx = RoutingContext(demo_directory(), Settings.from_json(SETTINGS))
    facts = CallFacts("140113", TUESDAY_MORNING)
    choose = partial(decide_municipality, facts=facts, ctx=ctx)
    return area_sentences(decide(facts, ctx), "fy", choose, speech=False, key="8").required


def _upload_all(server: Server) -> None:
    client = signed_in(server)
    for n, text in enumerate(_required()):
        form = {"csrf": csrf_of(client.get("/opnames/0113").text), "taal": "fy", "tekst": text,
                "actie": "opslaan"}  # fmt: skip
        done = client.post("/opnames/0113", data=form, files={"opname": ("zin.wav", _wav(n))})
        assert done.status_code == 303, done.text
    page = client.get("/opnames/0113").text
    assert "Alle vereiste zinnen zijn opgenomen" in page
    assert "Fries: toets 8" in client.get("/netnummers").text  # offered now


def test_frisian_is_offered_and_spoken_once_every_sentence_is_recorded(
    server: Server, tmp_path: Path
) -> None:
    _upload_all(server)
    health = f"http://127.0.0.1:{server.http_port}/health"
    for _ in range(50):  # the node reads the recordings every second
        if httpx.get(health).json()["recordings"] == len(_required()):
            break
        time.sleep(0.1)
    assert httpx.get(health).json()["recordings"] == len(_required())
    keyed_call(server, tmp_path, keys("82", gap_ms=4000), GOES)
    (record,) = server.records(lambda r: r.get("language") == "fy")
    found = record["dialogue"]
    assert isinstance(found, list)
    dialogue = [(str(kind), str(detail)) for kind, detail in found]
    prompts = [detail for kind, detail in dialogue if kind == "prompt"]
    assert prompts[1] == "Foar it Frysk, druk op 8."
    after = dialogue[[kind for kind, _ in dialogue].index("language") + 1 :]
    heard = [detail for kind, detail in after if kind == "prompt"]
    assert heard and all(text.startswith("Foar Borsele, druk op 1.") for text in heard)
    assert record["response"] == 302 and record["municipality"] == "GM0664"


def test_a_browser_uploads_a_sentence_and_hears_it_back(server: Server, tmp_path: Path) -> None:
    signed_in(server)  # the operator's own password chosen, if not yet
    first = _required()[0]
    sound = tmp_path / "zin.wav"
    sound.write_bytes(_wav(3))
    base = f"http://127.0.0.1:{server.http_port}"
    with browser_page(tmp_path) as (_, page, shots):
        page.goto(f"{base}/inloggen")
        page.fill("#username", "operator")
        page.fill("#password", server.password)
        page.click("button[type=submit] >> text=Inloggen")
        page.goto(f"{base}/opnames")
        assert page.is_visible("#netnummers >> text=0113")
        page.screenshot(path=str(shots / "opnames.png"), full_page=True)
        page.goto(f"{base}/opnames/0113")
        row = page.locator("#fy tr", has_text=first)
        row.locator('input[type="file"]').set_input_files(str(sound))
        row.locator("button >> text=Opslaan").click()
        page.wait_for_selector("text=Opname opgeslagen")
        assert page.locator("#fy tr", has_text=first).get_attribute("data-recorded") == "ja"
        source = page.locator("#fy tr", has_text=first).locator("audio").get_attribute("src")
        page.screenshot(path=str(shots / "opnames-netnummer.png"), full_page=True)
        heard = page.request.get(f"{base}{source}")
        assert heard.status == 200 and heard.headers["content-type"] == "audio/wav"
        assert heard.body()[:4] == b"RIFF"
