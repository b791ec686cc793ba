"""The alias learner: a spoken form that keeps ending at one municipality becomes an alias.

Input: tallies of the teaching examples (learning.examples.TEACHING) per area code, spoken form
and municipality the call went to: how many examples, from how many different callers (hashed;
a withheld number is one caller) and in how many different windows of `window_s`. Its
**support** is the smaller of callers and windows, so one caller counts once, however often they
call, and a flood in a short time counts once, however many numbers it comes from.

A form becomes a learned alias of municipality M when (Rules):
- its support for M is at least `support`, and stays so after every other municipality's
  support for the same form is taken off `against` times (contradicted evidence decays it);
- the directory does not already know the form (`known`: a form that already names M has
  nothing to teach; one that names another municipality is a conflict, and never learned —
  callers who confirm "Kapelle" for "Goes" cannot make "Goes" mean Kapelle);
- the area is not switched off, and an operator has not rejected it.

An operator's review wins over the evidence: approved is in, rejected is out, frozen keeps what
it was when frozen. The active set has a version (`version_of`), written in every call record.

Learning can never transfer a call on its own: the scoring policy accepts a learned name only
with acoustic support of at least `learned_floor` (speech.scoring), and both kinds of evidence
must still agree. Pure; table-tested in tests/learning/test_aliases.py.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from functools import partial

NONE_LEARNED = "none"  # the version of an empty learned set


class Review(Enum):
    APPROVED = "approved"
    REJECTED = "rejected"
    FROZEN_IN = "frozen_in"  # frozen while active: stays active
    FROZEN_OUT = "frozen_out"  # frozen while not active: stays out


@dataclass(frozen=True, slots=True)
class Rules:
    support: int = 10  # different callers, and different windows, that agree
    window_s: int = 3600  # examples within one window count once
    against: int = 2  # each unit of support for another municipality takes this many off
    off: frozenset[str] = frozenset()  # area codes that learn nothing


@dataclass(frozen=True, slots=True)
class Tally:
    area_code: str
    form: str
    municipality: str
    examples: int
    callers: int
    windows: int
    forms: tuple[str, ...] = ()  # the group's forms, when more than `form` (learning.forms)

    @property
    def support(self) -> int:
        return min(self.callers, self.windows)


@dataclass(frozen=True, slots=True)
class Alias:
    """A form and the municipality it may mean, with its evidence and whether it is used."""

    area_code: str
    form: str
    municipality: str
    support: int
    against: int  # the support for other municipalities, same form
    examples: int
    active: bool
    why: str  # in Dutch, for the review page
    forms: tuple[str, ...] = ()  # every form of its group (learning.forms), `form` first

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.area_code, self.form, self.municipality)


Key = tuple[str, str, str]  # area code, form, municipality
Known = Callable[[str, str], frozenset[str]]  # (area, form) → municipalities it already names


def aliases(
    tallies: Iterable[Tally], reviews: Mapping[Key, Review], rules: Rules, known: Known
) -> tuple[Alias, ...]:
    """Every form with evidence, judged; sorted by area, form, municipality."""
    by_form: dict[tuple[str, str], list[Tally]] = {}
    for tally in tallies:
        if tally.form:
            by_form.setdefault((tally.area_code, tally.form), []).append(tally)
    out = []
    for (area, form), found in by_form.items():
        names: list[frozenset[str]] = []  # what the directory says of the form, asked once
        for tally in found:
            against = sum(t.support for t in found if t is not tally)
            asked = partial(_asked, names, known, area, tally.forms or (form,))
            active, why = _judged(tally, against, rules, asked)
            key = (area, form, tally.municipality)
            active, why = _reviewed(reviews.get(key), active, why)
            out.append(Alias(area, form, tally.municipality, tally.support, against,
                             tally.examples, active, why, tally.forms or (form,)))  # fmt: skip
    # approved without evidence left (examples purged) stay in
    seen = {a.key for a in out}
    out += [Alias(*key, 0, 0, 0, True, "goedgekeurd") for key, review in reviews.items()
            if key not in seen and review in (Review.APPROVED, Review.FROZEN_IN)]  # fmt: skip
    return tuple(sorted(out, key=lambda a: a.key))


def _asked(
    cache: list[frozenset[str]], known: Known, area: str, forms: tuple[str, ...]
) -> frozenset[str]:
    """What the directory says of any of the group's forms (asked once)."""
    if not cache:
        cache.append(frozenset().union(*(known(area, f) for f in forms)))
    return cache[0]


def _judged(
    tally: Tally, against: int, rules: Rules, names: Callable[[], frozenset[str]]
) -> tuple[bool, str]:
    """Whether the evidence makes `tally` an alias, and why (in Dutch); the directory is asked
    only for forms with enough evidence (matching is the costly part)."""
    if tally.area_code in rules.off:
        return False, "leren staat uit voor dit netnummer"
    net = tally.support - rules.against * against
    if net < rules.support:
        return False, f"nog te weinig bewijs ({max(net, 0)} van {rules.support})"
    named = names()
    if tally.municipality in named:
        return False, "de naam is al bekend"
    if named:
        return False, "de naam hoort bij een andere gemeente"
    return True, "geleerd"


def _reviewed(review: Review | None, active: bool, why: str) -> tuple[bool, str]:
    if review is Review.APPROVED:
        return True, "goedgekeurd"
    if review is Review.REJECTED:
        return False, "afgewezen"
    if review is Review.FROZEN_IN:
        return True, "bevroren (in gebruik)"
    if review is Review.FROZEN_OUT:
        return False, "bevroren (niet in gebruik)"
    return active, why


def active(found: Iterable[Alias]) -> tuple[Key, ...]:
    """The learned aliases in use, sorted."""
    return tuple(sorted(a.key for a in found if a.active))


def version_of(keys: Iterable[Key]) -> str:
    """A short stable name for a learned set ("none" when empty)."""
    ordered = sorted(set(keys))
    if not ordered:
        return NONE_LEARNED
    text = "\n".join("\t".join(k) for k in ordered)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def rollback(now: Iterable[Alias], to: Iterable[Key]) -> dict[Key, Review]:
    """The reviews that make the active set `to` again: what is active now and not in it is
    rejected, what is in it and not active now is approved."""
    target = set(to)
    changes = {a.key: Review.REJECTED for a in now if a.active and a.key not in target}
    current = {a.key for a in now if a.active}
    changes.update({key: Review.APPROVED for key in target - current})
    return changes
