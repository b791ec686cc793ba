"""Fakes for dialogue tests that need no sockets, no espeak-ng and no waiting: an RTP session
whose caller presses scripted keys, and a synthesiser that makes silence."""

from __future__ import annotations

from typing import ClassVar

from veertien.media.g711 import Law
from veertien.media.session import PacingStats, RtpSession


class SilentVoice:
    """Every prompt is 100 ms of silence; the texts asked for are kept."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def render(self, text: str) -> bytes:
        self.texts.append(text)
        return b"\x00\x00" * 800


class ScriptedSession(RtpSession):
    """An RTP session without a socket: `play` returns at once; after the n-th prompt the
    caller presses `script[n]` (None: nothing)."""

    script: ClassVar[list[str | None]] = []
    made: ClassVar[list[ScriptedSession]] = []

    def __init__(
        self,
        law: Law,
        dtmf_payload_type: int | None,
        remote: tuple[str, int],
        stats: PacingStats | None = None,
    ) -> None:
        super().__init__(law, dtmf_payload_type, remote, stats)
        self.played: list[bytes] = []
        self.keys_left = list(self.script)
        self.opened = False
        ScriptedSession.made.append(self)

    async def open(self, host: str) -> int:
        self.opened = True
        return 40000

    def close(self) -> None:
        self.opened = False

    async def play(self, audio: bytes, barge_in: bool = True) -> bool:
        self.played.append(audio)
        key = self.keys_left.pop(0) if self.keys_left else None
        if key is not None:
            self.keys.put_nowait(key)
        return False
