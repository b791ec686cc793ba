"""Speech for the national number over a scripted recogniser: the whole lexicon shortlisted,
every name confirmed (never an unconfirmed transfer from 6,000 names), a name in several
municipalities narrowed at once, spoken postcodes, and a question limited to some codes."""

from __future__ import annotations

from functools import partial

import pytest

from veertien.call.port import Understanding
from veertien.directory import Directory
from veertien.directory.lexicon import Lexicon, lexicon_of
from veertien.ivr.flow import DIGITS
from veertien.speech.matcher import Action, Name, NameMatcher
from veertien.speech.national import among_matcher, national_matcher
from veertien.speech.pool import Heard, Listener
from veertien.speech.recogniser import Context, Engine, Scores, Transcript


class Saying(Listener):
    """Transcribes `text`; of the names it is asked to score, `name` fits the audio."""

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name = text, name
        self.contexts: list[Context] = []

    async def hear(
        self, pcm16k: bytes, context: Context, names: tuple[Name, ...] | None = None
    ) -> list[Heard]:
        self.contexts.append(context)
        texts = sorted({n.text for n in names or ()})
        logliks = tuple((t, -1.0 if t == self.name else -30.0) for t in texts)
        scores = Scores(self.text, 0.02, logliks, tuple((t, -12.0) for t in texts))
        matcher = NameMatcher(names or ())
        result = matcher.match([(self.text, 1.0)])
        return [Heard(Engine.WHISPER, (Transcript(self.text, 1.0),), 0.01, result, scores)]


@pytest.fixture(scope="module")
def lexicon(national: Directory) -> Lexicon:
    return lexicon_of(national)


def understanding(lexicon: Lexicon, listener: Listener) -> Understanding:
    return Understanding(
        listener,
        national_matcher(lexicon),
        (),
        narrowed=partial(among_matcher, lexicon),
        open_lexicon=True,
    )


async def test_a_clear_municipality_is_still_confirmed(lexicon: Lexicon) -> None:
    listener = Saying("Reimerswaal", "Reimerswaal")
    heard = await understanding(lexicon, listener).understand(b"\0\0" * 800)
    assert (heard.action, heard.municipality) == (Action.CONFIRM, "GM0703")
    assert listener.contexts[0].open


async def test_a_name_in_several_municipalities_goes_to_its_narrowing(lexicon: Lexicon) -> None:
    heard = await understanding(lexicon, Saying("Zevenhuizen", "Zevenhuizen")).understand(b"x")
    assert (heard.action, heard.municipality) == (Action.ACCEPT, "many:zevenhuizen")


@pytest.mark.parametrize("among", [(), (DIGITS,)])
async def test_a_spoken_postcode(lexicon: Lexicon, among: tuple[str, ...]) -> None:
    listener = Saying("mijn postcode is vier vier zes een", "")
    heard = await understanding(lexicon, listener).understand(b"x", among)
    assert (heard.action, heard.municipality) == (Action.CONFIRM, "4461")  # easily misheard


async def test_only_digits_count_where_the_postcode_is_asked(lexicon: Lexicon) -> None:
    heard = await understanding(lexicon, Saying("Goes", "Goes")).understand(b"x", (DIGITS,))
    assert (heard.action, heard.municipality) == (Action.RETRY, None)


async def test_the_province_question_listens_for_its_provinces_only(lexicon: Lexicon) -> None:
    listener = Saying("Limburg", "Limburg")
    among = ("province:Limburg", "province:Noord-Holland")
    heard = await understanding(lexicon, listener).understand(b"x", among)
    assert (heard.action, heard.municipality) == (Action.ACCEPT, "province:Limburg")
    assert sorted(listener.contexts[0].names) == ["Limburg", "Noord-Holland"]
