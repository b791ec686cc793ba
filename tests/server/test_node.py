"""This process as a cluster node: the drain flag reaches the SIP core within a beat, a
database that is away is logged once (the node goes on), and the dialogues of a node that
died and did not come back are recorded by another."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from tests.callrecords import record
from veertien.server import node as node_module
from veertien.server.node import Membership
from veertien.sip.core import SipCore
from veertien.storage import DataDir
from veertien.storage.calls import DatabaseSink
from veertien.storage.cluster import NodeStore, Role
from veertien.storage.schema import nodes
from veertien.storage.store import Storage


async def _until(check: object, beats: int = 200) -> None:
    for _ in range(beats):
        if callable(check) and check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not in time")


async def test_the_drain_flag_reaches_the_core_and_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node_module, "BEAT_S", 0.01)
    storage = Storage.open(DataDir(tmp_path))
    member, core = Membership(storage.engine, "n1", Role.SIP), SipCore()
    await member.join("127.0.0.1:5071", None)
    task = asyncio.create_task(member.run(core, lambda: 7))
    try:
        store = NodeStore(storage.engine)
        store.drain("n1")
        await _until(lambda: core.draining)
        assert store.all()[0].dialogues == 7
        store.drain("n1", on=False)
        await _until(lambda: not core.draining)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await member.leave()
    assert NodeStore(storage.engine).all() == []
    storage.close()


async def test_a_database_that_is_away_is_said_once_and_the_node_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(node_module, "BEAT_S", 0.01)
    storage = Storage.open(DataDir(tmp_path))
    member = Membership(storage.engine, "n1", Role.SIP)
    await member.join(None, None)
    calls = {"n": 0}

    def away(*_: object) -> bool:
        calls["n"] += 1
        raise OSError("connection refused")

    monkeypatch.setattr(member.store, "beat", away)
    task = asyncio.create_task(member.run(None, lambda: 0))
    with caplog.at_level(logging.ERROR, "veertien"):
        await _until(lambda: calls["n"] >= 5)
    assert not task.done() and not member.reachable
    assert sum("database unreachable" in r.message for r in caplog.records) == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    storage.close()


def test_the_dialogues_of_a_node_gone_for_good_are_recorded_by_another(tmp_path: Path) -> None:
    storage = Storage.open(DataDir(tmp_path))
    store = NodeStore(storage.engine)
    store.register("dead", Role.SIP, None, None)
    sink = DatabaseSink(storage.engine, node="dead")
    sink.open(record(call_id="inside"))
    sink.close()
    survivor = Membership(storage.engine, "n2", Role.SIP)
    assert survivor.record_orphans() == 0  # "dead" was seen just now: it may come back
    with storage.engine.begin() as conn:
        gone = datetime.now(UTC) - timedelta(seconds=node_module.ORPHANS_S + 1)
        conn.execute(update(nodes).where(nodes.c.id == "dead").values(seen_at=gone))
    assert survivor.record_orphans() == 1
    with storage.engine.connect() as conn:
        outcome = conn.exec_driver_sql("SELECT outcome, node FROM call_records").one()
    assert tuple(outcome) == ("node_lost", "dead")
    storage.close()
