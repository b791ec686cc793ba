from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from veertien.numbering import DialKind, NumberingConfig, parse_dialled, to_national


@pytest.mark.parametrize(
    ("raw", "area"),
    [
        ("14020", "020"),
        ("140113", "0113"),
        ("+3114020", "020"),
        ("0031 14 0113", "0113"),
        ("14 0113", "0113"),
        ("14-0578", "0578"),
        ("+31 (0)14 0320", "0320"),
        ("tel:+31-14-0113", "0113"),
        ("tel:140113;phone-context=+31", "0113"),
        ("sip:140113@veertien.example;user=phone", "0113"),
        ("SIP:14020@127.0.0.1:5060", "020"),
        (" 14.010 ", "010"),
    ],
)
def test_14_plus_area_code_in_all_its_spellings(raw: str, area: str) -> None:
    dialled = parse_dialled(raw)
    assert dialled.kind is DialKind.AREA
    assert dialled.area is not None and dialled.area.code == area
    assert dialled.display == f"14 {area}"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("140116", "0116 is not a Dutch area code"),
        ("14084", "084 is not a Dutch area code"),
        ("1401131", "14 0113 followed by extra digits 1"),
        ("14999", "14 999 is not 14 followed by an area code"),
        ("0201234567", "0201234567 is not a 14 number"),
        ("+4414020", "not a Dutch telephone number"),
        ("", "not a Dutch telephone number"),
        ("gemeente", "not a Dutch telephone number"),
        ("14a0113", "not a Dutch telephone number"),
    ],
)
def test_what_is_not_a_14_number_is_unknown_with_a_reason(raw: str, reason: str) -> None:
    dialled = parse_dialled(raw)
    assert dialled.kind is DialKind.UNKNOWN
    assert dialled.reason == reason


def test_the_national_number_is_configurable() -> None:
    assert parse_dialled("14").kind is DialKind.NATIONAL
    assert parse_dialled("+3114").kind is DialKind.NATIONAL
    config = NumberingConfig(national_numbers=("1400",))
    assert parse_dialled("1400", config).kind is DialKind.NATIONAL
    assert parse_dialled("14", config).kind is DialKind.UNKNOWN


def test_access_numbers_reach_an_area_from_abroad() -> None:
    config = NumberingConfig(access_numbers={"0113000140": "0113"})
    dialled = parse_dialled("+31 113 000 140", config)
    assert dialled.kind is DialKind.ACCESS
    assert dialled.area is not None and dialled.area.code == "0113"
    assert parse_dialled("0113000141", config).kind is DialKind.UNKNOWN


@pytest.mark.parametrize(
    ("raw", "national"),
    [
        ("+31201234567", "0201234567"),
        ("0031 6 1234 5678", "0612345678"),
        ("+3114020", "14020"),
        ("+32 2 123", None),
        ("abc", None),
    ],
)
def test_to_national(raw: str, national: str | None) -> None:
    assert to_national(raw) == national


@given(st.text(max_size=40))
def test_parse_dialled_never_raises(raw: str) -> None:
    dialled = parse_dialled(raw)
    assert dialled.raw == raw
    assert (dialled.kind is DialKind.UNKNOWN) == bool(dialled.reason)
