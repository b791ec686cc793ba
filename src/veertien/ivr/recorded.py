"""What a municipality records for a language: every sentence a caller who chose it can hear.

A language without a voice (Frisian) is offered in an area only once its `required` sentences
are all recorded (call.dialogue): the area's dialogue from the question after the offer on
(`area_flow` with that language's key), and where each municipality's choice leads now
(`chosen_flow`: an announcement, a transfer's words). The greeting is not in it: it is heard
in Dutch, before the caller chooses. `optional` are sentences a caller hears only sometimes
(the two-name question for each pair, a municipality closed or in a calamity): not recorded,
they are said in Dutch. Dutch and English have a voice: a recording there replaces the voice for
that one sentence. The portal (/opnames) shows both lists beside the recordings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import permutations

from veertien.ivr.area import area_flow, chosen_flow
from veertien.ivr.flow import Announce, Confirm, Flow, Gather, Play, Spoken, Transfer
from veertien.ivr.prompts import DEFAULT_LANGUAGE, PROMPTS, Prompt, say
from veertien.routing import Announcement, RoutingDecision

OPTIONAL_ANNOUNCEMENTS = (Announcement.CLOSED, Announcement.CALAMITY)


@dataclass(frozen=True, slots=True)
class Sentences:
    """The sentences to record in one language for one area, each once, in the order heard."""

    language: str
    required: tuple[str, ...]
    optional: tuple[str, ...]

    @property
    def all(self) -> tuple[str, ...]:
        return (*self.required, *self.optional)


def area_sentences(
    decision: RoutingDecision,
    language: str,
    choose: Callable[[str], RoutingDecision],
    *,
    speech: bool,
    key: str = "9",
) -> Sentences:
    """The sentences for `language` in the area of an IVR `decision` (`choose`: a municipality's
    decision now, as the call would make it; `key`: any key the offer could use). Dutch is
    heard from the greeting on; the offers of other languages are said in those."""
    names = [c.name for c in decision.candidates]
    dutch = language == DEFAULT_LANGUAGE
    languages = {} if dutch else {key: language}
    flows = [area_flow(decision, speech=speech, languages=languages)]
    flows += [chosen_flow(choose(c.code)) for c in decision.candidates if c.in_menu]
    required = _unique(
        s for flow in flows for s in flow_sentences(flow, language, names, greeting=dutch)
    )
    optional: list[str] = []
    if speech:
        question = (say(Prompt.BETWEEN),)
        for first, second in permutations(names, 2):
            optional += _texts(question, language, {"first": first, "second": second})
    for name in names:
        for announcement in OPTIONAL_ANNOUNCEMENTS:
            optional += _texts((say(announcement, name=name),), language, {})
    return Sentences(
        language, tuple(required), tuple(s for s in _unique(optional) if s not in required)
    )


def flow_sentences(
    flow: Flow, language: str, names: Sequence[str], *, greeting: bool = False
) -> list[str]:
    """What a caller in `language` can hear in `flow` after choosing it: its start greeting
    (unless `greeting`: Dutch is heard from the start) and another language's offers left
    out, a confirmation once for each of `names`, the two-name question left out
    (`area_sentences` lists it as optional)."""
    found: list[str] = []
    for name, step in flow.steps.items():
        if isinstance(step, Play):
            if (greeting or name != flow.start) and step.language in (None, language):
                found += _texts(step.text, language, {})
        elif isinstance(step, Gather):
            found += _texts(step.prompt, language, {})
        elif isinstance(step, Confirm):
            for each in names:
                found += _texts(step.question, language, {"name": each})
        elif isinstance(step, Announce) or (isinstance(step, Transfer) and step.text):
            found += _texts(step.text, language, {})
    return _unique(found)


def _texts(spoken: Spoken, language: str, defaults: dict[str, str]) -> list[str]:
    return [piece.text for piece in PROMPTS.pieces(spoken, language, defaults)]


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def general_sentences(language: str) -> Sentences:
    """The catalogue's sentences without a parameter in `language` (the greeting, "Dat heb ik
    niet goed verstaan.", the national number's questions, ...): what the operator records
    once for every area."""
    dutch = PROMPTS.entries[DEFAULT_LANGUAGE]
    plain = [
        id for id, template in dutch.items() if isinstance(template, str) and "{" not in template
    ]
    return Sentences(language, tuple(_unique(PROMPTS.text(say(id), language) for id in plain)), ())
