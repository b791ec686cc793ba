"""The front companion (server/front.py) over a fake kamcmd and a fake clock: the table follows
the data and stays fresh, the accounting files become call records one cycle after their
rotation, and nothing is lost while Kamailio's control socket or the database is away."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.server.test_front_records import LINE
from veertien.server import front as front_module
from veertien.server.front import COLLECT_S, REFRESH_S, FrontCompanion
from veertien.server.front_table import FRESH_S
from veertien.server.kamailio import FrontError
from veertien.storage import DataDir
from veertien.storage.live import LiveContext
from veertien.storage.schema import call_records
from veertien.storage.store import Storage


class FakeKamailio:
    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []
        self.failing: set[str] = set()

    async def __call__(self, *command: str) -> None:
        if command[0] in self.failing:
            raise FrontError(f"kamcmd {command[0]}: connection refused")
        self.commands.append(command)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    opened = Storage.open(DataDir(tmp_path / "data"))
    yield opened
    opened.close()


def companion(tmp_path: Path, storage: Storage) -> tuple[FrontCompanion, FakeKamailio, Clock]:
    kamailio, clock = FakeKamailio(), Clock()
    for sub in ("db", "acc"):
        (tmp_path / "front" / sub).mkdir(parents=True, exist_ok=True)
    made = FrontCompanion(
        tmp_path / "front", LiveContext(storage), storage.engine, "front1",
        lambda number: f"h:{number}" if number else None, kamailio, clock,
    )  # fmt: skip
    return made, kamailio, clock


def table(tmp_path: Path) -> list[str]:
    return (tmp_path / "front" / "db" / "front").read_text(encoding="utf-8").splitlines()


def rows(storage: Storage) -> list[dict[str, object]]:
    with storage.engine.connect() as conn:
        found = conn.execute(select(call_records.c.node, call_records.c.body)).all()
    return [{"node": node, **json.loads(body)} for node, body in found]


def test_the_table_follows_the_data_and_says_until_when_it_may_be_used(
    tmp_path: Path, storage: Storage
) -> None:
    front, kamailio, clock = companion(tmp_path, storage)
    asyncio.run(front.refresh())
    assert f"u:0:1:{int(clock.now + FRESH_S)}:0" in table(tmp_path)
    assert r"c\:140320:0:0:sip\:+31320000001@127.0.0.1\:5080:0" in table(tmp_path)
    assert kamailio.commands == [("htable.reload", "front")]
    clock.now += REFRESH_S / 2
    asyncio.run(front.refresh())  # nothing changed, not due: nothing written
    assert front.counts.tables == 1
    clock.now += REFRESH_S
    asyncio.run(front.refresh())  # due: written again, fresh for longer
    assert f"u:0:1:{int(clock.now + FRESH_S)}:0" in table(tmp_path)
    assert front.counts.tables == 2


def test_a_changed_destination_is_in_the_next_table(tmp_path: Path, storage: Storage) -> None:
    front, kamailio, _ = companion(tmp_path, storage)
    asyncio.run(front.refresh())
    settings = storage.config.settings().with_municipality(
        "GM0995", calamity=True, calamity_destination="sip:crisis@127.0.0.1:5080"
    )
    storage.config.save_settings(settings, "test")
    assert isinstance(front.context, LiveContext)
    front.context.refresh()
    asyncio.run(front.refresh())  # a new data version: written at once
    assert r"c\:140320:0:0:sip\:crisis@127.0.0.1\:5080:0" in table(tmp_path)
    assert r"r\:140320:0:0:calamity:0" in table(tmp_path)
    assert len(kamailio.commands) == 2


def test_a_failed_reload_is_counted_and_tried_again(tmp_path: Path, storage: Storage) -> None:
    front, kamailio, _ = companion(tmp_path, storage)
    kamailio.failing.add("htable.reload")
    asyncio.run(front.refresh())
    assert (front.counts.reload_failures, front.written) == (1, None)
    kamailio.failing.clear()
    asyncio.run(front.refresh())
    assert front.written == front.context().data_version


def write_acc(tmp_path: Path, *lines: str, name: str = "direct_1.log") -> None:
    with (tmp_path / "front" / "acc" / name).open("a", encoding="utf-8") as out:
        out.write("".join(f"{line}\n" for line in lines))


def test_records_are_written_one_cycle_after_the_rotation(tmp_path: Path, storage: Storage) -> None:
    front, kamailio, clock = companion(tmp_path, storage)
    write_acc(tmp_path, LINE)
    assert asyncio.run(front.collect()) == 0  # renamed and rotated: a write may still land
    assert kamailio.commands == [("flatstore.k_rotate",)]
    assert [p.name.split("-")[0] for p in (tmp_path / "front" / "acc").iterdir()] == ["rotated"]
    clock.now += COLLECT_S
    assert asyncio.run(front.collect()) == 1
    assert list((tmp_path / "front" / "acc").iterdir()) == []
    [found] = rows(storage)
    assert found["node"] == "front1" and found["caller"] == "h:0612345678"
    assert (found["call_id"], found["municipality"], found["response"]) == (
        "2-5177@127.0.0.1", "GM0995", 302
    )  # fmt: skip
    assert asyncio.run(front.collect()) == 0 and kamailio.commands == [("flatstore.k_rotate",)]


def test_files_wait_while_kamailio_cannot_rotate_them(tmp_path: Path, storage: Storage) -> None:
    front, kamailio, _ = companion(tmp_path, storage)
    kamailio.failing.add("flatstore.k_rotate")
    write_acc(tmp_path, LINE)
    asyncio.run(front.collect())
    asyncio.run(front.collect())  # not rotated: Kamailio may still write into it, not read
    assert rows(storage) == []
    kamailio.failing.clear()
    asyncio.run(front.collect())
    assert asyncio.run(front.collect()) == 1


def test_files_wait_while_the_database_is_away(
    tmp_path: Path, storage: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    front, _, _ = companion(tmp_path, storage)
    write_acc(tmp_path, LINE)
    asyncio.run(front.collect())

    def away(*args: object) -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(front_module, "insert_records", away)
    asyncio.run(front.collect())
    assert front.counts.waiting_files == 1 and rows(storage) == []
    monkeypatch.undo()
    asyncio.run(front.collect())
    assert len(rows(storage)) == 1 and front.counts.waiting_files == 0


def test_a_line_that_is_no_record_is_kept_aside(tmp_path: Path, storage: Storage) -> None:
    front, _, _ = companion(tmp_path, storage)
    write_acc(tmp_path, "INVITE|garbage", LINE)
    asyncio.run(front.collect())
    asyncio.run(front.collect())
    assert len(rows(storage)) == 1 and front.counts.refused == 1
    refused = (tmp_path / "front" / "acc" / "refused.log").read_text(encoding="utf-8")
    assert ":1: not an INVITE with 15 extra fields: INVITE|garbage" in refused


def test_a_table_that_cannot_be_written_is_said_once_and_the_old_one_stays(
    tmp_path: Path,
    storage: Storage,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    front, kamailio, clock = companion(tmp_path, storage)
    asyncio.run(front.refresh())
    before = table(tmp_path)

    def refused(*args: object) -> None:
        raise FrontError("'sip:a|b@c' cannot go into the front's table")

    monkeypatch.setattr(front_module, "write_table", refused)
    for _ in range(3):
        clock.now += REFRESH_S
        asyncio.run(front.refresh())
    assert table(tmp_path) == before and len(kamailio.commands) == 1  # no reload of nothing
    assert sum("cannot be written" in r.message for r in caplog.records) == 1
