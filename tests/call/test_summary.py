"""Funnel stages, hang-up phases and phase durations from dialogue events (table tests)."""

from __future__ import annotations

import pytest

from veertien.call.summary import phase_durations, phase_of, stages
from veertien.ivr.flow import Phase as StepPhase
from veertien.ivr.runner import EventKind as K
from veertien.ivr.runner import IvrEvent
from veertien.records import STAGE_COLUMNS, Phase, Stage

STEP_PHASES = {
    "greeting": StepPhase.GREETING,
    "menu": StepPhase.MENU,
    "repeat": StepPhase.REPEAT,
    "again": StepPhase.KEYPAD,
    "confirm1": StepPhase.CONFIRM,
    "confirm2": StepPhase.CONFIRM,
    "between1": StepPhase.CHOOSE,
}


def ev(kind: K, step: str, detail: str = "", at: float = 0.0) -> IvrEvent:
    """An event in the step of that name; its phase as the area dialogue gives that step."""
    phase = STEP_PHASES.get(step.split("-", maxsplit=1)[0], StepPhase.TRANSFER)
    if kind is K.ANNOUNCE or step.startswith("announce"):
        phase = StepPhase.ANNOUNCEMENT
    return IvrEvent(kind, step, detail, at, phase)


GREET = ev(K.PROMPT, "greeting", at=0.0)
MENU = ev(K.PROMPT, "menu", at=2.5)
KEYS = [GREET, MENU, ev(K.KEY, "menu", "2", 4.0), ev(K.TRANSFER, "choice-GM0664", at=4.0)]
WRONG_KEY = [
    GREET,
    MENU,
    ev(K.KEY, "menu", "9"),
    ev(K.INVALID, "menu", "9"),
    ev(K.PROMPT, "repeat"),
    ev(K.KEY, "repeat", "2"),
    ev(K.TRANSFER, "choice-x"),
]
CONFIRMED = [
    GREET,
    MENU,
    ev(K.HEARD, "menu", at=3.0),
    ev(K.SPEECH, "menu", "goes", 3.9),
    ev(K.PROMPT, "confirm1-GM0664", at=4.0),
    ev(K.HEARD, "confirm1-GM0664", at=5.0),
    ev(K.SPEECH, "confirm1-GM0664", "ja", 5.6),
    ev(K.CONFIRMED, "confirm1-GM0664", at=6.0),
    ev(K.TRANSFER, "choice-GM0664"),
]
CORRECTED = [
    GREET,
    MENU,
    ev(K.HEARD, "menu"),
    ev(K.SPEECH, "menu", "epe"),
    ev(K.PROMPT, "confirm1-GM0232"),
    ev(K.KEY, "confirm1-GM0232", "2"),
    ev(K.DENIED, "confirm1-GM0232"),
    ev(K.PROMPT, "repeat"),
    ev(K.HEARD, "repeat"),
    ev(K.SPEECH, "repeat", "heerde"),
    ev(K.TRANSFER, "choice-GM0246"),
]
KEYPAD = [
    GREET,
    MENU,
    ev(K.TIMEOUT, "menu"),
    ev(K.PROMPT, "repeat"),
    ev(K.TIMEOUT, "repeat"),
    ev(K.PROMPT, "again"),
    ev(K.KEY, "again", "1"),
    ev(K.TRANSFER, "choice-x"),
]
CHOSEN = [  # the name asked first (no greeting of its own), two close names, key 2
    MENU,
    ev(K.HEARD, "menu", at=3.0),
    ev(K.SPEECH, "menu", "eepe", 3.3),
    ev(K.PROMPT, "between1", at=3.4),
    ev(K.KEY, "between1", "2", 6.0),
    ev(K.CHOSEN, "between1", "GM0246", 6.0),
    ev(K.TRANSFER, "choice-GM0246"),
]
S = Stage


@pytest.mark.parametrize(
    ("events", "speech", "reached"),
    [
        ([], False, ()),
        (KEYS, False, (S.PROMPTED, S.UNDERSTOOD)),
        (WRONG_KEY, True, (S.PROMPTED, S.REPEATED)),
        (CONFIRMED, True, (S.PROMPTED, S.SPOKE, S.UNDERSTOOD, S.CONFIRM_ASKED, S.CONFIRMED)),
        (
            CORRECTED,
            True,
            (S.PROMPTED, S.SPOKE, S.UNDERSTOOD, S.CONFIRM_ASKED, S.CORRECTED, S.REPEATED),
        ),
        (KEYPAD, True, (S.PROMPTED, S.REPEATED, S.KEYPAD)),
        (CHOSEN, True, (S.PROMPTED, S.SPOKE, S.UNDERSTOOD, S.CHOICE_ASKED, S.CONFIRMED)),
        (KEYPAD, False, (S.PROMPTED, S.REPEATED)),  # without speech "again" is just a repeat
    ],
)
def test_stages(events: list[IvrEvent], speech: bool, reached: tuple[Stage, ...]) -> None:
    assert stages(events, speech=speech) == reached


@pytest.mark.parametrize(
    ("events", "phase"),
    [
        ([], Phase.GREETING),
        ([GREET], Phase.GREETING),
        ([GREET, MENU], Phase.MENU),
        ([GREET, MENU, ev(K.HEARD, "menu")], Phase.AFTER_NAME),
        (CONFIRMED[:5], Phase.AFTER_NAME),  # asked "Bedoelt u Goes?"
        (CHOSEN[:4], Phase.AFTER_NAME),  # asked "Bedoelt u Epe of Heerde?"
        (CORRECTED[:8], Phase.MENU),  # said "nee": asked again
        (
            [
                GREET,
                MENU,
                ev(K.KEY, "menu", "3"),
                ev(K.ANNOUNCE, "choice-x"),
                ev(K.PROMPT, "choice-x"),
            ],
            Phase.ANNOUNCEMENT,
        ),
        (KEYS, Phase.TRANSFER),
    ],
)
def test_phase_of_a_caller_who_hung_up(events: list[IvrEvent], phase: Phase) -> None:
    assert phase_of(events) is phase


def test_phase_durations_come_from_the_event_times() -> None:
    assert phase_durations(CONFIRMED) == (
        ("greeting", 2500.0),
        ("menu", 500.0),
        ("recognition", 900.0),
        ("recognition", 600.0),  # the "ja" is recognised too
        ("confirmation", 2000.0),
    )
    assert phase_durations([GREET]) == ()  # a greeting never finished is not timed


def test_every_stage_has_its_report_column() -> None:
    """storage cannot import call/: the columns are listed there, and must be the stages."""
    assert tuple(s.value for s in Stage) == STAGE_COLUMNS
