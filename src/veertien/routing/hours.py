"""Opening hours, holidays and the Dutch public holidays. Pure: times come in, booleans go out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache

from veertien.platform import SettingsError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: time
    end: time

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise SettingsError(f"opening range {self} ends before it starts")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        return self.start <= moment < self.end

    @classmethod
    def parse(cls, text: str) -> TimeRange:
        try:
            start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
        except ValueError:
            raise SettingsError(f"opening range {text!r} is not like 08:30-17:00") from None
        return cls(start, time.max if end == time(0) else end)


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Weekly opening times (Monday first) plus closed days.

    A day with no ranges is closed all day. `public_holidays` closes on the Dutch public holidays
    as well as on the listed `holidays`.
    """

    weekly: tuple[tuple[TimeRange, ...], ...]
    holidays: frozenset[date] = field(default_factory=frozenset)
    public_holidays: bool = True

    def __post_init__(self) -> None:
        if len(self.weekly) != 7:
            raise SettingsError("opening hours need seven days")

    def is_open(self, local: datetime) -> bool:
        """Whether the municipality is open at `local` (a time in the platform's zone)."""
        day = local.date()
        if day in self.holidays:
            return False
        if self.public_holidays and day in dutch_public_holidays(day.year):
            return False
        moment = local.time()
        return any(r.contains(moment) for r in self.weekly[local.weekday()])

    def to_json(self) -> dict[str, object]:
        pairs = zip(DAYS, self.weekly, strict=True)
        data: dict[str, object] = {d: [str(r) for r in rs] for d, rs in pairs}
        data["holidays"] = sorted(d.isoformat() for d in self.holidays)
        data["public_holidays"] = self.public_holidays
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> OpeningHours:
        unknown = set(data) - {*DAYS, "holidays", "public_holidays"}
        if unknown:
            raise SettingsError(f"unknown opening-hours keys {sorted(unknown)}")
        weekly = tuple(tuple(TimeRange.parse(r) for r in _strings(data, d)) for d in DAYS)
        try:
            holidays = frozenset(date.fromisoformat(d) for d in _strings(data, "holidays"))
        except ValueError as exc:
            raise SettingsError(f"holidays: {exc}") from None
        return cls(weekly, holidays, bool(data.get("public_holidays", True)))


def _strings(data: Mapping[str, object], key: str) -> Sequence[str]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{key} must be a list of strings")
    return value


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the Meeus/Jones/Butcher algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


@cache
def dutch_public_holidays(year: int) -> frozenset[date]:
    """Days on which municipal offices are normally closed (Bevrijdingsdag every fifth year)."""
    easter = easter_sunday(year)
    kings_day = date(year, 4, 27)
    if kings_day.weekday() == 6:
        kings_day -= timedelta(days=1)
    days = {
        date(year, 1, 1),
        easter,
        easter + timedelta(days=1),
        kings_day,
        easter + timedelta(days=39),  # Hemelvaartsdag
        easter + timedelta(days=49),
        easter + timedelta(days=50),  # Pinksteren
        date(year, 12, 25),
        date(year, 12, 26),
    }
    if year % 5 == 0:
        days.add(date(year, 5, 5))
    return frozenset(days)
