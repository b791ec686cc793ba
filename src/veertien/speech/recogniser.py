"""The recogniser interface: audio and context in, n-best transcripts with scores out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

SAMPLE_RATE = 16_000  # what the engines take; telephone audio (8 kHz) is resampled


class Engine(Enum):
    WHISPER = "whisper"  # Whisper base (faster-whisper): transcribes, the names as a prompt
    SPHINX = "sphinx"  # pocketsphinx with a grammar of this call's names


@dataclass(frozen=True, slots=True)
class Context:
    """What the caller is likely to say: the candidates' names (a prompt for a transcribing
    engine), everything a grammar should allow (names, aliases, places; empty: the names), and
    the language."""

    names: Sequence[str] = field(default_factory=tuple)
    language: str = "nl"
    vocabulary: Sequence[str] = field(default_factory=tuple)
    # the names to score are too many to score each (the national lexicon): only those the
    # transcription resembles most are scored (speech.scoring.shortlist), and `names` is just
    # the prompt (the caller's own area's municipalities)
    open: bool = False

    @property
    def allowed(self) -> Sequence[str]:
        return self.vocabulary or self.names


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    score: float  # 0..1, the engine's own confidence in this transcript


@dataclass(frozen=True, slots=True)
class Scores:
    """What a scoring engine made of one utterance against a call's candidate names: a
    transcription with the names as a prompt, its probability that nothing was said, and the
    log-likelihood of each name scored against the audio (teacher-forced as the whole answer,
    " Name."), with each name's prior: its log-likelihood on a silent line."""

    primed: str
    no_speech: float
    names: tuple[tuple[str, float], ...]  # (name as written, summed log-probability)
    priors: tuple[tuple[str, float], ...] = ()
    logprob: float = 0.0  # mean log-probability per token of the transcription


class Recogniser(Protocol):
    def recognise(self, pcm16k: bytes, context: Context) -> list[Transcript]:
        """n-best transcripts, best first, of 16 kHz 16-bit mono PCM."""
        ...


def resample(pcm: bytes, rate: int, target: int = SAMPLE_RATE) -> bytes:
    """16-bit mono PCM from `rate` to `target` Hz (linear interpolation; for speech to a
    recogniser, after the telephone's own 3.4 kHz band limit, that is enough)."""
    import numpy as np  # noqa: PLC0415 (numpy comes with the speech extra)

    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float32)
    if rate == target or samples.size == 0:
        return pcm
    positions = np.arange(0, samples.size, rate / target)
    out = np.interp(positions, np.arange(samples.size), samples)
    return bytes(np.clip(out, -32768, 32767).astype("<i2").tobytes())


def from_telephone(audio8k: bytes, clean: bool = True) -> bytes:
    """What an engine takes from a caller's 8 kHz audio: 16 kHz, steady line noise reduced."""
    from veertien.speech.denoise import denoise  # noqa: PLC0415

    pcm = resample(audio8k, 8000)
    return denoise(pcm) if clean else pcm
