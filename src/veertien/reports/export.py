"""A report as CSV (semicolon-separated, as Dutch spreadsheets expect) and as displayed text."""

from __future__ import annotations

import csv
import io
from typing import Any

from veertien.reports.model import Column, ColumnKind, ReportResult

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet takes for a formula


def cell(value: Any) -> Any:
    """A value for a CSV cell. Text that a spreadsheet would run as a formula (a municipality
    named "=HYPERLINK(...)" or "@SUM(...)") gets a leading apostrophe, as OWASP advises;
    numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(result: ReportResult) -> str:
    """The header row (column keys), then one row per table row, values as in the JSON (text
    that would be a formula neutralised)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell(c.key) for c in result.columns])
    for row in result.rows:
        writer.writerow([cell(v) for v in row])
    return out.getvalue()


TOTALS = {
    "calls": "gesprekken", "transferred": "doorverbonden", "dialogues": "dialogen",
    "answer_known": "met bekend antwoord", "hangups": "opgehangen",
    "asked": "om bevestiging gevraagd", "corrected": "gecorrigeerd", "spoke": "gesproken",
    "understood": "eerste keer begrepen", "calamity": "calamiteit", "closed": "gesloten",
}  # fmt: skip


def total_label(key: str) -> str:
    """A total's name as staff read it (the JSON keeps the key)."""
    return TOTALS.get(key, key)


def shown(column: Column, value: Any) -> str:
    """A value as the HTML table shows it: shares as percentages with one decimal, in Dutch."""
    if value is None:
        return "—"
    if column.kind is ColumnKind.SHARE:
        return f"{float(value) * 100:.1f} %".replace(".", ",")
    if column.kind is ColumnKind.MS:
        return f"{float(value):.3f}".replace(".", ",")
    return str(value)
