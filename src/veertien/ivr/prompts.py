"""Every sentence a caller hears, in one catalogue keyed by message id and language.

A message is an id with parameters (`routing.Message`): routing and the flows say *which*
message, this module says the words. A language is one entry of `CATALOGUE`: a mapping from
message id to a template, either a `str.format` pattern over the parameters or a function of
them (for a sentence whose shape depends on a parameter). A language that lacks a message falls
back to Dutch, so a partial translation still gives a whole dialogue.

Adding a message in a language is one entry; `Catalogue.with_entry` does it for a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum
from types import MappingProxyType

from veertien.errors import InputError
from veertien.routing import Announcement, Message

DEFAULT_LANGUAGE = "nl"
Template = str | Callable[[Mapping[str, str]], str]
Words = tuple[Message, ...]  # what one prompt says: its messages, spoken one after the other


class Prompt(StrEnum):
    """The dialogue's own messages (routing's announcements are `routing.Announcement`)."""

    GREETING = "greeting"
    AGAIN = "again"  # not understood
    SAY_OR_PRESS = "say_or_press"  # speech on: ask for the name first
    MENU_ITEM = "menu_item"  # params: name, key
    CONFIRM = "confirm"  # params: name
    BETWEEN = "between"  # params: first, second
    WELCOME = "welcome"  # speech on: a short greeting before the name is asked
    ASK_NAME = "ask_name"  # speech on: the name first, in one short sentence
    STAY = "stay"  # after a department menu: no key is the main line
    NO_DEFAULT = "no_default"  # nowhere to send the caller
    NATIONAL_WELCOME = "national_welcome"  # the national number's greeting
    NATIONAL_ASK = "national_ask"  # with speech: a name, an organisation or the postcode
    POSTCODE = "postcode"  # the four digits of the postcode (keys, or said)
    WHICH_PROVINCE = "which_province"  # params: name (a place in several provinces)
    WHICH_POSTCODE = "which_postcode"  # params: name (a place in several municipalities)


class PromptError(InputError):
    """A message id or parameter the catalogue does not know."""


def _call_yourself_nl(p: Mapping[str, str]) -> str:
    if p.get("number"):
        return f"U kunt de gemeente zelf bellen op {p['number']}."
    return "Kijk voor het telefoonnummer op de website van de gemeente."


DUTCH: Mapping[str, Template] = {
    Prompt.GREETING: "Welkom bij het telefoonnummer van uw gemeente.",
    Prompt.AGAIN: "Dat heb ik niet goed verstaan.",
    Prompt.SAY_OR_PRESS: "Zeg de naam van uw gemeente of woonplaats, of toets het nummer.",
    Prompt.MENU_ITEM: "Voor {name}, toets {key}.",
    Prompt.CONFIRM: "Bedoelt u {name}? Zeg ja of nee, of toets 1 voor ja en 2 voor nee.",
    Prompt.BETWEEN: (
        "Bedoelt u {first} of {second}? Zeg de naam, of toets 1 voor {first}, 2 voor {second}."
    ),
    Prompt.WELCOME: "Welkom bij uw gemeente.",
    Prompt.ASK_NAME: "Zeg de naam van uw gemeente of woonplaats.",
    Prompt.STAY: "Voor andere vragen blijft u aan de lijn.",
    Prompt.NO_DEFAULT: (
        "Wij kunnen u nu helaas niet doorverbinden. Kijk voor het telefoonnummer van uw "
        "gemeente op de website van de gemeente."
    ),
    Prompt.NATIONAL_WELCOME: "Welkom bij 14, het nummer van de overheid.",
    Prompt.NATIONAL_ASK: (
        "Zeg de naam van uw gemeente of woonplaats, of de organisatie die u zoekt. "
        "U kunt ook uw postcode toetsen."
    ),
    Prompt.POSTCODE: "Toets of zeg de vier cijfers van uw postcode.",
    Prompt.WHICH_PROVINCE: "{name} ligt in meer dan één provincie. In welke provincie?",
    Prompt.WHICH_POSTCODE: (
        "{name} ligt in meer dan één gemeente. Toets of zeg de vier cijfers van uw postcode."
    ),
    Announcement.UNAVAILABLE: (
        "{name} is via dit nummer op dit moment niet bereikbaar. Probeer het later opnieuw."
    ),
    Announcement.NOT_CONNECTED: lambda p: (
        f"De gemeente {p['name']} is niet via dit nummer bereikbaar. {_call_yourself_nl(p)}"
    ),
    Announcement.NO_DESTINATION: lambda p: (
        f"De gemeente {p['name']} is via dit nummer op dit moment niet bereikbaar. "
        f"{_call_yourself_nl(p)}"
    ),
    Announcement.CLOSED: (
        "De gemeente {name} is op dit moment gesloten. Kijk voor de openingstijden op de "
        "website van de gemeente."
    ),
    Announcement.CALAMITY: (
        "De gemeente {name} is door een storing tijdelijk niet bereikbaar. "
        "Probeer het later opnieuw."
    ),
    Announcement.OWN_TEXT: "{text}",
}

CATALOGUE: Mapping[str, Mapping[str, Template]] = {"nl": DUTCH}


class Catalogue:
    """Templates by language and message id; renders `Words` in a language."""

    def __init__(self, entries: Mapping[str, Mapping[str, Template]]) -> None:
        if DEFAULT_LANGUAGE not in entries:
            raise PromptError(f"a catalogue needs the default language {DEFAULT_LANGUAGE!r}")
        self.entries = MappingProxyType({k: dict(v) for k, v in entries.items()})

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(sorted(self.entries))

    def with_entry(self, language: str, id: str, template: Template) -> Catalogue:
        """A copy with one more (or one replaced) message in one language."""
        entries = {k: dict(v) for k, v in self.entries.items()}
        entries.setdefault(language, {})[id] = template
        return Catalogue(entries)

    def text(self, message: Message, language: str = DEFAULT_LANGUAGE) -> str:
        own = self.entries.get(language, {})
        template = own.get(message.id) or self.entries[DEFAULT_LANGUAGE].get(message.id)
        if template is None:
            raise PromptError(f"no message {message.id!r} in the prompt catalogue")
        values = message.values
        try:
            return template(values) if callable(template) else template.format_map(values)
        except KeyError as exc:
            raise PromptError(f"message {message.id!r} needs the parameter {exc}") from None

    def render(
        self,
        words: str | Message | Iterable[Message],
        language: str = DEFAULT_LANGUAGE,
        defaults: Mapping[str, str] | None = None,
    ) -> str:
        """The sentences of `words`, joined by spaces (plain text as it is). `defaults` fill
        parameters a message does not set itself (the pending choice's `name`, say)."""
        if isinstance(words, str):
            return words
        if isinstance(words, Message):
            words = (words,)
        if defaults:
            words = (Message.of(m.id, **{**defaults, **m.values}) for m in words)
        return " ".join(self.text(m, language) for m in words)


PROMPTS = Catalogue(CATALOGUE)


def say(id: str, **params: str | int) -> Message:
    """A message for a flow: `say(Prompt.MENU_ITEM, name="Goes", key=2)`."""
    return Message.of(id, **{k: str(v) for k, v in params.items()})


def own_text(text: str) -> Message:
    """Words someone wrote (a municipality's message, a flow from JSON), spoken as written."""
    return Message.of(Announcement.OWN_TEXT, text=text)


def spoken_text(
    words: str | Message | Iterable[Message],
    language: str = DEFAULT_LANGUAGE,
    defaults: Mapping[str, str] | None = None,
) -> str:
    """What a caller hears for `words`, from the platform's catalogue."""
    return PROMPTS.render(words, language, defaults)
