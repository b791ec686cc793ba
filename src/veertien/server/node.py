"""This process as a node of a cluster: it registers, beats, drains when told, and leaves.

A node registers in `nodes` at start (storage.cluster), writes the records its last run kept
only in calls.jsonl (storage.calls.replay) and turns the dialogues it left open when it last
died into records (storage.calls.recover). Then, every BEAT_S, a worker thread
says it is alive, how many dialogues it carries, and reads whether it is to drain: draining,
its SIP core answers new calls and OPTIONS 503, so Kamailio's probes take it out of the
dispatch set while its dialogues finish. Now and then one live node (under a cluster lock)
records the dialogues of nodes that have not been seen for ORPHANS_S and did not come back.

The database may be away for a while (a PostgreSQL restart): beating fails, which is logged
once when it starts and once when it ends; the node goes on routing from its snapshot.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from veertien.sip.core import SipCore
from veertien.storage.calls import recover, replay
from veertien.storage.cluster import BEAT_S, NodeError, NodeStore, Role, once

log = logging.getLogger("veertien")
ORPHANS_S = 30.0  # a node not seen for this long: its open dialogues are recorded by another
ORPHAN_CHECK_S = 10.0


class Membership:
    """One node's row in `nodes`, kept up to date while the node runs."""

    def __init__(self, engine: Engine, node: str, role: Role) -> None:
        self.engine = engine
        self.store = NodeStore(engine)
        self.node = node
        self.role = role
        self.boot: str | None = None
        self.draining = False
        self.reachable = True  # the last beat reached the database
        self.recovered = 0  # dialogues of an earlier run recorded as lost at this start
        self.replayed = 0  # records of an earlier run written from calls.jsonl at this start

    async def join(self, sip: str | None, http: str | None, journal: Path | None = None) -> None:
        """Register (waits a few seconds when this id was just seen: a restart after a kill),
        then write the records of the previous run that only `journal` kept, and record what
        it left open."""
        self.boot = await asyncio.to_thread(self.store.register, self.node, self.role, sip, http)
        if journal is not None:
            self.replayed = await asyncio.to_thread(replay, self.engine, self.node, journal)
        if self.role is not Role.PORTAL:
            self.recovered = await asyncio.to_thread(recover, self.engine, self.node)
        log.info("node %s (%s) joined", self.node, self.role.value)

    async def run(self, core: SipCore | None, dialogues: Callable[[], int]) -> None:
        """Beat every BEAT_S until cancelled; `core` follows the drain flag."""
        checked = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(BEAT_S)
            if not await self._beat(dialogues()):
                return
            if core is not None and core.draining != self.draining:
                core.draining = self.draining
                log.warning(
                    "node %s %s", self.node,
                    "draining: new calls get 503, running dialogues go on" if self.draining
                    else "takes new calls again",
                )  # fmt: skip
            if self.reachable and loop.time() - checked >= ORPHAN_CHECK_S:
                checked = loop.time()
                await self._orphans()

    async def _beat(self, dialogues: int) -> bool:
        """One beat; False when another process took this node's row (stop beating)."""
        assert self.boot is not None
        try:
            self.draining = await asyncio.to_thread(
                self.store.beat, self.node, self.boot, dialogues
            )
        except NodeError as exc:
            log.error("%s: this process no longer beats as %s", exc, self.node)
            return False
        except Exception as exc:  # the database is away: keep routing from the snapshot
            if self.reachable:
                log.error("database unreachable (%s): routing goes on from the snapshot", exc)
            self.reachable = False
            return True
        if not self.reachable:
            log.warning("database reachable again")
        self.reachable = True
        return True

    async def _orphans(self) -> None:
        try:
            await asyncio.to_thread(self.record_orphans)
        except Exception:  # tried again at the next check
            log.exception("recording the dialogues of stopped nodes failed")

    def record_orphans(self) -> int:
        """The open dialogues of nodes gone for ORPHANS_S become records (one node does it)."""
        with once(self.engine, "orphans") as mine:
            if not mine:
                return 0
            gone = datetime.now(UTC) - timedelta(seconds=ORPHANS_S)
            return sum(
                recover(self.engine, n.id)
                for n in self.store.all()
                if n.id != self.node and n.seen_at < gone and n.role != Role.PORTAL.value
            )

    async def leave(self) -> None:
        if self.boot is None:
            return
        try:
            await asyncio.to_thread(self.store.leave, self.node, self.boot)
        except Exception as exc:  # the row goes stale and is taken over at the next start
            log.warning("node %s could not sign off: %s", self.node, exc)
