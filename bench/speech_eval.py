"""Speech evaluation: recognition, the full dialogue, real non-name speech, latency, memory and
concurrency.

    .venv/bin/python bench/speech_eval.py [--data ../shared/data] [--real 1521] [--out FILE]

Corpus (bench/speech_corpus.py): every municipality of every shared area code of the national
reference set, said by one of eight espeak-ng Dutch voice variants at 120-200 words/min and
varied pitch, in carrier phrases with hesitations and restarts ("eh, ik wil, eh, Goes"; "Goes,
eh, Goes"), over white noise, mains hum and rumble, or other voices in the room (10-20 dB SNR on
60 % of calls), through G.711 µ-law with 0-3 % of packets lost; one call in four names a place.
Utterances alternate between a calibration half and an evaluation half. Real speech: the 1,521
recordings of ../shared/speech/nl-read (two real people, phone band, no municipality names),
each "said" to one of the shared area codes. One speaker (nathalie) is negatives for the
calibration; the other (flemishguy) is reported. Engines run exactly as in `veertien serve`.

Reported (evaluation half and the held-out speaker): top-1 among the area's candidates on the
first answer; the dialogue with a simulated truthful caller (transferred at the first answer
without a question and right, wrong transfers, keypad); questions and transfers per 1,000 real
non-name utterances; end of speech → decision p50/p95 for one call; concurrent speech calls per
core at p95 ≤ 0.6 s; memory per worker. The voices are synthetic: see docs/speech.md.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import pickle
import platform
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.speech_calibrate import Item, calibrate, top1, verdicts  # noqa: E402
from bench.speech_call import emit  # noqa: E402
from bench.speech_corpus import CARRIERS, NO, YES, Utterance, build, render, synthesise  # noqa: E402
from bench.speech_dialogue import Outcome, dialogue  # noqa: E402
from veertien.call.port import answered  # noqa: E402
from veertien.directory import Directory, import_directory  # noqa: E402
from veertien.recognise import read_wav  # noqa: E402
from veertien.speech.matcher import Action, NameMatcher, matcher_for_codes  # noqa: E402
from veertien.speech.pool import Heard, PoolListener, _worker_ready, scored  # noqa: E402
from veertien.speech.recogniser import Context, Engine, Scores, from_telephone  # noqa: E402
from veertien.speech.scoring import Policy, Verdict, again, decide, similar_of  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT_REAL = ROOT.parent / "shared" / "speech" / "nl-read"
ENGINES = (Engine.WHISPER,)
YES_NO = ("ja", "nee")
CALIBRATION_SPEAKER = "nathalie"


def _pct(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * q))], 3) if ordered else None


def _context(matcher: NameMatcher) -> Context:
    names = sorted({n.text for n in matcher.names if n.kind != "place"})
    return Context(names, vocabulary=sorted({n.text for n in matcher.names}))


@dataclass
class Evaluation:
    directory: Directory
    listener: PoolListener
    seconds: list[float] = field(default_factory=list)  # processing s per naming
    answers: Counter[tuple[str, str]] = field(default_factory=Counter)
    _matchers: dict[tuple[str, ...], NameMatcher] = field(default_factory=dict)
    _again: dict[tuple[int, int], Scores] = field(default_factory=dict)
    _yes_no: dict[tuple[int, bool, int], list[Heard]] = field(default_factory=dict)
    cache: dict[tuple[tuple[str, ...], str], Scores] = field(default_factory=dict)
    heard: dict[str, list[Heard]] = field(default_factory=dict)  # yes/no answers heard

    def __post_init__(self) -> None:
        self.slots = asyncio.Semaphore(self.listener.workers)

    def matcher(self, codes: tuple[str, ...]) -> NameMatcher:
        if codes not in self._matchers:
            self._matchers[codes] = matcher_for_codes(self.directory, codes)
        return self._matchers[codes]

    async def hear(
        self, audio8k: bytes, context: Context, matcher: NameMatcher | None
    ) -> list[Heard]:
        async with self.slots:
            names = matcher.names if matcher is not None else None
            return await self.listener.hear(from_telephone(audio8k), context, names)

    async def scores(self, codes: tuple[str, ...], audio8k: bytes, label: str) -> Scores:
        """Whisper's scores for one recording; `label` names it in the cache (espeak-ng does
        not make the same samples twice, so a hash of the audio would not find it again)."""
        key = (codes, label)
        if key in self.cache:
            return self.cache[key]
        matcher = self.matcher(codes)
        heard = await self.hear(audio8k, _context(matcher), matcher)
        self.seconds.append(sum(h.seconds for h in heard))
        answer = scored(heard)
        assert answer is not None and answer.scores is not None, "Whisper gave no scores"
        found = answer.scores
        self.cache[key] = found
        return found

    async def again(self, index: int, u: Utterance, n: int) -> Scores:
        """The caller's n-th naming after the first: another carrier phrase, the same voice."""
        if (index, n) not in self._again:
            rng = random.Random(index * 10 + n)
            phrase = rng.choice([c for c in CARRIERS if c.format(u.name, u.name) != u.text])
            text = phrase.format(u.name, u.name)
            audio = await asyncio.to_thread(synthesise, text, u.voice, index * 10 + n)
            self._again[(index, n)] = await self.scores(u.candidates, audio, f"again {index} {n}")
        return self._again[(index, n)]

    async def yes_no(self, index: int, u: Utterance, truth: bool, round_: int) -> bool | None:
        key = (index, truth, round_)
        if key not in self._yes_no:
            phrase = random.Random(index * 7 + round_).choice(YES if truth else NO)
            audio = await asyncio.to_thread(synthesise, phrase, u.voice, index + 2 + round_)
            label = f"yes/no {index} {truth} {round_}"
            found = self.heard.get(label) or await self.hear(audio, Context(YES_NO), None)
            self._yes_no[key] = self.heard[label] = found
        yes = answered(self._yes_no[key])
        heard_as = "?" if yes is None else ("ja" if yes else "nee")
        self.answers[("ja" if truth else "nee", heard_as)] += 1
        return yes

    async def simulate(self, index: int, u: Utterance, first: Item, policy: Policy) -> Outcome:
        async def say(n: int, *, strict: bool = False) -> Verdict:
            scores = first.scores if n == 0 else await self.again(index, u, n)
            judged = policy if n == 0 or strict else again(policy)
            return decide(scores, first.matcher, judged)

        async def answer(truth: bool, round_: int) -> bool | None:
            return await self.yes_no(index, u, truth, round_)

        return await dialogue(u.truth, policy, say, answer)


def _outcomes(outcomes: list[Outcome]) -> dict[str, Any]:
    counts = Counter(o.value for o in outcomes)
    total = len(outcomes)
    wrong = counts[Outcome.MISROUTED.value]
    return {
        "calls": total,
        **{o.value: counts[o.value] for o in Outcome},
        "reached_right_municipality": round((total - wrong) / total, 4),
        "misrouted_share": round(wrong / total, 4),
        "transferred_first_answer_no_question_right": round(
            counts[Outcome.RIGHT_FIRST.value] / total, 4
        ),
        "fell_back_to_keys_share": round(counts[Outcome.KEYS.value] / total, 4),
    }


def first_answers(items: list[Item], policy: Policy) -> dict[str, Any]:
    """What the first answer led to (before any question was answered)."""
    counts: Counter[str] = Counter()
    for item, verdict in zip(items, verdicts(items, policy), strict=True):
        first = verdict.first
        right = first is not None and first.municipality == item.truth
        if verdict.action is Action.CHOOSE:
            right = item.truth in {e.municipality for e in verdict.ranked[:2]}
        counts[f"{verdict.action.value}_{'right' if right else 'wrong'}"] += 1
    return dict(sorted(counts.items()))


def real_speech(items: list[Item], policy: Policy) -> dict[str, Any]:
    found = Counter(v.action for v in verdicts(items, policy))
    asked = found[Action.CONFIRM] + found[Action.CHOOSE]
    n = max(1, len(items))
    return {
        "utterances": len(items),
        "transferred": found[Action.ACCEPT],
        "asked_bedoelt_u": asked,
        "transferred_per_1000": round(1000 * found[Action.ACCEPT] / n, 1),
        "asked_per_1000": round(1000 * asked / n, 1),
        "asked_share": round(asked / n, 4),
    }


def _real(path: Path, limit: int) -> list[tuple[str, Path]]:
    with (path / "manifest.csv").open(encoding="utf-8") as handle:
        rows = [(r["speaker"], path / r["file"]) for r in csv.DictReader(handle)]
    random.Random(3).shuffle(rows)
    return rows[:limit]


async def _latency(ev: Evaluation, samples: list[tuple[Utterance, bytes]]) -> list[float]:
    """End of speech → decision, one call at a time: noise reduction, Whisper's encoder, its
    transcription and scoring, the policy (what the dialogue waits for after the endpointer)."""
    out = []
    for u, audio in samples:
        started = time.perf_counter()
        matcher = ev.matcher(u.candidates)
        heard = await ev.listener.hear(from_telephone(audio), _context(matcher), matcher.names)
        answer = scored(heard)
        assert answer is not None and answer.scores is not None, "Whisper gave no scores"
        decide(answer.scores, matcher, Policy(), similar_of(answer.result or matcher.match([])))
        out.append(time.perf_counter() - started)
    return out


async def concurrency(
    ev: Evaluation, samples: list[tuple[Utterance, bytes]], calls: int, turns: int = 2
) -> dict[str, Any]:
    """`calls` callers at once, each naming its municipality `turns` times with 4-8 s between
    (a prompt, then the caller speaks); end of speech → decision, queueing included."""
    latencies: list[float] = []
    rng = random.Random(calls)

    async def caller(n: int) -> None:
        u, audio = samples[n % len(samples)]
        await asyncio.sleep(rng.uniform(0, 6))
        for _ in range(turns):
            await asyncio.sleep(rng.uniform(4, 8))
            started = time.perf_counter()
            matcher = ev.matcher(u.candidates)
            await ev.listener.hear(from_telephone(audio), _context(matcher), matcher.names)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(caller(n) for n in range(calls)))
    return {
        "concurrent_calls": calls,
        "decisions": len(latencies),
        "latency_s": {"p50": _pct(latencies, 0.5), "p95": _pct(latencies, 0.95)},
    }


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def _pids(listener: PoolListener) -> list[int]:
    loop = asyncio.get_running_loop()
    jobs = [loop.run_in_executor(listener._pool, _worker_ready) for _ in range(listener.workers)]
    return sorted(set(await asyncio.gather(*jobs)))


async def _real_items(
    ev: Evaluation, args: argparse.Namespace, areas: list[tuple[str, ...]]
) -> dict[str, list[Item]]:
    rows = _real(args.real_path, args.real)

    async def one(i: int, path: Path) -> Item:
        pcm, _ = read_wav(path)
        codes = areas[i % len(areas)]
        return Item.of(None, await ev.scores(codes, pcm, f"real {path.name}"), ev.matcher(codes))

    items = await asyncio.gather(*(one(i, p) for i, (_, p) in enumerate(rows)))
    out: dict[str, list[Item]] = {}
    for (speaker, _), item in zip(rows, items, strict=True):
        out.setdefault(speaker, []).append(item)
    return out


async def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    directory = import_directory(args.data)
    corpus = build(directory)[: args.limit]
    audio = await asyncio.to_thread(render, [(u.text, u.voice) for u in corpus])
    listener = PoolListener(ENGINES, args.models, args.workers)
    started = time.perf_counter()
    await listener.start()
    load_s = time.perf_counter() - started
    ev = Evaluation(directory, listener)
    if args.cache is not None and args.cache.is_file():
        ev.cache, ev.heard = pickle.loads(args.cache.read_bytes())  # our own file
    try:
        firsts = await asyncio.gather(
            *(
                ev.scores(u.candidates, a, f"first {i}")
                for i, (u, a) in enumerate(zip(corpus, audio, strict=True))
            )
        )
        items = [
            Item.of(u.truth, s, ev.matcher(u.candidates))
            for u, s in zip(corpus, firsts, strict=True)
        ]
        areas = sorted({u.candidates for u in corpus})
        real = await _real_items(ev, args, areas)
        cal = [i for i in range(len(corpus)) if i % 2]
        test = [i for i in range(len(corpus)) if not i % 2]
        negatives = real.get(CALIBRATION_SPEAKER, [])
        policy = calibrate([items[i] for i in cal], negatives)
        outcomes = await asyncio.gather(
            *(ev.simulate(i, corpus[i], items[i], policy) for i in test)
        )
        if args.cache is not None:
            args.cache.write_bytes(pickle.dumps((ev.cache, ev.heard)))
        latency = await _latency(ev, [(corpus[i], audio[i]) for i in test[:60]])
        levels = [
            await concurrency(ev, [(corpus[i], audio[i]) for i in test], n) for n in args.levels
        ]
        memory = {str(pid): _rss_mb(pid) for pid in await _pids(listener)}
    finally:
        listener.close()
    measured = Measured(
        [items[i] for i in test], policy, outcomes, real, latency, levels, memory, load_s
    )
    return _report(args, corpus, measured, ev)


@dataclass
class Measured:
    test: list[Item]
    policy: Policy
    outcomes: list[Outcome]
    real: dict[str, list[Item]]
    latency: list[float]
    levels: list[dict[str, Any]]
    memory: dict[str, float | None]
    load_s: float


def _report(
    args: argparse.Namespace, corpus: list[Utterance], m: Measured, ev: Evaluation
) -> dict[str, Any]:
    test, policy, outcomes, real = m.test, m.policy, m.outcomes, m.real
    latency, levels, memory, load_s = m.latency, m.levels, m.memory, m.load_s
    cores = len(os.sched_getaffinity(0))
    sustained = [lv["concurrent_calls"] for lv in levels if (lv["latency_s"]["p95"] or 1e9) <= 0.6]
    held_out = [i for s, items in real.items() if s != CALIBRATION_SPEAKER for i in items]
    return {
        "benchmark": "speech_eval",
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {cores} cores, Python {platform.python_version()}",
        "synthetic": "the name corpus is espeak-ng voices only (docs/speech.md): not people",
        "corpus": {
            "utterances": len(corpus),
            "evaluation_half": len(test),
            "shared_area_codes": len({u.area for u in corpus}),
            "noisy_share": round(sum(u.voice.snr_db is not None for u in corpus) / len(corpus), 3),
            "said_place_share": round(sum(u.kind == "place" for u in corpus) / len(corpus), 3),
            "noise_kinds": dict(Counter(u.voice.noise.value for u in corpus)),
            "packet_loss_share": round(sum(u.voice.loss > 0 for u in corpus) / len(corpus), 3),
        },
        "engines": [e.value for e in ENGINES],
        "policy_chosen_on_calibration_half": policy.to_json(),
        "top1_first_answer_among_area_candidates": round(top1(test, policy.weights), 4),
        "first_answer_actions": first_answers(test, policy),
        "dialogue": _outcomes(outcomes),
        "confirmation_answers_said_heard": {
            f"{a}->{b}": n for (a, b), n in sorted(ev.answers.items())
        },
        "real_non_name_speech": {
            "held_out_speaker": real_speech(held_out, policy),
            "calibration_speaker_in_sample": real_speech(real.get(CALIBRATION_SPEAKER, []), policy),
        },
        "latency_end_of_speech_to_decision_s": {
            "p50": _pct(latency, 0.5),
            "p95": _pct(latency, 0.95),
            "samples": len(latency),
        },
        "processing_s_per_naming": {
            "p50": _pct(ev.seconds, 0.5),
            "p95": _pct(ev.seconds, 0.95),
            "recognitions_made": len(ev.seconds),  # with --cache: only those not cached
        },
        "memory_rss_mb_per_worker": memory,
        "workers": args.workers,
        "engine_load_s": round(load_s, 1),
        "concurrency": levels,
        "speech_calls_sustained_per_core": round(max(sustained, default=0) / cores, 1),
        "goals": {
            "top1_first_answer": 0.85,
            "transferred_first_answer_no_question_right": 0.60,
            "misrouted_share_max": 0.001,
            "fell_back_to_keys_share_max": 0.10,
            "real_non_name_transferred": 0,
            "real_non_name_asked_share_max": 0.03,
            "latency_p95_s": 0.4,
            "speech_calls_per_core_at_p95_0_6_s": 10,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--real-path", type=Path, default=DEFAULT_REAL)
    parser.add_argument("--real", type=int, default=1521, help="real recordings to use")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--levels", default="4,8,16,20", help="concurrent speech calls to try")
    parser.add_argument("--models", type=Path, default=ROOT / "veertien-data" / "models")
    parser.add_argument("--limit", type=int, default=None, help="first N utterances (a trial)")
    parser.add_argument("--out", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--cache", type=Path, default=None,
        help="keep what Whisper made of each recording here and reuse it (to study the policy; "
        "latency and concurrency are always measured anew)",
    )  # fmt: skip
    args = parser.parse_args()
    args.levels = [int(n) for n in args.levels.split(",") if n]
    emit(asyncio.run(evaluate(args)), args.out)


if __name__ == "__main__":
    main()
