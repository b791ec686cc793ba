"""Prompt synthesis: Dutch text → 8 kHz 16-bit mono PCM, rendered once and cached on disk.

The voice is Debian's espeak-ng (`nl`; no more natural Dutch voice exists in any package
registry we can use); sox resamples its 22.05 kHz output to 8 kHz with a proper low-pass filter.
Cached files are named by a hash of voice and text, so a changed text is rendered anew.

Prompt text comes from people with a portal account (closed and calamity messages), so it is
hostile: it reaches espeak-ng only on standard input, never on the command line, where a text
such as "-f/etc/hostname" would be read as an option. The voice name is checked against a strict
pattern before it becomes an argument, and a text longer than `MAX_PROMPT_CHARS` is refused.
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

from veertien.errors import SetupError

SAMPLE_RATE = 8000
MAX_PROMPT_CHARS = 2000  # a whole area menu is ~400; a page of text is no phone prompt
_VOICE = re.compile(r"[a-z]{2,3}(?:-[a-z0-9]{1,8})?(?:\+[A-Za-z0-9_]{1,20})?")


class SynthesisError(SetupError):
    """A prompt could not be rendered; the text says why (missing program, failed run)."""


def check_voice(voice: str) -> str:
    """An espeak-ng voice name such as `nl`, `en-gb` or `nl+f2`; anything else (an option, a
    path, spaces) raises `SynthesisError`."""
    if not _VOICE.fullmatch(voice):
        raise SynthesisError(f"{voice[:40]!r} is not an espeak-ng voice name such as nl or nl+f2")
    return voice


class Synthesiser(Protocol):
    def render(self, text: str) -> bytes:
        """8 kHz 16-bit little-endian mono PCM for `text`."""
        ...


@dataclass(frozen=True)
class EspeakSynthesiser:
    cache: Path
    voice: str = "nl"
    speed: int = 160  # words per minute; espeak's default 175 is hurried on the phone

    def __post_init__(self) -> None:
        check_voice(self.voice)
        if not 80 <= self.speed <= 450:
            raise SynthesisError(f"speed {self.speed} is not from 80 to 450 words per minute")

    def render(self, text: str) -> bytes:
        key = hashlib.sha256(f"{self.voice}|{self.speed}|{text}".encode()).hexdigest()[:24]
        path = self.cache / f"{key}.pcm"
        if path.is_file():
            return path.read_bytes()
        if len(text) > MAX_PROMPT_CHARS:
            raise SynthesisError(
                f"a prompt of {len(text)} characters is longer than {MAX_PROMPT_CHARS}"
            )
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
        # The text goes in on stdin (--stdin): on the command line it could be an option.
        speak = subprocess.run(
            [espeak, "-v", self.voice, "-s", str(self.speed), "--stdout", "--stdin"],
            input=text.encode("utf-8"),
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
