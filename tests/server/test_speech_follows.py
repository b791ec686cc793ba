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

    async def fake_listener(data: DataDir, settings: Any) -> FakePool | None:
        if settings.speech_workers == 13:
            return None  # cannot start (no model, say)
        started.append(FakePool())
        return started[-1]

    monkeypatch.setattr(service, "_listener", fake_listener)
    manager, live = Manager(), Live()
    follower = SpeechFollower(manager, DataDir(tmp_path), live)  # type: ignore[arg-type]
    await follower.follow()
    assert manager.listener is None and not started  # off by default in these settings
    live.set(speech=True)
    await follower.follow()
    assert manager.listener is started[0]  # on, without a restart
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
