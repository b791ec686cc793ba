"""Which question narrows a name that several municipalities answer to (national number).

A pure policy with table tests (tests/routing/test_narrowing.py). Given the municipalities a
name can mean (Zevenhuizen: ten; Bergen: two), their provinces, the caller's own area's
municipalities and how many questions the caller has had:

- one municipality → go there, no question;
- the caller has had `MAX_QUESTIONS` questions already → the postcode (it always decides);
- they lie in two to nine provinces → "In welke provincie?" (the options in key order: the
  province holding a municipality of the caller's own area first, then by name); a province
  that still holds several of them is narrowed again, by postcode;
- all in one province (Kloetinge: Goes and Kapelle), or in more provinces than keys → the
  postcode.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import Enum

MAX_QUESTIONS = 2  # before the postcode is asked
MAX_OPTIONS = 9  # one key each


class Ask(Enum):
    NOTHING = "nothing"  # one municipality: go there
    PROVINCE = "province"
    POSTCODE = "postcode"


@dataclass(frozen=True, slots=True)
class Option:
    """One answer to the province question, and the municipalities it leaves."""

    province: str
    municipalities: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Narrowing:
    ask: Ask
    municipality: str | None = None  # Ask.NOTHING: where the call goes
    options: tuple[Option, ...] = ()  # Ask.PROVINCE, in key order


def narrow(
    codes: Sequence[str],
    province_of: Callable[[str], str],
    asked: int = 0,
    own: Collection[str] = (),
) -> Narrowing:
    """The next step for a name that means `codes` (see the module's text). `asked`: the
    questions the caller has had in this call; `own`: the municipalities of the caller's own
    area code (from a geographic caller number)."""
    unique = tuple(dict.fromkeys(codes))
    if len(unique) == 1:
        return Narrowing(Ask.NOTHING, unique[0])
    if not unique or asked >= MAX_QUESTIONS:
        return Narrowing(Ask.POSTCODE)
    groups: dict[str, list[str]] = {}
    for code in unique:
        groups.setdefault(province_of(code) or "?", []).append(code)
    if "?" in groups or not 2 <= len(groups) <= MAX_OPTIONS:
        return Narrowing(Ask.POSTCODE)
    mine = set(own)
    ordered = sorted(groups.items(), key=lambda g: (not mine & set(g[1]), g[0]))
    return Narrowing(Ask.PROVINCE, options=tuple(Option(p, tuple(sorted(c))) for p, c in ordered))
