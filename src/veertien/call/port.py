"""The dialogue's media port for one call: prompts out, keys and speech in."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from veertien.ivr.runner import Understood
from veertien.media.g711 import Law, encode, silence
from veertien.media.session import RtpSession
from veertien.speech.matcher import NameMatcher, yes_or_no
from veertien.speech.recogniser import Context, Recogniser, resample
from veertien.speech.synthesis import Synthesiser

log = logging.getLogger("veertien.call")
YES_NO = ("ja", "nee")


class PromptCache:
    """Prompt audio per (law, text): synthesised once (off the event loop), then from memory."""

    def __init__(self, synthesiser: Synthesiser) -> None:
        self.synthesiser = synthesiser
        self._audio: dict[tuple[Law, str], bytes] = {}

    async def audio(self, text: str, law: Law) -> bytes:
        found = self._audio.get((law, text))
        if found is None:
            pcm = await asyncio.to_thread(self.synthesiser.render, text)
            found = encode(pcm, law) + silence(law, 1600)  # 200 ms to breathe after it
            self._audio[(law, text)] = found
        return found


class Understanding:
    """Speech for one call: the recogniser (run in a worker thread, never on the loop) and the
    matcher for this call's candidates. Without a recogniser, nothing spoken is understood."""

    def __init__(
        self, recogniser: Recogniser | None, matcher: NameMatcher, names: Sequence[str]
    ) -> None:
        self.recogniser = recogniser
        self.matcher = matcher
        self.names = tuple(names)

    async def _transcribe(self, audio8k: bytes, names: Sequence[str]) -> list[tuple[str, float]]:
        if self.recogniser is None or not audio8k:
            return []
        recogniser = self.recogniser
        found = await asyncio.to_thread(
            recogniser.recognise, resample(audio8k, 8000), Context(tuple(names))
        )
        return [(t.text, t.score) for t in found]

    async def understand(self, audio8k: bytes) -> Understood:
        transcripts = await self._transcribe(audio8k, self.names)
        result = self.matcher.match(transcripts)
        best = result.best
        heard = transcripts[0][0] if transcripts else ""
        return Understood(result.action.value, best.municipality if best else None, heard)

    async def yes_no(self, audio8k: bytes) -> bool | None:
        transcripts = await self._transcribe(audio8k, YES_NO)
        return yes_or_no(transcripts[0][0]) if transcripts else None


class RtpIvrPort:
    """The IVR's media port on an RTP session."""

    def __init__(
        self, session: RtpSession, prompts: PromptCache, understanding: Understanding | None = None
    ) -> None:
        self.session = session
        self.prompts = prompts
        self.understanding = understanding

    async def say(self, text: str, barge_in: bool) -> bool:
        return await self.session.play(await self.prompts.audio(text, self.session.law), barge_in)

    async def key(self, timeout: float) -> str | None:
        return await self.session.key(timeout)

    async def answer(self, timeout: float, speech: bool) -> str | bytes | None:
        return await self.session.answer(timeout, speech and self.understanding is not None)

    async def understand(self, audio: bytes) -> Understood:
        if self.understanding is None:
            return Understood("retry", None, "")
        return await self.understanding.understand(audio)

    async def yes_no(self, audio: bytes) -> bool | None:
        return None if self.understanding is None else await self.understanding.yes_no(audio)
