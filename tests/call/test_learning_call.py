"""Learning in real calls, hermetically: the built-in caller says a name the directory does not
know ("Ganzenstad", as a fake listener hears it), is not understood and presses Heerde's key;
after enough different callers the form is a learned alias, and the next caller who says it is
asked "Bedoelt u Heerde?" instead of being sent to the keypad. A rejection takes it away again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from veertien.learning.aliases import Review
from veertien.records import MemorySink
from veertien.server.service import Service, start_service
from veertien.speech.matcher import Name
from veertien.speech.pool import Heard, Listener
from veertien.speech.recogniser import Context, Engine, Transcript
from veertien.storage import DataDir
from veertien.storage.learning import LearningStore
from veertien.testcall.caller import Script, place_call

HEERDE = "GM0246"
TONE = (b"\x10\x90" * 20 + b"\x90\x10" * 20) * 100  # half a second of a loud µ-law tone
QUIET = b"\xff" * 8000  # a second of µ-law silence


class Ganzenstad(Listener):
    """Hears "Ganzenstad" in every name, "ja" in every answer to a yes/no question."""

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        text = "ja" if tuple(context.names) == ("ja", "nee") else "Ganzenstad"
        return [Heard(Engine.SPHINX, (Transcript(text, 0.9),), 0.0)]

    def close(self) -> None:
        return None


async def _service(data: Path) -> tuple[Service, MemorySink]:
    settings = {
        "speech": True, "speech_engines": ["sphinx"], "speech_workers": 1,
        "learning_support": 2, "learning_window_s": 1,
        "municipalities": {HEERDE: {"learn_from_calls": True}},
    }  # fmt: skip
    (data / "settings.json").write_text(json.dumps(settings))
    sink = MemorySink()
    service = await start_service(DataDir(data), "127.0.0.1", 0, sink)
    assert service.dialogues is not None and service.dialogues.listener is not None
    service.dialogues.listener.close()
    service.dialogues.listener = Ganzenstad()
    return service, sink


async def _call(service: Service, caller: str) -> None:
    """The name, a pause, the name (or "ja") again, then key 2 (Heerde) if still asked."""
    script = Script(TONE + QUIET * 3 + TONE, say_after_s=1.5)
    result = await place_call(
        "140578", "127.0.0.1", service.address[1], caller=caller, timeout=40, keys="2",
        key_after_s=1.5, show=lambda _: None, script=script,
    )  # fmt: skip
    assert result.final is not None and result.final.status == 302
    assert result.final.header("Contact") == "<sip:+31578000002@127.0.0.1:5080>"  # Heerde


@pytest.mark.usefixtures("voices")
async def test_a_form_callers_keep_choosing_by_key_is_learned_and_can_be_rejected(
    tmp_path: Path,
) -> None:
    service, sink = await _service(tmp_path)
    assert service.learning is not None
    store = LearningStore(service.context.storage.engine)
    try:
        await _call(service, "0612345671")
        await _call(service, "0612345671")  # the same caller again: counts once
        service.learning.refresh(force=True)
        assert service.learning.aliases("0578") == ()
        await _call(service, "0612345672")
        assert sink.records[-1].route == "keys"
        service.learning.refresh(force=True)
        assert service.learning.aliases("0578") == (("ganzenstad", HEERDE),)
        learned = service.learning.version

        await _call(service, "0612345673")
        record = sink.records[-1]
        assert record.route == "speech" and "confirm_asked" in record.stages
        assert record.learning_version == learned != "none"
        kinds = [kind for kind, _ in record.dialogue]
        assert "key" not in kinds and "confirmed" in kinds

        store.review({("0578", "ganzenstad", HEERDE): Review.REJECTED}, "beheerder", "reject")
        service.learning.refresh(force=True)
        assert service.learning.aliases("0578") == () and service.learning.version == "none"
        await _call(service, "0612345674")
        assert sink.records[-1].route == "keys"
    finally:
        await service.close()
    labels = {e["label"] for e in store.evidence("0578", ["ganzenstad"])}
    assert labels == {"keyed", "confirmed"}
    with service.context.storage.engine.connect() as conn:
        callers = {r[0] for r in conn.exec_driver_sql("SELECT caller FROM learning_examples")}
    assert callers and not any(c is None or "0612" in c for c in callers)  # hashed
