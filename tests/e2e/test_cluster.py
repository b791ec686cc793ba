"""A cluster end to end: Kamailio (dispatcher, OPTIONS probes) in front of two veertien SIP
nodes, a portal process and a throwaway PostgreSQL (bench/cluster_env.py), driven by SIPp.

Kill -9 a node under traffic: every 302 still comes (Kamailio tries the other node), the
dialogues inside the dead node are recorded as node_lost when it starts again, and the
records reconcile with what SIPp saw. Restart PostgreSQL under traffic: no failed 302, no lost
record. Drain a node: Kamailio sees it in the OPTIONS replies and sends it no new calls.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bench.cluster_env import Cluster
from tests.e2e.clusters import database, running, until
from tests.e2e.peers import expect_302, free_port, need

pytestmark = pytest.mark.e2e
RATE = 40  # 302 calls a second into the front


@pytest.fixture(scope="module")
def made() -> Iterator[Cluster]:
    with running(2, front=False, programs=("kamailio", "sipp")) as made:  # all via the nodes
        yield made


@pytest.fixture(scope="module")
def db(made: Cluster) -> Iterator[Engine]:
    yield from database(made)


def _traffic(made: Cluster, folder: Path, run: str, calls: int) -> subprocess.Popen[str]:
    """SIPp placing `calls` 302 calls at RATE/s into Kamailio, their Call-IDs marked `run`."""
    path = expect_302(folder, "sip:+31320000001@127.0.0.1:5080")
    return subprocess.Popen(
        [need("sipp"), "-sf", str(path), "-s", "140320", f"127.0.0.1:{made.front}",
         "-p", str(free_port()), "-r", str(RATE), "-m", str(calls), "-cid_str", f"{run}-%u@%s",
         "-nostdin", "-trace_err", "-timeout", "60s", "-timeout_error"],
        cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _records(db: Engine, run: str) -> list[tuple[str, str, str]]:
    with db.connect() as conn:
        rows = conn.execute(
            text("SELECT call_id, node, outcome FROM call_records WHERE call_id LIKE :p"),
            {"p": f"{run}-%"},
        ).all()
    return [(r.call_id, r.node, r.outcome) for r in rows]


def _count(db: Engine, sql: str, **values: object) -> int:
    with db.connect() as conn:
        return int(conn.execute(text(sql), values).scalar() or 0)


def _dialogue(made: Cluster) -> subprocess.Popen[bytes]:
    """A caller in the shared area's menu who presses nothing for a while (a running dialogue)."""
    return subprocess.Popen(
        [sys.executable, "-m", "veertien.cli", "--data", str(made.portal.data), "call", "140113",
         "--server", f"127.0.0.1:{made.front}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=made.env,
    )  # fmt: skip


def test_a_killed_node_costs_only_its_dialogues(made: Cluster, db: Engine, tmp_path: Path) -> None:
    n1 = made.nodes[0]
    callers = [_dialogue(made) for _ in range(4)]  # round robin: two on each node
    try:
        open_on = "SELECT count(*) FROM open_dialogues WHERE node = :n"
        until(lambda: _count(db, "SELECT count(*) FROM open_dialogues") >= len(callers))
        assert _count(db, open_on, n="n1") >= 1 and _count(db, open_on, n="n2") >= 1
        sipp = _traffic(made, tmp_path, "kill", RATE * 6)
        time.sleep(2.0)
        made.kill(n1)  # kill -9 under traffic, dialogues inside
        killed_at = time.time()
        inside = _count(db, open_on, n="n1")  # what it had written of its dialogues
        _, errors = sipp.communicate(timeout=90)
        assert sipp.returncode == 0, f"SIPp saw failed calls: {errors[-2000:]}"
        made.start_node(n1)  # its last run's dialogues become records
        lost = _count(db, "SELECT count(*) FROM call_records WHERE node = 'n1' "
                          "AND outcome = 'node_lost'")  # fmt: skip
        assert lost == inside
        assert _count(db, open_on, n="n1") == 0
    finally:
        for caller in callers:
            caller.kill()
            caller.wait(timeout=10)
    records = _records(db, "kill")
    ids = [r[0] for r in records]
    assert len(ids) == len(set(ids))  # no call recorded twice
    assert {r[2] for r in records} == {"redirected"}
    # every 302 SIPp got is recorded, but those n1 had not yet written when it was killed
    # (at most the writer's budget: about 0.1 s of its share of the traffic)
    missing = RATE * 6 - len(records)
    assert 0 <= missing <= RATE // 2, missing
    after = _count(db, "SELECT count(*) FROM call_records WHERE node = 'n2' AND call_id LIKE "
                       "'kill-%' AND started > to_timestamp(:t)", t=killed_at + 2.0)  # fmt: skip
    assert after > 0  # the survivor took the calls after the kill


def test_calls_and_records_survive_a_database_restart(
    made: Cluster, db: Engine, tmp_path: Path
) -> None:
    sipp = _traffic(made, tmp_path, "pg", RATE * 6)
    time.sleep(1.5)
    made.postgres.stop("fast")
    time.sleep(2.0)  # calls go on, routed from the nodes' snapshots; records wait in memory
    made.postgres.start()
    _, errors = sipp.communicate(timeout=90)
    assert sipp.returncode == 0, f"SIPp saw failed calls: {errors[-2000:]}"
    until(lambda: len(_records(db, "pg")) >= RATE * 6, timeout=20)
    records = _records(db, "pg")
    assert len(records) == RATE * 6 == len({r[0] for r in records})  # none lost, none twice
    assert {r[1] for r in records} == {"n1", "n2"}


def test_a_drained_node_gets_no_new_calls(made: Cluster, db: Engine, tmp_path: Path) -> None:
    assert "drains" in made.veertien("node", "drain", "n2")
    try:
        until(lambda: "draining" in made.veertien("nodes"))
        time.sleep(2.5)  # Kamailio's next probe of n2 is answered 503
        sipp = _traffic(made, tmp_path, "drain", RATE * 2)
        _, errors = sipp.communicate(timeout=60)
        assert sipp.returncode == 0, errors[-2000:]
        until(lambda: len(_records(db, "drain")) >= RATE * 2)
        assert {r[1] for r in _records(db, "drain")} == {"n1"}
    finally:
        made.veertien("node", "resume", "n2")


def test_callers_may_reach_the_front_over_tcp(made: Cluster, tmp_path: Path) -> None:
    """Kamailio takes TCP from the caller and relays to the nodes over UDP."""
    path = expect_302(tmp_path, "sip:+31320000001@127.0.0.1:5080")
    done = subprocess.run(
        [need("sipp"), "-sf", str(path), "-s", "140320", f"127.0.0.1:{made.front}", "-t", "t1",
         "-p", str(free_port()), "-m", "5", "-r", "5", "-nostdin", "-timeout", "20s",
         "-timeout_error"],
        cwd=tmp_path, capture_output=True, text=True, timeout=40, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
