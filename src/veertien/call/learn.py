"""What a dialogue call teaches (veertien.learning): its speech turns labelled with how the call
came out, and the aliases learned so far for its area.

The dialogue sees learning only through `Learning` (the server's follower, over the database):
the learned aliases of an area code, the version of the learned set, and where examples go.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from veertien.call.redirect import caller_of
from veertien.call.state import DialogueCall
from veertien.ivr.flow import ChoiceKind
from veertien.ivr.flow import Phase as StepPhase
from veertien.ivr.runner import EventKind, IvrEvent, Outcome, OutcomeKind, language_of
from veertien.learning.aliases import NONE_LEARNED
from veertien.learning.examples import Example, How, label_of
from veertien.learning.forms import form_of
from veertien.speech.matcher import content_words


class Learning(Protocol):
    @property
    def version(self) -> str:
        """The learned set in use now ("none": nothing learned)."""
        ...

    def aliases(self, area_code: str) -> tuple[tuple[str, str], ...]:
        """The learned aliases of an area code: (form, municipality code)."""
        ...

    def add(self, example: Example) -> None:
        """Keep an example (the caller is hashed there)."""
        ...


class NoLearning:
    version = NONE_LEARNED

    def aliases(self, area_code: str) -> tuple[tuple[str, str], ...]:
        return ()

    def add(self, example: Example) -> None:
        return None


def how_chosen(events: Sequence[IvrEvent]) -> How:
    """How the caller's choice was made in the end: by key in a menu, by "ja" to a question,
    from two names, or a name taken at once."""
    answering = (StepPhase.CONFIRM, StepPhase.CHOOSE)
    if any(e.kind is EventKind.KEY and e.phase not in answering for e in events):
        return How.KEYS
    if any(e.kind is EventKind.CONFIRMED for e in events):
        return How.CONFIRMED
    if any(e.kind is EventKind.CHOSEN for e in events):
        return How.CHOSEN
    return How.SPEECH


def examples_of(call: DialogueCall, outcome: Outcome, version: str, at_s: int) -> list[Example]:
    """The call's speech turns as examples: only when the call went to a municipality the caller
    chose, that municipality allows learning and its area learns (otherwise none)."""
    choice, chosen, area = outcome.choice, outcome.municipality, call.decision.area_code
    settings = call.ctx.settings
    if outcome.kind is not OutcomeKind.TRANSFER or chosen is None or area is None:
        return []
    if choice is None or choice.kind not in (ChoiceKind.MUNICIPALITY, ChoiceKind.PLACE):
        return []
    if area in settings.platform.learning_off:
        return []
    if not settings.for_municipality(chosen).privacy.learn_from_calls:
        return []
    how = how_chosen(outcome.events)
    request = call.event.request
    caller = caller_of(request.header("From"), request.header("P-Asserted-Identity"))
    language = language_of(outcome.events)
    forms = [form_of(t.said, content_words(t.said)) for t in call.turns]
    return [
        Example(at_s, area, form, label_of(t, chosen, how), chosen, caller, language, version, t)
        for t, form in zip(call.turns, forms, strict=True)
    ]
