"""Utterances kept for tuning speech recognition: only where a municipality turned sampling on
(`audio_sampling`, a share of its speech calls), and only for `audio_retention_days`.

Files live in DATA/samples/CODE/, one WAV (8 kHz, 16-bit mono) per utterance, named by the
day, a random id and the utterance's number: no caller number and no Call-ID in the name.
"""

from __future__ import annotations

import logging
import secrets
import wave
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path

log = logging.getLogger("veertien.storage")
DAY_S = 86_400


class AudioSamples:
    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, code: str, utterances: Sequence[bytes], day: date) -> list[Path]:
        """Write one call's utterances (8 kHz 16-bit PCM) for municipality `code`."""
        folder = self.root / code
        folder.mkdir(parents=True, exist_ok=True)
        stem = f"{day.isoformat()}-{secrets.token_hex(6)}"
        paths = []
        for n, pcm in enumerate(utterances, start=1):
            path = folder / f"{stem}-{n}.wav"
            with wave.open(str(path), "wb") as out:
                out.setnchannels(1)
                out.setsampwidth(2)
                out.setframerate(8000)
                out.writeframes(pcm)
            paths.append(path)
        return paths

    def purge(self, retention_days: Mapping[str, int], default_days: int, now: float) -> int:
        """Delete samples older than their municipality's retention; the count deleted."""
        if not self.root.is_dir():
            return 0
        gone = 0
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            keep_s = retention_days.get(folder.name, default_days) * DAY_S
            for path in folder.glob("*.wav"):
                if now - path.stat().st_mtime > keep_s:
                    path.unlink(missing_ok=True)
                    gone += 1
        return gone
