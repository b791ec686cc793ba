"""The prototype direct-302 front (bench/kamailio-direct.cfg): real Kamailio answers SIPp from
the table veertien exports (routing/export.py, server/front_table.py), follows a routing
change after `htable.reload`, and leaves an accounting line per answered call."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.peers import expect_302, free_port, need, sipp
from veertien.directory import Directory
from veertien.routing import RoutingContext, Settings
from veertien.routing.export import direct_routes
from veertien.server.front_table import write_table

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).resolve().parents[2] / "bench" / "kamailio-direct.cfg"
LELYSTAD = "sip:+31320000001@127.0.0.1:5080"
CRISIS = "sip:crisis@127.0.0.1:5080"


def _table(folder: Path, ctx: RoutingContext) -> None:
    write_table(folder / "db", direct_routes(ctx), ctx.data_version)


def _call(folder: Path, port: int, target: str) -> None:
    done = sipp(expect_302(folder, target), "-s", "140320", f"127.0.0.1:{port}", "-m", "1")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]


def test_kamailio_answers_from_the_exported_table(tmp_path: Path, demo: Directory) -> None:
    kamailio, kamcmd = need("kamailio"), need("kamcmd")
    port = free_port()
    (tmp_path / "acc").mkdir()
    ctx = RoutingContext(demo)
    _table(tmp_path, ctx)
    config = tmp_path / "kamailio.cfg"
    text = CONFIG.read_text(encoding="utf-8")
    config.write_text(text.replace("@PORT@", str(port)).replace("@DIR@", str(tmp_path)), "utf-8")
    log = (tmp_path / "kamailio.log").open("wb")
    process = subprocess.Popen(
        [kamailio, "-f", str(config), "-DD", "-E", "-Y", str(tmp_path), "-m", "32", "-M", "4"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(1.5)
        assert process.poll() is None, (tmp_path / "kamailio.log").read_text()[-2000:]
        _call(tmp_path, port, LELYSTAD)
        code = next(r.municipality for r in direct_routes(ctx) if r.dialled == "140320")
        changed = RoutingContext(demo, Settings().with_municipality(
            code, calamity=True, calamity_destination=CRISIS))  # fmt: skip
        _table(tmp_path, changed)
        reload = [kamcmd, "-s", f"unix:{tmp_path}/ctl", "htable.reload", "front"]
        subprocess.run(reload, check=True, capture_output=True, timeout=10)
        _call(tmp_path, port, CRISIS)
    finally:
        process.terminate()
        process.wait(timeout=10)
    lines = [
        line.split("|")
        for path in (tmp_path / "acc").glob("direct_*.log")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert [(f[0], f[4], f[10], f[13]) for f in lines] == [
        ("INVITE", "302", "140320", code), ("INVITE", "302", "140320", code)
    ]  # fmt: skip
    assert [f[14] for f in lines] == [ctx.data_version, changed.data_version]
