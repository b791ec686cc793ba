"""Several nodes on one database: who they are, work done once per cluster, and draining.

Every node has an id (`--node`, else $VEERTIEN_NODE, else the host name): it is in call
records, the metrics (`veertien_node_info`) and every log line. A node registers at start and
beats every BEAT_S (`nodes.seen_at`); two live nodes with one id are refused, a node that starts
again under its own id takes over its row (and turns the dialogues it left behind into records
that say so, see storage.calls).

Work that must happen once per cluster runs under a PostgreSQL advisory lock: `exclusive()`
waits for it (migrations, the first operator account), `once()` skips when another node holds
it (the retention purge). On SQLite there is one machine and SQLite's own file lock: both
simply run.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import socket
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, text, update

from veertien.errors import SetupError
from veertien.storage.schema import nodes

log = logging.getLogger("veertien.storage")
NODE_ENV = "VEERTIEN_NODE"
NODE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
BEAT_S = 1.0  # a node says it is alive this often
ALIVE_S = 3.0  # a node not seen for this long is taken as gone


class Role(Enum):
    """What a `veertien serve` process does."""

    ALL = "all"  # SIP, dialogues and the portal in one process (the embedded default)
    SIP = "sip"  # SIP and dialogues; a health and metrics page only
    PORTAL = "portal"  # the portal and reports only, no SIP
    FRONT = "front"  # next to Kamailio: its direct-302 table and their records (server/front)


class NodeError(SetupError):
    """A node id that is not allowed, or already taken by a running node."""


def node_id(given: str | None = None) -> str:
    """`given`, else $VEERTIEN_NODE, else this host's name (cut to what an id may hold)."""
    raw = given or os.environ.get(NODE_ENV) or socket.gethostname().split(".")[0]
    if given is None and not os.environ.get(NODE_ENV):
        raw = re.sub(r"[^A-Za-z0-9._-]", "-", raw).strip("-._")[:64] or "node"
    if not NODE_ID.fullmatch(raw):
        raise NodeError(
            f"node id {raw!r}: 1-64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return raw


def _key(task: str) -> int:
    """The advisory lock number of a task (a signed 63-bit int, stable across processes)."""
    return zlib.crc32(f"veertien:{task}".encode()) & 0x7FFF_FFFF


def lock_transaction(conn: Connection, task: str) -> None:
    """Within `conn`'s transaction, wait for the cluster lock on `task` (PostgreSQL; released at
    commit or rollback). Nothing on SQLite, where a writing transaction is exclusive anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key(task)})


@contextmanager
def exclusive(engine: Engine, task: str) -> Iterator[None]:
    """Hold the cluster lock on `task` around some work (its own connection; PostgreSQL):
    another node doing the same waits until this one is done."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _key(task)})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(task)})
            conn.commit()


@contextmanager
def once(engine: Engine, task: str) -> Iterator[bool]:
    """Whether this node may do `task` now: True while it holds the cluster lock on it, False
    when another node is doing it (skip; it will come round again)."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    with engine.connect() as conn:
        query = text("SELECT pg_try_advisory_lock(:k)")
        held = bool(conn.execute(query, {"k": _key(task)}).scalar())
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _key(task)})
                conn.commit()


@dataclass(frozen=True)
class Node:
    id: str
    role: str
    sip: str | None
    http: str | None
    started_at: datetime
    seen_at: datetime
    draining: bool
    dialogues: int

    def alive(self, now: datetime) -> bool:
        return now - _aware(self.seen_at) < timedelta(seconds=ALIVE_S)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite drops the zone


class NodeStore:
    """The `nodes` table. Blocking: call it from a worker thread."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def register(
        self, node: str, role: Role, sip: str | None, http: str | None,
        wait: Callable[[float], None] = time.sleep,
    ) -> str:  # fmt: skip
        """Take the row of `node` for this process (its boot id is returned). A row seen less
        than ALIVE_S ago may be a node that was just killed: wait that long once; refused when
        it beat meanwhile (a running node has this id)."""
        seen = self._claim(node, role, sip, http, None)
        if isinstance(seen, str):
            return seen
        age = (datetime.now(UTC) - seen.seen_at).total_seconds()
        log.info("node id %s was seen %.1f s ago: waiting to see whether it still runs", node, age)
        wait(max(0.0, ALIVE_S - age) + BEAT_S / 2)
        claimed = self._claim(node, role, sip, http, seen.seen_at)
        if isinstance(claimed, str):
            return claimed
        raise NodeError(
            f"node id {node!r} is in use by a running node (at {claimed.sip or claimed.http}): "
            "give this one its own with --node"
        )

    def _claim(
        self, node: str, role: Role, sip: str | None, http: str | None, stale: datetime | None
    ) -> str | Node:
        """The boot id when the row is free (absent, not seen for ALIVE_S, or not seen since
        `stale`); else the live node that holds it."""
        now = datetime.now(UTC)
        boot = secrets.token_hex(8)
        values = {"role": role.value, "sip": sip, "http": http, "boot": boot, "seen_at": now,
                  "started_at": now, "draining": False, "dialogues": 0}  # fmt: skip
        with self.engine.begin() as conn:
            lock_transaction(conn, f"node:{node}")
            found = conn.execute(select(nodes).where(nodes.c.id == node)).first()
            if found is None:
                conn.execute(insert(nodes).values(id=node, **values))
                return boot
            held = _node(found)
            fresh = now - held.seen_at < timedelta(seconds=ALIVE_S)
            if fresh and (stale is None or held.seen_at > stale):
                return held
            conn.execute(update(nodes).where(nodes.c.id == node).values(**values))
        return boot

    def beat(self, node: str, boot: str, dialogues: int) -> bool:
        """Say this node is alive; whether it is to drain. Raises NodeError when another
        process took the row over (this one was taken as dead)."""
        with self.engine.begin() as conn:
            done = conn.execute(
                update(nodes)
                .where(nodes.c.id == node, nodes.c.boot == boot)
                .values(seen_at=datetime.now(UTC), dialogues=dialogues)
            )
            if not done.rowcount:
                raise NodeError(f"node {node!r} was taken over by another process")
            return bool(conn.execute(select(nodes.c.draining).where(nodes.c.id == node)).scalar())

    def drain(self, node: str, on: bool = True) -> bool:
        """Tell `node` to take no new calls (or to take them again); False if unknown."""
        with self.engine.begin() as conn:
            done = conn.execute(update(nodes).where(nodes.c.id == node).values(draining=on))
        if done.rowcount:
            log.info("node %s %s", node, "draining" if on else "taking calls again")
        return bool(done.rowcount)

    def leave(self, node: str, boot: str) -> None:
        """A node that stops cleanly removes its row."""
        with self.engine.begin() as conn:
            conn.execute(delete(nodes).where(nodes.c.id == node, nodes.c.boot == boot))

    def all(self) -> list[Node]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(nodes).order_by(nodes.c.id)).all()
        return [_node(r) for r in rows]


def _node(r: Any) -> Node:
    return Node(r.id, r.role, r.sip, r.http, _aware(r.started_at), _aware(r.seen_at),
                bool(r.draining), int(r.dialogues))  # fmt: skip
