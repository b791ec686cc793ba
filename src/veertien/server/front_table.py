"""The direct-302 table a Kamailio front answers from, as a db_text file for its `htable`
(bench/kamailio-direct.cfg loads it; docs/cluster.md, "Not done yet", says what is left).

Rows come from `routing.export.direct_routes`; per dialled form three keys: `c:<dialled>` the
Contact URI, `d:<dialled>` the Diversion value (as a node's 302 has it), `m:<dialled>` the
municipality; and `v`, the data version. The file is replaced atomically, so Kamailio's
`htable.reload` never reads half a table. A value with a character db_text cannot carry
safely (CR, LF, TAB, NUL, backslash) is refused: nothing of it reaches the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from veertien.call.redirect import redirect_headers
from veertien.routing.export import DirectRoute
from veertien.server.kamailio import FrontError

TABLE = "front"
HEADER = "key_name(str) key_type(int) value_type(int) key_value(str) expires(int)"
_UNSAFE = frozenset("\r\n\t\0\\")


def _field(text: str) -> str:
    if _UNSAFE.intersection(text):
        raise FrontError(f"{text!r} cannot go into the front's table")
    return text.replace(":", "\\:")


def _row(key: str, value: str) -> str:
    return f"{_field(key)}:0:0:{_field(value)}:0"


def table_text(routes: Iterable[DirectRoute], version: str) -> str:
    """The whole db_text file: the header, three rows per route, the version."""
    lines = [HEADER]
    for route in routes:
        headers = dict(redirect_headers(route.target, route.dialled))
        lines.append(_row(f"c:{route.dialled}", route.target))
        lines.append(_row(f"d:{route.dialled}", headers["Diversion"]))
        lines.append(_row(f"m:{route.dialled}", route.municipality))
    lines.append(_row("v", version))
    return "\n".join(lines) + "\n"


def write_table(folder: Path, routes: Iterable[DirectRoute], version: str) -> Path:
    """Write `folder/front` atomically (a temporary file, then a rename); its path."""
    text = table_text(routes, version)  # refuses before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / TABLE
    temporary = folder / f".{TABLE}.{os.getpid()}.tmp"
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
    return path
