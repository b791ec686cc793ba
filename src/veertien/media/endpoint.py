"""An energy endpointer: where speech starts and ends in 20 ms frames of 16-bit PCM.

The noise floor follows the quietest recent frames; a frame is speech when it is `margin_db`
above the floor and above `min_db`. Speech starts after `start_ms` of speech frames and ends after
`end_ms` of non-speech. Pure: frames in, events out; time is the frame count.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass
from enum import Enum

FRAME_MS = 20


class SpeechState(Enum):
    SILENCE = "silence"
    SPEECH = "speech"


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    at_ms: int  # from the start of listening to the first speech frame


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    at_ms: int  # the end of the last speech frame
    duration_ms: int


@dataclass(frozen=True, slots=True)
class EndpointerSettings:
    margin_db: float = 12.0
    min_db: float = -45.0  # dBFS
    start_ms: int = 60
    end_ms: int = 600


def frame_db(pcm: bytes) -> float:
    """RMS level of a frame in dBFS (-100 for digital silence)."""
    samples = array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return -100.0
    mean_square = sum(s * s for s in samples) / len(samples)
    return 10 * math.log10(mean_square / (32768.0**2)) if mean_square else -100.0


class Endpointer:
    def __init__(self, settings: EndpointerSettings | None = None) -> None:
        self.settings = settings or EndpointerSettings()
        self.state = SpeechState.SILENCE
        self.floor = -70.0
        self._frames = 0
        self._run = 0  # consecutive frames against the current state
        self._started_ms = 0

    def reset(self) -> None:
        """Back to silence (the speech ended without the frames that would show it)."""
        self.state = SpeechState.SILENCE
        self._run = 0

    def feed(self, pcm: bytes) -> SpeechStarted | SpeechEnded | None:
        level = frame_db(pcm)
        self._frames += 1
        loud = level > max(self.floor + self.settings.margin_db, self.settings.min_db)
        if not loud:  # follow the floor quickly down, slowly up
            self.floor = level if level < self.floor else self.floor + 0.05 * (level - self.floor)
        if self.state is SpeechState.SILENCE:
            return self._in_silence(loud)
        return self._in_speech(loud)

    def _in_silence(self, loud: bool) -> SpeechStarted | None:
        self._run = self._run + 1 if loud else 0
        if self._run * FRAME_MS >= self.settings.start_ms:
            self.state = SpeechState.SPEECH
            self._started_ms = (self._frames - self._run) * FRAME_MS
            self._run = 0
            return SpeechStarted(self._started_ms)
        return None

    def _in_speech(self, loud: bool) -> SpeechEnded | None:
        self._run = 0 if loud else self._run + 1
        if self._run * FRAME_MS >= self.settings.end_ms:
            self.state = SpeechState.SILENCE
            end = (self._frames - self._run) * FRAME_MS
            self._run = 0
            return SpeechEnded(end, end - self._started_ms)
        return None
