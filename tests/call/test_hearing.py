"""What a caller hears: record the early media of a real call and check the menu in it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import keys_only
from veertien.ivr.area import GREETING
from veertien.ivr.prompts import Prompt, say, spoken_text
from veertien.media.endpoint import Endpointer, SpeechEnded, SpeechStarted, frame_db
from veertien.media.g711 import Law, decode, encode, silence
from veertien.records import MemorySink
from veertien.server.service import start_service
from veertien.speech.synthesis import EspeakSynthesiser, duration_s
from veertien.storage import DataDir
from veertien.testcall.caller import place_call

MENU = "Voor Epe, toets 1. Voor Heerde, toets 2."
AGAIN = spoken_text(say(Prompt.AGAIN))


def _as_sent(pcm: bytes) -> bytes:
    """A prompt as RTP carries it: G.711, 200 ms of silence, the last 20 ms frame filled up."""
    audio = encode(pcm, Law.PCMU) + silence(Law.PCMU, 1600)
    return audio + audio[-1:] * (-len(audio) % 160)


@pytest.mark.usefixtures("voices")
async def test_the_caller_hears_the_menu_twice_then_is_sent_to_the_default(
    tmp_path: Path,
) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"key_timeout_s": 0.5}))
    sink = MemorySink()
    service = await start_service(DataDir(keys_only(tmp_path)), "127.0.0.1", 0, sink)
    try:
        result = await place_call(
            "140578", "127.0.0.1", service.address[1], timeout=40, show=lambda _: None
        )
    finally:
        await service.close()
    assert result.final is not None and result.final.status == 302
    assert result.final.header("Contact") == "<sip:+31578000001@127.0.0.1:5080>"

    synth = EspeakSynthesiser(tmp_path / "prompts")
    greeting, first, second = (
        synth.render(t) for t in (spoken_text(GREETING), MENU, f"{AGAIN} {MENU}")
    )
    # Everything we sent arrived, in order: the greeting, the menu and its repeat, each with
    # 200 ms of silence after it.
    expected = _as_sent(greeting) + _as_sent(first)
    assert result.heard[: len(expected)] == expected
    heard = decode(result.heard[len(_as_sent(greeting)) :], Law.PCMU)
    total = len(expected) + len(_as_sent(second))
    assert len(result.heard) == pytest.approx(total, abs=320)
    assert 2.0 < duration_s(first) < 8.0

    frames = [heard[i : i + 320] for i in range(0, len(first), 320)]
    endpointer = Endpointer()
    events = [e for f in [*frames, *[bytes(320)] * 40] if (e := endpointer.feed(f)) is not None]
    assert isinstance(events[0], SpeechStarted) and events[0].at_ms < 500
    assert max(frame_db(f) for f in frames) > -20  # clearly audible
    loud = sum(frame_db(f) > -40 for f in frames) / len(frames)
    assert loud > 0.5, "most of the prompt is speech, not silence"
    spoken = sum(e.duration_ms for e in events if isinstance(e, SpeechEnded))
    assert spoken > 0.6 * duration_s(first) * 1000, "speech fills most of the prompt's length"
    (record,) = sink.records
    assert [k for k, _ in record.dialogue].count("timeout") == 2
