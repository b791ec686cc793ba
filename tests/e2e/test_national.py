"""The national number end to end with SIPp: 14 (and an access number from abroad) → the
postcode on the keypad → the 302 to that municipality; nothing keyed → the national default.
Over the national set with a scripted recogniser: a homonym ("Zevenhuizen") → "In welke
provincie?" → a key → the right Zevenhuizen. (More spoken names: tests/e2e/test_speech.py.)"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.peers import Server, keys, scenario, sipp, sipp_errors, veertien_server, xml_attr
from veertien.directory import Directory, JsonDirectoryStore, demo_directory
from veertien.media.g711 import Law, encode
from veertien.server.service import start_service
from veertien.speech.matcher import Name, NameMatcher
from veertien.speech.pool import Heard, Listener
from veertien.speech.recogniser import Context, Engine, Scores, Transcript
from veertien.storage import DataDir

pytestmark = pytest.mark.e2e

DEFAULT = "sip:+31880000000@127.0.0.1:5080"
ACCESS = "+31880001400"  # E.164, as a call from abroad arrives
# Epe (8161): Debian's key recordings carry fixed RTP timestamps, so a digit pressed twice in a
# row ("4461") would look like one key's retransmission; a postcode without repeats is used
EPE = "sip:+31578000001@127.0.0.1:5080"
SETTINGS = {"key_timeout_s": 1, "national_default": DEFAULT, "access_numbers": {ACCESS: "national"}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("data")
    (data / "settings.json").write_text(json.dumps(SETTINGS))
    with veertien_server(data) as running:
        yield running


def call(
    server: Server | _At, tmp_path: Path, dialled: str, caller: str, keyed: str, expected: str,
    audio: Path | None = None, wait_ms: int = 0,
) -> None:  # fmt: skip
    if audio is None:
        audio = tmp_path / "quiet.ulaw"
        audio.write_bytes(encode(b"\0\0" * 4000, Law.PCMU))
    path = scenario(
        "uac_early_media.xml", tmp_path, AUDIO=str(audio), CODEC="PCMU", PT="0",
        KEYPRESS=keys(keyed, wait_ms) if keyed else "", STATUS="302",
        REGEXP=xml_attr(re.escape(f"Contact: <{expected}>")), CALLER=caller,
    )  # fmt: skip
    result = sipp(
        path, "-s", dialled, f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0", timeout=90
    )
    assert result.returncode == 0, sipp_errors(tmp_path)


def test_14_and_the_postcode_on_the_keypad(server: Server, tmp_path: Path) -> None:
    call(server, tmp_path, "14", "0612345678", "8161", EPE)
    record = server.records(lambda r: r["dialled"] == "14" and r["target"] == EPE)[-1]
    assert record["rule"] == "national" and record["municipality"] == "GM0232"
    assert "postcode_asked" in record["stages"]  # type: ignore[operator]
    prompts = [t for k, t in record["dialogue"] if k == "prompt"]  # type: ignore[attr-defined]
    assert prompts[0] == "Welkom bij 14, het nummer van de overheid."


def test_the_access_number_from_abroad(server: Server, tmp_path: Path) -> None:
    """A caller with a British number dials the E.164 access number: the same dialogue."""
    call(server, tmp_path, ACCESS, "+441632960123", "8161", EPE)
    (record,) = server.records(lambda r: r["dialled"] == ACCESS)
    assert (record["rule"], record["municipality"], record["response"]) == (
        "national", "GM0232", 302,
    )  # fmt: skip


def test_nothing_keyed_ends_at_the_national_default(server: Server, tmp_path: Path) -> None:
    call(server, tmp_path, "14", "0201234567", "", DEFAULT)
    record = server.records(lambda r: r["target"] == DEFAULT)[-1]
    assert "default_desk" in record["stages"]  # type: ignore[operator]


class Saying(Listener):
    """A scripted recogniser: the caller said `name` (Whisper's own hearing of synthetic voices
    over 6,000 names is measured by bench/national_eval.py, not asserted here)."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        texts = sorted({n.text for n in names or ()} | {self.name})
        logliks = tuple((t, -1.0 if t == self.name else -30.0) for t in texts)
        scores = Scores(self.name, 0.02, logliks, tuple((t, -12.0) for t in texts))
        result = NameMatcher(names or ()).match([(self.name, 1.0)])
        return [Heard(Engine.WHISPER, (Transcript(self.name, 1.0),), 0.01, result, scores)]


@pytest.mark.usefixtures("voices")
async def test_a_homonym_asks_the_province(tmp_path: Path, national: Directory) -> None:
    """Over the national set, SIPp's caller from 0180 says a name the recogniser hears as
    "Zevenhuizen" (ten municipalities in five provinces) → "Zevenhuizen ligt in meer dan één
    provincie. In welke provincie? Voor Zuid-Holland, toets 1. ..." (the caller's own province
    first) → key 5 (Utrecht: it has one) → the 302 to Zevenhuizen in Bunschoten."""
    data = tmp_path / "data"
    JsonDirectoryStore(data).save(national.keeping_destinations(demo_directory()))
    settings = {**SETTINGS, "speech": True, "speech_workers": 1, "key_timeout_s": 5,
                "municipalities": {"GM0313": {"destination": BUNSCHOTEN}}}  # fmt: skip
    (data / "settings.json").write_text(json.dumps(settings))
    service = await start_service(DataDir(data), "127.0.0.1", 0)
    assert service.dialogues is not None
    if service.dialogues.listener is not None:
        service.dialogues.listener.close()
    service.dialogues.listener = Saying("Zevenhuizen")
    audio = tmp_path / "name.ulaw"
    audio.write_bytes(encode(_sound(0.6) + b"\0\0" * 8000 * 20, Law.PCMU))
    try:
        await asyncio.to_thread(
            call, _At(service.address[1]), tmp_path, "14", "0180551234", "5", BUNSCHOTEN,
            audio, 9000,
        )  # fmt: skip
    finally:
        await service.close()
    lines = (data / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[-1])
    assert (record["municipality"], record["target"]) == ("GM0313", BUNSCHOTEN)
    assert "province_asked" in record["stages"]
    prompts = [t for k, t in record["dialogue"] if k == "prompt"]
    assert any(
        p.startswith("Zevenhuizen ligt in meer dan één provincie.")
        and "Voor Zuid-Holland, toets 1." in p
        for p in prompts
    ), prompts


BUNSCHOTEN = "sip:+31330000000@127.0.0.1:5080"


@dataclass
class _At:
    """Where SIPp calls: the in-process service's SIP port."""

    port: int


def _sound(seconds: float) -> bytes:
    return (b"\x00\x30" * 20 + b"\x00\xd0" * 20) * int(seconds * 200)
