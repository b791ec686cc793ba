"""A language without a voice, spoken from recordings, in a real call over loopback: while a
required sentence of the area is missing Frisian is not offered; once all are recorded (in the
database, as the portal keeps them) the caller hears "Foar it Frysk, druk op 8.", presses 8,
hears the menu from the recordings byte for byte, presses 2 and is sent to Goes. A recorded
Dutch greeting replaces the voice for that sentence."""

from __future__ import annotations

import json
import math
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import TUESDAY_MORNING
from veertien.directory import demo_directory
from veertien.ivr.recorded import area_sentences
from veertien.media.g711 import Law, encode
from veertien.records import MemorySink
from veertien.routing import CallFacts, RoutingContext, Settings, decide, decide_municipality
from veertien.server.service import start_service
from veertien.storage import DataDir
from veertien.storage.store import Storage
from veertien.testcall.caller import CallResult, place_call

GOES = "<sip:+31113000001@127.0.0.1:5080>"
GREETING = "Welkom bij het telefoonnummer van uw gemeente."
SETTINGS = {"speech": False, "key_timeout_s": 3, "languages": {"areas": {"0113": {"fy": "8"}}}}


def _tone(n: int) -> bytes:
    """0.4 s of a tone of its own for the n-th sentence: its µ-law bytes are found in what was
    heard only if this recording was played."""
    t = np.arange(3200) / 8000
    return (6000 * np.sin(2 * math.pi * (300 + 37 * n) * t)).astype("<i2").tobytes()


def _sentences() -> tuple[str, ...]:
    ctx = RoutingContext(demo_directory(), Settings.from_json(SETTINGS))
    facts = CallFacts("140113", TUESDAY_MORNING)
    choose = partial(decide_municipality, facts=facts, ctx=ctx)
    return area_sentences(decide(facts, ctx), "fy", choose, speech=False, key="8").required


def _record(
    data: Path, sentences: tuple[str, ...], language: str = "fy", first: int = 0
) -> dict[str, bytes]:
    storage = Storage.open(DataDir(data))
    try:
        for n, text in enumerate(sentences, first):
            storage.recordings.put("0113", language, text, pcm=_tone(n), seconds=0.4, actor="t")
    finally:
        storage.close()
    return {text: _tone(n) for n, text in enumerate(sentences, first)}


async def _call(data: Path) -> tuple[CallResult, MemorySink]:
    sink = MemorySink()
    service = await start_service(DataDir(data), "127.0.0.1", 0, sink)
    try:
        result = await place_call(
            "140113", "127.0.0.1", service.address[1], timeout=40, keys="82", key_after_s=5.0,
            show=lambda _: None,
        )  # fmt: skip
        await service.close()
    except BaseException:
        await service.close()
        raise
    return result, sink


@pytest.mark.usefixtures("voices")
async def test_frisian_from_recordings_byte_for_byte(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps(SETTINGS))
    sentences = _sentences()
    recorded = _record(tmp_path, sentences)
    greeting = _record(tmp_path, (GREETING,), "nl", first=len(sentences))  # Dutch replaced too
    result, sink = await _call(tmp_path)
    assert encode(greeting[GREETING], Law.PCMU) in result.heard
    assert result.final is not None and result.final.status == 302
    assert result.final.header("Contact") == GOES
    (record,) = sink.records
    assert record.language == "fy" and record.municipality == "GM0664"
    prompts = [detail for kind, detail in record.dialogue if kind == "prompt"]
    assert prompts[1] == "Foar it Frysk, druk op 8."
    assert prompts[-1].startswith("Foar Borsele, druk op 1. Foar Goes, druk op 2.")
    menu = [text for text in sentences if text.startswith("Foar ") and "Frysk" not in text]
    for text in ["Foar it Frysk, druk op 8.", *menu]:
        assert encode(recorded[text], Law.PCMU) in result.heard, f"not heard as recorded: {text}"


@pytest.mark.usefixtures("voices")
async def test_frisian_is_not_offered_while_a_sentence_is_missing(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps(SETTINGS))
    _record(tmp_path, _sentences()[:-1])
    result, sink = await _call(tmp_path)
    (record,) = sink.records
    prompts = [detail for kind, detail in record.dialogue if kind == "prompt"]
    assert not any("Frysk" in p for p in prompts) and record.language == "nl"
    assert result.final is not None and result.final.header("Contact") == GOES  # 8 then 2: Goes
