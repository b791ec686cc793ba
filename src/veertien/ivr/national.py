"""The national number's dialogue: one question over the whole country, narrowed when needed.

"Welkom bij 14, het nummer van de overheid. Zeg de naam van uw gemeente of woonplaats, of de
organisatie die u zoekt. U kunt ook uw postcode toetsen." The answer (a name, an organisation,
four keys or four spoken digits) is a code of the national lexicon (directory.lexicon); what it
leads to is resolved when it is chosen (`NationalResolver`):

- a municipality, a place or former municipality in one municipality, a postcode → that
  municipality, routed exactly as a 14 + area call (not connected, hours, calamity,
  departments);
- an organisation → its destination;
- a name in several municipalities → routing.narrowing: "In welke provincie?" (keys 1..n, or
  the province said), then, if the province still holds several, the postcode;
- not understood, or "nee" to "Bedoelt u ...?" → the postcode; a postcode not in the table →
  asked once more → the operator's national default.

No caller gets more than two questions before the postcode is asked (narrowing.MAX_QUESTIONS),
and none loops: after the postcode comes the national default.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace

from veertien.directory.lexicon import PROVINCE, Lexicon
from veertien.ivr.area import MAX_KEYS, NO_DEFAULT, chosen_flow, language_offers
from veertien.ivr.flow import (
    DIGITS,
    QUESTION_PHASES,
    Announce,
    Between,
    Choice,
    ChoiceKind,
    Confirm,
    Fallback,
    Flow,
    Gather,
    Hangup,
    Phase,
    Play,
    Route,
    Step,
    Transfer,
)
from veertien.ivr.prompts import Prompt, Words, say
from veertien.ivr.runner import EventKind, IvrEvent
from veertien.routing import Ask, Option, RoutingDecision, narrow

POSTCODE_DIGITS = 4
OPTION = "option:"  # a code for one answer of the province question


def _postcode_steps(
    prompt: Words, timeout_s: float, speech: bool, *, first: str = "postcode"
) -> dict[str, Step]:
    """Ask for the postcode (keys, or said), once more when it is not understood, then the
    national default. Only a postcode counts here (a name would start narrowing again); a
    spoken one is confirmed ("Bedoelt u Goes?"): digits are easily misheard."""
    ask = Gather(
        prompt, {}, "postcode-again", "postcode-again", timeout_s, speech=speech,
        max_digits=POSTCODE_DIGITS, lookup=True, on_chosen="route", phase=Phase.POSTCODE,
        among=(DIGITS,), on_unsure="postcode-confirm",
    )  # fmt: skip
    again: Words = (say(Prompt.AGAIN), say(Prompt.POSTCODE))
    confirm = Confirm(
        (say(Prompt.CONFIRM),),
        "route",
        "postcode-again",
        "postcode-again",
        timeout_s,
        speech=True,
    )
    return {
        first: ask,
        "postcode-again": replace(
            ask, prompt=again, on_timeout="default", on_invalid="default",
            on_unsure="postcode-confirm-again",
        ),
        "postcode-confirm": confirm,
        "postcode-confirm-again": replace(confirm, on_no="default", on_timeout="default"),
        "route": Route(),
        "default": Fallback(),
        "bye": Hangup(),
    }  # fmt: skip


def national_flow(
    timeout_s: float = 5.0, *, speech: bool = False, languages: Mapping[str, str] | None = None
) -> Flow:
    """The national dialogue (run it with a `NationalResolver`). Without speech the caller is
    asked for the postcode straight away. `languages` (key → language, routing.languages.
    national_keys: 0 or *) are offered after the welcome, each in its own language, and taken
    by the first question."""
    chosen = dict(languages or {})
    first, offers = language_offers(chosen, "ask")
    welcome = Play((say(Prompt.NATIONAL_WELCOME),), first)
    if not speech:
        steps = _postcode_steps((say(Prompt.POSTCODE),), timeout_s, False, first="ask")
        ask = steps["ask"]
        assert isinstance(ask, Gather)
        steps["ask"] = replace(ask, languages=chosen)
        return Flow("welcome", {"welcome": welcome, **offers, **steps})
    steps = _postcode_steps((say(Prompt.POSTCODE),), timeout_s, True)
    steps["welcome"] = welcome
    steps.update(offers)
    steps["ask"] = Gather(
        (say(Prompt.NATIONAL_ASK),), {}, "postcode", "postcode", timeout_s, speech=True,
        max_digits=POSTCODE_DIGITS, lookup=True, on_chosen="route", on_unsure="confirm",
        on_choose="between", phase=Phase.MENU, languages=chosen,
    )  # fmt: skip
    steps["confirm"] = Confirm(
        (say(Prompt.CONFIRM),), "route", "postcode", "postcode", timeout_s, speech=True
    )
    steps["between"] = Between(
        (say(Prompt.BETWEEN),), "route", "postcode", "postcode", timeout_s, speech=True
    )
    return Flow("welcome", steps)


def province_flow(name: str, options: Sequence[Option], timeout_s: float, *, speech: bool) -> Flow:
    """ "Zevenhuizen ligt in meer dan één provincie. In welke provincie? Voor Groningen, toets
    1. ..." A key or the province said; not understood → the postcode (asked once, so that no
    caller has more than two questions before the postcode)."""
    offered = list(options)[:MAX_KEYS]
    keyed = {str(n): f"{OPTION}{n}" for n in range(1, len(offered) + 1)}
    among = tuple(f"{PROVINCE}{o.province}" for o in offered)
    items = tuple(say(Prompt.MENU_ITEM, name=o.province, key=n) for n, o in enumerate(offered, 1))
    question: Words = (say(Prompt.WHICH_PROVINCE, name=name), *items)
    steps = _postcode_steps((say(Prompt.WHICH_POSTCODE, name=name),), timeout_s, speech)
    steps["which"] = Gather(
        question, {}, "postcode", "postcode", timeout_s, speech=speech, keyed=keyed,
        among=among, on_chosen="route", phase=Phase.NARROW,
    )  # fmt: skip
    return Flow("which", steps)


def postcode_flow(name: str, timeout_s: float, *, speech: bool) -> Flow:
    """ "Zevenhuizen ligt in meer dan één gemeente. Toets of zeg ... uw postcode." """
    steps = _postcode_steps((say(Prompt.WHICH_POSTCODE, name=name),), timeout_s, speech)
    return Flow("postcode", steps)


class NationalResolver:
    """What a code of the national dialogue stands for, and where it leads. `choose` decides
    for a municipality (routing.decide_municipality), `organisation` for an organisation;
    `events` is the dialogue so far (how many questions the caller has had); `own` the
    municipalities of the caller's own area code."""

    def __init__(
        self,
        decision: RoutingDecision,
        lexicon: Lexicon,
        choose: Callable[[str], RoutingDecision],
        organisation: Callable[[str], RoutingDecision],
        events: Sequence[IvrEvent],
        *,
        own: Collection[str] = (),
        timeout_s: float = 5.0,
        speech: bool = False,
    ) -> None:
        self.default = decision.target
        self.lexicon = lexicon
        self.decide = choose
        self.organisation = organisation
        self.events = events
        self.own = frozenset(own)
        self.timeout_s = timeout_s
        self.speech = speech
        self.options: tuple[Option, ...] = ()  # of the province question being asked
        self.place = ""  # the name being narrowed ("Zevenhuizen")

    def asked(self) -> int:
        """The questions the caller has had so far (each prompt of a question step)."""
        return sum(
            1 for e in self.events if e.kind is EventKind.PROMPT and e.phase in QUESTION_PHASES
        )

    def choice(self, code: str) -> Choice | None:
        if code.isdigit():
            return self._postcode(code)
        option = self._option(code)
        if option is not None:
            return self._option_choice(option)
        meaning = self.lexicon.meaning(code)
        if meaning is None or meaning.province is not None:
            return None
        if meaning.organisation is not None:
            return Choice(ChoiceKind.SERVICE, meaning.organisation, meaning.name)
        if meaning.ambiguous:
            return Choice(ChoiceKind.PLACE, code, meaning.name)
        return Choice(ChoiceKind.MUNICIPALITY, meaning.municipalities[0], meaning.name)

    def _postcode(self, digits: str) -> Choice | None:
        found = self.lexicon.postcode(digits) if len(digits) == POSTCODE_DIGITS else None
        return Choice(ChoiceKind.POSTCODE, digits, self._name(found)) if found else None

    def _option(self, code: str) -> Option | None:
        """The answer of the province question a key or a spoken province stands for."""
        for n, option in enumerate(self.options, start=1):
            if code in (f"{OPTION}{n}", f"{PROVINCE}{option.province}"):
                return option
        return None

    def _option_choice(self, option: Option) -> Choice:
        """One municipality left: that one; several: the option, narrowed again (postcode)."""
        codes = option.municipalities
        if len(codes) == 1:
            return Choice(ChoiceKind.MUNICIPALITY, codes[0], self._name(codes[0]))
        n = self.options.index(option) + 1
        return Choice(ChoiceKind.PLACE, f"{OPTION}{n}", option.province)

    def _name(self, code: str) -> str:
        muni = self.lexicon.directory.municipality(code)
        return muni.name if muni is not None else code

    def route(self, choice: Choice) -> Flow:
        if choice.kind is ChoiceKind.SERVICE:
            return chosen_flow(self.organisation(choice.code), self.timeout_s)
        if choice.kind is ChoiceKind.POSTCODE:
            municipality = self.lexicon.postcode(choice.code) or ""
            return chosen_flow(self.decide(municipality), self.timeout_s)
        if choice.kind is ChoiceKind.MUNICIPALITY:
            return chosen_flow(self.decide(choice.code), self.timeout_s)
        return self._narrowed(choice)

    def _narrowed(self, choice: Choice) -> Flow:
        """A name in several municipalities: the question that narrows it (or the one left)."""
        codes = self._codes(choice.code)
        step = narrow(codes, self.lexicon.province_of, self.asked(), self.own)
        if step.ask is Ask.NOTHING and step.municipality is not None:
            return chosen_flow(self.decide(step.municipality), self.timeout_s)
        meaning = self.lexicon.meaning(choice.code)
        if meaning is not None:
            self.place = meaning.name  # the province's share of it keeps its name
        name = self.place or choice.name
        if step.ask is Ask.PROVINCE:
            self.options = step.options
            return province_flow(name, step.options, self.timeout_s, speech=self.speech)
        return postcode_flow(name, self.timeout_s, speech=self.speech)

    def _codes(self, code: str) -> tuple[str, ...]:
        """The municipalities a name means, or those a province's answer left of it."""
        meaning = self.lexicon.meaning(code)
        if meaning is not None:
            return meaning.municipalities
        option = self._option(code)
        return option.municipalities if option is not None else ()

    def fallback(self, refused: frozenset[str]) -> Flow:
        """The operator's national default desk (without one: we cannot connect)."""
        if self.default:
            return Flow("default", {"default": Transfer(self.default, phase=Phase.DEFAULT)})
        return Flow("default", {"default": Announce(NO_DEFAULT, "bye"), "bye": Hangup()})
