"""The direct-302 table for a Kamailio front (server/front_table.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veertien.directory import Directory
from veertien.routing import RoutingContext, Rule
from veertien.routing.export import DirectRoute, direct_routes
from veertien.server.front_table import HEADER, table_text, write_table
from veertien.server.kamailio import FrontError

LELYSTAD = DirectRoute(
    "140320", "sip:+31320000001@127.0.0.1:5080", "GM0995", "0320", Rule.SINGLE_MUNICIPALITY
)


def test_three_rows_per_route_with_colons_escaped() -> None:
    assert table_text([LELYSTAD], "7.3").splitlines() == [
        HEADER,
        r"c\:140320:0:0:sip\:+31320000001@127.0.0.1\:5080:0",
        r"d\:140320:0:0:<tel\:+31140320>;reason=unconditional;counter=1:0",
        r"m\:140320:0:0:GM0995:0",
        "v:0:0:7.3:0",
    ]


@pytest.mark.parametrize("bad", ["sip:a@b\r\nContact: <sip:evil@x>", "sip:a\\@b", "sip:a@b\t"])
def test_a_value_db_text_cannot_carry_is_refused_and_nothing_written(
    tmp_path: Path, bad: str
) -> None:
    route = DirectRoute("140320", bad, "GM0995", "0320", Rule.SINGLE_MUNICIPALITY)
    write_table(tmp_path, [LELYSTAD], "1")
    with pytest.raises(FrontError):
        write_table(tmp_path, [route], "2")
    assert (tmp_path / "front").read_text(encoding="utf-8").endswith("v:0:0:1:0\n")
    assert [p.name for p in tmp_path.iterdir()] == ["front"]


def test_the_demo_directory_exports_its_fixed_302s(tmp_path: Path, demo: Directory) -> None:
    ctx = RoutingContext(demo)
    path = write_table(tmp_path, direct_routes(ctx), ctx.data_version)
    rows = path.read_text(encoding="utf-8").splitlines()
    assert rows[0] == HEADER and rows[-1] == f"v:0:0:{ctx.data_version}:0"
    assert r"c\:+31140320:0:0:sip\:+31320000001@127.0.0.1\:5080:0" in rows
    assert not any(row.startswith(r"c\:140113:") for row in rows)  # shared area: a node
