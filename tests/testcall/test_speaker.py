"""The test caller's side of a spoken dialogue: when to speak, and truthful answers."""

from __future__ import annotations

import asyncio
import time

import pytest

from veertien.media.g711 import Law
from veertien.media.session import RtpSession
from veertien.testcall.speaker import reply_to


@pytest.mark.parametrize(
    ("heard", "first", "reply"),
    [
        ("Welkom bij het telefoonnummer van uw gemeente ...", True, "gemeente Epe"),
        ("Meet om mee te telen", True, "gemeente Epe"),  # the greeting, however it was heard
        ("Bedoelt u Epe? Zeg ja of nee.", False, "ja"),
        ("Bedoelt u Eepe? Zeg ja of nee.", False, "ja"),  # a near spelling of the same sound
        ("Bedoelt u Heerde? Zeg ja of nee, of toets 1 voor ja.", False, "nee"),
        ("De doel is heb. Net ja of nee, of toets een voor ja.", False, "nee"),  # unclear: no
        ("Dat heb ik niet goed verstaan. Zeg de naam van uw gemeente.", False, "gemeente Epe"),
        ("Voor Epe, toets 1. Voor Heerde, toets 2.", False, None),  # keys only: nothing to say
        # the two-name question: the caller says the name again
        ("Bedoelt u Epe of Heerde? Zeg de naam, of toets 1 voor Epe.", False, "gemeente Epe"),
    ],
)
def test_a_truthful_caller(heard: str, first: bool, reply: str | None) -> None:
    assert reply_to(heard, "gemeente Epe", first=first) == reply


async def test_an_utterance_ends_when_the_callers_packets_stop() -> None:
    """A phone with silence suppression sends nothing after speaking: the utterance still ends."""
    session = RtpSession(Law.PCMU, None, ("127.0.0.1", 9))
    loud = (b"\x00\x40" * 80) * 1  # 10 ms frames of a loud square-ish signal
    for _ in range(30):
        session._listen(loud + loud)
    session.audio_at = time.monotonic()
    got = await asyncio.wait_for(session.answer(2.0, speech=True), 3.0)
    assert isinstance(got, bytes) and len(got) >= 30 * 320
