"""A scripted media port: what the caller presses, and a record of what they heard."""

from __future__ import annotations

from collections import deque


class FakePort:
    def __init__(self, *keys: str | None, interrupt: bool = False) -> None:
        self.script: deque[str | None] = deque(keys)  # one answer per wait; None = time-out
        self.heard: list[str] = []
        self.interrupt = interrupt

    async def say(self, text: str, barge_in: bool) -> bool:
        self.heard.append(text)
        return barge_in and self.interrupt and bool(self.script) and self.script[0] is not None

    async def key(self, timeout: float) -> str | None:
        return self.script.popleft() if self.script else None
