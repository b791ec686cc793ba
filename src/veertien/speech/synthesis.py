"""Prompt synthesis: Dutch text → 8 kHz 16-bit mono PCM, rendered once and cached on disk.

The voice is Debian's espeak-ng (`nl`; no more natural Dutch voice exists in any package
registry we can use); sox resamples its 22.05 kHz output to 8 kHz with a proper low-pass filter.
Cached files are named by a hash of voice and text, so a changed text is rendered anew.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SAMPLE_RATE = 8000


class SynthesisError(RuntimeError):
    """A prompt could not be rendered; the text says why (missing program, failed run)."""


class Synthesiser(Protocol):
    def render(self, text: str) -> bytes:
        """8 kHz 16-bit little-endian mono PCM for `text`."""
        ...


@dataclass(frozen=True)
class EspeakSynthesiser:
    cache: Path
    voice: str = "nl"
    speed: int = 160  # words per minute; espeak's default 175 is hurried on the phone

    def render(self, text: str) -> bytes:
        key = hashlib.sha256(f"{self.voice}|{self.speed}|{text}".encode()).hexdigest()[:24]
        path = self.cache / f"{key}.pcm"
        if path.is_file():
            return path.read_bytes()
        pcm = self._synthesise(speakable(text))
        self.cache.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(pcm)
        os.replace(tmp, path)
        return pcm

    def _synthesise(self, text: str) -> bytes:
        espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
        if espeak is None or sox is None:
            raise SynthesisError("prompts need espeak-ng and sox (apt-get install espeak-ng sox)")
        speak = subprocess.run(
            [espeak, "-v", self.voice, "-s", str(self.speed), "--stdout", text],
            capture_output=True,
            check=False,
            timeout=30,
        )
        if speak.returncode != 0 or not speak.stdout:
            raise SynthesisError(f"espeak-ng failed: {speak.stderr.decode(errors='replace')}")
        convert = subprocess.run(
            [
                sox,
                "-t",
                "wav",
                "-",
                "-t",
                "raw",
                "-r",
                str(SAMPLE_RATE),
                "-c",
                "1",
                "-b",
                "16",
                "-e",
                "signed-integer",
                "-L",
                "-",
            ],
            input=speak.stdout,
            capture_output=True,
            check=False,
            timeout=30,
        )
        if convert.returncode != 0:
            raise SynthesisError(f"sox failed: {convert.stderr.decode(errors='replace')}")
        return convert.stdout


_NUMBER = re.compile(r"(?<![\w])(?:\+?\d[\d -]{4,}\d)(?![\w])")


def speakable(text: str) -> str:
    """Telephone numbers read digit by digit, in their groups ("0900 1852" → "0 9 0 0, 1 8 5
    2"), so a caller can write them down; a text-to-speech voice would say "negenhonderd"."""

    def digits(match: re.Match[str]) -> str:
        groups = [g for g in re.split(r"[ -]+", match.group(0)) if g]
        spoken = ", ".join(" ".join(g.lstrip("+")) for g in groups)
        return f"plus {spoken}" if match.group(0).startswith("+") else spoken

    return _NUMBER.sub(digits, text)


def duration_s(pcm: bytes) -> float:
    return len(pcm) / 2 / SAMPLE_RATE
