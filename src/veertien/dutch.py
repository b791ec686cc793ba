"""How veertien writes times and numbers for people (the portal, the reports' tables, charts
and CSV): in Dutch, in the platform's time zone
(Europe/Amsterdam unless configured otherwise), with a decimal comma and a thousands dot.
Machines get ISO 8601 with the offset (JSON, Atom) and plain numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

MONTHS = (
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
)  # fmt: skip


def local_time(moment: datetime | None, zone: tzinfo, *, seconds: bool = False) -> str:
    """'2 december 2026 14:05' in `zone` (a naive time is taken as UTC: how SQLite gives it)."""
    if moment is None:
        return "—"
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    here = aware.astimezone(zone)
    clock = here.strftime("%H:%M:%S" if seconds else "%H:%M")
    return f"{day(here.date())} {clock}"


def day(moment: date) -> str:
    """'2 december 2026'."""
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


def number(value: float | int | None, decimals: int = 0) -> str:
    """12.345 or 12.345,6: Dutch grouping and decimal comma ('—' for nothing)."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def percent(share: float | None, decimals: int = 1) -> str:
    """A share 0..1 as '12,5 %'."""
    return "—" if share is None else f"{number(share * 100, decimals)} %"


__all__ = ["MONTHS", "day", "local_time", "number", "percent"]
