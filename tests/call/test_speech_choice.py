"""The two-name question over real SIP on loopback: the service's dialogue (early media), a
scripted recogniser whose scores leave two names close, and the built-in caller, which says a
name and then presses 2. The call must end at the second name, and its record must show the
question and count it in the funnel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veertien.media.g711 import Law, encode
from veertien.server.service import start_service
from veertien.speech.matcher import Name
from veertien.speech.pool import Heard, Listener
from veertien.speech.recogniser import Context, Engine, Scores, Transcript
from veertien.storage import DataDir
from veertien.testcall.caller import Script, place_call

HEERDE = "sip:+31578000002@127.0.0.1:5080"


class Close(Listener):
    """Epe and Heerde score alike against the audio; nothing else comes near."""

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        texts = sorted({n.text for n in names or ()})
        logliks = tuple(
            (t, -2.0 if t == "Epe" else -2.2 if t == "Heerde" else -25.0) for t in texts
        )
        scores = Scores("Eepe", 0.05, logliks, tuple((t, 0.0) for t in texts))
        return [Heard(Engine.WHISPER, (Transcript("Eepe", 1.0),), 0.01, None, scores)]


def _sound(seconds: float) -> bytes:
    return (b"\x00\x30" * 20 + b"\x00\xd0" * 20) * int(seconds * 200)


SPOKEN = encode(_sound(0.6) + b"\0\0" * 8000, Law.PCMU)  # a name, then quiet


@pytest.mark.usefixtures("voices")
async def test_two_close_names_are_asked_between_and_a_key_picks_one(tmp_path: Path) -> None:
    # thresholds that make the scripted scores a two-name question whatever the calibration
    thresholds = {"accept": 1.0, "choose_pair": 0.5, "choose_gap": 10.0, "confirm": 0.0}
    settings = {"speech": True, "speech_workers": 1, "key_timeout_s": 3,
                "speech_thresholds": thresholds}  # fmt: skip
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    service = await start_service(DataDir(tmp_path), "127.0.0.1", 0)
    assert service.dialogues is not None
    if service.dialogues.listener is not None:
        service.dialogues.listener.close()
    service.dialogues.listener = Close()
    try:
        result = await place_call(
            "140578", "127.0.0.1", service.address[1], timeout=40, keys="2", key_after_s=6.0,
            script=Script(SPOKEN, 0.5), show=lambda _: None,
        )  # fmt: skip
    finally:
        await service.close()
    assert result.final is not None and result.final.status == 302
    assert result.final.header("Contact") == f"<{HEERDE}>"
    lines = (tmp_path / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    prompts = [text for kind, text in record["dialogue"] if kind == "prompt"]
    assert "Bedoelt u Epe of Heerde? Zeg de naam, of toets 1 voor Epe, 2 voor Heerde." in prompts
    assert ("chosen", "GM0246") in [tuple(e) for e in record["dialogue"]]
    assert {"choice_asked", "confirmed", "transferred"} <= set(record["stages"])
    assert record["route"] == "speech"
