"""A scripted media port: what the caller presses or says, and a record of what they heard."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

from veertien.ivr.flow import DIGITS
from veertien.ivr.prompts import Piece
from veertien.ivr.runner import Understood
from veertien.speech.matcher import Action

Answer = str | bytes | None


class FakePort:
    """Each wait takes the next scripted answer: a key, an utterance (bytes) or None (time-out).
    `meanings` says what the speech side makes of each utterance."""

    def __init__(
        self,
        *answers: Answer,
        interrupt: bool = False,
        meanings: Mapping[bytes, Understood | bool | str | None] | None = None,
    ) -> None:
        self.script: deque[Answer] = deque(answers)
        self.heard: list[str] = []
        self.interrupt = interrupt
        self.meanings = dict(meanings or {})
        self.among: list[tuple[str, ...]] = []  # what each understand() was limited to
        self.voices: list[str] = []  # the language each prompt was spoken in
        self.pieces: list[tuple[Piece, ...]] = []  # each prompt's sentences
        self.listening = "nl"  # the language speech is heard in

    async def say(
        self, text: str, barge_in: bool, language: str = "nl", pieces: tuple[Piece, ...] = ()
    ) -> bool:
        self.heard.append(text)
        self.voices.append(language)
        self.pieces.append(pieces)
        return barge_in and self.interrupt and bool(self.script) and self.script[0] is not None

    def use_language(self, language: str) -> None:
        self.listening = language

    async def key(self, timeout: float) -> str | None:
        found = self.script.popleft() if self.script else None
        assert not isinstance(found, bytes), "an utterance where only keys are awaited"
        return found

    async def answer(self, timeout: float, speech: bool) -> Answer:
        found = self.script.popleft() if self.script else None
        return None if isinstance(found, bytes) and not speech else found

    async def understand(self, audio: bytes, among: tuple[str, ...] = ()) -> Understood:
        meaning = self.meanings[audio]
        assert isinstance(meaning, Understood)
        self.among.append(among)
        if among == (DIGITS,):
            digits = meaning.municipality or ""
            return meaning if digits.isdigit() else Understood(Action.RETRY, None, "")
        if among and meaning.municipality not in among:
            return Understood(Action.RETRY, None, meaning.transcript)
        return meaning

    async def yes_no(self, audio: bytes) -> bool | None:
        meaning = self.meanings[audio]
        assert meaning is None or isinstance(meaning, bool)
        return meaning

    async def between(self, audio: bytes, codes: tuple[str, str]) -> str | None:
        """A str meaning is the code the caller named again (None: neither)."""
        meaning = self.meanings[audio]
        assert meaning is None or isinstance(meaning, str)
        return meaning if meaning in codes else None
