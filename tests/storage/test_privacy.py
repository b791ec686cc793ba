"""Callers' numbers are hashed under a salt that rotates; an expired salt is gone for good."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.callrecords import record
from veertien.records import HashingSink, MemorySink
from veertien.storage.privacy import DAY_S, CallerHasher
from veertien.storage.schema import caller_salts
from veertien.storage.store import Storage


def test_same_number_same_hash_within_a_period_and_unlinkable_after(storage: Storage) -> None:
    now = [10 * DAY_S + 5.0]
    hasher = CallerHasher(storage.engine, 1, lambda: now[0])
    first = hasher("0612345678")
    assert first is not None and first.startswith("h:") and "0612345678" not in first
    assert hasher("0612345678") == first and hasher("0687654321") != first
    assert hasher(None) is None and hasher("") is None
    again = CallerHasher(storage.engine, 1, lambda: now[0])  # a restart in the same period
    assert again("0612345678") == first
    now[0] += DAY_S
    assert hasher("0612345678") != first
    hasher.prepare()
    with storage.engine.connect() as conn:
        periods = conn.execute(select(caller_salts.c.period)).scalars().all()
    assert sorted(periods) == [11, 12], "the past period's salt is deleted, the next is ready"
    restarted = CallerHasher(storage.engine, 1, lambda: now[0] - DAY_S)
    assert restarted("0612345678") != first, "with its salt gone, the old hash cannot be made"


def test_longer_periods(storage: Storage) -> None:
    hasher = CallerHasher(storage.engine, 7, lambda: 7 * DAY_S * 3 + 1.0)
    assert hasher.period() == 3
    hasher.prepare()
    with storage.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(caller_salts)).scalar() == 2


def test_the_hashing_sink_never_passes_the_number_on() -> None:
    inner = MemorySink()
    sink = HashingSink(inner, lambda n: None if n is None else f"h:{len(n)}")
    sink.write(record(caller="0612345678"))
    assert inner.records[0].caller == "h:10"
