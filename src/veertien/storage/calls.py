"""Call records in the database, written by one background thread in batches.

The event loop only puts records on a queue. The writer wakes every `interval` seconds (0.05)
and inserts what has queued up in one transaction; once that commits, a crash loses nothing of
it (SQLite in WAL mode with synchronous=FULL; PostgreSQL's own durability). About 100 ms of
records are in memory only: when the writer falls behind that, new calls get 503 until it has
caught up (records.writer); `close()` writes them all.

A dialogue lasts long enough that a node can die inside it. So its start is written too
(`open()`: a row in `open_dialogues`, in the same queue), and deleted in the transaction that
inserts its record. A node that starts again turns the rows it left behind into call records
with outcome `node_lost` (`recover()`): a record for every call, also those a dead node held.
Before that, the records calls.jsonl kept and the database did not get (its writer may lag while
the journal's keeps to the budget, records.writer) are written from the journal (`replay()`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, insert, select

from veertien.records import CallRecord
from veertien.records.columns import row
from veertien.records.journal import tail
from veertien.records.writer import INTERVAL_S, BatchWriter, JsonRecord
from veertien.storage.cluster import lock_transaction
from veertien.storage.schema import call_records, open_dialogues

log = logging.getLogger("veertien.storage")
LOST = "node_lost"  # the outcome of a dialogue whose node stopped before it ended
REPLAY_SPAN = timedelta(hours=1)  # how far back from its end calls.jsonl is compared (replay)


@dataclass(frozen=True, slots=True)
class Dialogue:
    """A dialogue's record in the queue: at its start (`opening`: a row in open_dialogues), or
    at its end (inserted, and its opening deleted)."""

    record: CallRecord
    opening: bool

    def to_json(self) -> dict[str, Any]:
        return self.record.to_json()


class DatabaseSink:
    """A `CallRecordSink` that inserts into `call_records`, each row marked with `node`."""

    def __init__(
        self, engine: Engine, interval: float = INTERVAL_S, node: str | None = None
    ) -> None:
        self.engine = engine
        self.node = node
        self._open: set[str] = set()  # call ids of dialogues opened and not yet closed
        self._writer = BatchWriter(self._insert, interval, "call-records-db")

    def open(self, record: CallRecord) -> None:
        """A dialogue started: written so that its node's death does not lose its call."""
        self._open.add(record.call_id)
        self._writer.write(Dialogue(record, opening=True))

    def write(self, record: JsonRecord) -> None:
        if isinstance(record, CallRecord) and record.call_id in self._open:
            self._open.discard(record.call_id)
            record = Dialogue(record, opening=False)
        self._writer.write(record)

    def close(self) -> None:
        self._writer.close()

    @property
    def depth(self) -> int:
        return self._writer.depth

    @property
    def writer(self) -> BatchWriter:
        return self._writer

    def _row(self, record: JsonRecord) -> dict[str, Any]:
        return _marked(record, self.node)

    def _insert(self, batch: Sequence[JsonRecord]) -> None:
        marked = [r for r in batch if isinstance(r, Dialogue)]
        openings = [r for r in marked if r.opening]
        closings = [r.record.call_id for r in marked if not r.opening]
        records = [self._row(r) for r in batch if not (isinstance(r, Dialogue) and r.opening)]
        node = self.node or ""
        with self.engine.begin() as conn:
            if openings:
                conn.execute(
                    insert(open_dialogues),
                    [{"call_id": o.record.call_id[:255], "node": node,
                      "body": json.dumps(o.to_json(), ensure_ascii=False)} for o in openings],
                )  # fmt: skip
            if records:
                conn.execute(insert(call_records), records)
            if closings:
                conn.execute(
                    delete(open_dialogues).where(
                        and_(open_dialogues.c.node == node,
                             open_dialogues.c.call_id.in_([c[:255] for c in closings]))
                    )
                )  # fmt: skip


def _marked(record: JsonRecord, node: str | None) -> dict[str, Any]:
    body = record.to_json()
    if node is not None:
        body["node"] = node
    return row(body)


def insert_records(engine: Engine, records: Sequence[CallRecord], node: str) -> None:
    """Insert `records` in one transaction, each marked with `node` (the front companion's
    records of the 302s Kamailio answered, server/front.py). Blocking; raises when the
    database is away, and then nothing of them is written."""
    if records:
        with engine.begin() as conn:
            conn.execute(insert(call_records), [_marked(r, node) for r in records])


def replay(engine: Engine, node: str, journal: Path) -> int:
    """The records at the end of `journal` (calls.jsonl) that `node` wrote there and the
    database lacks: written now, in one transaction, and their dialogues no longer open.
    The database's writer may lag behind the journal's (a slow or absent database spools,
    records.writer), so a node killed meanwhile has records only the journal kept; at its next
    start they are put back here, before recover() counts its open dialogues as lost. Looks
    back REPLAY_SPAN from the journal's last record. Blocking; returns how many."""
    found = [r for r in tail(journal, REPLAY_SPAN) if r.get("node", node) == node]
    if not found:
        return 0
    with engine.begin() as conn:
        lock_transaction(conn, f"recover:{node}")
        missing = _missing(conn, node, found)
        if missing:
            conn.execute(insert(call_records), [row(r | {"node": node}) for r in missing])
            for part in _parts([str(r.get("call_id", ""))[:255] for r in missing]):
                conn.execute(delete(open_dialogues).where(
                    and_(open_dialogues.c.node == node, open_dialogues.c.call_id.in_(part))
                ))  # fmt: skip
    if missing:
        log.warning(
            "node %s: %d call records were in %s and not in the database; written now",
            node, len(missing), journal.name,
        )  # fmt: skip
    return len(missing)


def _missing(conn: Connection, node: str, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Those of `found` whose call id `node` has not written to call_records since a day
    before the first of them (the day: what a time zone could shift)."""
    since = datetime.fromisoformat(found[0]["started"]) - timedelta(days=1)
    have: set[str] = set()
    for part in _parts(sorted({str(r.get("call_id", ""))[:255] for r in found})):
        have.update(conn.execute(
            select(call_records.c.call_id).where(
                call_records.c.node == node, call_records.c.started >= since,
                call_records.c.call_id.in_(part),
            )
        ).scalars())  # fmt: skip
    return [r for r in found if str(r.get("call_id", ""))[:255] not in have]


def _parts(items: list[str], size: int = 500) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def recover(engine: Engine, node: str) -> int:
    """The dialogues `node` left open (it died inside them): each becomes a call record with
    outcome `node_lost`, in one transaction. Returns how many. Blocking."""
    with engine.begin() as conn:
        lock_transaction(conn, f"recover:{node}")  # the node itself, or another for it
        rows = conn.execute(select(open_dialogues).where(open_dialogues.c.node == node)).all()
        if not rows:
            return 0
        records = []
        for found in rows:
            try:
                body = json.loads(found.body)
            except ValueError:
                log.error("node %s: an open dialogue's row cannot be read: %r", node, found.call_id)
                continue
            body.update(outcome=LOST, response=0, node=node,
                        reason="the node stopped during the dialogue")  # fmt: skip
            records.append(row(body))
        if records:
            conn.execute(insert(call_records), records)
        conn.execute(delete(open_dialogues).where(open_dialogues.c.node == node))
    log.warning(
        "node %s: %d dialogues were running when it stopped; recorded as %s", node, len(rows), LOST
    )
    return len(rows)
