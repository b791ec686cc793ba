"""Nodes on one database: ids, registration and take-over after a kill, beats and draining,
the dialogues a dead node left open becoming records, and the cluster locks (on PostgreSQL
real advisory locks: a second holder waits or skips; on SQLite they simply run)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.callrecords import record
from veertien.records import JsonLinesSink
from veertien.records.journal import tail
from veertien.storage.calls import LOST, DatabaseSink, recover, replay
from veertien.storage.cluster import NodeError, NodeStore, Role, exclusive, node_id, once
from veertien.storage.schema import nodes
from veertien.storage.store import Storage


def test_node_ids_come_from_the_option_the_environment_or_the_host(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VEERTIEN_NODE", "sip-2")
    assert node_id("n1") == "n1" and node_id() == "sip-2"
    monkeypatch.delenv("VEERTIEN_NODE")
    assert node_id()  # the host name, cut to what an id may hold
    for bad in ("", "-x", "a b", "x" * 65, "n1\r\nVia: x"):
        with pytest.raises(NodeError):
            node_id(bad or " ")


def _age(storage: Storage, node: str, seconds: float) -> None:
    with storage.engine.begin() as conn:
        seen = datetime.now(UTC) - timedelta(seconds=seconds)
        conn.execute(update(nodes).where(nodes.c.id == node).values(seen_at=seen))


def test_a_node_registers_beats_drains_and_leaves(storage: Storage) -> None:
    store = NodeStore(storage.engine)
    boot = store.register("n1", Role.SIP, "127.0.0.1:5071", None)
    assert store.beat("n1", boot, 3) is False
    assert store.drain("n1") and store.beat("n1", boot, 2) is True
    assert not store.drain("nobody")
    (node,) = store.all()
    assert (node.id, node.role, node.dialogues, node.draining) == ("n1", "sip", 2, True)
    assert node.alive(datetime.now(UTC))
    store.leave("n1", boot)
    assert store.all() == []


def test_one_id_two_running_nodes_is_refused_but_a_killed_one_is_taken_over(
    storage: Storage,
) -> None:
    store = NodeStore(storage.engine)
    first = store.register("n1", Role.SIP, "127.0.0.1:5071", None)
    waited: list[float] = []

    def still_beating(seconds: float) -> None:  # the first process beats while we wait
        waited.append(seconds)
        store.beat("n1", first, 0)

    with pytest.raises(NodeError, match="in use by a running node"):
        store.register("n1", Role.SIP, "127.0.0.1:5072", None, wait=still_beating)
    assert waited and 0 < waited[0] <= 3.5
    # killed: it stops beating; the restart waits once and takes the row over
    second = store.register("n1", Role.SIP, "127.0.0.1:5071", None, wait=lambda s: None)
    assert second != first
    with pytest.raises(NodeError, match="taken over"):
        store.beat("n1", first, 0)  # the old process, should it still run, learns it
    _age(storage, "n1", 10)
    assert store.register("n1", Role.SIP, None, None, wait=lambda s: pytest.fail("waited"))


def test_dialogues_open_when_a_node_dies_become_node_lost_records(storage: Storage) -> None:
    sink = DatabaseSink(storage.engine, node="n1")
    ended, running = record(call_id="ended"), record(call_id="running")
    sink.open(ended)
    sink.open(running)
    sink.write(ended)  # its record replaces its opening, in one transaction
    sink.write(record(call_id="a-302"))
    sink.close()
    assert recover(storage.engine, "n2") == 0  # another node's rows are its own
    assert recover(storage.engine, "n1") == 1
    assert recover(storage.engine, "n1") == 0  # once
    with storage.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT call_id, outcome, node, response FROM call_records")
        found = sorted(tuple(r) for r in rows)
    assert found == [("a-302", "redirected", "n1", 302), ("ended", "redirected", "n1", 302),
                     ("running", LOST, "n1", 0)]  # fmt: skip


def test_cluster_locks_make_work_happen_once(storage: Storage) -> None:
    with exclusive(storage.engine, "t"), once(storage.engine, "purge") as mine:
        assert mine
        if storage.engine.dialect.name != "postgresql":
            return  # one machine, SQLite's own lock
        seen: list[bool] = []

        def other() -> None:
            with once(storage.engine, "purge") as theirs:
                seen.append(theirs)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(10)
        assert seen == [False]  # another node skips while this one purges
    with once(storage.engine, "purge") as again:
        assert again  # released


def test_every_journal_line_says_which_node_wrote_it(tmp_path: Path) -> None:
    journal = JsonLinesSink(tmp_path / "calls.jsonl", node="n2")
    journal.write(record(call_id="c1"))
    journal.close()
    (line,) = (tmp_path / "calls.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["node"] == "n2" and json.loads(line)["call_id"] == "c1"


def _journal(path: Path, node: str, calls: list[tuple[str, datetime]]) -> None:
    journal = JsonLinesSink(path, node=node)
    for call_id, started in calls:
        journal.write(record(call_id=call_id, started=started.isoformat()))
    journal.close()


def test_records_only_the_journal_kept_are_written_at_the_next_start(
    storage: Storage, tmp_path: Path
) -> None:
    """A node killed while its database writer lagged: what calls.jsonl has and the database
    lacks is written at its next start (once), its opening no longer counts as lost, and
    another node's lines stay that node's."""
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    database = DatabaseSink(storage.engine, node="n1")
    database.open(record(call_id="c2"))
    database.write(record(call_id="c1", started=start.isoformat()))
    database.close()
    path = tmp_path / "calls.jsonl"
    _journal(path, "n1", [("c1", start), ("c2", start + timedelta(seconds=1)),
                          ("c3", start + timedelta(seconds=2))])  # fmt: skip
    _journal(path, "n2", [("x1", start + timedelta(seconds=3))])
    with path.open("a", encoding="utf-8") as broken:
        broken.write('{"call_id": "torn", "star')  # the kill cut the last line
    assert replay(storage.engine, "n1", path) == 2
    assert replay(storage.engine, "n1", path) == 0
    assert recover(storage.engine, "n1") == 0  # c2's record came from the journal
    with storage.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT call_id, node FROM call_records")
        assert sorted(tuple(r) for r in rows) == [("c1", "n1"), ("c2", "n1"), ("c3", "n1")]


def test_the_journal_is_read_back_from_its_end_only_as_far_as_asked(tmp_path: Path) -> None:
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    path = tmp_path / "calls.jsonl"
    _journal(path, "n1", [(f"c{i}", start + timedelta(minutes=i)) for i in range(200)])
    assert [r["call_id"] for r in tail(path, timedelta(minutes=2))] == ["c197", "c198", "c199"]
    found = tail(path, timedelta(days=1), limit=3000)  # bytes: about a dozen lines
    assert 0 < len(found) < 20 and found[-1]["call_id"] == "c199"
    assert [r["call_id"] for r in found] == [f"c{i}" for i in range(200 - len(found), 200)]
    assert tail(tmp_path / "none.jsonl", timedelta(hours=1)) == []
