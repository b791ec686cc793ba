"""Learning replay: a simulated month of callers on shared area codes, learning online.

    .venv/bin/python bench/learning_eval.py [--data ../shared/data] [--areas 6] [--out FILE]

Per area code (the first `--areas` shared area codes of the national reference set with three
or more municipalities) a population of callers, each with one espeak-ng voice of the speech
corpus (bench/speech_corpus.py: eight variants, speeds, pitches, noise, packet loss) and one way
of saying each municipality (its name, an alias, or one of its places), calls over four weeks
(working hours); the municipality each call wants follows the area's shares. A caller says the
name in a carrier phrase; Whisper scores it against the area's names **and the aliases learned
so far** (the engines as in `veertien serve`); the dialogue is the shared-area flow with a
truthful caller (bench/speech_dialogue.py; its "ja"/"nee" is taken as heard right); every
speech turn becomes an example labelled as in the product (call/learn.py), and the learner
(veertien.learning) judges them again at the end of every day.

Runs: learning off, learning on with the product's rules (`learning_support` 10) and with a
looser rule (support 3); and the poisoning attack — five callers making 500 calls in one day of
week 2, each saying one municipality's name and pressing another's key — with each rule:
reported is whether any honest call of weeks 2-4 went elsewhere than without the attack.
Reported per week: first answer accepted and right, questions per call, keypad share, wrong
transfers. Synthetic voices: see docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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

from bench.speech_corpus import CARRIERS, Voice, _said, _voice, shared_areas, synthesise  # noqa: E402
from bench.speech_dialogue import Outcome, dialogue  # noqa: E402
from veertien.directory import Directory, import_directory  # noqa: E402
from veertien.learning.aliases import Rules, Tally, active, aliases  # noqa: E402
from veertien.learning.current import known_in  # noqa: E402
from veertien.learning.examples import TEACHING, Candidate, How, Label, Turn, label_of  # noqa: E402
from veertien.learning.forms import form_of, grouped  # noqa: E402
from veertien.speech.matcher import NameMatcher, content_words, matcher_for_codes  # noqa: E402
from veertien.speech.pool import PoolListener, scored  # noqa: E402
from veertien.speech.recogniser import Context, Engine, Scores, from_telephone  # noqa: E402
from veertien.speech.scoring import Policy, Verdict, again, decide  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
WEEKS, DAYS, HOURS = 4, 5, 8  # working days and hours
CALLERS = 40  # per area code
Learned = tuple[tuple[str, str], ...]  # (form, code) per area


@dataclass(frozen=True, slots=True)
class Call:
    area: str
    candidates: tuple[str, ...]
    caller: str
    truth: str
    said: str  # the name the caller uses for it
    key: str  # what they press in the menu: the truth, or (an attacker) another
    voice: Voice
    hour: int  # since the start of the month
    seed: int


def _population(directory: Directory, areas: dict[str, tuple[str, ...]], per_week: int,
                seed: int) -> list[Call]:  # fmt: skip
    rng = random.Random(seed)
    calls = []
    for area, candidates in areas.items():
        voices = [_voice(rng) for _ in range(CALLERS)]
        shares = [max(m.share_of_area, 0.02) for m in directory.members(area)
                  if m.municipality in candidates]  # fmt: skip
        habits: dict[tuple[int, str], str] = {}
        for n in range(WEEKS * per_week):
            who = rng.randrange(CALLERS)
            truth = rng.choices(candidates, weights=shares[: len(candidates)])[0]
            if (who, truth) not in habits:
                habits[(who, truth)] = _said(directory, truth, rng)[0]
            hour = (n * WEEKS * DAYS * HOURS) // (WEEKS * per_week)
            calls.append(Call(area, candidates, f"{area}-{who}", truth, habits[(who, truth)],
                              truth, voices[who], hour, rng.randrange(10**9)))  # fmt: skip
    return sorted(calls, key=lambda c: (c.hour, c.area, c.seed))


def _attack(areas: dict[str, tuple[str, ...]], directory: Directory) -> list[Call]:
    """Five callers, 500 calls in one day of week 2: each says one municipality's name and
    presses another's key (a false confirmation of what they said)."""
    rng = random.Random(99)
    area = next(iter(areas))
    said, pressed = areas[area][0], areas[area][1]
    name = directory.municipalities[said].name
    voices = [_voice(rng) for _ in range(5)]
    day = DAYS * HOURS  # week 2, its first day
    return [Call(area, areas[area], f"attacker-{n % 5}", said, name, pressed, voices[n % 5],
                 day + (n * HOURS) // 500, n % 5) for n in range(500)]  # fmt: skip


@dataclass
class Hearing:
    """Whisper's scores per (utterance, learned names of its area), cached."""

    directory: Directory
    listener: PoolListener
    cache: dict[tuple[str, Learned], asyncio.Future[Scores]] = field(default_factory=dict)
    audio: dict[str, bytes] = field(default_factory=dict)

    def matcher(self, codes: tuple[str, ...], learned: Learned) -> NameMatcher:
        return matcher_for_codes(self.directory, codes, learned=learned)

    async def scores(self, call: Call, n: int, learned: Learned) -> tuple[Scores, NameMatcher]:
        """The scores of the caller's n-th naming; one recognition however many calls of the
        day ask for the same one at once (the attack: 500 calls, five voices)."""
        label = f"{call.caller} {call.said} {call.seed if call.key == call.truth else 0} {n}"
        matcher = self.matcher(call.candidates, learned)
        key = (label, learned)
        if key not in self.cache:
            self.cache[key] = asyncio.ensure_future(self._recognised(call, n, label, matcher))
        return await self.cache[key], matcher

    async def _recognised(self, call: Call, n: int, label: str, matcher: NameMatcher) -> Scores:
        if label not in self.audio:
            rng = random.Random(call.seed + n)
            text = rng.choice(CARRIERS).format(call.said, call.said)
            self.audio[label] = await asyncio.to_thread(synthesise, text, call.voice, call.seed + n)
        names = sorted({x.text for x in matcher.names if x.kind != "place"})
        context = Context(names, vocabulary=sorted({x.text for x in matcher.names}))
        heard = await self.listener.hear(from_telephone(self.audio[label]), context, matcher.names)
        found = scored(heard)
        assert found is not None and found.scores is not None, "Whisper gave no scores"
        return found.scores


@dataclass
class Run:
    rules: Rules | None  # None: learning off
    examples: list[tuple[str, str, str, str, int, Label]] = field(default_factory=list)
    learned: dict[str, Learned] = field(default_factory=dict)
    went: dict[int, str | None] = field(default_factory=dict)  # call index → where it went
    weeks: list[Counter[str]] = field(default_factory=lambda: [Counter() for _ in range(WEEKS)])

    def judge(self, directory: Directory) -> None:
        if self.rules is None:
            return
        teaching = [e for e in self.examples if e[5] in TEACHING and e[1]]
        tallies = []
        for area in sorted({e[0] for e in teaching}):
            mine = [e for e in teaching if e[0] == area]
            for head, forms in grouped(list(dict.fromkeys(e[1] for e in mine))).items():
                for code in sorted({e[2] for e in mine if e[1] in forms}):
                    hits = [e for e in mine if e[1] in forms and e[2] == code]
                    tallies.append(Tally(area, head, code, len(hits), len({e[3] for e in hits}),
                                         len({e[4] for e in hits}), forms))  # fmt: skip
        found = aliases(tallies, {}, self.rules, known_in(directory))
        self.learned = {}
        for area, form, code in active(found):
            self.learned[area] = (*self.learned.get(area, ()), (form, code))


async def _one(hearing: Hearing, run: Run, index: int, call: Call, policy: Policy) -> None:
    """One call: its dialogue as the caller goes through it, its figures (honest calls only:
    `index` ≥ 0) and its examples."""
    learned = run.learned.get(call.area, ())
    turns: list[Turn] = []
    actions: list[str] = []

    async def say(n: int, *, strict: bool = False) -> Verdict:
        scores, matcher = await hearing.scores(call, n, learned)
        verdict = decide(scores, matcher, policy if n == 0 or strict else again(policy))
        first = verdict.first
        leader = (
            ()
            if first is None
            else (Candidate(first.municipality, first.name, first.acoustic, first.primed),)
        )
        turns.append(Turn(scores.primed, (), leader, verdict.probability, verdict.action.value))
        actions.append(verdict.action.value)
        return verdict

    async def answer(truth: bool, round_: int) -> bool | None:
        return truth  # a truthful caller, heard right (speech_eval measures the yes/no)

    outcome = await dialogue(call.key, policy, say, answer)
    chosen: str | None = call.key
    if outcome is Outcome.MISROUTED:  # where it went: the leader it accepted or confirmed
        chosen = next((t.leader for t in reversed(turns) if t.leader), None)
    run.went[index] = chosen
    if index >= 0:
        week = min(call.hour // (DAYS * HOURS), WEEKS - 1)
        run.weeks[week].update(_figures(outcome, actions))
    if chosen is not None and run.rules is not None:
        how = _how(outcome)
        for turn in turns:
            form = form_of(turn.said, content_words(turn.said))
            run.examples.append((call.area, form, chosen, call.caller, call.hour,
                                 label_of(turn, chosen, how)))  # fmt: skip


def _how(outcome: Outcome) -> How:
    return {
        Outcome.RIGHT_FIRST: How.SPEECH, Outcome.RIGHT_CONFIRMED: How.CONFIRMED,
        Outcome.RIGHT_CHOSEN: How.CHOSEN, Outcome.RIGHT_SECOND: How.CONFIRMED,
        Outcome.KEYS: How.KEYS, Outcome.MISROUTED: How.SPEECH,
    }[outcome]  # fmt: skip


def _figures(outcome: Outcome, actions: list[str]) -> Counter[str]:
    asked = sum(a in ("confirm", "choose") for a in actions)
    return Counter({
        "calls": 1, "accepted_right": outcome is Outcome.RIGHT_FIRST, "questions": asked,
        "keypad": outcome is Outcome.KEYS, "wrong": outcome is Outcome.MISROUTED,
    })  # fmt: skip


async def replay(
    hearing: Hearing, calls: list[Call], rules: Rules | None, extra: list[Call] | None = None
) -> Run:
    """The month, a day at a time: the day's calls (and `extra`, the attack) at once against
    the learned set of that morning, then the learner judges the day's examples."""
    run = Run(rules)
    policy = Policy()
    every = [(c.hour, i, c) for i, c in enumerate(calls)]
    every += [(c.hour, -1 - i, c) for i, c in enumerate(extra or [])]
    for day in range(WEEKS * DAYS):
        today = [(i, c) for hour, i, c in every if hour // HOURS == day]
        await asyncio.gather(*(_one(hearing, run, i, c, policy) for i, c in today))
        run.judge(hearing.directory)
    return run


def _weekly(run: Run) -> list[dict[str, Any]]:
    out = []
    for n, week in enumerate(run.weeks, start=1):
        calls = max(1, week["calls"])
        out.append({
            "week": n, "calls": week["calls"],
            "first_answer_accepted_right": round(week["accepted_right"] / calls, 4),
            "questions_per_call": round(week["questions"] / calls, 3),
            "keypad": round(week["keypad"] / calls, 4),
            "wrong_transfers": week["wrong"],
        })  # fmt: skip
    return out


def _learned(run: Run) -> dict[str, list[list[str]]]:
    return {area: [list(p) for p in pairs] for area, pairs in sorted(run.learned.items())}


async def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    directory = import_directory(args.data)
    areas = {a: c for a, c in shared_areas(directory).items() if len(c) >= 3}
    areas = dict(list(areas.items())[: args.areas])
    calls = _population(directory, areas, args.per_week, seed=20)
    listener = PoolListener((Engine.WHISPER,), args.models, args.workers)
    await listener.start()
    hearing = Hearing(directory, listener)
    started = time.perf_counter()
    try:
        runs = {"off": await replay(hearing, calls, None)}
        for name, support in (("on", 10), ("on_support_3", 3)):
            runs[name] = await replay(hearing, calls, Rules(support=support, window_s=1))
            attacked = await replay(hearing, calls, Rules(support=support, window_s=1),
                                    _attack(areas, directory))  # fmt: skip
            changed = [i for i, c in enumerate(calls) if c.hour >= DAYS * HOURS
                       and attacked.went.get(i) != runs[name].went.get(i)]  # fmt: skip
            runs[f"{name}_attacked"] = attacked
            runs[f"{name}_attacked"].weeks[0]["changed_by_attack"] = len(changed)
    finally:
        listener.close()
    return _report(args, areas, calls, runs, time.perf_counter() - started)


def _report(args: argparse.Namespace, areas: dict[str, tuple[str, ...]], calls: list[Call],
            runs: dict[str, Run], seconds: float) -> dict[str, Any]:  # fmt: skip
    out: dict[str, Any] = {
        "benchmark": "learning_eval", "synthetic": True,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": len(os.sched_getaffinity(0))},
        "areas": {a: list(c) for a, c in areas.items()}, "calls": len(calls),
        "per_week_per_area": args.per_week, "callers_per_area": CALLERS, "seconds": round(seconds),
        "note": "espeak-ng voices (synthetic); the caller's ja/nee is taken as heard right; "
                "windows of one hour; learned sets judged at the end of every day",
    }  # fmt: skip
    for name, run in runs.items():
        weeks = _weekly(run)
        out[name] = {"weeks": weeks, "learned": _learned(run)}
        if "changed_by_attack" in run.weeks[0]:
            out[name]["honest_calls_sent_elsewhere_by_the_attack"] = run.weeks[0][
                "changed_by_attack"
            ]
        first, last = weeks[0], weeks[-1]
        out[name]["gain_week4_vs_week1"] = round(
            last["first_answer_accepted_right"] - first["first_answer_accepted_right"], 4
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--areas", type=int, default=6)
    parser.add_argument("--per-week", type=int, default=30, help="calls per area per week")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--models", type=Path, default=ROOT / "veertien-data" / "models")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    report = asyncio.run(evaluate(args))
    text = json.dumps(report, indent=2, ensure_ascii=False)
    if args.out is not None:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
