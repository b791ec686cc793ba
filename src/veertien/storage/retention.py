"""The scheduled purge (AVG): call records past `record_retention_days`, kept utterances past
their municipality's `audio_retention_days`, caller salts of periods that are over.

`Retention.run()` is blocking; the service runs it in a thread at start and every hour.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, delete

from veertien.platform import RetentionTerms
from veertien.storage.cluster import once
from veertien.storage.learning import LearningStore
from veertien.storage.privacy import CallerHasher
from veertien.storage.samples import AudioSamples
from veertien.storage.schema import call_records

log = logging.getLogger("veertien.storage")
INTERVAL_S = 3600.0


class Purgeable(Protocol):
    """A file of records that can drop those before a time (calls.jsonl)."""

    def purge(self, before: datetime) -> int: ...


@dataclass(frozen=True)
class PurgeResult:
    records: int
    lines: int
    samples: int


def purge_records(engine: Engine, before: datetime) -> int:
    with engine.begin() as conn:
        done = conn.execute(delete(call_records).where(call_records.c.started < before))
        return int(done.rowcount)


@dataclass
class Retention:
    engine: Engine
    terms: Callable[[], RetentionTerms]  # read anew at every run: settings may change
    hasher: CallerHasher | None = None
    samples: AudioSamples | None = None
    journal: Purgeable | None = None
    clock: Callable[[], float] = time.time

    def run(self) -> PurgeResult:
        terms = self.terms()
        now = self.clock()
        before = datetime.fromtimestamp(now, UTC) - timedelta(days=terms.record_days)
        with once(self.engine, "retention") as mine:  # one node purges the shared database
            records = purge_records(self.engine, before) if mine else 0
            examples = 0
            if mine:
                learned_before = int(now) - terms.learning_days * 86_400
                examples = LearningStore(self.engine).purge(learned_before)
        lines = self.journal.purge(before) if self.journal is not None else 0
        samples = 0
        if self.samples is not None:
            samples = self.samples.purge(terms.audio_days, terms.default_audio_days, now)
        if self.hasher is not None:
            self.hasher.days = terms.salt_days
            self.hasher.prepare()
        if records or lines or samples or examples:
            log.info(
                "retention: deleted %d call records and %d journal lines from before %s, "
                "%d audio samples, %d learning examples",
                records,
                lines,
                before.date().isoformat(),
                samples,
                examples,
            )
        return PurgeResult(records, lines, samples)
