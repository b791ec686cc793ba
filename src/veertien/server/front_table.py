"""The table a Kamailio front answers from, as a db_text file for its `htable` (the shipped
server/kamailio.cfg loads it; the front companion, server/front.py, rewrites it; docs/cluster.md).

Rows per dialled form of a direct route (routing.export.direct_routes): `c:<dialled>` the
Contact URI, `d:<dialled>` the Diversion value (as a node's 302 has it), `m:<dialled>` the
municipality, `r:<dialled>` the rule, `a:<dialled>` the area code, `n:<dialled>` the reason;
the accounting line of each answered call carries them, so its call record is a node's.
Rows for the whole table: `v` the data version, `u` the Unix time until which the routes may
be used (an integer; Kamailio answers from the table only while its clock is before it, so a
front whose companion stopped sends every call to a node within `FRESH_S`), `t` the trusted
sources and `k` the carriers (comma-separated ranges, as the settings `sip_trusted` and
`sip_carriers`; no row when empty).

The file is replaced atomically, so Kamailio's `htable.reload` never reads half a table (and
its time always moves on: db_text reads a file again only then). A
value with a character db_text or the accounting file cannot carry safely (CR, LF, TAB, NUL,
backslash, `|`) is refused: nothing of it reaches the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from veertien.call.redirect import redirect_headers
from veertien.routing.export import DirectRoute
from veertien.server.kamailio import FrontError

TABLE = "front"
HEADER = "key_name(str) key_type(int) value_type(int) key_value(str) expires(int)"
FRESH_S = 30  # how long a written table may be used without being written again
_UNSAFE = frozenset("\r\n\t\0\\|")


@dataclass(frozen=True)
class Admission:
    """Who may call through the front (the settings' sip_trusted and sip_carriers)."""

    trusted: tuple[str, ...] = ()
    carriers: tuple[str, ...] = ()


def _field(text: str) -> str:
    if _UNSAFE.intersection(text):
        raise FrontError(f"{text!r} cannot go into the front's table")
    return text.replace(":", "\\:")


def _row(key: str, value: str) -> str:
    return f"{_field(key)}:0:0:{_field(value)}:0"


def _route_rows(route: DirectRoute) -> list[str]:
    headers = dict(redirect_headers(route.target, route.dialled))
    values = {
        "c": route.target, "d": headers["Diversion"], "m": route.municipality,
        "r": route.rule.value, "a": route.area_code or "-", "n": route.reason or "-",
    }  # fmt: skip
    return [_row(f"{key}:{route.dialled}", value) for key, value in values.items()]


def table_text(
    routes: Iterable[DirectRoute],
    version: str,
    fresh_until: int = 0,
    admission: Admission = Admission(),
) -> str:
    """The whole db_text file: the header, six rows per route, then the table's own rows."""
    lines = [HEADER]
    for route in routes:
        lines += _route_rows(route)
    lines.append(_row("v", version))
    lines.append(f"u:0:1:{int(fresh_until)}:0")  # value type 1: an integer
    for key, ranges in (("t", admission.trusted), ("k", admission.carriers)):
        if ranges:
            lines.append(_row(key, ",".join(ranges)))
    return "\n".join(lines) + "\n"


def write_table(
    folder: Path,
    routes: Iterable[DirectRoute],
    version: str,
    fresh_until: int = 0,
    admission: Admission = Admission(),
) -> Path:
    """Write `folder/front` atomically (a temporary file, then a rename); its path."""
    text = table_text(routes, version, fresh_until, admission)  # refuses before writing
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TABLE
    temporary = folder / f".{TABLE}.{os.getpid()}.tmp"
    temporary.write_text(text, encoding="utf-8")
    _later_than(temporary, path)
    os.replace(temporary, path)
    return path


def _later_than(new: Path, old: Path) -> None:
    """db_text reads a table again only when its modification time moved, in whole seconds:
    a table written twice within a second gets a time one second past the one before."""
    try:
        before = int(old.stat().st_mtime)
    except FileNotFoundError:
        return
    if int(new.stat().st_mtime) <= before:
        os.utime(new, (before + 1, before + 1))
