"""Recognition off the event loop: engines loaded once per worker process, a pool of workers.

A call's audio goes to a free worker, which runs every configured engine on it and answers with
what each heard and how long it took. The asyncio loop only awaits the answer, so prompts and
RTP keep their pace while a worker is busy. A worker that cannot load its engines fails the
pool's start with the reason (missing package, damaged model); the service then runs on keys.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from veertien.speech.matcher import Name, NameMatcher, Result
from veertien.speech.recogniser import Context, Engine, Recogniser, Scores, Transcript
from veertien.speech.scoring import shortlist

log = logging.getLogger("veertien.speech")


@dataclass(frozen=True, slots=True)
class Heard:
    """What one engine heard in one utterance, and (when names were given) what it matched."""

    engine: Engine
    transcripts: tuple[Transcript, ...]
    seconds: float  # processing time
    result: Result | None = None
    scores: Scores | None = None  # Whisper's scoring of the call's names (speech.scoring)


def load(engines: Sequence[Engine], cache: Path, threads: int = 1) -> dict[Engine, Recogniser]:
    """The engines, loaded (raises ModelError/ImportError/PronunciationError with the reason)."""
    loaded: dict[Engine, Recogniser] = {}
    for engine in engines:
        if engine is Engine.WHISPER:
            from veertien.speech.whisper import WhisperRecogniser  # noqa: PLC0415

            loaded[engine] = WhisperRecogniser(cache, threads=threads)
        else:
            from veertien.speech.sphinx import SphinxRecogniser  # noqa: PLC0415

            loaded[engine] = SphinxRecogniser()
    return loaded


def hear_all(
    recognisers: Mapping[Engine, Recogniser],
    pcm16k: bytes,
    context: Context,
    matcher: NameMatcher | None = None,
) -> list[Heard]:
    """Every engine on the utterance; each transcript matched too when a matcher is given (the
    matching is pure Python and takes milliseconds for a large area: not for the event loop)."""
    out = []
    for engine, recogniser in recognisers.items():
        started = time.perf_counter()
        scorer = getattr(recogniser, "score", None)
        if matcher is not None and scorer is not None:
            names = partial(shortlist, matcher, open_to=context.names if context.open else None)
            scores: Scores = scorer(pcm16k, context, names)
            text = scores.primed
            written: tuple[Transcript, ...] = (Transcript(text, 1.0),) if text else ()
            seconds = time.perf_counter() - started
            matched = _matched(matcher, scores, context.open)
            out.append(Heard(engine, written, seconds, matched, scores))
            continue
        found = tuple(recogniser.recognise(pcm16k, context))
        result = matcher.match([(t.text, t.score) for t in found]) if matcher else None
        out.append(Heard(engine, found, time.perf_counter() - started, result))
    return out


def _matched(matcher: NameMatcher, scores: Scores, open_lexicon: bool) -> Result:
    """The transcription matched against the names; for an open lexicon (the national
    number's 6,000 names) only against those scored: the others have no acoustic evidence to
    rank, and matching them all again costs a tenth of a second."""
    text = [(scores.primed, 1.0)]
    if not open_lexicon:
        return matcher.match(text)
    scored_texts = {t for t, _ in scores.names}
    return NameMatcher(n for n in matcher.names if n.text in scored_texts).match(text)


def scored(heard: Sequence[Heard]) -> Heard | None:
    """The engine's answer that carries candidate scores (Whisper's), if one does."""
    return next((h for h in heard if h.scores is not None), None)


_WORKER: dict[Engine, Recogniser] = {}
_MATCHERS: dict[tuple[Name, ...], NameMatcher] = {}
_MAX_MATCHERS = 256


def _start_worker(engines: tuple[Engine, ...], cache: str) -> None:
    _WORKER.update(load(engines, Path(cache)))


def _worker_hear(pcm16k: bytes, context: Context, names: tuple[Name, ...] | None) -> list[Heard]:
    matcher = None
    if names is not None:
        matcher = _MATCHERS.get(names)
        if matcher is None:
            if len(_MATCHERS) >= _MAX_MATCHERS:
                _MATCHERS.clear()
            matcher = _MATCHERS[names] = NameMatcher(names)
    return hear_all(_WORKER, pcm16k, context, matcher)


def _worker_ready() -> int:
    return os.getpid()


class Listener:
    """Something that hears an utterance asynchronously (a pool, or engines in a thread)."""

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        """What each engine heard; with `names`, each transcript matched against them."""
        raise NotImplementedError

    def close(self) -> None:
        """Free the engines (and worker processes)."""


class ThreadListener(Listener):
    """Engines in this process, run in a worker thread: for tests and the command line."""

    def __init__(self, recognisers: Mapping[Engine, Recogniser]) -> None:
        self.recognisers = dict(recognisers)
        self._lock = asyncio.Lock()  # one decoder is not safe to share between threads

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        matcher = NameMatcher(names) if names is not None else None
        async with self._lock:
            return await asyncio.to_thread(hear_all, self.recognisers, pcm16k, context, matcher)


class PoolListener(Listener):
    """`workers` processes, each with its own engines; one utterance at a time per worker."""

    def __init__(self, engines: Sequence[Engine], cache: Path, workers: int) -> None:
        self.engines = tuple(engines)
        self.workers = workers
        self.pending = 0  # utterances handed to the workers and not yet heard (metrics)
        self._pool = ProcessPoolExecutor(
            workers,
            mp_context=multiprocessing.get_context("spawn"),  # no forked event loop or sockets
            initializer=_start_worker,
            initargs=(self.engines, str(cache)),
        )

    async def start(self) -> None:
        """Load the engines in every worker now, not on the first caller's name."""
        loop = asyncio.get_running_loop()
        jobs = [loop.run_in_executor(self._pool, _worker_ready) for _ in range(self.workers)]
        pids = await asyncio.gather(*jobs)
        log.info(
            "speech: %s loaded in %d worker process(es) %s",
            "+".join(e.value for e in self.engines),
            len(set(pids)),
            sorted(set(pids)),
        )

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        loop = asyncio.get_running_loop()
        self.pending += 1
        try:
            return await loop.run_in_executor(self._pool, _worker_hear, pcm16k, context, names)
        finally:
            self.pending -= 1

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def default_workers() -> int:
    """One worker per core: each engine runs single-threaded, so this fills the machine."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
