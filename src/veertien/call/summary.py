"""What a call's dialogue amounted to, for its record and the reports: the stages of the funnel
it reached and, for a caller who hung up, the phase they were in.

Both come from the dialogue's events (ivr.runner.IvrEvent), so they are pure and tested
without a call. The funnel, in order:

    prompted → understood (first answer) → confirm_asked / choice_asked (the two-name
    question) / province_asked / postcode_asked (the national number) → confirmed (yes, or
    one of the two chosen) → repeated → keypad
    → transferred → answered (where the platform can know it: REFER and bridge)

plus `spoke` (the caller said something in a menu) and `corrected` (the caller said "nee" to a
"Bedoelt u ...?": a misroute prevented).
"""

from __future__ import annotations

from collections.abc import Sequence

from veertien.ivr.flow import MENU_PHASES
from veertien.ivr.flow import Phase as StepPhase
from veertien.ivr.runner import EventKind, IvrEvent
from veertien.records.funnel import Phase, Stage

MENU = MENU_PHASES  # a menu: the first question, its repeat, the keypad


def stages(events: Sequence[IvrEvent], *, speech: bool) -> tuple[Stage, ...]:
    """The funnel stages the dialogue reached (transfer and answer are added by the caller of
    this, who knows how the hand-over went). `speech`: names could be said in this dialogue."""
    reached: set[Stage] = set()
    if any(e.kind is EventKind.PROMPT for e in events):
        reached.add(Stage.PROMPTED)
    if _first_understood(events):
        reached.add(Stage.UNDERSTOOD)
    for event in events:
        reached.update(_reached(event, speech))
    return tuple(s for s in Stage if s in reached)


_PROMPTED = {  # a prompt of this phase shows the call reached these stages
    StepPhase.CONFIRM: (Stage.CONFIRM_ASKED,),
    StepPhase.CHOOSE: (Stage.CHOICE_ASKED,),
    StepPhase.NARROW: (Stage.PROVINCE_ASKED,),
    StepPhase.POSTCODE: (Stage.POSTCODE_ASKED,),
    StepPhase.REPEAT: (Stage.REPEATED,),
}
_ANSWERED = {EventKind.CONFIRMED: (Stage.CONFIRMED,), EventKind.CHOSEN: (Stage.CONFIRMED,)}


def _reached(event: IvrEvent, speech: bool) -> tuple[Stage, ...]:
    """The stages one event shows the call reached."""
    kind, phase = event.kind, event.phase
    if kind is EventKind.PROMPT and phase is StepPhase.KEYPAD:
        return (Stage.REPEATED, Stage.KEYPAD) if speech else (Stage.REPEATED,)
    if kind is EventKind.PROMPT:
        return _PROMPTED.get(phase, ())
    if kind is EventKind.HEARD and phase in MENU:
        return (Stage.SPOKE,)
    if kind is EventKind.DENIED and phase is StepPhase.CONFIRM:
        return (Stage.CORRECTED,)
    if kind is EventKind.TRANSFER and phase is StepPhase.DEFAULT:
        return (Stage.DEFAULT_DESK,)
    return _ANSWERED.get(kind, ())


def _first_understood(events: Sequence[IvrEvent]) -> bool:
    """Whether the caller's first answer at the menu led somewhere: a key that is a choice, or
    a name accepted or put to confirmation (no "invalid" or time-out right after it)."""
    at_menu = [e for e in events if e.phase is StepPhase.MENU]
    answers = [e for e in at_menu if e.kind in (EventKind.KEY, EventKind.SPEECH, EventKind.TIMEOUT)]
    if not answers or answers[0].kind is EventKind.TIMEOUT:
        return False
    return not any(e.kind is EventKind.INVALID for e in at_menu)


def phase_of(events: Sequence[IvrEvent]) -> Phase:
    """The phase of a caller who hung up after `events` (once the dialogue has noted its
    transfer, a hang-up is one during the transfer: a REFER not yet reported done, say)."""
    if any(e.kind is EventKind.TRANSFER for e in events):
        return Phase.TRANSFER
    current = Phase.GREETING
    announcing = False
    for event in events:
        if event.kind is EventKind.ANNOUNCE:
            announcing = True
        elif event.kind is EventKind.PROMPT:
            current = _phase_of_prompt(event.phase, announcing)
            announcing = False
        elif event.kind is EventKind.HEARD and event.phase in MENU:
            current = Phase.AFTER_NAME
    return current


def _phase_of_prompt(step: StepPhase, announcing: bool) -> Phase:
    if announcing or step is StepPhase.ANNOUNCEMENT:
        return Phase.ANNOUNCEMENT
    if step is StepPhase.GREETING:
        return Phase.GREETING
    return Phase.AFTER_NAME if step in (StepPhase.CONFIRM, StepPhase.CHOOSE) else Phase.MENU


ANSWERS = (EventKind.KEY, EventKind.HEARD, EventKind.TIMEOUT)
DECIDED = (EventKind.CONFIRMED, EventKind.DENIED, EventKind.CHOSEN, EventKind.INVALID,
           EventKind.TIMEOUT)  # fmt: skip


def phase_durations(events: Sequence[IvrEvent]) -> tuple[tuple[str, float], ...]:
    """How long each phase of the dialogue took, in ms, from the events' times: `greeting`
    (its prompt to the menu's), `menu` (a menu prompt to the caller's answer or the time-out),
    `recognition` (an utterance arrived to what it meant) and `confirmation` (the question to
    the caller's yes or no). Phases the caller left unfinished are not counted."""
    out: list[tuple[str, float]] = []
    opened: dict[str, float] = {}
    for event in events:
        if event.kind is EventKind.PROMPT:
            if "greeting" in opened and event.phase is not StepPhase.GREETING:
                out.append(("greeting", event.at - opened.pop("greeting")))
            name = _timed_phase(event.phase)
            if name is not None:
                opened[name] = event.at
        elif event.kind is EventKind.HEARD:
            opened["recognition"] = event.at
        elif event.kind is EventKind.SPEECH and "recognition" in opened:
            out.append(("recognition", event.at - opened.pop("recognition")))
        if event.kind in ANSWERS and "menu" in opened and event.phase in MENU:
            out.append(("menu", event.at - opened.pop("menu")))
        if event.kind in DECIDED and "confirmation" in opened:
            out.append(("confirmation", event.at - opened.pop("confirmation")))
    return tuple((name, round(seconds * 1000, 1)) for name, seconds in out)


def _timed_phase(step: StepPhase) -> str | None:
    if step is StepPhase.GREETING:
        return "greeting"
    if step in MENU:
        return "menu"
    return "confirmation" if step in (StepPhase.CONFIRM, StepPhase.CHOOSE) else None
