from __future__ import annotations

from datetime import date, datetime, time

import pytest

from veertien.routing import OpeningHours, SettingsError, TimeRange, dutch_public_holidays
from veertien.routing.hours import easter_sunday

OFFICE = OpeningHours.from_json(
    {
        "mon": ["08:30-12:00", "13:00-17:00"],
        "tue": ["08:30-17:00"],
        "wed": ["08:30-17:00"],
        "thu": ["08:30-20:00"],
        "fri": ["08:30-12:00"],
        "holidays": ["2026-12-24"],
    }
)


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2027, date(2027, 3, 28)),
        (2038, date(2038, 4, 25)),
        (2000, date(2000, 4, 23)),
    ],
)
def test_easter(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_dutch_public_holidays_2026() -> None:
    days = dutch_public_holidays(2026)
    assert date(2026, 4, 27) in days  # Koningsdag on a Monday
    assert date(2026, 5, 14) in days  # Hemelvaartsdag
    assert date(2026, 5, 25) in days  # Tweede Pinksterdag
    assert date(2026, 5, 5) not in days  # Bevrijdingsdag only every fifth year
    assert date(2025, 5, 5) in dutch_public_holidays(2025)
    assert date(2025, 4, 26) in dutch_public_holidays(2025)  # 27 April 2025 was a Sunday


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (datetime(2026, 11, 23, 8, 29), False),  # Monday before opening
        (datetime(2026, 11, 23, 8, 30), True),
        (datetime(2026, 11, 23, 12, 30), False),  # lunch
        (datetime(2026, 11, 23, 17, 0), False),  # end is exclusive
        (datetime(2026, 11, 26, 19, 59), True),  # Thursday evening opening
        (datetime(2026, 11, 28, 10, 0), False),  # Saturday
        (datetime(2026, 12, 24, 10, 0), False),  # listed holiday
        (datetime(2026, 12, 25, 10, 0), False),  # Kerstmis
        (datetime(2026, 4, 27, 10, 0), False),  # Koningsdag
    ],
)
def test_is_open(moment: datetime, is_open: bool) -> None:
    assert OFFICE.is_open(moment) is is_open


def test_public_holidays_can_be_worked() -> None:
    hours = OpeningHours.from_json({"mon": ["09:00-17:00"], "public_holidays": False})
    assert hours.is_open(datetime(2026, 4, 27, 10, 0))


def test_round_trip() -> None:
    assert OpeningHours.from_json(OFFICE.to_json()) == OFFICE


def test_a_range_until_midnight() -> None:
    assert TimeRange.parse("18:00-00:00").contains(time(23, 59))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mon": ["17:00-08:00"]}, "ends before it starts"),
        ({"mon": ["9 tot 5"]}, "is not like 08:30-17:00"),
        ({"maandag": ["09:00-17:00"]}, "unknown opening-hours keys ['maandag']"),
        ({"mon": "09:00-17:00"}, "mon must be a list of strings"),
        ({"holidays": ["24-12-2026"]}, "holidays:"),
    ],
)
def test_bad_hours_are_refused_with_a_reason(data: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message.replace("[", r"\[").replace("]", r"\]")):
        OpeningHours.from_json(data)
