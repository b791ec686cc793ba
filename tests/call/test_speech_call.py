"""Speech in a real call, hermetically: the built-in caller speaks into the platform's dialogue and
a fake listener stands in for the engines. Checks the route, the transfer and the AVG rule that
what a caller said is kept only where the municipality allows it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from veertien.records import MemorySink
from veertien.server.service import start_service
from veertien.speech.matcher import Name
from veertien.speech.pool import Heard, Listener
from veertien.speech.recogniser import Context, Engine, Transcript
from veertien.storage import DataDir
from veertien.testcall.caller import Speaker, place_call


class Tone:
    """A caller's "voice": half a second of a loud tone, whatever the text."""

    def render(self, text: str) -> bytes:
        del text
        return (b"\x00\x30" * 20 + b"\x00\xd0" * 20) * 100


class Heerde(Listener):
    """Both engines hear "Heerde" in whatever is said; "ja" to a yes/no question."""

    def __init__(self) -> None:
        self.contexts: list[Context] = []

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        self.contexts.append(context)
        text = "ja" if tuple(context.names) == ("ja", "nee") else "gemeente Heerde"
        return [
            Heard(Engine.WHISPER, (Transcript(text, 0.9),), 0.0),
            Heard(Engine.SPHINX, (Transcript(text, 0.9),), 0.0),
        ]


async def _call(data: Path, settings: dict[str, object]) -> tuple[Sequence[str], MemorySink]:
    settings = {"speech": True, "speech_engines": ["sphinx"], "speech_workers": 1, **settings}
    (data / "settings.json").write_text(json.dumps(settings))
    sink = MemorySink()
    service = await start_service(DataDir(data), "127.0.0.1", 0, sink)
    assert service.dialogues is not None and service.dialogues.listener is not None
    service.dialogues.listener.close()
    listener = Heerde()
    service.dialogues.listener = listener
    shown: list[str] = []
    speaker = Speaker("Heerde", Tone(), lambda _: "Welkom. Zeg de naam van uw gemeente.")
    try:
        result = await place_call(
            "140578", "127.0.0.1", service.address[1], timeout=40, show=shown.append,
            speaker=speaker,
        )  # fmt: skip
    finally:
        await service.close()
    assert result.final is not None and result.final.status == 302
    assert result.final.header("Contact") == "<sip:+31578000002@127.0.0.1:5080>"  # Heerde
    names = listener.contexts[0]
    assert {"Epe", "Heerde"} <= set(names.names) and "Olst" in names.allowed  # a sliver's place
    return shown, sink


@pytest.mark.usefixtures("voices")
async def test_a_spoken_name_routes_the_call_and_is_not_kept_by_default(tmp_path: Path) -> None:
    shown, sink = await _call(tmp_path, {})
    assert "→ says: 'Heerde'" in shown
    (record,) = sink.records
    assert record.route == "speech" and record.municipality == "GM0246"
    assert record.municipality_name == "Heerde"  # the dialogue's record names it too
    assert ("speech", "[not kept]") in record.dialogue
    assert not any("Heerde" in detail for kind, detail in record.dialogue if kind == "speech")


@pytest.mark.usefixtures("voices")
async def test_transcripts_are_kept_where_the_municipality_allows_it(tmp_path: Path) -> None:
    _, sink = await _call(tmp_path, {"municipalities": {"GM0246": {"keep_transcripts": True}}})
    (record,) = sink.records
    assert ("speech", "gemeente Heerde") in record.dialogue


@pytest.mark.usefixtures("voices")
async def test_audio_is_kept_only_where_the_municipality_samples_it(tmp_path: Path) -> None:
    await _call(tmp_path, {})
    assert not list(tmp_path.glob("samples/**/*.wav")), "no audio kept by default"
    sampling: dict[str, object] = {"municipalities": {"GM0246": {"audio_sampling": 1.0}}}
    (tmp_path / "sampling").mkdir()
    await _call(tmp_path / "sampling", sampling)
    kept = sorted((tmp_path / "sampling" / "samples" / "GM0246").glob("*.wav"))
    assert kept, "every speech call to Heerde is sampled at 1.0"
    assert all("0612345678" not in p.name and "@" not in p.name for p in kept)
