"""Recorded prompts from uploads (media/recording.py): any WAV, MP3 or OGG at any rate becomes
8 kHz mono PCM at one loudness; what cannot be a prompt is refused with a Dutch reason."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from veertien.media.recording import (
    MAX_UPLOAD_BYTES,
    TARGET_DBFS,
    RecordingError,
    audio_format,
    recording,
)

needs_sox = pytest.mark.skipif(shutil.which("sox") is None, reason="sox not installed")


def _wav(seconds: float, rate: int = 44100, channels: int = 2, level: float = 0.1) -> bytes:
    """A 300 Hz tone that comes and goes like speech, at `level` of full scale."""
    t = np.arange(int(seconds * rate)) / rate
    envelope = 0.5 + 0.5 * np.sin(2 * math.pi * 2 * t)
    tone = level * 32767 * envelope * np.sin(2 * math.pi * 300 * t)
    clipped = np.clip(tone, -32768, 32767).astype("<i2")  # level > 1: overdriven
    frames = np.repeat(clipped[:, None], channels, axis=1).tobytes()
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return out.getvalue()


def _converted(data: bytes, kind: str, tmp_path: Path) -> bytes:
    source, target = tmp_path / "in.wav", tmp_path / f"out.{kind}"
    source.write_bytes(data)
    subprocess.run(["sox", str(source), str(target)], check=True, capture_output=True)
    return target.read_bytes()


def _rms_dbfs(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    voiced = samples[np.abs(samples) > 0.05 * np.abs(samples).max()]
    return 20 * math.log10(float(np.sqrt(np.mean(voiced**2))) / 32767)


@needs_sox
def test_a_wav_at_any_rate_becomes_8_khz_mono_at_the_target_level() -> None:
    made = recording(_wav(2.0, rate=44100, channels=2, level=0.02))
    assert made.seconds == pytest.approx(2.0, abs=0.01)
    assert len(made.pcm) == pytest.approx(2 * 8000 * 2, abs=8)
    assert made.level_dbfs < -35 and made.gain_db > 10  # a quiet recording made louder
    assert _rms_dbfs(made.pcm) == pytest.approx(TARGET_DBFS, abs=1.0)


@needs_sox
@pytest.mark.parametrize("kind", ["ogg", "mp3"])
def test_ogg_and_mp3_are_read_too(kind: str, tmp_path: Path) -> None:
    data = _converted(_wav(1.5, rate=48000), kind, tmp_path)
    assert audio_format(data) == kind
    made = recording(data)
    assert made.seconds == pytest.approx(1.5, abs=0.1)


@needs_sox
@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"<html>not audio</html>", "geen WAV-, MP3- of OGG-opname"),
        (b"RIFF\x00\x00\x00\x00WAVEjunk", "kan niet worden gelezen"),
        (_wav(61.0, rate=8000, channels=1), "hoogstens 60 s"),
        (_wav(0.1, rate=8000, channels=1), "te kort"),
        (_wav(2.0, rate=8000, channels=1, level=0.0), "stil"),
        (_wav(2.0, rate=8000, channels=1, level=3.0), "overstuurd"),
    ],
)
def test_what_cannot_be_a_prompt_is_refused_in_dutch(data: bytes, why: str) -> None:
    with pytest.raises(RecordingError, match=why):
        recording(data)


def test_an_upload_too_big_is_refused_before_it_is_read() -> None:
    with pytest.raises(RecordingError, match="groter dan 20 MB"):
        recording(b"RIFF" + bytes(MAX_UPLOAD_BYTES))
