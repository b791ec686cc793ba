"""A report as CSV (semicolon-separated, as Dutch spreadsheets expect) and as displayed text."""

from __future__ import annotations

import csv
import io
from typing import Any

from veertien.reports.model import Column, ColumnKind, ReportResult


def to_csv(result: ReportResult) -> str:
    """The header row (column keys), then one row per table row, values as in the JSON."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.key for c in result.columns])
    for row in result.rows:
        writer.writerow(["" if v is None else v for v in row])
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
