"""A recorded prompt from an upload: any WAV, MP3 or OGG file, at any rate, made into the
platform's prompt audio (8 kHz 16-bit mono PCM; G.711 is made from it per call) and checked.

What a municipality uploads is hostile until checked: its size is bounded before it is read,
its format is told from its first bytes (never from its name), it reaches sox only as a file
this module wrote, and sox's arguments are our own. The checks say, in Dutch for the portal,
what is wrong: not audio, too short or too long, silent, clipped (overdriven). A recording that
passes is brought to one loudness (TARGET_DBFS over its voiced part, its peaks kept under
PEAK_DBFS), so a recorded prompt sounds as loud as the synthesised ones beside it.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from veertien.errors import InputError

SAMPLE_RATE = 8000
MAX_UPLOAD_BYTES = 20 * 1024 * 1024  # a minute of 48 kHz stereo WAV is 11 MB
MIN_SECONDS = 0.3
MAX_SECONDS = 60.0  # a prompt; a closed or calamity message is at most about a minute
SILENT_DBFS = -50.0  # voiced parts quieter than this: nothing was recorded
CLIPPED_SHARE = 0.002  # more samples at full scale than this: overdriven
TARGET_DBFS = -20.0  # the loudness of the voiced part after normalising
PEAK_DBFS = -1.0
SOX_S = 30.0
_FULL = 32767.0


class RecordingError(InputError):
    """An upload that cannot be a prompt; the text (Dutch) says why, for the portal."""


@dataclass(frozen=True)
class Recording:
    pcm: bytes  # 8 kHz 16-bit little-endian mono, normalised
    seconds: float
    level_dbfs: float  # the voiced part's loudness as uploaded
    gain_db: float  # applied to reach TARGET_DBFS (peaks permitting)


def audio_format(data: bytes) -> str:
    """sox's name for the upload's format, from its first bytes."""
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "wav"
    if data[:4] == b"OggS":
        return "ogg"
    if data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "mp3"
    raise RecordingError("Dit bestand is geen WAV-, MP3- of OGG-opname.")


def decoded(data: bytes) -> bytes:
    """The upload as 8 kHz 16-bit mono PCM (sox mixes channels down and resamples)."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise RecordingError(f"Het bestand is groter dan {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    kind = audio_format(data)
    sox = shutil.which("sox")
    if sox is None:
        raise RecordingError("Opnames kunnen hier niet worden omgezet: sox ontbreekt.")
    with tempfile.TemporaryDirectory(prefix="veertien-upload-") as folder:
        source = Path(folder) / f"upload.{kind}"
        source.write_bytes(data)
        try:
            done = subprocess.run(
                [sox, "-t", kind, str(source), "-t", "raw", "-r", str(SAMPLE_RATE), "-c", "1",
                 "-b", "16", "-e", "signed-integer", "-L", "-"],
                capture_output=True, timeout=SOX_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise RecordingError("Het omzetten van de opname duurde te lang.") from None
    if done.returncode != 0:
        why = "het bestand is beschadigd"
        if kind == "mp3":
            why = "sox kan hier geen MP3 lezen, of het bestand is beschadigd"
        raise RecordingError(f"De opname kan niet worden gelezen ({why}).")
    return done.stdout


def _dbfs(value: float) -> float:
    return 20 * math.log10(max(value, 1e-9) / _FULL)


def checked(pcm: bytes) -> Recording:
    """Length, silence and clipping checked; the loudness normalised."""
    samples = np.frombuffer(pcm[: len(pcm) // 2 * 2], dtype="<i2").astype(np.float64)
    seconds = samples.size / SAMPLE_RATE
    if seconds < MIN_SECONDS:
        raise RecordingError(f"De opname is te kort ({seconds:.1f} s).")
    if seconds > MAX_SECONDS:
        raise RecordingError(
            f"De opname duurt {seconds:.0f} s; een melding mag hoogstens {MAX_SECONDS:.0f} s duren."
        )
    magnitude = np.abs(samples)
    voiced = samples[magnitude > 0.05 * magnitude.max()] if magnitude.max() > 0 else samples
    level = _dbfs(float(np.sqrt(np.mean(voiced**2)))) if voiced.size else -120.0
    if level < SILENT_DBFS:
        raise RecordingError("De opname is stil: er is niets op te horen.")
    if float(np.mean(magnitude >= _FULL - 1)) > CLIPPED_SHARE:
        raise RecordingError(
            "De opname is overstuurd (vervormd): neem hem zachter of verder van de microfoon op."
        )
    peak = _dbfs(float(magnitude.max()))
    gain = min(TARGET_DBFS - level, PEAK_DBFS - peak)
    scaled = np.clip(np.round(samples * 10 ** (gain / 20)), -32768, 32767).astype("<i2")
    return Recording(scaled.tobytes(), round(seconds, 2), round(level, 1), round(gain, 1))


def recording(data: bytes) -> Recording:
    """An upload made into a prompt, or RecordingError with the reason."""
    return checked(decoded(data))
