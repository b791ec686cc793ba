"""Which question follows which shortlist of municipalities (routing.narrowing, table tests)."""

from __future__ import annotations

import pytest

from veertien.routing import Ask, Option, narrow

PROVINCES = {
    "A1": "Groningen", "A2": "Groningen", "B1": "Utrecht", "C1": "Zeeland", "C2": "Zeeland",
    "D1": "Fryslân",
}  # fmt: skip
province = PROVINCES.__getitem__


@pytest.mark.parametrize(
    ("codes", "asked", "own", "ask", "options"),
    [
        # one municipality: no question
        (("B1",), 0, (), Ask.NOTHING, ()),
        (("B1", "B1"), 1, (), Ask.NOTHING, ()),
        # two provinces: which one; a province with several is kept together
        (("A1", "A2", "B1"), 0, (), Ask.PROVINCE,
         (Option("Groningen", ("A1", "A2")), Option("Utrecht", ("B1",)))),
        (("B1", "D1"), 1, (), Ask.PROVINCE,
         (Option("Fryslân", ("D1",)), Option("Utrecht", ("B1",)))),
        # the caller's own area's province first
        (("B1", "D1"), 0, ("B1",), Ask.PROVINCE,
         (Option("Utrecht", ("B1",)), Option("Fryslân", ("D1",)))),
        # all in one province: the postcode
        (("C1", "C2"), 0, (), Ask.POSTCODE, ()),
        # two questions had already: the postcode, never a third question first
        (("B1", "D1"), 2, (), Ask.POSTCODE, ()),
        (("A1", "A2"), 3, (), Ask.POSTCODE, ()),
        # nothing to narrow: the postcode
        ((), 0, (), Ask.POSTCODE, ()),
    ],
)  # fmt: skip
def test_the_question_that_narrows(
    codes: tuple[str, ...],
    asked: int,
    own: tuple[str, ...],
    ask: Ask,
    options: tuple[Option, ...],
) -> None:
    found = narrow(codes, province, asked, own)
    assert found.ask is ask
    assert found.options == options
    assert found.municipality == (codes[0] if ask is Ask.NOTHING else None)


def test_more_provinces_than_keys_asks_the_postcode() -> None:
    codes = [f"X{n}" for n in range(10)]
    assert narrow(codes, lambda c: f"P{c}").ask is Ask.POSTCODE
    assert narrow(codes[:9], lambda c: f"P{c}").ask is Ask.PROVINCE


def test_a_municipality_without_province_asks_the_postcode() -> None:
    assert narrow(("A1", "Z9"), lambda c: PROVINCES.get(c, "")).ask is Ask.POSTCODE
