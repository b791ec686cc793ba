from __future__ import annotations

import pytest

from veertien.numbering import dutch_area_codes


def test_plan_has_the_141_dutch_geographic_area_codes() -> None:
    plan = dutch_area_codes()
    assert len(plan) == 141
    assert all(code.startswith("0") and len(code) in (3, 4) for code in plan)


@pytest.mark.parametrize(
    ("code", "region"),
    [
        ("020", "Amsterdam"),
        ("0113", "Goes"),
        ("0578", "Epe"),
        ("0320", "Lelystad"),
        ("010", "Rotterdam"),
        ("058", "Leeuwarden"),
    ],
)
def test_known_area_codes_have_their_region(code: str, region: str) -> None:
    assert dutch_area_codes()[code].region == region


@pytest.mark.parametrize("code", ["0116", "084", "085", "088", "0900", "06", "011", "0"])
def test_codes_that_are_not_geographic_are_absent(code: str) -> None:
    assert code not in dutch_area_codes()


def test_prefix_of_finds_the_area_code_at_the_start_of_a_number() -> None:
    plan = dutch_area_codes()
    found = plan.prefix_of("0113123456")
    assert found is not None and found.code == "0113"
    found = plan.prefix_of("0201234567")
    assert found is not None and found.code == "020"
    assert plan.prefix_of("0612345678") is None
    assert plan["0113"].digits == "113"
