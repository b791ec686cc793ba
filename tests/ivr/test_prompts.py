"""The prompt catalogue: every message the platform says exists in Dutch with its parameters,
a new language is one entry, and an unknown message or parameter is a clear error."""

from __future__ import annotations

import pytest

from veertien.ivr.prompts import (
    PROMPTS,
    Prompt,
    PromptError,
    own_text,
    say,
    spoken_text,
)
from veertien.routing import Announcement, Message

EXAMPLE = {
    "first": "Goes",
    "second": "Kapelle",
    "name": "Goes",
    "key": "2",
    "number": "0900 1852",
    "text": "Vandaag dicht.",
}


@pytest.mark.parametrize("id", [*Prompt, *Announcement])
def test_every_message_is_in_dutch(id: str) -> None:
    text = PROMPTS.text(Message.of(id, **EXAMPLE), "nl")
    assert text and text.strip() == text and "{" not in text


def test_parameters_fill_the_sentences() -> None:
    assert spoken_text(say(Prompt.MENU_ITEM, name="Goes", key=2)) == "Voor Goes, toets 2."
    told = Message.of(Announcement.NOT_CONNECTED, name="Haarlemmermeer", number="0900 1852")
    assert spoken_text(told) == (
        "De gemeente Haarlemmermeer is niet via dit nummer bereikbaar. "
        "U kunt de gemeente zelf bellen op 0900 1852."
    )
    unknown = Message.of(Announcement.NOT_CONNECTED, name="Haarlemmermeer", number="")
    assert spoken_text(unknown).endswith(
        "Kijk voor het telefoonnummer op de website van de gemeente."
    )
    assert spoken_text(own_text("Vandaag gesloten.")) == "Vandaag gesloten."


def test_words_are_joined_and_defaults_fill_what_a_message_leaves_open() -> None:
    words = (say(Prompt.AGAIN), say(Prompt.CONFIRM))
    assert spoken_text(words, defaults={"name": "Epe"}) == (
        "Dat heb ik niet goed verstaan. Bedoelt u Epe? Zeg ja of nee, of toets 1 voor ja en 2 "
        "voor nee."
    )
    assert "Heerde" in spoken_text(say(Prompt.CONFIRM, name="Heerde"), defaults={"name": "Epe"})


def test_a_new_language_is_one_entry_per_message() -> None:
    """A made-up language 'xx': one entry, and the greeting is spoken in it; what it lacks is
    said in Dutch rather than not at all."""
    catalogue = PROMPTS.with_entry("xx", Prompt.GREETING, "Blorp, {name}!")
    assert catalogue.languages == ("en", "fy", "nl", "xx")
    assert catalogue.render(say(Prompt.GREETING, name="Goes"), "xx") == "Blorp, Goes!"
    assert catalogue.render(say(Prompt.AGAIN), "xx") == "Dat heb ik niet goed verstaan."
    assert PROMPTS.languages == ("en", "fy", "nl")  # the platform's catalogue is unchanged


def test_every_message_is_written_in_english_and_frisian() -> None:
    """Nothing falls back to Dutch in a call that chose English or Frisian (the municipality's
    own text is spoken as written)."""
    dutch = set(PROMPTS.entries["nl"]) - {Announcement.OWN_TEXT}
    for language in ("en", "fy"):
        assert set(PROMPTS.entries[language]) == dutch, language


def test_unknown_messages_and_missing_parameters_are_errors() -> None:
    with pytest.raises(PromptError, match="no message 'nonsense'"):
        spoken_text(Message.of("nonsense"))
    with pytest.raises(PromptError, match="needs the parameter 'name'"):
        spoken_text(say(Prompt.CONFIRM))
