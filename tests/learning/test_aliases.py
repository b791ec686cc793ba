"""The alias learner: table tests of the rules, reviews, versions and rollback."""

from __future__ import annotations

import pytest

from veertien.learning.aliases import (
    NONE_LEARNED,
    Review,
    Rules,
    Tally,
    active,
    aliases,
    rollback,
    version_of,
)

GOES, KAPELLE = "GM0664", "GM0678"
RULES = Rules(support=3, window_s=600, against=2)


def known(area: str, form: str) -> frozenset[str]:
    """The directory of these tests: "goes" names Goes, "kapel" names Kapelle."""
    return frozenset({"goes": {GOES}, "kapel": {KAPELLE}}.get(form, set()))


def tally(form: str, code: str, callers: int, windows: int | None = None) -> Tally:
    windows = callers if windows is None else windows
    return Tally("0113", form, code, callers * 2, callers, windows)


@pytest.mark.parametrize(
    ("tallies", "learned", "why"),
    [
        # three different callers in three windows: learned
        ([tally("ganzenstad", GOES, 3)], True, "geleerd"),
        # two are not enough
        ([tally("ganzenstad", GOES, 2)], False, "nog te weinig bewijs (2 van 3)"),
        # one caller, however often (callers 1): counts once
        ([Tally("0113", "ganzenstad", GOES, 500, 1, 40)], False, "nog te weinig bewijs (1 van 3)"),
        # a flood from many numbers in one window counts once
        ([Tally("0113", "ganzenstad", GOES, 500, 50, 1)], False, "nog te weinig bewijs (1 van 3)"),
        # contradicted: one unit of support elsewhere takes two off
        ([tally("ganzenstad", GOES, 4), tally("ganzenstad", KAPELLE, 1)], False,
         "nog te weinig bewijs (2 van 3)"),
        # a form the directory already gives another municipality is never learned
        ([tally("goes", KAPELLE, 50)], False, "de naam hoort bij een andere gemeente"),
        # nor one it already gives this municipality (nothing to learn)
        ([tally("kapel", KAPELLE, 50)], False, "de naam is al bekend"),
    ],
)  # fmt: skip
def test_what_is_learned(tallies: list[Tally], learned: bool, why: str) -> None:
    first = aliases(tallies, {}, RULES, known)[0]
    assert (first.active, first.why) == (learned, why)


def test_an_area_switched_off_learns_nothing() -> None:
    rules = Rules(support=3, off=frozenset({"0113"}))
    (found,) = aliases([tally("ganzenstad", GOES, 30)], {}, rules, known)
    assert not found.active and found.why == "leren staat uit voor dit netnummer"


def test_the_directory_is_asked_only_for_forms_with_enough_evidence() -> None:
    asked: list[str] = []

    def counting(area: str, form: str) -> frozenset[str]:
        asked.append(form)
        return frozenset()

    aliases([tally("een", GOES, 1), tally("twee", GOES, 3), tally("twee", KAPELLE, 0)], {}, RULES,
            counting)  # fmt: skip
    assert asked == ["twee"]  # once for the form, and not for "een"


@pytest.mark.parametrize(
    ("review", "callers", "learned"),
    [
        (Review.APPROVED, 1, True),
        (Review.REJECTED, 30, False),
        (Review.FROZEN_IN, 0, True),
        (Review.FROZEN_OUT, 30, False),
    ],
)
def test_a_review_wins_over_the_evidence(review: Review, callers: int, learned: bool) -> None:
    key = ("0113", "ganzenstad", GOES)
    tallies = [tally("ganzenstad", GOES, callers)] if callers else []
    (found,) = aliases(tallies, {key: review}, RULES, known)
    assert found.key == key and found.active is learned


def test_versions_name_the_set_and_rollback_restores_one() -> None:
    assert version_of([]) == NONE_LEARNED
    week1 = aliases([tally("ganzenstad", GOES, 3)], {}, RULES, known)
    v1 = version_of(active(week1))
    week2 = aliases([tally("ganzenstad", GOES, 3), tally("kaatje", KAPELLE, 5)], {}, RULES, known)
    assert version_of(active(week2)) != v1
    changes = rollback(week2, active(week1))
    assert changes == {("0113", "kaatje", KAPELLE): Review.REJECTED}
    again = aliases([tally("ganzenstad", GOES, 3), tally("kaatje", KAPELLE, 9)], changes, RULES,
                    known)  # fmt: skip
    assert version_of(active(again)) == v1  # more evidence does not bring it back
    back = rollback(again, active(week2))
    assert back == {("0113", "kaatje", KAPELLE): Review.APPROVED}
