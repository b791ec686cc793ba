"""The shipped front end to end: Kamailio with its companion (`serve --role front`) in front of a
veertien node and PostgreSQL (bench/cluster_env.py), driven by SIPp and the built-in caller.

Kamailio answers the direct 302s itself from the table the companion keeps; every one of them
becomes a call record (node `front`, caller hashed) that reconciles with what SIPp saw; a
destination changed in the database is in the next 302 within seconds; a shared area code
still reaches the node's dialogue through the same front.
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
from veertien.storage import DataDir
from veertien.storage.store import Storage

pytestmark = pytest.mark.e2e
LELYSTAD = "sip:+31320000001@127.0.0.1:5080"
CRISIS = "sip:crisis@127.0.0.1:5080"
RATE, CALLS = 200, 1000


@pytest.fixture(scope="module")
def made() -> Iterator[Cluster]:
    with running(1, front=True, programs=("kamailio", "kamcmd", "sipp")) as made:
        yield made


@pytest.fixture(scope="module")
def db(made: Cluster) -> Iterator[Engine]:
    yield from database(made)


def _sipp(
    made: Cluster, folder: Path, target: str, run: str, calls: int, rate: int, wait_s: int = 60
) -> subprocess.CompletedProcess[str]:
    """SIPp placing `calls` to 14 0320 through the front, expecting 302s to `target`."""
    path = expect_302(folder, target)
    return subprocess.run(
        [need("sipp"), "-sf", str(path), "-s", "140320", f"127.0.0.1:{made.front}",
         "-p", str(free_port()), "-r", str(rate), "-m", str(calls), "-cid_str", f"{run}-%u@%s",
         "-nostdin", "-trace_err", "-timeout", f"{wait_s}s", "-timeout_error"],
        cwd=folder, capture_output=True, text=True, timeout=wait_s + 30, check=False,
    )  # fmt: skip


def _rows(db: Engine, run: str) -> list[dict[str, object]]:
    with db.connect() as conn:
        found = conn.execute(
            text("SELECT call_id, node, outcome, response, municipality, target, caller, rule "
                 "FROM call_records WHERE call_id LIKE :p"), {"p": f"{run}-%"},
        ).mappings().all()  # fmt: skip
    return [dict(r) for r in found]


def test_the_front_answers_and_records_every_direct_302(
    made: Cluster, db: Engine, tmp_path: Path
) -> None:
    done = _sipp(made, tmp_path, LELYSTAD, "direct", CALLS, RATE)
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    until(lambda: len(_rows(db, "direct")) >= CALLS, timeout=20)
    rows = _rows(db, "direct")
    assert len(rows) == CALLS == len({r["call_id"] for r in rows})  # every call, none twice
    assert {(r["node"], r["outcome"], r["response"], r["target"]) for r in rows} == {
        ("front", "redirected", 302, LELYSTAD)
    }
    assert {r["municipality"] for r in rows} == {"GM0995"}
    assert all(str(r["caller"]).startswith("h:") for r in rows)  # hashed, as on a node
    assert made.nodes[0].records() == []  # not one of them reached the node


def test_a_changed_destination_is_in_the_next_302(
    made: Cluster, db: Engine, tmp_path: Path
) -> None:
    storage = Storage.open(DataDir(made.portal.data), made.postgres.url)
    try:
        before = storage.config.settings()
        storage.config.save_settings(
            before.with_municipality("GM0995", calamity=True, calamity_destination=CRISIS), "test"
        )
        changed = time.monotonic()
        until(lambda: _tries(made, tmp_path, CRISIS), timeout=15)
        waited = time.monotonic() - changed
        # the tries before the change arrived went to Lelystad; the one that passed is recorded
        until(lambda: any(r["target"] == CRISIS for r in _rows(db, "crisis")), timeout=20)
        heard = [r for r in _rows(db, "crisis") if r["target"] == CRISIS]
        assert [(r["node"], r["rule"]) for r in heard] == [("front", "calamity")]
    finally:
        storage.config.save_settings(before, "test")
        storage.close()
    assert waited < 5.0  # the companion checks every second; the nodes every second too


def _tries(made: Cluster, folder: Path, target: str) -> bool:
    """One call: whether its 302 went to `target` (its Call-ID marked crisis-)."""
    run = f"crisis-{time.monotonic_ns()}"
    return _sipp(made, folder, target, run, 1, 10, wait_s=5).returncode == 0


def test_a_shared_area_still_reaches_a_node_through_the_front(made: Cluster) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "veertien.cli", "--data", str(made.portal.data), "call", "140113",
         "--server", f"127.0.0.1:{made.front}", "--key", "2"],
        capture_output=True, text=True, env=made.env, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]
    assert "Goes" in done.stdout
    until(lambda: any(r.get("dialled") == "140113" for r in made.nodes[0].records()), timeout=20)
