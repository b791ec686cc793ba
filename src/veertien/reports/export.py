"""A report as CSV and as displayed text.

The CSV follows the Dutch spreadsheet convention, stated once: UTF-8 with a byte-order mark
(so Excel reads "Noardeast-Fryslân" right), cells separated by semicolons, a decimal comma
(0,1234; no thousands separator), and the columns' Dutch labels as the header row; the code columns
(a funnel stage's key beside its Dutch label) are left out. The JSON keeps the keys, the codes
and plain numbers for programs."""

from __future__ import annotations

import csv
import io
from typing import Any

from veertien.dutch import number, percent
from veertien.reports.model import Column, ColumnKind, ReportResult

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet takes for a formula


BOM = "\ufeff"


def cell(value: Any) -> str:
    """A value for a CSV cell. Text that a spreadsheet would run as a formula (a municipality
    named "=HYPERLINK(...)" or "@SUM(...)") gets a leading apostrophe, as OWASP advises;
    a fraction is written with a decimal comma."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value).replace(".", ",")
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return str(value)


def to_csv(result: ReportResult) -> str:
    """A byte-order mark and the header row (the columns' Dutch labels), then one row per table
    row, values as in the JSON with a decimal comma (text that would be a formula
    neutralised)."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    shown = [n for n, c in enumerate(result.columns) if c.kind is not ColumnKind.CODE]
    writer.writerow([cell(result.columns[n].label) for n in shown])
    for row in result.rows:
        writer.writerow([cell(row[n]) for n in shown])
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
        return percent(float(value))
    if column.kind is ColumnKind.MS:
        return number(float(value), 3)
    if column.kind is ColumnKind.COUNT and isinstance(value, int | float):
        return number(value, 0 if isinstance(value, int) else 2)
    return str(value)
