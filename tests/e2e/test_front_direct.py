"""The shipped Kamailio front (server/kamailio.cfg, as `veertien kamailio` writes it) answering
from the table veertien exports (routing/export.py, server/front_table.py), with real Kamailio:
the 302 while the table is fresh and a routing change after `htable.reload`; a stale table
sends the call on to a node; the carriers' allow-list and the source limit apply to every
caller, since the nodes behind see only Kamailio's address. (The companion that keeps the table
and records the calls: tests/e2e/test_cluster_front.py.)"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.peers import expect_302, free_port, need, sipp
from veertien.directory import Directory
from veertien.routing import RoutingContext, Settings
from veertien.routing.export import direct_routes
from veertien.server.front_table import Admission, write_table
from veertien.server.kamailio import Address, Front
from veertien.testcall.caller import place_call

pytestmark = pytest.mark.e2e
LELYSTAD = "sip:+31320000001@127.0.0.1:5080"
CRISIS = "sip:crisis@127.0.0.1:5080"
OPEN = Admission(trusted=("127.0.0.0/8",))  # the default: loopback is trusted


class Running:
    def __init__(self, folder: Path, port: int, kamcmd: str) -> None:
        self.folder, self.port, self.kamcmd = folder, port, kamcmd

    def table(
        self, ctx: RoutingContext, *, fresh_s: float = 30, admission: Admission = OPEN
    ) -> None:
        until = int(time.time() + fresh_s)
        write_table(self.folder / "db", direct_routes(ctx), ctx.data_version, until, admission)
        reload = [self.kamcmd, "-s", f"unix:{self.folder}/kamailio_ctl", "htable.reload", "front"]
        subprocess.run(reload, check=True, capture_output=True, timeout=10)

    def status(self, dialled: str = "140320") -> int | None:
        done = asyncio.run(place_call(dialled, "127.0.0.1", self.port, show=lambda _: None))
        final = next((r for r in done.responses if r.status >= 200), None)
        return final.status if final is not None else None


def _start(folder: Path, source_limit: int = 32) -> Iterator[Running]:
    kamailio, kamcmd = need("kamailio"), need("kamcmd")
    port = free_port()
    nobody = Address("127.0.0.1", free_port())  # a node that never answers
    front = Front(Address("127.0.0.1", port), (nobody,), folder, source_limit=source_limit)
    config = front.write()
    write_table(folder / "db", (), "none")  # what `veertien kamailio` writes first
    log = (folder / "kamailio.log").open("wb")
    process = subprocess.Popen(
        [kamailio, "-f", str(config), "-DD", "-E", "-Y", str(folder), "-m", "32", "-M", "4"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        time.sleep(1.5)
        assert process.poll() is None, (folder / "kamailio.log").read_text()[-2000:]
        yield Running(folder, port, kamcmd)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # a Kamailio slow to stop must not fail the test
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Running]:
    yield from _start(tmp_path)


def _accounted(folder: Path) -> list[list[str]]:
    """Every accounting line (one file per Kamailio process), in the order of their calls."""
    lines = [
        line.split("|")
        for path in (folder / "acc").glob("direct_*.log")
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return sorted(lines, key=lambda fields: float(fields[-2]))


def test_a_fresh_table_answers_and_follows_a_reload(front: Running, demo: Directory) -> None:
    ctx = RoutingContext(demo)
    front.table(ctx)
    done = sipp(expect_302(front.folder, LELYSTAD), "-s", "140320", f"127.0.0.1:{front.port}",
                "-m", "1")  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    code = next(r.municipality for r in direct_routes(ctx) if r.dialled == "140320")
    changed = RoutingContext(demo, Settings().with_municipality(
        code, calamity=True, calamity_destination=CRISIS))  # fmt: skip
    front.table(changed)
    done = sipp(expect_302(front.folder, CRISIS), "-s", "140320", f"127.0.0.1:{front.port}",
                "-m", "1")  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    lines = _accounted(front.folder)
    # from the end: done, at, version, reason, area, rule, municipality, target, ..., dialled
    assert [(f[0], f[4], f[-6], f[-5], f[-3]) for f in lines] == [
        ("INVITE", "302", "single_municipality", "0320", ctx.data_version),
        ("INVITE", "302", "calamity", "0320", changed.data_version),
    ]
    assert [(f[-11], f[-7], f[-8]) for f in lines] == [
        ("140320", code, LELYSTAD), ("140320", code, CRISIS)
    ]  # fmt: skip


def test_a_stale_table_sends_calls_to_the_nodes(front: Running, demo: Directory) -> None:
    front.table(RoutingContext(demo), fresh_s=-1)  # its companion stopped writing it
    assert front.status() == 503  # relayed: the one node here never answers
    assert _accounted(front.folder) == []
    front.table(RoutingContext(demo))
    assert front.status() == 302


def test_only_carriers_may_call_and_the_trusted_always(front: Running, demo: Directory) -> None:
    ctx = RoutingContext(demo)
    front.table(ctx, admission=Admission(carriers=("192.0.2.0/24",)))
    assert front.status() == 403
    front.table(ctx, admission=Admission(trusted=("::1/128", "127.0.0.1/32"),
                                         carriers=("192.0.2.0/24",)))  # fmt: skip
    assert front.status() == 302


def _options(port: int, count: int) -> int:
    """Send `count` OPTIONS at once from one socket; how many were answered."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        local = sock.getsockname()[1]
        for n in range(count):
            sock.sendto(
                (f"OPTIONS sip:127.0.0.1:{port} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP 127.0.0.1:{local};branch=z9hG4bK-flood{n}\r\n"
                 "Max-Forwards: 70\r\nFrom: <sip:flood@127.0.0.1>;tag=f\r\n"
                 f"To: <sip:127.0.0.1:{port}>\r\nCall-ID: flood-{n}@127.0.0.1\r\n"
                 "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode(),
                ("127.0.0.1", port),
            )  # fmt: skip
        sock.settimeout(1.0)
        answered = 0
        try:
            while True:
                sock.recv(4096)
                answered += 1
        except TimeoutError:
            return answered


def test_a_flooding_source_is_blocked(tmp_path: Path, demo: Directory) -> None:
    for front in _start(tmp_path, source_limit=5):
        front.table(RoutingContext(demo), admission=Admission())  # nobody trusted
        answered = _options(front.port, 40)
        assert 1 <= answered < 40
        assert _options(front.port, 1) == 0  # still blocked: no answer at all
        assert "blocked for 300 s" in (tmp_path / "kamailio.log").read_text()
