"""Speech end to end, on a fresh data folder with no settings at all (speech is on by default):
SIPp streams a spoken municipality name into the first question (early media) and the call ends
with the 302 to that municipality (after "Bedoelt u ...?" "ja" when the policy wants a
confirmation, or at once: a clearly spoken name is transferred without a question). The voice is
espeak-ng's: synthetic."""

from __future__ import annotations

import itertools
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.peers import Server, scenario, sipp, sipp_errors, veertien_server, xml_attr
from veertien.media.g711 import Law, encode
from veertien.speech.synthesis import EspeakSynthesiser

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("data")  # nothing in it: the embedded default
    with veertien_server(data, speech=True) as running:
        yield running


@pytest.mark.parametrize(
    ("said", "dialled", "target"),
    [
        ("Kapelle", "140113", "sip:+31113000002@127.0.0.1:5080"),
        ("Reimerswaal", "140113", "sip:+31113000003@127.0.0.1:5080"),
    ],
)
def test_a_spoken_name_is_routed(
    server: Server, tmp_path: Path, said: str, dialled: str, target: str
) -> None:
    # The name, a pause, then "ja": the platform either transfers at once or asks "Bedoelt u
    # ...?", and the "ja" (kept while the question plays) confirms it.
    path = _saying(tmp_path, said, "ja", target)
    result = sipp(
        path, "-s", dialled, f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0", timeout=40
    )
    assert result.returncode == 0, sipp_errors(tmp_path)
    record = server.records(lambda r: r["target"] == target)[-1]
    kinds = [kind for kind, _ in record["dialogue"]]  # type: ignore[attr-defined]
    assert "speech" in kinds and "key" not in kinds


def test_a_clear_name_is_transferred_without_a_question(server: Server, tmp_path: Path) -> None:
    """Whisper's scores and its transcription agree on "Reimerswaal": no question at all. (The
    audio has no "ja" after the name: a question would end at the keypad and the default.)"""
    target = "sip:+31113000003@127.0.0.1:5080"

    def there(r: dict[str, object]) -> bool:
        return r["target"] == target

    before = len(server.records(there, at_least=0))
    path = _saying(tmp_path, "Reimerswaal", "", target)
    result = sipp(
        path, "-s", "140113", f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0", timeout=40
    )
    assert result.returncode == 0, sipp_errors(tmp_path)
    record = server.records(there, at_least=before + 1)[-1]
    prompts = [text for kind, text in record["dialogue"] if kind == "prompt"]  # type: ignore[attr-defined]
    assert prompts == ["Welkom bij uw gemeente.", "Zeg de naam van uw gemeente of woonplaats."]
    assert record["route"] == "speech" and "confirm_asked" not in record["stages"]  # type: ignore[operator]


def _saying(tmp_path: Path, said: str, answer: str, target: str) -> Path:
    """A SIPp early-media scenario that says `said` once it has been greeted (2 s in, while
    the question plays, as a person answers: not over the first syllable of the greeting),
    then (after a pause) `answer`, and expects the 302 to `target`."""
    voice = EspeakSynthesiser(tmp_path)
    quiet = b"\0\0" * 8000
    speech = quiet * 2 + voice.render(said) + quiet
    if answer:
        speech += voice.render(answer) + quiet + quiet
    audio = tmp_path / "said.ulaw"
    audio.write_bytes(encode(speech + quiet * 4, Law.PCMU))
    return scenario(
        "uac_early_media.xml",
        tmp_path,
        AUDIO=str(audio),
        CODEC="PCMU",
        PT="0",
        KEYPRESS="",
        STATUS="302",
        REGEXP=xml_attr(re.escape(f"Contact: <{target}>")),
        CALLER="0612345678",
    )


@pytest.mark.parametrize(
    ("said", "target"),
    [
        ("Reimerswaal", "sip:+31113000003@127.0.0.1:5080"),  # a municipality
        ("Wemeldinge", "sip:+31113000002@127.0.0.1:5080"),  # a place: Kapelle
        ("de Belastingdienst", "sip:+31880000101@127.0.0.1:5080"),  # an organisation
    ],
)
def test_the_national_number_routes_a_spoken_name(
    server: Server, tmp_path: Path, said: str, target: str
) -> None:
    """14, the national number: one question over every name in the directory, the places and
    the catalogue of organisations; the 302 goes to what was said (after "Bedoelt u ...?" "ja"
    when the policy wants a confirmation)."""
    path = _saying(tmp_path, said, "ja", target)
    result = sipp(path, "-s", "14", f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0", timeout=60)
    assert result.returncode == 0, sipp_errors(tmp_path)
    record = server.records(lambda r: r["target"] == target and r["dialled"] == "14")[-1]
    prompts = [text for kind, text in record["dialogue"] if kind == "prompt"]  # type: ignore[attr-defined]
    assert prompts[0] == "Welkom bij 14, het nummer van de overheid."
    assert record["route"] == "speech"


def test_the_built_in_caller_speaks_and_answers_truthfully(server: Server, tmp_path: Path) -> None:
    """`veertien call --say`: the caller hears the menu, says its name, answers "Bedoelt u
    ...?" and the call ends transferred. Both voices are synthetic and Whisper base hears them
    imperfectly, so the test asserts the conversation, not which name was understood: the
    platform heard the caller speak, and the caller never said "ja" to another name."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "veertien"), "--data", str(tmp_path), "call", "140578",
         "--server", f"127.0.0.1:{server.port}", "--say", "Heerde", "--timeout", "120"],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "→ says: 'Heerde'" in done.stdout
    assert "ended: transferred to" in done.stdout
    assert "← hears: '(the first question)'" in done.stdout  # answered at once, as a person
    (record,) = server.records(
        lambda r: str(r["call_id"]).endswith("@veertien-caller") and r["dialled"] == "140578"
    )
    events = record["dialogue"]
    assert isinstance(events, list)
    assert any(kind == "speech" for kind, _ in events)
    for (kind, text), (answer, _) in itertools.pairwise(events):
        if kind == "prompt" and text.startswith("Bedoelt u") and answer == "confirmed":
            assert text.startswith("Bedoelt u Heerde?"), events
