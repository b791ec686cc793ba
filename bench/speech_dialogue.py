"""The spoken dialogue with a simulated truthful caller (the shared-area flow of ivr/area.py).

The caller says the name; the platform transfers (accept), asks "Bedoelt u ...?" (the caller
answers "ja" or "nee" truthfully, in the same voice, and that answer is recognised too), asks
"Bedoelt u A of B?" (the caller says the name again; speech.scoring.between picks one of the two
or neither), or asks again. After a second round without a result the caller uses the keypad.
Every recognition is real (the engines in worker processes); only the caller's decisions are
simulated.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Protocol

from veertien.speech.matcher import Action
from veertien.speech.scoring import Policy, Verdict, between


class Outcome(Enum):
    RIGHT_FIRST = "right_first_answer"  # transferred at once, no question, right
    RIGHT_CONFIRMED = "right_after_confirmation"  # "Bedoelt u ...?" "ja"
    RIGHT_CHOSEN = "right_after_two_name_question"  # "Bedoelt u A of B?" "A"
    RIGHT_SECOND = "right_second_answer"  # after a "nee" or "niet verstaan", said again
    KEYS = "fell_back_to_keys"  # the keypad menu (a truthful caller presses the right key)
    MISROUTED = "misrouted"


class Say(Protocol):
    """The caller's n-th naming (0, 1, 2) → the verdict (`strict`: by the first answer's
    policy, as for a pick from two names)."""

    def __call__(self, n: int, *, strict: bool = False) -> Awaitable[Verdict]: ...


Answer = Callable[[bool, int], Awaitable[bool | None]]  # truthful yes/no → what was heard


async def dialogue(truth: str, policy: Policy, say: Say, answer: Answer) -> Outcome:
    said = 0
    for round_ in (0, 1):
        verdict = await say(said)
        said += 1
        chosen = None
        first, second = verdict.first, verdict.second
        if first is not None and verdict.action is Action.ACCEPT:
            chosen = first.municipality
        elif first is not None and verdict.action is Action.CONFIRM:
            # a truthful "ja" or "nee", as recognised: only a "ja" sends the call there
            heard_yes = await answer(first.municipality == truth, round_) is True
            chosen = first.municipality if heard_yes else None
        elif first is not None and second is not None and verdict.action is Action.CHOOSE:
            pair = (first.municipality, second.municipality)
            # the name said again; a pick from two is not confirmed, so never judged looser
            chosen = between(await say(said, strict=True), pair, policy)
            said += 1
        if chosen is not None:
            return _ending(chosen == truth, verdict.action, round_)
    return Outcome.KEYS


def _ending(right: bool, action: Action, round_: int) -> Outcome:
    if not right:
        return Outcome.MISROUTED
    if round_:
        return Outcome.RIGHT_SECOND
    return {
        Action.ACCEPT: Outcome.RIGHT_FIRST,
        Action.CONFIRM: Outcome.RIGHT_CONFIRMED,
        Action.CHOOSE: Outcome.RIGHT_CHOSEN,
    }[action]
