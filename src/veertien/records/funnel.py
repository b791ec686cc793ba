"""The funnel of a call: the stages it reached and, for a caller who hung up, the phase they
were in. call.summary computes them from a dialogue's events; the records carry their values;
the database has one column per stage (records.columns.STAGE_COLUMNS, derived from `Stage`)."""

from __future__ import annotations

from enum import Enum


class Stage(Enum):
    PROMPTED = "prompted"  # heard at least the start of a prompt
    SPOKE = "spoke"  # said something at a menu
    UNDERSTOOD = "understood"  # the first answer at the menu was understood (key or name)
    CONFIRM_ASKED = "confirm_asked"  # was asked "Bedoelt u ...?"
    CHOICE_ASKED = "choice_asked"  # was asked "Bedoelt u Amsterdam of Amstelveen?"
    PROVINCE_ASKED = "province_asked"  # national: "Zevenhuizen ligt in ... In welke provincie?"
    POSTCODE_ASKED = "postcode_asked"  # national: the postcode was asked
    CONFIRMED = "confirmed"  # said (or pressed) yes to it
    CORRECTED = "corrected"  # said (or pressed) no: the recognition was wrong
    REPEATED = "repeated"  # was asked again
    KEYPAD = "keypad"  # speech did not work out: the keypad menu
    DEFAULT_DESK = "default_desk"  # nobody was chosen: sent to the area's default desk
    TRANSFERRED = "transferred"  # the platform handed the call over
    ANSWER_KNOWN = "answer_known"  # the platform learnt whether the municipality answered
    ANSWERED = "answered"  # ... and it did


class Phase(Enum):
    """Where a caller who hung up was."""

    GREETING = "greeting"  # before or during the greeting
    MENU = "menu"  # at a menu (municipalities or departments), or its repeat
    AFTER_NAME = "after_name"  # had said a name: being recognised, or asked to confirm it
    ANNOUNCEMENT = "announcement"  # hearing a message (not connected, closed, ...)
    TRANSFER = "transfer"  # handed over, the municipality not yet reached


STAGE_COLUMNS = tuple(stage.value for stage in Stage)  # one boolean report column each
