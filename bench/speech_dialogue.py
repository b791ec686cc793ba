"""The spoken dialogue with a simulated truthful caller, and the choice of the policy thresholds.

The simulation follows the shared-area flow (ivr/area.py): the caller says the name; the
platform accepts, asks "Bedoelt u ...?" (the caller answers "ja" or "nee" truthfully, in the same
voice, and that answer is recognised too), or asks again; after a second failed round the caller
uses the keypad. Every recognition is real (the engines in worker processes); only the caller's
decisions are simulated.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum

from veertien.call.port import answered
from veertien.speech.matcher import Action, NameMatcher, Result
from veertien.speech.policy import Policy, combine
from veertien.speech.pool import Heard
from veertien.speech.recogniser import Engine


class Outcome(Enum):
    RIGHT_FIRST = "right_first_answer"  # accepted at once, right
    RIGHT_CONFIRMED = "right_after_confirmation"
    RIGHT_SECOND = "right_second_answer"  # after a "nee" or "niet verstaan", said again
    KEYS = "fell_back_to_keys"  # the keypad menu (a truthful caller presses the right key)
    MISROUTED = "misrouted"


@dataclass(frozen=True, slots=True)
class Attempt:
    """What the engines made of one thing the caller said."""

    results: dict[Engine, Result]
    heard: tuple[Heard, ...]


def attempt(matcher: NameMatcher, heard: Sequence[Heard]) -> Attempt:
    results = {h.engine: matcher.match([(t.text, t.score) for t in h.transcripts]) for h in heard}
    return Attempt(results, tuple(heard))


def answered_yes(heard: Sequence[Heard]) -> bool | None:
    return answered(heard)  # exactly what the dialogue does


Say = Callable[[int], Awaitable[Attempt]]  # the caller's n-th naming (0, 1) → recognised
Answer = Callable[[bool, int], Awaitable[bool | None]]  # truthful yes/no → what was heard


async def dialogue(truth: str, policy: Policy, say: Say, answer: Answer) -> Outcome:
    for round_ in (0, 1):
        result = combine((await say(round_)).results, policy)
        best = result.best
        if result.action is Action.ACCEPT and best is not None:
            if best.municipality == truth:
                return Outcome.RIGHT_FIRST if round_ == 0 else Outcome.RIGHT_SECOND
            return Outcome.MISROUTED
        if result.action is Action.CONFIRM and best is not None:
            right = best.municipality == truth
            if await answer(right, round_) is True:  # heard "ja"
                if right:
                    return Outcome.RIGHT_CONFIRMED if round_ == 0 else Outcome.RIGHT_SECOND
                return Outcome.MISROUTED
    return Outcome.KEYS


# -- calibration ---------------------------------------------------------------------------

# What each first-answer result is worth: a misroute is what the product must not do; a
# confirmation costs the caller a few seconds; asking again costs more.
WORTH = {
    ("accept", True): 1.0,
    ("accept", False): -400.0,
    ("confirm", True): 0.7,
    ("confirm", False): -2.0,  # a "nee" and asked again, or (rarely) a "ja" misheard: a misroute
    ("retry", True): 0.0,
    ("retry", False): 0.0,
}


def _grid(start: float, stop: float, step: float) -> list[float]:
    count = round((stop - start) / step)
    return [round(start + i * step, 3) for i in range(count + 1)]


def grid() -> Iterable[Policy]:
    for agree, solo, confirm in itertools.product(
        _grid(0.5, 1.0, 0.05), _grid(0.8, 1.02, 0.02), _grid(0.3, 0.9, 0.05)
    ):
        yield Policy(agree_accept=agree, solo_accept=solo, confirm=confirm)


MARGIN = 0.05  # a wrong answer this close below a threshold counts as if it were above it


def worth(policy: Policy, attempts: Sequence[tuple[str, Attempt]]) -> float:
    """What a policy is worth on these answers. Wrong answers are judged with every threshold
    lowered by MARGIN: a policy whose thresholds sit just above the wrong answers of this small
    sample would let the next voice's wrong answers through."""
    looser = Policy(
        agree_accept=policy.agree_accept - MARGIN,
        solo_accept=policy.solo_accept - MARGIN,
        confirm=policy.confirm - MARGIN,
    )
    total = 0.0
    for truth, found in attempts:
        result = combine(found.results, policy)
        right = result.best is not None and result.best.municipality == truth
        if not right:
            result = combine(found.results, looser)
        total += WORTH[(result.action.value, right)]
    return total


def calibrate(attempts: Sequence[tuple[str, Attempt]]) -> tuple[Policy, float]:
    """The policy worth most on these (truth, first answer) pairs; ties go to the stricter."""
    best: tuple[float, Policy] | None = None
    for policy in grid():
        score = worth(policy, attempts)
        if best is None or score > best[0]:
            best = (score, policy)
    assert best is not None
    return best[1], best[0]


def single(engine: Engine, attempts: Sequence[tuple[str, Attempt]]) -> list[tuple[str, Attempt]]:
    """The same answers as heard by one engine alone."""
    return [
        (truth, Attempt({k: v for k, v in a.results.items() if k is engine}, a.heard))
        for truth, a in attempts
    ]
