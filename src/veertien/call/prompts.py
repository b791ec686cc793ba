"""Prompt audio for the dialogues: synthesised once per (law, language, text) and kept in
memory, or played from the recordings a municipality uploaded (portal: /opnames).

A prompt is a few sentences (`ivr.prompts.Piece`). A sentence with a recording for the call's
area in the prompt's language is played from it (recordings are per area: what one area's
municipalities upload is heard only by their callers; the operator's for every area, PLATFORM,
where the area has none of its own); the others are synthesised in that
language's voice, or, for a language without a voice (Frisian), said in Dutch. A prompt none
of whose sentences is recorded is synthesised in one go (its intonation whole). New recordings
(`use_recordings`) apply from the next prompt on: what was made from the old ones is forgotten.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence

from veertien.ivr.prompts import DEFAULT_LANGUAGE, Piece
from veertien.media.g711 import Law, encode, silence
from veertien.speech.synthesis import Synthesiser

Key = tuple[Law, str, str, str]  # law, area (NONE where none of it is recorded), language, text
Recorded = Mapping[tuple[str, str, str], bytes]  # (area, language, sentence) → 8 kHz PCM
PLATFORM = ""  # the area of a recording for every area (the operator's), where none has its own
NONE = "-"  # a Key's area where none of the prompt's sentences is recorded
GAP = b"\x00\x00" * 800  # 100 ms between sentences played one by one
AFTER = 1600  # samples of silence after a prompt: 200 ms to breathe


class PromptCache:
    """Prompt audio per (law, language, text): made once (off the event loop), then from
    memory. `voices` maps a language to its synthesiser; Dutch is `synthesiser`'s."""

    def __init__(
        self,
        synthesiser: Synthesiser,
        voices: Mapping[str, Synthesiser] | None = None,
        recorded: Recorded | None = None,
    ) -> None:
        self.synthesiser = synthesiser
        self.voices = dict(voices or {})
        self.recorded: Recorded = dict(recorded or {})
        self.generation = 0  # of the recordings: what was made from older ones is not kept
        self._audio: dict[Key, bytes] = {}
        self._making: dict[tuple[Key, int], asyncio.Future[bytes]] = {}

    def use_recordings(self, recorded: Recorded) -> None:
        """The recordings to play from the next prompt on."""
        self.recorded = dict(recorded)
        self.generation += 1
        self._audio.clear()

    def speaks(self, language: str) -> bool:
        """Whether `language` has a voice (the sentences not recorded are synthesised in it)."""
        return language == DEFAULT_LANGUAGE or language in self.voices

    def recording(self, area: str, language: str, text: str) -> bytes | None:
        """The area's own recording of a sentence, else the platform's, else None."""
        found = self.recorded.get((area, language, text))
        return found if found is not None else self.recorded.get((PLATFORM, language, text))

    def missing(self, area: str, language: str, texts: Collection[str]) -> list[str]:
        """The sentences of `texts` not recorded for `area` (nor for every area) in `language`."""
        return [text for text in texts if self.recording(area, language, text) is None]

    def _key(self, law: Law, area: str, language: str, text: str, pieces: Sequence[Piece]) -> Key:
        recorded = any(self.recording(area, language, p.text) is not None for p in pieces)
        return (law, area if recorded else NONE, language, text)

    async def audio(
        self,
        text: str,
        law: Law,
        language: str = DEFAULT_LANGUAGE,
        pieces: Sequence[Piece] = (),
        area: str = "",
    ) -> bytes:
        key = self._key(law, area, language, text, pieces)
        found = self._audio.get(key)
        if found is not None:
            return found
        return await asyncio.shield(self._started(key, tuple(pieces)))

    def _started(self, key: Key, pieces: tuple[Piece, ...]) -> asyncio.Future[bytes]:
        """The making of this prompt: one, however many calls (and prefetches) ask at once."""
        making = self._making.get((key, self.generation))
        if making is None:
            making = asyncio.ensure_future(self._make(key, pieces, self.generation))
            making.add_done_callback(_quiet)
            self._making[(key, self.generation)] = making
        return making

    async def _make(self, key: Key, pieces: tuple[Piece, ...], generation: int) -> bytes:
        law, area, language, text = key
        try:
            pcm = await asyncio.to_thread(self._pcm, (area, language), text, pieces)
            found = encode(pcm, law) + silence(law, AFTER)
            if generation == self.generation:
                self._audio[key] = found
            return found
        finally:
            self._making.pop((key, generation), None)

    def _pcm(self, where: tuple[str, str], text: str, pieces: tuple[Piece, ...]) -> bytes:
        """Blocking: the prompt's PCM, from recordings where there are, else synthesised."""
        area, language = where
        pieces = pieces or (Piece(text, text),)
        voice = self.voices.get(language, self.synthesiser)
        if self.speaks(language) and area == NONE:
            return voice.render(text)
        parts = []
        for piece in pieces:
            found = self.recording(area, language, piece.text)
            if found is None:
                spoken = self.speaks(language)
                found = (voice if spoken else self.synthesiser).render(
                    piece.text if spoken else piece.dutch
                )
            parts.append(found)
        return GAP.join(parts)

    def prefetch(
        self, prompts: Sequence[tuple[str, tuple[Piece, ...]]], law: Law, area: str = ""
    ) -> None:
        """Start making prompts that will be needed soon (the menu while the greeting plays), so
        no silence opens between them on a cold cache: each a language and its sentences."""
        for language, pieces in prompts:
            text = " ".join(piece.text for piece in pieces)
            key = self._key(law, area, language, text, pieces)
            if key not in self._audio:
                self._started(key, pieces)


def _quiet(done: asyncio.Future[bytes]) -> None:
    """A prefetch nobody awaited does not log its failure as "never retrieved": the prompt is
    made again (and the error reported) when it is played."""
    if not done.cancelled():
        done.exception()
