"""`veertien traffic`: a known mix of real SIP calls against a running server, for demos, for
load and for the reporting tests.

Each kind of call is a plan: what to dial, which keys to press or words to speak, when to hang
up, and what the caller must see (the final status, and where a 302 points). Calls run with
bounded concurrency; the run stops by itself after `--calls` calls. The summary (JSON) counts
what was made per kind and what was seen, so a report can be checked against it.

Kinds (numbers from the demo directory unless given):

    direct          the single-municipality number (14 0320) → 302 at once
    refused         a number that is no 14 number (14 0116) → 404
    keys            the shared area (14 0113), key 2 → 302 to that choice
    invalid         the shared area, key 9 (no choice), then key 2 → 302 after the repeat
    timeout         the shared area, no key at all → 302 to the area default after the repeat
    hangup-greeting CANCEL half a second into the greeting → 487
    hangup-menu     CANCEL at the menu, after the greeting → 487
    speech          the shared area, a spoken name (needs speech on the server), then silence
    hangup-name     a spoken name, then CANCEL while it is being recognised → 487
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from veertien.errors import InputError
from veertien.media.g711 import Law, encode
from veertien.testcall.caller import CallResult, Script, place_call

KINDS = (
    "direct", "refused", "keys", "invalid", "timeout", "hangup-greeting", "hangup-menu",
    "speech", "hangup-name",
)  # fmt: skip
SPEECH_KINDS = ("speech", "hangup-name")
GREETING_S = 0.5  # into the greeting
MENU_S = 4.5  # the greeting (about 2.5 s) is over: at the menu
NAME_AT_S = 1.0  # a spoken name starts this far into the early media (it barges in)


class TrafficError(InputError):
    """A mix that cannot be run; the text says why."""


@dataclass(frozen=True)
class Numbers:
    shared: str = "140113"  # an area with several municipalities
    single: str = "140320"  # an area with one
    unknown: str = "140116"  # not an area code
    key: str = "2"  # the menu key to press
    name: str = "Goes"  # the name to say


@dataclass(frozen=True)
class Plan:
    kind: str
    dialled: str
    keys: str = ""
    script: Script = field(default_factory=Script)
    expect: int = 302


def parse_mix(text: str) -> dict[str, int]:
    """ "direct=3,keys=2" → {"direct": 3, "keys": 2}; raises TrafficError."""
    mix: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, count = part.partition("=")
        if kind not in KINDS:
            raise TrafficError(f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
        if not count.isdigit() or int(count) == 0:
            raise TrafficError(f"{kind}: give a positive count, like {kind}=3")
        mix[kind] = mix.get(kind, 0) + int(count)
    if not mix:
        raise TrafficError("the mix is empty: give kinds and counts, like direct=3,keys=2")
    return mix


def scaled(mix: Mapping[str, int], calls: int | None) -> dict[str, int]:
    """The mix scaled to `calls` in all (each kind at least one; None: as given)."""
    if calls is None:
        return dict(mix)
    if calls < len(mix):
        raise TrafficError(f"{calls} calls cannot hold the {len(mix)} kinds of the mix")
    total = sum(mix.values())
    out = {k: max(1, n * calls // total) for k, n in mix.items()}
    biggest = max(out, key=lambda k: out[k])
    out[biggest] += calls - sum(out.values())
    if out[biggest] < 1:
        raise TrafficError(f"{calls} calls are too few for this mix")
    return out


def plans(mix: Mapping[str, int], numbers: Numbers, voice: Callable[[str], bytes]) -> list[Plan]:
    """One plan per call, in a shuffled but reproducible order. `voice(text)` gives 8 kHz
    16-bit PCM (espeak-ng) for the speech kinds."""
    said = encode(voice(numbers.name), Law.PCMU) if any(k in mix for k in SPEECH_KINDS) else b""
    table = _plans(numbers, said)
    out = [table[kind] for kind, n in mix.items() for _ in range(n)]
    random.Random(14).shuffle(out)
    return out


def _plans(numbers: Numbers, said: bytes) -> dict[str, Plan]:
    """The plan of every kind (plans are frozen: calls of one kind share theirs)."""
    shared, key = numbers.shared, numbers.key
    return {
        "direct": Plan("direct", numbers.single),
        "refused": Plan("refused", numbers.unknown, expect=404),
        "keys": Plan("keys", shared, key),
        "invalid": Plan("invalid", shared, "9" + key),
        "timeout": Plan("timeout", shared),
        "hangup-greeting": Plan("hangup-greeting", shared,
                                script=Script(hang_up_after_s=GREETING_S), expect=487),
        "hangup-menu": Plan("hangup-menu", shared, script=Script(hang_up_after_s=MENU_S),
                            expect=487),
        "speech": Plan("speech", shared, script=Script(said, NAME_AT_S)),
        # the name ends, the endpointer needs 0.6 s of quiet, recognition 0.2-0.5 s more
        "hangup-name": Plan("hangup-name", shared, script=Script(said, NAME_AT_S,
                            NAME_AT_S + len(said) / 8000 + 0.7), expect=487),
    }  # fmt: skip


@dataclass(frozen=True)
class Outcome:
    plan: Plan
    result: CallResult

    @property
    def status(self) -> int | None:
        final = self.result.final
        return final.status if final is not None else None

    @property
    def ok(self) -> bool:
        return self.status == self.plan.expect


async def run_traffic(
    plans_: Sequence[Plan],
    server: tuple[str, int],
    *,
    concurrency: int = 10,
    key_after_s: float = 1.5,
    timeout_s: float = 60.0,
    show: Callable[[str], None] = lambda line: None,
) -> list[Outcome]:
    """Place every planned call, at most `concurrency` at once."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(n: int, plan: Plan) -> Outcome:
        async with gate:
            result = await place_call(
                plan.dialled, *server, caller=f"06{n:08d}", keys=plan.keys,
                key_after_s=key_after_s, timeout=timeout_s, script=plan.script,
                show=lambda line: show(f"[{n} {plan.kind}] {line}"),
            )  # fmt: skip
            return Outcome(plan, result)

    return list(await asyncio.gather(*(one(n, p) for n, p in enumerate(plans_, start=1))))


def summary(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """What was made and what was seen, per kind: for people and for reconciling reports."""
    made = Counter(o.plan.kind for o in outcomes)
    statuses: dict[str, Counter[str]] = {}
    for o in outcomes:
        statuses.setdefault(o.plan.kind, Counter())[str(o.status or "none")] += 1
    failed = [
        {"kind": o.plan.kind, "dialled": o.plan.dialled, "expected": o.plan.expect,
         "got": o.status}
        for o in outcomes if not o.ok
    ]  # fmt: skip
    return {
        "calls": len(outcomes),
        "made": dict(sorted(made.items())),
        "final_status": {k: dict(v) for k, v in sorted(statuses.items())},
        "as_expected": len(outcomes) - len(failed),
        "unexpected": failed,
    }
