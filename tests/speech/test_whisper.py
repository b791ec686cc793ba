"""Whisper base from registry packages: joining and verifying the weights, and recognising."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import wave
from pathlib import Path

import pytest

from veertien.directory import demo_directory
from veertien.media.g711 import Law, decode, encode
from veertien.recognise import RecordingError, matcher_for, read_wav, recognise_file
from veertien.routing import RoutingContext
from veertien.speech.recogniser import Context, resample
from veertien.speech.synthesis import EspeakSynthesiser
from veertien.speech.whisper import ModelError, WhisperRecogniser, assemble, carrier_prefix, window


def _parts(tmp_path: Path, one: bytes, two: bytes) -> tuple[Path, Path]:
    first, second = tmp_path / "p1", tmp_path / "p2"
    first.mkdir()
    second.mkdir()
    (first / "model.bin.part1").write_bytes(one)
    (second / "model.bin.part2").write_bytes(two)
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (first / name).write_text("{}")
    return first, second


def test_parts_are_joined_and_verified_once(tmp_path: Path) -> None:
    parts = _parts(tmp_path, b"abc", b"def")
    digest = hashlib.sha256(b"abcdef").hexdigest()
    folder = assemble(tmp_path / "cache", parts, size=6, sha256=digest)
    assert (folder / "model.bin").read_bytes() == b"abcdef"
    (parts[0] / "model.bin.part1").unlink()  # already verified: not read again
    assert assemble(tmp_path / "cache", parts, size=6, sha256=digest) == folder


def test_damaged_or_missing_parts_are_refused(tmp_path: Path) -> None:
    parts = _parts(tmp_path, b"abc", b"xyz")
    with pytest.raises(ModelError, match="do not join into the expected model"):
        assemble(tmp_path / "cache", parts, size=6, sha256=hashlib.sha256(b"abcdef").hexdigest())
    assert not (tmp_path / "cache" / "whisper-base" / "model.bin").exists()
    (parts[1] / "model.bin.part2").unlink()
    with pytest.raises(ModelError, match="incomplete, missing"):
        assemble(tmp_path / "cache", parts)


def test_wav_input_is_checked(tmp_path: Path) -> None:
    stereo = tmp_path / "stereo.wav"
    with wave.open(str(stereo), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0" * 400)
    with pytest.raises(RecordingError, match="need mono 16-bit"):
        read_wav(stereo)
    (tmp_path / "x.wav").write_bytes(b"not a wav")
    with pytest.raises(RecordingError, match=r"not a WAV file \(no RIFF/WAVE header\)"):
        read_wav(tmp_path / "x.wav")  # it said "not a WAV file we can read ()"
    with pytest.raises(RecordingError, match="cannot read it"):
        read_wav(tmp_path / "missing.wav")


def _g711_wav(path: Path, tag: int, payload: bytes) -> None:
    """A mono 8 kHz WAV of 8-bit G.711 (format tag 6 A-law, 7 µ-law), as sox writes it."""
    fmt = struct.pack("<HHIIHH", tag, 1, 8000, 8000, 1, 8)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    chunks += b"data" + struct.pack("<I", len(payload)) + payload
    path.write_bytes(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)


@pytest.mark.parametrize(("tag", "law"), [(7, Law.PCMU), (6, Law.PCMA)])
def test_the_phones_own_format_is_read(tmp_path: Path, tag: int, law: Law) -> None:
    """`veertien recognise` takes 8 kHz µ-law (and A-law) WAV as well as PCM."""
    tone = struct.pack("<8h", 0, 3000, 6000, 3000, 0, -3000, -6000, -3000) * 100
    _g711_wav(tmp_path / "call.wav", tag, encode(tone, law))
    pcm, rate = read_wav(tmp_path / "call.wav")
    assert rate == 8000 and len(pcm) == len(tone)
    assert pcm == decode(encode(tone, law), law)


def test_matcher_candidates_follow_the_dialled_number() -> None:
    ctx = RoutingContext(demo_directory())
    assert {n.municipality for n in matcher_for(ctx, "140578", False).names} == {
        "GM0232",
        "GM0246",
        "GM1773",
    }
    # national: the whole lexicon, its codes those of directory.lexicon
    codes = {n.municipality for n in matcher_for(ctx, None, True).names}
    assert {c for c in codes if c.startswith("GM")} == set(ctx.directory.municipalities)
    assert "org:belastingdienst" in codes and "many:kloetinge" not in codes
    with pytest.raises(RecordingError, match="0116 is not a Dutch area code"):
        matcher_for(ctx, "140116", False)


def test_resample_doubles_the_rate() -> None:
    assert len(resample(b"\x01\x00" * 8000, 8000)) == 32000


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> WhisperRecogniser:
    if shutil.which("espeak-ng") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng is missing")
        pytest.skip("espeak-ng is missing")
    return WhisperRecogniser(tmp_path_factory.mktemp("models"))


@pytest.mark.parametrize("name", ["Epe", "Reimerswaal"])
def test_whisper_hears_a_name_through_the_telephone(
    whisper: WhisperRecogniser, tmp_path: Path, name: str
) -> None:
    """A smoke test of the real engine on synthetic speech through G.711 (not a quality claim:
    the evaluation benchmark measures that)."""
    pcm8k = decode(encode(EspeakSynthesiser(tmp_path).render(name), Law.PCMA), Law.PCMA)
    names = ("Epe", "Heerde", "Goes", "Kapelle", "Reimerswaal", "Borsele", "Noord-Beveland")
    (best, *_) = whisper.recognise(resample(pcm8k, 8000), Context(names))
    assert name.lower() in best.text.lower() and 0 < best.score <= 1


def test_recognise_a_file_end_to_end(whisper: WhisperRecogniser, tmp_path: Path) -> None:
    pcm = EspeakSynthesiser(tmp_path).render("Epe")
    path = tmp_path / "epe.wav"
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(pcm)
    result = recognise_file(
        RoutingContext(demo_directory()), tmp_path / "models", path, "140578", False
    )
    assert result["candidates"][0]["code"] == "GM0232"
    assert result["action"] in ("accept", "confirm")


@pytest.mark.parametrize("name", ["Kapelle", "Reimerswaal"])
def test_candidates_are_scored_against_the_audio(
    whisper: WhisperRecogniser, tmp_path: Path, name: str
) -> None:
    """One encoder pass; the spoken name gains far more over its silent-line prior than the
    other names do (a smoke test of the real engine, not a quality claim)."""
    pcm8k = decode(encode(EspeakSynthesiser(tmp_path).render(name), Law.PCMU), Law.PCMU)
    names = ("Goes", "Kapelle", "Reimerswaal", "Borsele", "Noord-Beveland")
    scores = whisper.score(resample(pcm8k, 8000), Context(names))
    assert {n for n, _ in scores.names} == set(names) == {n for n, _ in scores.priors}
    priors = dict(scores.priors)
    gains = {n: value - priors[n] for n, value in scores.names}
    assert max(gains, key=gains.__getitem__) == name
    assert 0 <= scores.no_speech < 0.5


def test_the_carrier_words_are_what_comes_before_the_name() -> None:
    assert carrier_prefix("Ik wil graag de gemeente Goes.") == "Ik wil graag de gemeente"
    assert carrier_prefix("Goes.") == ""
    assert carrier_prefix("Ik wil graag") == ""  # nothing after: no name to put after them


@pytest.mark.parametrize(("samples", "frames"), [(8000, 300), (16000 * 4 + 5, 500), (10**7, 1000)])
def test_the_encoder_window_fits_the_utterance(samples: int, frames: int) -> None:
    assert window(samples) == frames
