"""What a report is asked (period, municipality, area code) and what it answers (a table and a
chart spec), and how it is run: within a time limit, on SQLite or PostgreSQL alike."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from veertien.errors import InputError, UnavailableError

DEFAULT_DAYS = 30
MAX_DAYS = 3660
TIME_LIMIT_S = 10.0


class ReportError(InputError):
    """A report cannot be made from these parameters; the text says why (Dutch, for staff)."""


class ReportTimeout(UnavailableError):
    """The report took longer than its time limit."""


@dataclass(frozen=True, slots=True)
class ReportParams:
    first: date  # first day, inclusive (local dates, as the records' `day` column)
    last: date  # last day, inclusive
    municipality: str | None = None  # CBS code: only calls that ended there
    area_code: str | None = None  # only calls to this area code

    @classmethod
    def parse(
        cls,
        first: str | None,
        last: str | None,
        municipality: str | None,
        area_code: str | None,
        today: date,
    ) -> ReportParams:
        """From query-string values (empty means: the default). Raises ReportError."""
        try:
            end = date.fromisoformat(last) if last else today
            start = date.fromisoformat(first) if first else end - timedelta(DEFAULT_DAYS - 1)
        except ValueError:
            raise ReportError("Een datum moet de vorm JJJJ-MM-DD hebben.") from None
        if start > end:
            raise ReportError("De begindatum ligt na de einddatum.")
        if (end - start).days >= MAX_DAYS:
            raise ReportError(f"Kies een periode van hoogstens {MAX_DAYS} dagen.")
        code = (municipality or "").strip() or None
        if code is not None and not re.fullmatch(r"[A-Za-z0-9]{1,6}", code):
            raise ReportError("Onbekende gemeentecode.")
        area = (area_code or "").strip() or None
        if area is not None and not re.fullmatch(r"[0-9]{2,5}", area):
            raise ReportError("Een netnummer bestaat uit 2 tot 5 cijfers, zoals 0113.")
        return cls(start, end, code, area)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.first.isoformat(),
            "to": self.last.isoformat(),
            "municipality": self.municipality,
            "area_code": self.area_code,
        }


class ColumnKind(Enum):
    TEXT = "text"
    CODE = "code"  # a stable key for programs (JSON); people read the label column beside it
    COUNT = "count"
    SHARE = "share"  # a fraction 0..1, shown as a percentage
    MS = "ms"


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str  # Dutch
    kind: ColumnKind = ColumnKind.COUNT


@dataclass(frozen=True, slots=True)
class Chart:
    """What to draw: `kind` bar, line or heatmap; `x` and `y` name columns (heatmap: x, y and
    `value`)."""

    kind: str
    x: str
    y: str
    value: str | None = None
    title: str = ""


@dataclass(frozen=True)
class ReportResult:
    name: str
    title: str
    params: ReportParams
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...]
    chart: Chart | None
    totals: dict[str, Any] = field(default_factory=dict)
    elapsed_ms: float = 0.0

    def records(self) -> list[dict[str, Any]]:
        keys = [c.key for c in self.columns]
        return [dict(zip(keys, row, strict=True)) for row in self.rows]

    def to_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "params": self.params.to_json(),
            "columns": [
                {"key": c.key, "label": c.label, "kind": c.kind.value} for c in self.columns
            ],
            "rows": self.records(),
            "totals": self.totals,
        }


@contextmanager
def limited(engine: Engine, seconds: float = TIME_LIMIT_S) -> Iterator[Connection]:
    """A read-only connection whose statements stop after `seconds` (ReportTimeout)."""
    with engine.connect() as conn:
        undo = _limit(conn, seconds)
        try:
            yield conn
        except OperationalError as exc:
            # PostgreSQL: "canceling statement due to statement timeout"; SQLite: "interrupted"
            if "statement timeout" in str(exc) or "interrupted" in str(exc):
                raise ReportTimeout(f"longer than {seconds:g} s") from None
            raise
        finally:
            undo()


def _limit(conn: Connection, seconds: float) -> Callable[[], None]:
    """Put the limit on this connection; returns what takes it off again."""
    if conn.dialect.name == "postgresql":  # for this transaction only
        conn.execute(text(f"SET LOCAL statement_timeout = {max(1, int(seconds * 1000))}"))
        return lambda: None
    raw: Any = conn.connection.dbapi_connection
    deadline = time.monotonic() + seconds
    raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
    return lambda: raw.set_progress_handler(None, 0)
