"""Callers' numbers are personal data (AVG): records keep a hash under a salt that rotates.

Within one period (`caller_salt_days`, default one day) the same number gives the same hash, so
the reports can count callers who call again; when the period is over its salt is deleted, and
from then on nobody can tell which number a hash was. The salt of the running period is kept in
the database (so a restart does not split a day) and in memory.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine, delete, insert, select

from veertien.records import hash_number
from veertien.storage.cluster import lock_transaction
from veertien.storage.schema import caller_salts

log = logging.getLogger("veertien.storage")
DAY_S = 86_400


class CallerHasher:
    """Hashes numbers with the salt of the current period. `prepare()` (blocking: run it in a
    thread) loads or creates the salts of this period and the next and deletes older ones;
    hashing itself never touches the database."""

    def __init__(
        self, engine: Engine, days: int = 1, clock: Callable[[], float] = time.time
    ) -> None:
        self.engine = engine
        self.days = days
        self.clock = clock
        self._salts: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def period(self, at: float | None = None) -> int:
        return int((self.clock() if at is None else at) // (DAY_S * self.days))

    def __call__(self, number: str | None) -> str | None:
        period = self.period()
        salt = self._salts.get(period)
        if salt is None:  # prepare() has not run for this period yet: make the salt now
            salt = self._ensure(period)
        return hash_number(salt, number)

    def prepare(self) -> None:
        now = self.period()
        for period in (now, now + 1):
            self._ensure(period)
        keep = (now, now + 1)  # any other salt is over, also after caller_salt_days changed
        with self._lock, self.engine.begin() as conn:
            gone = conn.execute(delete(caller_salts).where(caller_salts.c.period.not_in(keep)))
            self._salts = {p: s for p, s in self._salts.items() if p in keep}
        if gone.rowcount:
            log.info(
                "deleted %d expired caller salts: their hashes can no longer be linked",
                gone.rowcount,
            )

    def _ensure(self, period: int) -> bytes:
        with self._lock:
            found = self._salts.get(period)
            if found is not None:
                return found
            with self.engine.begin() as conn:
                lock_transaction(conn, "caller-salt")  # two nodes: one makes it, both use it
                stored = conn.execute(
                    select(caller_salts.c.salt).where(caller_salts.c.period == period)
                ).scalar()
                if stored is None:
                    stored = secrets.token_hex(32)
                    conn.execute(insert(caller_salts).values(period=period, salt=stored))
            self._salts[period] = bytes.fromhex(stored)
            return self._salts[period]
