"""Speech switched on while running takes effect (it used to do nothing: calls waited for a
recogniser that never came); switched off, the pool stops."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from veertien.directory import demo_directory
from veertien.routing import RoutingContext, Settings
from veertien.server import service
from veertien.server.service import SpeechFollower
from veertien.storage import DataDir


class FakePool:
    def __init__(self) -> None:
        self.closed = False

    def close(self) -> None:
        self.closed = True


@dataclass
class Manager:
    listener: Any = None


@dataclass
class Live:
    current: RoutingContext = field(default_factory=lambda: RoutingContext(demo_directory()))

    def set(self, **platform: Any) -> None:
        settings = Settings.from_json({**self.current.settings.to_json(), **platform})
        self.current = RoutingContext(self.current.directory, settings)


async def test_speech_follows_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[FakePool] = []

    async def fake_listener(data: DataDir, settings: Any) -> tuple[FakePool | None, str | None]:
        if settings.speech_workers == 13:
            return None, "no model"  # cannot start
        started.append(FakePool())
        return started[-1], None

    monkeypatch.setattr(service, "_listener", fake_listener)
    manager, live = Manager(), Live()
    live.set(speech=False)
    follower = SpeechFollower(manager, DataDir(tmp_path), live)  # type: ignore[arg-type]
    await follower.follow()
    assert manager.listener is None and not started and follower.reason == "off in the settings"
    live.set(speech=True)
    await follower.follow()
    assert manager.listener is started[0] and follower.reason is None  # on, without a restart
    await follower.follow()
    assert len(started) == 1  # nothing changed: the same pool
    live.set(speech=True, speech_workers=2)
    await follower.follow()
    assert started[0].closed and manager.listener is started[1]  # new workers: a new pool
    live.set(speech=False)
    await follower.follow()
    assert started[1].closed and manager.listener is None
    live.set(speech=True, speech_workers=13)
    await follower.follow()
    await follower.follow()
    assert manager.listener is None and len(started) == 2  # a failure is not retried every second
    assert follower.reason == "no model"


@pytest.mark.usefixtures("voices")
async def test_speech_is_on_by_default_and_health_says_why_it_is_not_listening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh data folder wants speech; when the model cannot load the node runs on keys and
    /health reports "degraded" with the reason."""

    async def no_model(data: DataDir, settings: Any) -> tuple[None, str]:
        return None, "Whisper base is not installed"

    monkeypatch.setattr(service, "_listener", no_model)
    running = await service.start_service(DataDir(tmp_path), "127.0.0.1", 0)
    try:
        assert running.context.current.settings.platform.speech  # nothing configured: on
        assert running.dialogues is not None and running.dialogues.listener is None
        health = running.health()
        assert health["status"] == "degraded"
        assert health["speech"] == {
            "on": True, "listening": False, "reason": "Whisper base is not installed"
        }  # fmt: skip
    finally:
        await running.close()


async def test_without_espeak_there_is_no_dialogue_and_health_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("veertien.server.service.shutil.which", lambda name: None)
    running = await service.start_service(DataDir(tmp_path), "127.0.0.1", 0)
    try:
        assert running.dialogues is None
        health = running.health()
        assert health["status"] == "degraded" and "espeak-ng" in health["speech"]["reason"]
    finally:
        await running.close()


async def test_health_is_ok_when_speech_is_off(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text('{"speech": false}')
    running = await service.start_service(DataDir(tmp_path), "127.0.0.1", 0)
    try:
        health = running.health()
        assert health["status"] == "ok" and health["speech"]["reason"] == "off in the settings"
    finally:
        await running.close()


async def test_health_and_new_calls_when_call_records_cannot_be_written(tmp_path: Path) -> None:
    """A database that fails (restarting, a full disk): /health says degraded with the failing
    writer; calls go on while calls.jsonl has a crash-safe copy and the spool has room, and are
    shed (records before calls) when the journal fails too, or the spool is full."""
    (tmp_path / "settings.json").write_text('{"speech": false}')
    running = await service.start_service(DataDir(tmp_path), "127.0.0.1", 0)
    guard, loop = running.endpoint.core.guard, running.endpoint.loop
    try:
        (database, journal) = running.writers
        database.failing = True  # as after a write that failed
        health = running.health()
        assert health["status"] == "degraded"
        assert health["records"] == {"waiting": 0, "failing": ["call-records-db"], "lost": 0}
        assert not guard.shedding(loop.time())  # spooled: the database is only away
        database.spool = 0  # as with no journal: records before calls
        assert guard.shedding(loop.time() + 1)
        database.spool, database.failing, journal.failing = service.SPOOL, False, True
        assert guard.shedding(loop.time() + 2)
        journal.failing = False
        assert running.health()["status"] == "ok"
    finally:
        await running.close()
