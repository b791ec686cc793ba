"""The national number (14) end to end in-process: simulated callers through the real dialogue
(ivr.national), the real lexicon over the national set and the real recogniser.

    .venv/bin/python bench/national_eval.py [--data ../shared/data] [--speech 120] [--out FILE]

Callers, each truthful (says "ja" only to its own target, picks its own province, knows its
postcode):

- keypad: every address PC4 of the table, keyed at the first question → must reach the PC4's
  municipality (100 % is the goal);
- spoken (synthetic, bench/speech_corpus.py's espeak-ng voices, noise and packet loss, in the
  carrier phrases of the area benchmark): a municipality (or alias), a place in one
  municipality, a homonym place (the caller lives in one of them), an organisation of the demo
  catalogue, a postcode said as digits; `--speech` callers in all, spread over the kinds.

Reported per kind: reached the right destination, wrong transfers, fell to the national
default, questions (mean, p95), and the platform's time from the caller's first answer to the
transfer (recognition and routing; the prompts take no time here), p50/p95. The baseline is
the first answer's top-1 over the whole lexicon (the recogniser's verdict, before any question).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.speech_corpus import CARRIERS, Voice, _voice, render  # noqa: E402
from veertien.call.port import Understanding  # noqa: E402
from veertien.directory import Directory, demo_directory, import_directory  # noqa: E402
from veertien.directory.lexicon import Lexicon, lexicon_of  # noqa: E402
from veertien.ivr.flow import QUESTION_PHASES  # noqa: E402
from veertien.ivr.national import NationalResolver, national_flow  # noqa: E402
from veertien.ivr.prompts import Piece  # noqa: E402
from veertien.ivr.runner import EventKind, IvrEvent, Understood, run_flow  # noqa: E402
from veertien.routing import (  # noqa: E402
    CallFacts,
    RoutingContext,
    Settings,
    decide,
    decide_municipality,
    decide_organisation,
)
from veertien.speech.matcher import DIGIT_WORDS  # noqa: E402
from veertien.speech.national import among_matcher, national_matcher  # noqa: E402
from veertien.speech.pool import ThreadListener, load  # noqa: E402
from veertien.speech.recogniser import Engine  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
DEFAULT = "sip:national-default@127.0.0.1"
AT = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def line(code: str) -> str:
    return f"sip:{code}@127.0.0.1"


@dataclass
class Caller:
    kind: str  # keypad, municipality, place, homonym, organisation, postcode
    target: str  # the destination it must reach
    municipality: str | None  # its municipality (None for an organisation)
    postcode: str  # a PC4 of its municipality ("" for an organisation)
    said: str = ""  # what it says at the first question
    audio: bytes = b""


class Simulated:
    """The media port as a truthful caller and the recogniser (in this process)."""

    def __init__(self, caller: Caller, lexicon: Lexicon, understanding: Understanding | None):
        self.caller, self.lexicon, self.understanding = caller, lexicon, understanding
        self.prompt = ""
        self.pending: list[str] = []
        self.first_answer: float | None = None
        self.verdict: Understood | None = None

    async def say(
        self, text: str, barge_in: bool, language: str = "nl", pieces: tuple[Piece, ...] = ()
    ) -> bool:
        self.prompt = text
        return False

    def use_language(self, language: str) -> None:
        return None

    async def key(self, timeout: float) -> str | None:
        return self.pending.pop(0) if self.pending else None

    async def answer(self, timeout: float, speech: bool) -> str | bytes | None:
        if self.first_answer is None:  # the first question's answer: the clock starts
            self.first_answer = time.perf_counter()
        prompt = self.prompt
        if "meer dan één provincie" in prompt:
            return self._province(prompt)
        if "postcode" in prompt and not prompt.startswith("Zeg de naam"):
            return self._keys(self.caller.postcode)
        if prompt.startswith("Bedoelt u") and " of " in prompt.split("?")[0]:
            return self._between(prompt)
        if prompt.startswith("Bedoelt u"):
            return "1" if self._is_mine(prompt.split("Bedoelt u ", 1)[1].split("?")[0]) else "2"
        if self.caller.kind == "keypad":
            return self._keys(self.caller.postcode)
        return self.caller.audio

    def _keys(self, digits: str) -> str | None:
        if not digits:
            return None
        self.pending = list(digits[1:])
        return digits[0]

    def _province(self, prompt: str) -> str | None:
        """Its own province, if the question is about a name it said (a person who hears
        "Heikant ligt in meer dan één provincie" after saying something else stays silent)."""
        named = prompt.split(" ligt in meer dan één provincie", 1)[0]
        if named.lower() != self.caller.said.lower():
            return None
        mine = self.lexicon.province_of(self.caller.municipality or "")
        found = re.search(rf"Voor {re.escape(mine)}, toets (\d)", prompt) if mine else None
        return found.group(1) if found else None

    def _between(self, prompt: str) -> str | None:
        found = re.search(r"Bedoelt u (.+?) of (.+?)\?", prompt)
        if not found:
            return None
        for key, name in (("1", found.group(1)), ("2", found.group(2))):
            if self._is_mine(name):
                return key
        return None

    def _is_mine(self, name: str) -> bool:
        meaning = self.lexicon.lookup(name)
        if meaning is None:
            return False
        if meaning.organisation is not None:
            return line(f"org:{meaning.organisation}") == self.caller.target
        return self.caller.municipality in meaning.municipalities

    async def understand(self, audio: bytes, among: tuple[str, ...] = ()) -> Understood:
        assert self.understanding is not None
        found = await self.understanding.understand(audio, among)
        if self.verdict is None:
            self.verdict = found
        return found

    async def yes_no(self, audio: bytes) -> bool | None:
        return None

    async def between(self, audio: bytes, codes: tuple[str, str]) -> str | None:
        return None


def context(national: Directory) -> RoutingContext:
    demo = demo_directory()
    orgs = tuple(replace(o, destination=line(f"org:{o.code}")) for o in demo.organisations)
    munis = {c: replace(m, destination=line(c)) for c, m in national.municipalities.items()}
    directory = replace(national, municipalities=munis, organisations=orgs)
    return RoutingContext(directory, Settings.from_json({"national_default": DEFAULT}))


async def one_call(
    caller: Caller, ctx: RoutingContext, understanding: Understanding | None
) -> dict[str, Any]:
    lexicon = lexicon_of(ctx.directory)
    facts = CallFacts("14", AT)
    decision = decide(facts, ctx)
    events: list[IvrEvent] = []
    resolver = NationalResolver(
        decision, lexicon, lambda c: decide_municipality(c, facts, ctx),
        lambda c: decide_organisation(c, ctx), events, speech=understanding is not None,
    )  # fmt: skip
    port = Simulated(caller, lexicon, understanding)
    if understanding is not None:
        understanding.answers = 0
    outcome = await run_flow(national_flow(speech=True), port, events, resolver=resolver)
    ended = time.perf_counter()
    questions = sum(1 for e in events if e.kind is EventKind.PROMPT and e.phase in QUESTION_PHASES)
    verdict = port.verdict
    first = verdict.municipality if verdict is not None else None
    return {
        "kind": caller.kind,
        "right": outcome.target == caller.target,
        "wrong": outcome.target not in (caller.target, DEFAULT, None),
        "default": outcome.target == DEFAULT,
        "questions": questions,  # every question prompt, the first one included
        "seconds": ended - (port.first_answer or ended),
        "top1": _top1(first, caller, lexicon),
        "example": {
            "said": caller.said,
            "target": caller.target,
            "got": outcome.target,
            "prompts": [e.detail for e in events if e.kind is EventKind.PROMPT],
            "keys": [e.detail for e in events if e.kind is EventKind.KEY],
        },
    }


def _top1(code: str | None, caller: Caller, lexicon: Lexicon) -> bool:
    if code is None:
        return False
    if code.isdigit():
        return lexicon.postcode(code) == caller.municipality
    meaning = lexicon.meaning(code)
    if meaning is None:
        return False
    if meaning.organisation is not None:
        return line(f"org:{meaning.organisation}") == caller.target
    return caller.municipality in meaning.municipalities


def keypad_callers(directory: Directory) -> list[Caller]:
    return [
        Caller("keypad", line(p.municipality), p.municipality, p.pc4)
        for p in sorted(directory.postcodes.values(), key=lambda p: p.pc4)
    ]


def speech_callers(directory: Directory, lexicon: Lexicon, count: int, seed: int) -> list[Caller]:
    rng = random.Random(seed)
    by_muni: dict[str, list[str]] = defaultdict(list)
    for p in directory.postcodes.values():
        by_muni[p.municipality].append(p.pc4)
    munis = sorted(c for c in directory.municipalities if by_muni.get(c))
    places = [p for p in directory.places if p.official and by_muni.get(p.municipality)]
    single = [p for p in places if not (lexicon.lookup(p.name) or _none).ambiguous]
    homonym = [p for p in places if (lexicon.lookup(p.name) or _none).ambiguous]
    orgs = list(directory.organisations)
    out: list[Caller] = []
    kinds = ("municipality", "place", "homonym", "organisation", "postcode")
    for n in range(count):
        kind = kinds[n % len(kinds)]
        if kind == "organisation":
            org = rng.choice(orgs)
            said = rng.choice(org.names)
            out.append(Caller(kind, line(f"org:{org.code}"), None, "", said))
            continue
        if kind in ("place", "homonym"):
            place = rng.choice(single if kind == "place" else homonym)
            code, said = place.municipality, place.name
        else:
            code = rng.choice(munis)
            said = rng.choice(directory.municipalities[code].names)
        pc4 = rng.choice(sorted(by_muni[code]))
        if kind == "postcode":
            said = " ".join(DIGIT_WORDS[int(d)] for d in pc4)
        out.append(Caller(kind, line(code), code, pc4, said))
    return out


class _None:
    ambiguous = False


_none = _None()


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    if not rows:
        return {}
    n = len(rows)
    questions = sorted(r["questions"] for r in rows)
    seconds = sorted(r["seconds"] for r in rows)

    def pct(values: list[float], q: float) -> float:
        return round(values[min(len(values) - 1, int(len(values) * q))], 3)

    return {
        "calls": n,
        "reached_right": round(sum(r["right"] for r in rows) / n, 4),
        "wrong_transfers": round(sum(r["wrong"] for r in rows) / n, 4),
        "national_default": round(sum(r["default"] for r in rows) / n, 4),
        "questions_mean": round(sum(questions) / n, 2),
        "questions_p95": pct([float(q) for q in questions], 0.95),
        "questions_after_the_first_mean": round(sum(q - 1 for q in questions) / n, 2),
        "first_answer_to_transfer_s_p50": pct(seconds, 0.5),
        "first_answer_to_transfer_s_p95": pct(seconds, 0.95),
        "first_answer_top1": round(sum(r["top1"] for r in rows) / n, 4),
        "wrong_examples": [r["example"] for r in rows if r["wrong"]][:5],
    }


def understanding_for(lexicon: Lexicon, listener: ThreadListener) -> Understanding:
    names = [o.name for o in lexicon.directory.organisations]  # as call.national.own_names
    return Understanding(
        listener,
        national_matcher(lexicon),
        names,
        narrowed=partial(among_matcher, lexicon),
        open_lexicon=True,
    )


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    national = import_directory(args.data)
    ctx = context(national)
    lexicon = lexicon_of(ctx.directory)
    rows = [await one_call(c, ctx, None) for c in keypad_callers(ctx.directory)]
    result: dict[str, Any] = {"keypad_every_pc4": summarise(rows)}
    if args.speech:
        callers = speech_callers(ctx.directory, lexicon, args.speech, args.seed)
        rng = random.Random(args.seed)
        items: list[tuple[str, Voice]] = []
        for caller in callers:
            phrase = rng.choice(CARRIERS).format(caller.said, caller.said)
            items.append((phrase if caller.kind != "postcode" else caller.said, _voice(rng)))
        for caller, pcm in zip(callers, render(items), strict=True):
            caller.audio = pcm
        listener = ThreadListener(load([Engine.WHISPER], args.models))
        spoken = []
        for caller in callers:
            spoken.append(await one_call(caller, ctx, understanding_for(lexicon, listener)))
        kinds = Counter(r["kind"] for r in spoken)
        result["spoken_all"] = summarise(spoken)
        result["spoken_by_kind"] = {
            k: summarise([r for r in spoken if r["kind"] == k]) for k in sorted(kinds)
        }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--speech", type=int, default=100, help="spoken callers (0: keypad only)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--models", type=Path, default=ROOT / "veertien-data" / "models")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    started = time.perf_counter()
    figures = asyncio.run(main_async(args))
    report = {
        "benchmark": "national_eval",
        "date": datetime.now(UTC).date().isoformat(),
        "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, "
        f"Python {platform.python_version()}",
        "synthetic": "spoken callers are espeak-ng voices (bench/speech_corpus.py): not people",
        "goals": {"reached_right": ">= 0.97", "wrong_transfers": "<= 0.002",
                  "questions_mean": "<= 1.3", "questions_p95": "<= 2",
                  "keypad_every_pc4": "1.0", "first_answer_to_transfer_s_p95": "< 1"},
        **figures,
        "seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
