"""The speech stages of the funnel, reconciled: real SIP calls on loopback into the service
(early media, its database), a scripted recogniser in place of the engines (the engines disagree
on a name, so the platform asks "Bedoelt u Heerde?"), a caller that says a name and then "ja" or
"nee". The reports, read from the service's own database, must count exactly that."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from veertien.media.g711 import Law, encode
from veertien.reports import ReportParams, run_report
from veertien.server.service import start_service
from veertien.speech.matcher import Name
from veertien.speech.pool import Heard, Listener
from veertien.speech.recogniser import Context, Engine, Transcript
from veertien.storage import DataDir
from veertien.storage.store import Storage
from veertien.testcall.caller import Script, place_call

HEERDE = "GM0246"


class Disagreeing(Listener):
    """Whisper hears Heerde, pocketsphinx Epe (so: confirm); the yes/no answer is scripted."""

    def __init__(self, answer: str) -> None:
        self.answer = answer

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        if tuple(context.names) == ("ja", "nee"):
            return [Heard(e, (Transcript(self.answer, 0.9),), 0.0) for e in Engine]
        return [
            Heard(Engine.WHISPER, (Transcript("gemeente Heerde", 0.9),), 0.0),
            Heard(Engine.SPHINX, (Transcript("Epe", 0.9),), 0.0),
        ]


def _sound(seconds: float) -> bytes:
    return (b"\x00\x30" * 20 + b"\x00\xd0" * 20) * int(seconds * 200)


# a name at 1 s, quiet, then an answer at 4 s: "Bedoelt u ...?" is playing by then
SPOKEN = encode(_sound(0.5) + b"\0\0" * 20000 + _sound(0.5) + b"\0\0" * 8000, Law.PCMU)


@pytest.mark.usefixtures("voices")
async def test_confirmations_and_corrections_reach_the_reports(tmp_path: Path) -> None:
    settings = {"speech": True, "speech_engines": ["sphinx"], "speech_workers": 1,
                "key_timeout_s": 1}  # fmt: skip
    (tmp_path / "settings.json").write_text(json.dumps(settings))
    service = await start_service(DataDir(tmp_path), "127.0.0.1", 0)
    assert service.dialogues is not None and service.dialogues.listener is not None
    service.dialogues.listener.close()
    contacts = []
    try:
        for answer in ("ja", "nee"):
            service.dialogues.listener = Disagreeing(answer)
            result = await place_call(
                "140578", "127.0.0.1", service.address[1], timeout=40,
                script=Script(SPOKEN, 1.0), show=lambda _: None,
            )  # fmt: skip
            assert result.final is not None and result.final.status == 302
            contacts.append(result.final.header("Contact"))
    finally:
        await service.close()
    assert contacts == [
        "<sip:+31578000002@127.0.0.1:5080>",  # Heerde, confirmed
        "<sip:+31578000001@127.0.0.1:5080>",
    ]  # "nee": keypad, then the default
    storage = Storage.open(DataDir(tmp_path))
    names = {HEERDE: "Heerde"}
    today = date.today()  # the records' days are local: a day either side covers any zone
    params = ReportParams(today - timedelta(1), today + timedelta(1))
    try:
        funnel = {r[0]: r[2] for r in run_report(storage.engine, "trechter", params, names).rows}
        misroutes = run_report(storage.engine, "misroutes", params, names).rows
        recognition = run_report(storage.engine, "herkenning", params, names).rows
    finally:
        storage.close()
    assert funnel == {"prompted": 2, "understood": 2, "confirm_asked": 2, "choice_asked": 0,
                      "province_asked": 0, "postcode_asked": 0,
                      "confirmed": 1, "repeated": 1, "keypad": 1, "transferred": 2,
                      "answered": 0}  # fmt: skip
    assert misroutes == ((HEERDE, "Heerde", 1, 0, 0.0), ("—", "geen gemeente gekozen", 1, 1, 1.0))
    assert recognition == (
        (HEERDE, "Heerde", 1, 1, 0, 1.0),
        ("—", "geen gemeente gekozen", 1, 1, 1, 1.0),
    )
