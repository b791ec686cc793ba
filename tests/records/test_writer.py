"""The record writers: what a crash can lose stays small (behind() past the budget makes the
node shed new calls), a failed write is kept and tried again, capacity bounds memory."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tests.sip.helpers import invite, sent
from veertien.records.writer import BatchWriter, JsonRecord
from veertien.sip.core import IncomingRequest, SipCore
from veertien.sip.overload import OverloadGuard
from veertien.sip.transaction import Peer, Transport


class Rec:
    def __init__(self, n: int) -> None:
        self.n = n

    def to_json(self) -> dict[str, Any]:
        return {"n": self.n}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Disk:
    def __init__(self) -> None:
        self.rows: list[int] = []
        self.full = False

    def flush(self, batch: Sequence[JsonRecord]) -> None:
        if self.full:
            raise OSError(28, "No space left on device")
        self.rows += [r.to_json()["n"] for r in batch]


def _writer(disk: Disk, clock: Clock, **kw: Any) -> BatchWriter:
    return BatchWriter(disk.flush, 3600.0, "test", clock=clock, **kw)  # rounds by hand


def test_the_writer_is_behind_once_a_record_waits_past_the_budget() -> None:
    disk, clock = Disk(), Clock()
    writer = _writer(disk, clock, budget_s=0.08)
    writer.write(Rec(1))
    clock.now = 0.05
    assert not writer.behind()
    clock.now = 0.09
    assert writer.behind()  # a crash now would lose more than the budget: shed new calls
    writer.write_now()
    assert not writer.behind() and disk.rows == [1]
    writer.close()


def test_a_batch_still_being_written_counts_against_the_budget() -> None:
    """A slow commit: the records in hand are not safe until it is done, so the writer is
    behind once they are older than the budget, though nothing waits in the queue."""
    clock = Clock()
    seen: list[bool] = []
    writer: BatchWriter

    def slow(batch: Sequence[JsonRecord]) -> None:
        clock.now = 0.2  # the commit takes its time
        seen.append(writer.behind())

    writer = BatchWriter(slow, 3600.0, "test", clock=clock, budget_s=0.08)
    writer.write(Rec(1))
    writer.write_now()
    assert seen == [True] and not writer.behind()  # once written, safe again
    writer.close()


def test_a_spooling_writer_lets_calls_go_on_while_its_database_is_away() -> None:
    """The database's writer when calls.jsonl has every record: a restart of PostgreSQL is
    waited out (up to `spool` records), also while the backlog is written after."""
    disk, clock = Disk(), Clock()
    writer = _writer(disk, clock, budget_s=0.08)
    writer.spool = 3
    disk.full = True
    writer.write(Rec(1))
    writer.write_now()
    clock.now = 1.0
    writer.write(Rec(2))
    assert writer.failing and not writer.behind()
    writer.write(Rec(3))
    writer.write(Rec(4))
    assert writer.behind()  # more than the spool waits: now records before calls
    disk.full = False
    writer.write_now()
    writer.write(Rec(5))
    clock.now = 3.1  # a record far older than the budget: the journal has it, no shedding
    assert not writer.behind()
    writer.write_now()
    assert disk.rows == [1, 2, 3, 4, 5]
    writer.close()


def test_a_spooling_writer_waits_out_a_stalled_write_up_to_its_spool() -> None:
    """A write that hangs (PostgreSQL going down mid-commit) is not a failure yet: a spooling
    writer counts the batch in hand against its spool, not against the time budget."""
    clock = Clock()
    seen: list[bool] = []
    writer: BatchWriter

    def stalled(batch: Sequence[JsonRecord]) -> None:
        clock.now = 5.0  # the commit hangs for seconds
        seen.append(writer.behind())
        writer.write(Rec(9))
        seen.append(writer.behind())  # two in hand and one queued: past a spool of 2

    writer = BatchWriter(stalled, 3600.0, "test", clock=clock, budget_s=0.08)
    writer.spool = 2
    writer.write(Rec(1))
    writer.write(Rec(2))
    writer.write_now()
    assert seen == [False, True] and not writer.behind()
    writer.close()


def test_a_failed_write_is_kept_tried_again_and_nothing_is_lost() -> None:
    disk, clock = Disk(), Clock()
    writer = _writer(disk, clock)
    disk.full = True
    for n in range(5):
        writer.write(Rec(n))
    writer.write_now()
    assert writer.failing and writer.behind() and writer.failures == 1 and writer.depth == 5
    writer.write(Rec(5))
    writer.write_now()
    assert writer.failures == 2 and disk.rows == []
    disk.full = False  # the disk freed
    writer.write_now()
    assert disk.rows == [0, 1, 2, 3, 4, 5] and not writer.failing and writer.lost == 0
    writer.close()


def test_capacity_bounds_what_waits_and_counts_what_is_dropped() -> None:
    disk, clock = Disk(), Clock()
    writer = _writer(disk, clock, capacity=10)
    disk.full = True
    for n in range(25):
        writer.write(Rec(n))
    assert writer.depth == 10 and writer.lost == 15
    writer.close()


def test_records_behind_make_the_core_answer_new_calls_503() -> None:
    behind = [False]
    guard = OverloadGuard(grace_s=0)
    guard.pressure = lambda: behind[0]
    core = SipCore(guard=guard)
    peer = Peer(Transport.UDP, "127.0.0.1", 5061)
    assert isinstance(core.receive(invite(), peer, 0.0)[-1], IncomingRequest)
    behind[0] = True
    (busy,) = sent(core.receive(invite(branch="z9hG4bK-2", call_id="c2"), peer, 0.1))
    assert busy.status == 503 and guard.pressed == 1
    behind[0] = False
    assert isinstance(core.receive(invite(branch="z9hG4bK-3", call_id="c3"), peer, 0.2)[-1],
                      IncomingRequest)  # fmt: skip
