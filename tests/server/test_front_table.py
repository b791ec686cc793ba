"""The direct-302 table for a Kamailio front (server/front_table.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from veertien.directory import Directory
from veertien.routing import RoutingContext, Rule
from veertien.routing.export import DirectRoute, direct_routes
from veertien.server.front_table import HEADER, Admission, table_text, write_table
from veertien.server.kamailio import FrontError

LELYSTAD = DirectRoute(
    "140320", "sip:+31320000001@127.0.0.1:5080", "GM0995", "0320", Rule.SINGLE_MUNICIPALITY,
    "one municipality",
)  # fmt: skip


def test_six_rows_per_route_with_colons_escaped_then_the_tables_own() -> None:
    assert table_text([LELYSTAD], "7.3", 1_800_000_000).splitlines() == [
        HEADER,
        r"c\:140320:0:0:sip\:+31320000001@127.0.0.1\:5080:0",
        r"d\:140320:0:0:<tel\:+31140320>;reason=unconditional;counter=1:0",
        r"m\:140320:0:0:GM0995:0",
        r"r\:140320:0:0:single_municipality:0",
        r"a\:140320:0:0:0320:0",
        r"n\:140320:0:0:one municipality:0",
        "v:0:0:7.3:0",
        "u:0:1:1800000000:0",  # an integer: Kamailio compares it with its clock
    ]


def test_admission_rows_only_when_there_are_ranges() -> None:
    text = table_text([], "1", 0, Admission(trusted=("127.0.0.0/8", "::1/128")))
    assert text.splitlines()[-2:] == ["u:0:1:0:0", r"t:0:0:127.0.0.0/8,\:\:1/128:0"]
    carriers = table_text([], "1", 0, Admission(carriers=("192.0.2.0/24",)))
    assert carriers.splitlines()[-1] == "k:0:0:192.0.2.0/24:0"


@pytest.mark.parametrize(
    "bad", ["sip:a@b\r\nContact: <sip:evil@x>", "sip:a\\@b", "sip:a@b\t", "sip:a|b@c"]
)
def test_a_value_db_text_cannot_carry_is_refused_and_nothing_written(
    tmp_path: Path, bad: str
) -> None:
    route = DirectRoute("140320", bad, "GM0995", "0320", Rule.SINGLE_MUNICIPALITY)
    write_table(tmp_path, [LELYSTAD], "1")
    with pytest.raises(FrontError):
        write_table(tmp_path, [route], "2")
    assert "v:0:0:1:0\n" in (tmp_path / "front").read_text(encoding="utf-8")
    assert [p.name for p in tmp_path.iterdir()] == ["front"]


def test_the_demo_directory_exports_its_fixed_302s(tmp_path: Path, demo: Directory) -> None:
    ctx = RoutingContext(demo)
    path = write_table(tmp_path, direct_routes(ctx), ctx.data_version)
    rows = path.read_text(encoding="utf-8").splitlines()
    assert rows[0] == HEADER and rows[-2:] == [f"v:0:0:{ctx.data_version}:0", "u:0:1:0:0"]
    assert r"c\:+31140320:0:0:sip\:+31320000001@127.0.0.1\:5080:0" in rows
    assert not any(row.startswith(r"c\:140113:") for row in rows)  # shared area: a node


def test_a_table_written_twice_in_a_second_still_looks_changed(tmp_path: Path) -> None:
    """db_text reads the file again only when its modification time moved (whole seconds)."""
    first = write_table(tmp_path, [LELYSTAD], "1").stat().st_mtime
    second = write_table(tmp_path, [LELYSTAD], "2").stat().st_mtime
    assert int(second) > int(first)
