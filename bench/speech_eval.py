"""Speech evaluation: recognition, the full dialogue, latency, memory and concurrency.

    .venv/bin/python bench/speech_eval.py [--data ../shared/data] [--rounds 1] [--out FILE]

Corpus (bench/speech_corpus.py): every municipality of every shared area code of the national
reference set, said with a carrier phrase by one of eight espeak-ng Dutch voice variants at
varied speed and pitch, through G.711 µ-law, with 10-20 dB of white noise on 60 % of calls; one
in four names a place. Utterances alternate between a calibration half (the policy thresholds
are chosen on it, bench/speech_dialogue.py) and an evaluation half (everything reported below
is measured on it, with the chosen thresholds). Engines run exactly as in `veertien serve`: in
a pool of worker processes, audio through the same noise reduction.

Reported: top-1 among an area's candidates on the first answer (each engine alone and
combined), top-1 against all municipalities (audio only, a sample), the dialogue outcome with a
simulated truthful caller, end of speech → decision latency p50/p95 (one call at a time),
real-time factor, memory per worker, and concurrent speech calls per core. All of it is
synthetic speech: see docs/speech.md before reading anything into it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.speech_corpus import CARRIERS, NO, YES, Utterance, build, render, synthesise  # noqa: E402
from bench.speech_dialogue import (  # noqa: E402
    Attempt,
    Outcome,
    answered_yes,
    attempt,
    calibrate,
    dialogue,
    single,
)
from veertien.directory import Directory, import_directory  # noqa: E402
from veertien.speech.matcher import Name, NameMatcher, matcher_for_codes  # noqa: E402
from veertien.speech.policy import Policy, combine  # noqa: E402
from veertien.speech.pool import Heard, PoolListener  # noqa: E402
from veertien.speech.recogniser import Context, Engine, from_telephone  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
ENGINES = (Engine.WHISPER, Engine.SPHINX)
YES_NO = ("ja", "nee")


def _pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 3) if ordered else None


class Evaluation:
    def __init__(self, directory: Directory, listener: PoolListener) -> None:
        self.directory = directory
        self.listener = listener
        self.slots = asyncio.Semaphore(listener.workers)
        self.seconds: list[tuple[float, float]] = []  # (processing s, audio s) per naming
        self._matchers: dict[tuple[str, ...], NameMatcher] = {}
        self._repeats: dict[int, Attempt] = {}
        self._answers: dict[tuple[int, bool, int], list[Heard]] = {}
        self.answers: Counter[tuple[str, str]] = Counter()  # (said, heard) for "ja"/"nee"

    def matcher(self, codes: tuple[str, ...]) -> NameMatcher:
        if codes not in self._matchers:
            self._matchers[codes] = matcher_for_codes(self.directory, codes)
        return self._matchers[codes]

    async def hear(
        self, audio8k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        async with self.slots:
            return await self.listener.hear(from_telephone(audio8k), context, names)

    async def name(self, u: Utterance, audio8k: bytes) -> Attempt:
        matcher = self.matcher(u.candidates)
        names = sorted({n.text for n in matcher.names if n.kind != "place"})
        context = Context(names, vocabulary=sorted({n.text for n in matcher.names}))
        heard = await self.hear(audio8k, context, matcher.names)
        found = attempt(matcher, heard)
        self.seconds.append((sum(h.seconds for h in heard), len(audio8k) / 16000))
        return found

    async def simulate(
        self, index: int, u: Utterance, first: Attempt, policy: Policy, engines: tuple[Engine, ...]
    ) -> Outcome:
        """The dialogue for one caller; repeated namings and yes/no answers are recognised
        once (both engines) and shared by every simulation of the same caller."""

        async def say(round_: int) -> Attempt:
            found = first if round_ == 0 else await self._again(index, u)
            return only(engines, found)

        async def answer(truth: bool, round_: int) -> bool | None:
            heard = await self._yes_no(index, u, truth, round_)
            yes = answered_yes([h for h in heard if h.engine in engines])
            if engines == ENGINES:
                heard_as = "?" if yes is None else ("ja" if yes else "nee")
                self.answers[("ja" if truth else "nee", heard_as)] += 1
            return yes

        return await dialogue(u.truth, policy, say, answer)

    async def _again(self, index: int, u: Utterance) -> Attempt:
        if index not in self._repeats:
            again = random.Random(index).choice([c for c in CARRIERS if c.format(u.name) != u.text])
            audio = await asyncio.to_thread(synthesise, again.format(u.name), u.voice, index + 1)
            self._repeats[index] = await self.name(u, audio)
        return self._repeats[index]

    async def _yes_no(self, index: int, u: Utterance, truth: bool, round_: int) -> list[Heard]:
        key = (index, truth, round_)
        if key not in self._answers:
            phrase = random.Random(index * 7 + round_).choice(YES if truth else NO)
            audio = await asyncio.to_thread(synthesise, phrase, u.voice, index + 2 + round_)
            self._answers[key] = await self.hear(audio, Context(YES_NO))
        return self._answers[key]


def only(engines: tuple[Engine, ...], found: Attempt) -> Attempt:
    return Attempt({e: r for e, r in found.results.items() if e in engines}, found.heard)


def top1(pairs: list[tuple[str, Attempt]], policy: Policy) -> dict[str, Any]:
    def share(engines: tuple[Engine, ...]) -> float:
        right = 0
        for truth, found in pairs:
            result = combine({e: r for e, r in found.results.items() if e in engines}, policy)
            right += result.best is not None and result.best.municipality == truth
        return round(right / len(pairs), 4)

    return {
        "combined": share(ENGINES),
        "whisper": share((Engine.WHISPER,)),
        "sphinx": share((Engine.SPHINX,)),
    }


def by_condition(corpus: list[Utterance], pairs: list[tuple[str, Attempt]]) -> dict[str, Any]:
    groups: dict[str, list[bool]] = {}
    for u, (truth, found) in zip(corpus, pairs, strict=True):
        result = combine(found.results, Policy())
        right = result.best is not None and result.best.municipality == truth
        for key in (f"said_{u.kind}", "noisy" if u.voice.snr_db else "clean", u.voice.variant):
            groups.setdefault(key or "nl", []).append(right)
    return {k: round(sum(v) / len(v), 3) for k, v in sorted(groups.items())}


async def national(ev: Evaluation, corpus: list[Utterance], audio: list[bytes]) -> float:
    """Top-1 against all municipalities from the audio alone (no area code, no prompt)."""
    codes = tuple(sorted(ev.directory.municipalities))
    matcher = ev.matcher(codes)
    names = sorted({n.text for n in matcher.names if n.kind != "place"})
    right = 0
    for u, pcm in zip(corpus, audio, strict=True):
        heard = await ev.hear(pcm, Context((), vocabulary=names), matcher.names)
        result = combine(attempt(matcher, heard).results, Policy())
        right += result.best is not None and result.best.municipality == u.truth
    return round(right / len(corpus), 4)


async def concurrency(
    ev: Evaluation, samples: list[tuple[Utterance, bytes]], calls: int, turns: int = 3
) -> dict[str, Any]:
    """`calls` callers at once, each naming its municipality `turns` times with a prompt of
    4-8 s between (as in the dialogue); end of speech → decision latency, queueing included."""
    latencies: list[float] = []
    rng = random.Random(calls)

    async def caller(n: int) -> None:
        u, audio = samples[n % len(samples)]
        await asyncio.sleep(rng.uniform(0, 6))
        for _ in range(turns):
            await asyncio.sleep(rng.uniform(4, 8))  # the prompt, then the caller speaks
            started = time.perf_counter()
            await ev.listener.hear(
                from_telephone(audio), _context(ev, u), ev.matcher(u.candidates).names
            )
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(caller(n) for n in range(calls)))
    return {
        "concurrent_calls": calls,
        "decisions": len(latencies),
        "latency_s": {"p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95)},
    }


def _context(ev: Evaluation, u: Utterance) -> Context:
    matcher = ev.matcher(u.candidates)
    names = sorted({n.text for n in matcher.names if n.kind != "place"})
    return Context(names, vocabulary=sorted({n.text for n in matcher.names}))


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def _first_answers(
    ev: Evaluation, corpus: list[Utterance], audio: list[bytes]
) -> list[tuple[str, Attempt]]:
    found = await asyncio.gather(*(ev.name(u, a) for u, a in zip(corpus, audio, strict=True)))
    return [(u.truth, f) for u, f in zip(corpus, found, strict=True)]


async def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    directory = import_directory(args.data)
    corpus = build(directory, rounds=args.rounds)[: args.limit]
    audio = await asyncio.to_thread(render, [(u.text, u.voice) for u in corpus])
    cal = [i for i in range(len(corpus)) if i % 2]
    test = [i for i in range(len(corpus)) if not i % 2]
    listener = PoolListener(ENGINES, args.models, args.workers)
    started = time.perf_counter()
    await listener.start()
    load_s = time.perf_counter() - started
    pids = await _pids(listener)
    ev = Evaluation(directory, listener)
    try:
        firsts = await _first_answers(ev, corpus, audio)
        policy, _ = calibrate([firsts[i] for i in cal])
        whisper_policy, _ = calibrate(single(Engine.WHISPER, [firsts[i] for i in cal]))
        pairs = [firsts[i] for i in test]
        outcomes = await asyncio.gather(
            *(ev.simulate(i, corpus[i], firsts[i][1], policy, ENGINES) for i in test)
        )
        whisper = (Engine.WHISPER,)
        alone = await asyncio.gather(
            *(ev.simulate(i, corpus[i], firsts[i][1], whisper_policy, whisper) for i in test)
        )
        latency = await _latency(ev, [(corpus[i], audio[i]) for i in test[:60]])
        sample = test[: args.national]
        national_top1 = await national(ev, [corpus[i] for i in sample], [audio[i] for i in sample])
        levels = [
            await concurrency(ev, [(corpus[i], audio[i]) for i in test], n) for n in args.levels
        ]
        memory = {str(pid): _rss_mb(pid) for pid in pids}
    finally:
        listener.close()
    measured = Measured(
        pairs, policy, whisper_policy, outcomes, alone, latency, national_top1, levels, memory,
        load_s,
    )  # fmt: skip
    return _report(args, corpus, test, ev, measured)


async def _pids(listener: PoolListener) -> list[int]:
    from veertien.speech.pool import _worker_ready  # noqa: PLC0415

    loop = asyncio.get_running_loop()
    jobs = [loop.run_in_executor(listener._pool, _worker_ready) for _ in range(listener.workers)]
    return sorted(set(await asyncio.gather(*jobs)))


async def _latency(ev: Evaluation, samples: list[tuple[Utterance, bytes]]) -> list[float]:
    """End of speech → decision, one call at a time: noise reduction, both engines, matching,
    the policy (what the dialogue waits for after the endpointer fires)."""
    out = []
    for u, audio in samples:
        started = time.perf_counter()
        matcher = ev.matcher(u.candidates)
        heard = await ev.listener.hear(from_telephone(audio), _context(ev, u), matcher.names)
        combine(attempt(matcher, heard).results, Policy())
        out.append(time.perf_counter() - started)
    return out


def _outcomes(outcomes: list[Outcome]) -> dict[str, Any]:
    counts = Counter(o.value for o in outcomes)
    total = len(outcomes)
    right = total - counts[Outcome.MISROUTED.value]
    return {
        "calls": total,
        **{o.value: counts[o.value] for o in Outcome},
        "reached_right_municipality": round(right / total, 4),
        "misrouted_share": round(counts[Outcome.MISROUTED.value] / total, 4),
        "right_first_answer_share": round(counts[Outcome.RIGHT_FIRST.value] / total, 4),
        "fell_back_to_keys_share": round(counts[Outcome.KEYS.value] / total, 4),
    }


@dataclass
class Measured:
    pairs: list[tuple[str, Attempt]]
    policy: Policy
    whisper_policy: Policy
    outcomes: list[Outcome]
    alone: list[Outcome]
    latency: list[float]
    national_top1: float
    levels: list[dict[str, Any]]
    memory: dict[str, float | None]
    load_s: float


def _report(
    args: argparse.Namespace, corpus: list[Utterance], test: list[int], ev: Evaluation, m: Measured
) -> dict[str, Any]:
    pairs, policy, whisper_policy, latency = m.pairs, m.policy, m.whisper_policy, m.latency
    outcomes, alone, national_top1, levels, memory, load_s = (
        m.outcomes, m.alone, m.national_top1, m.levels, m.memory, m.load_s
    )  # fmt: skip
    cores = len(os.sched_getaffinity(0))
    single_p95 = _pct(latency, 0.95) or 0.0
    sustained = [
        lv["concurrent_calls"]
        for lv in levels
        if (lv["latency_s"]["p95"] or 1e9) <= max(0.4, 1.5 * single_p95)
    ]
    rtf = [proc / dur for proc, dur in ev.seconds if dur > 0]
    return {
        "benchmark": "speech_eval",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {cores} cores, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}",
        "synthetic": "espeak-ng voices only (see docs/speech.md): not figures on people",
        "corpus": {
            "utterances": len(corpus),
            "evaluation_half": len(test),
            "shared_area_codes": len({u.area for u in corpus}),
            "voices": sorted({f"nl{u.voice.variant}" for u in corpus}),
            "noisy_share": round(sum(u.voice.snr_db is not None for u in corpus) / len(corpus), 3),
            "said_place_share": round(sum(u.kind == "place" for u in corpus) / len(corpus), 3),
        },
        "engines": [e.value for e in ENGINES],
        "policy_chosen_on_calibration_half": policy.to_json(),
        "top1_first_answer_among_area_candidates": top1(pairs, policy),
        "top1_by_condition_combined": by_condition([corpus[i] for i in test], pairs),
        "top1_national_audio_only": {"utterances": args.national, "combined": national_top1},
        "dialogue_combined": _outcomes(outcomes),
        "confirmation_answers_said_heard": {
            f"{a}->{b}": n for (a, b), n in sorted(ev.answers.items())
        },
        "dialogue_whisper_alone": {**_outcomes(alone), "policy": whisper_policy.to_json()},
        "latency_end_of_speech_to_decision_s": {
            "p50": _pct(latency, 0.5),
            "p95": single_p95,
            "samples": len(latency),
        },
        "real_time_factor": {"p50": _pct(rtf, 0.5), "mean": round(statistics.mean(rtf), 3)},
        "memory_rss_mb_per_worker": memory,
        "workers": args.workers,
        "engine_load_s": round(load_s, 1),
        "concurrency": levels,
        "speech_calls_sustained_per_core": round(max(sustained, default=0) / cores, 1),
        "goals": {
            "top1_first_answer": 0.97,
            "reached_right_municipality": 0.995,
            "misrouted_share_max": 0.003,
            "latency_p95_s": 0.4,
            "speech_calls_per_core": 20,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--rounds", type=int, default=1, help="utterances per municipality")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--national", type=int, default=100, help="utterances for national top-1")
    parser.add_argument("--levels", default="2,4,8,16", help="concurrent speech calls to try")
    parser.add_argument("--models", type=Path, default=ROOT / "veertien-data" / "models")
    parser.add_argument("--limit", type=int, default=None, help="first N utterances (a trial)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args()
    args.levels = [int(n) for n in args.levels.split(",")]
    report = asyncio.run(evaluate(args))
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
