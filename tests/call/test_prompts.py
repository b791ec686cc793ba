"""Prompt audio from recordings and voices: a recorded sentence is played for its own area
only, the rest synthesised (or said in Dutch where the language has no voice); new recordings
apply from the next prompt and what was made from the old ones is not kept."""

from __future__ import annotations

import asyncio

from tests.call.fakes import SilentVoice
from veertien.call.prompts import AFTER, GAP, PromptCache
from veertien.ivr.prompts import Piece
from veertien.media.g711 import Law, encode, silence

WHAT = Piece("Dat haw ik net goed ferstien.", "Dat heb ik niet goed verstaan.")
GOES = Piece("Foar Goes, druk op 2.", "Voor Goes, toets 2.")
PROMPT = (WHAT, GOES)
TEXT = " ".join(p.text for p in PROMPT)
RECORDED = b"\x10\x20" * 400  # 50 ms of a steady sample


def _audio(cache: PromptCache, area: str = "0113", language: str = "fy") -> bytes:
    return asyncio.run(cache.audio(TEXT, Law.PCMA, language, PROMPT, area))


def test_a_recorded_sentence_is_played_and_the_rest_said_in_dutch() -> None:
    voice = SilentVoice()
    cache = PromptCache(voice, recorded={("0113", "fy", WHAT.text): RECORDED})
    audio = _audio(cache)
    spoken = voice.render("x")
    expected = encode(RECORDED + GAP + spoken, Law.PCMA) + silence(Law.PCMA, AFTER)
    assert audio == expected
    assert voice.texts[0] == GOES.dutch  # no Frisian voice: the Dutch words


def test_another_areas_recording_is_not_heard() -> None:
    voice = SilentVoice()
    cache = PromptCache(voice, recorded={("0113", "fy", WHAT.text): RECORDED})
    audio = _audio(cache, area="0511")
    assert encode(RECORDED, Law.PCMA) not in audio
    assert voice.texts == [WHAT.dutch, GOES.dutch]
    assert cache.missing("0511", "fy", [WHAT.text]) == [WHAT.text]
    assert cache.missing("0113", "fy", [WHAT.text, GOES.text]) == [GOES.text]


def test_a_voiced_language_without_recordings_is_synthesised_whole() -> None:
    voice = SilentVoice()
    cache = PromptCache(voice, voices={"en": voice})
    asyncio.run(cache.audio("Hello. Press 2.", Law.PCMU, "en", (Piece("Hello.", "Hallo."),)))
    assert voice.texts == ["Hello. Press 2."]
    assert cache.speaks("en") and cache.speaks("nl") and not cache.speaks("fy")


def test_new_recordings_apply_from_the_next_prompt() -> None:
    voice = SilentVoice()
    cache = PromptCache(voice)
    before = _audio(cache)
    assert _audio(cache) == before and len(voice.texts) == 2  # from memory the second time
    cache.use_recordings({("0113", "fy", WHAT.text): RECORDED, ("0113", "fy", GOES.text): RECORDED})
    after = _audio(cache)
    assert after != before and encode(RECORDED + GAP + RECORDED, Law.PCMA) in after
    assert cache.generation == 1


def test_the_platforms_recording_is_heard_where_the_area_has_none_of_its_own() -> None:
    voice = SilentVoice()
    own = b"\x30\x00" * 400
    cache = PromptCache(voice, recorded={("", "fy", WHAT.text): RECORDED})
    assert encode(RECORDED, Law.PCMA) in _audio(cache, area="0511")
    assert cache.missing("0511", "fy", [WHAT.text]) == []
    cache.use_recordings({("", "fy", WHAT.text): RECORDED, ("0113", "fy", WHAT.text): own})
    assert encode(own, Law.PCMA) in _audio(cache) and encode(RECORDED, Law.PCMA) not in _audio(
        cache
    )
