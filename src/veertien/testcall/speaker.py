"""The test caller's voice and ears, for `veertien call DIALLED --say TEXT`.

The caller takes turns like a person: it listens to the platform until it pauses, transcribes
what it heard (Whisper, the same engine the platform uses, run here in the caller), and answers:
the text when it is asked for a name, and "ja" or "nee" — truthfully — when it is asked
"Bedoelt u ...?". Its words are synthesised with espeak-ng in the voice asked for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from veertien.directory.model import normalise_name
from veertien.media.endpoint import frame_db
from veertien.media.g711 import encode
from veertien.media.session import RtpSession
from veertien.speech.matcher import Name, NameMatcher, content_words
from veertien.speech.synthesis import Synthesiser

PAUSE_S = 0.8  # the platform has finished its turn after this long without speech
LOUD_DB = -40.0
MAX_TURNS = 6
SAME_NAME = 0.75  # "Bedoelt u Epe?" after saying "Epe": the similarity that means "yes"


class ListeningSession(RtpSession):
    """An RTP session that keeps what the other side says, one turn at a time."""

    _turn: bytearray | None = None
    _last_loud: float | None = None

    def _listen(self, pcm: bytes) -> None:
        super()._listen(pcm)
        if self._turn is None:
            return
        if frame_db(pcm) > LOUD_DB:
            self._last_loud = time.monotonic()
        if self._last_loud is not None:
            self._turn += pcm

    async def platform_turn(self, timeout: float) -> bytes | None:
        """8 kHz PCM of the platform's next turn: from its first sound to a pause."""
        self._turn, self._last_loud = bytearray(), None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            if self._last_loud is not None and time.monotonic() - self._last_loud >= PAUSE_S:
                heard, self._turn = bytes(self._turn), None
                return heard
        self._turn = None
        return None


def reply_to(heard: str, text: str, first: bool = False) -> str | None:
    """What a truthful caller who wants `text` answers to `heard` (None: nothing). The first
    turn is the question for the name: a caller says what they want after it, whatever was
    heard of it. To "Bedoelt u A of B?" the caller says the name again."""
    folded = normalise_name(heard)
    if first:  # the first question: whatever Whisper made of it (it can dream up another)
        return text
    if "bedoel" in folded and " of " in f" {_asked(folded)} ":
        return text
    if any(sign in folded for sign in YES_NO_QUESTION):
        return "ja" if _same(_asked(folded), text) else "nee"
    if "naam" in folded or "verstaan" in folded:
        return text
    return None


YES_NO_QUESTION = ("bedoel", "ja of nee", "voor ja", "voor nee")


def _asked(folded: str) -> str:
    """The name in "Bedoelt u Epe? Zeg ja of nee ...": what comes before the instructions,
    without the question's own words."""
    for cut in (" zeg ", " ja of nee", " toets "):
        folded = folded.split(cut, maxsplit=1)[0]
    words = folded.split()
    while words and words[0] in ("bedoelt", "bedoelde", "bedoel", "u", "je", "de", "doel", "is"):
        words.pop(0)
    return " ".join(words)


def _same(asked: str, text: str) -> bool:
    wanted = " ".join(content_words(text)) or text
    best = NameMatcher([Name(wanted, "wanted")]).match([(asked, 1.0)]).best
    return best is not None and best.similarity >= SAME_NAME


class Conversation:
    """Answers the platform's questions until it transfers or ends the call."""

    def __init__(
        self,
        media: ListeningSession,
        text: str,
        voice: Synthesiser,
        transcribe: Callable[[bytes], str],
        show: Callable[[str], None],
    ) -> None:
        self.media = media
        self.text = text
        self.voice = voice
        self.transcribe = transcribe
        self.show = show

    async def run(self, turn_timeout: float = 30.0) -> None:
        for turn in range(MAX_TURNS):
            audio = await self.media.platform_turn(turn_timeout)
            if audio is None:
                return
            if turn == 0:  # asked for the name: a person answers at once, without a second look
                heard = "(the first question)"
            else:
                heard = await asyncio.to_thread(self.transcribe, audio)
            self.show(f"← hears: {heard!r}")
            reply = reply_to(heard, self.text, first=turn == 0)
            if reply is None:
                self.show("  (no question for the caller in that; listening on)")
                continue
            self.show(f"→ says: {reply!r}")
            pcm = await asyncio.to_thread(self.voice.render, reply)
            await self.media.play(encode(pcm, self.media.law), barge_in=False)
