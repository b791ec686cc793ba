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
from dataclasses import dataclass
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
    OFFER = "offer"  # params: key; said in the language it offers ("For English, press 9.")


@dataclass(frozen=True, slots=True)
class Piece:
    """One sentence of a prompt, as a recording replaces it: its words in the prompt's
    language, and in Dutch (what is said where that language has neither voice nor recording)."""

    text: str
    dutch: str


class PromptError(InputError):
    """A message id or parameter the catalogue does not know."""


def _call_yourself(with_number: str, without: str) -> Callable[[Mapping[str, str]], str]:
    """The sentence after "not reachable": the municipality's own number when it has one."""
    return lambda p: with_number.format(**p) if p.get("number") else without


_call_yourself_nl = _call_yourself(
    "U kunt de gemeente zelf bellen op {number}.",
    "Kijk voor het telefoonnummer op de website van de gemeente.",
)


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
    Prompt.OFFER: "Voor Nederlands, toets {key}.",
}


_call_yourself_en = _call_yourself(
    "You can call the municipality directly on {number}.",
    "Please find the phone number on the municipality's website.",
)


ENGLISH: Mapping[str, Template] = {
    Prompt.GREETING: "Welcome to the phone number of your municipality.",
    Prompt.AGAIN: "Sorry, I did not understand that.",
    Prompt.SAY_OR_PRESS: "Say the name of your municipality or town, or press its number.",
    Prompt.MENU_ITEM: "For {name}, press {key}.",
    Prompt.CONFIRM: "Did you mean {name}? Say yes or no, or press 1 for yes and 2 for no.",
    Prompt.BETWEEN: (
        "Did you mean {first} or {second}? Say the name, or press 1 for {first}, 2 for {second}."
    ),
    Prompt.WELCOME: "Welcome to your municipality.",
    Prompt.ASK_NAME: "Say the name of your municipality or town.",
    Prompt.STAY: "For other questions, please stay on the line.",
    Prompt.NO_DEFAULT: (
        "Sorry, we cannot connect you right now. Please find the phone number of your "
        "municipality on its website."
    ),
    Prompt.NATIONAL_WELCOME: "Welcome to 14, the number of the Dutch government.",
    Prompt.NATIONAL_ASK: (
        "Say the name of your municipality or town, or the organisation you are looking for. "
        "You can also enter your postcode."
    ),
    Prompt.POSTCODE: "Enter or say the four digits of your postcode.",
    Prompt.WHICH_PROVINCE: "{name} is in more than one province. Which province?",
    Prompt.WHICH_POSTCODE: (
        "{name} is in more than one municipality. Enter or say the four digits of your postcode."
    ),
    Prompt.OFFER: "For English, press {key}.",
    Announcement.UNAVAILABLE: (
        "{name} cannot be reached on this number right now. Please try again later."
    ),
    Announcement.NOT_CONNECTED: lambda p: (
        f"The municipality of {p['name']} cannot be reached on this number. {_call_yourself_en(p)}"
    ),
    Announcement.NO_DESTINATION: lambda p: (
        f"The municipality of {p['name']} cannot be reached on this number right now. "
        f"{_call_yourself_en(p)}"
    ),
    Announcement.CLOSED: (
        "The municipality of {name} is closed right now. Please find the opening hours on the "
        "municipality's website."
    ),
    Announcement.CALAMITY: (
        "The municipality of {name} cannot be reached because of a disruption. "
        "Please try again later."
    ),
}


_call_yourself_fy = _call_yourself(
    "Jo kinne de gemeente sels skilje op {number}.",
    "Sjoch foar it telefoannûmer op de webside fan de gemeente.",
)


# Frisian is spoken from the recordings a municipality uploads (no voice exists for it): these
# texts are what each recording should say, and what the portal shows beside it.
FRISIAN: Mapping[str, Template] = {
    Prompt.GREETING: "Wolkom by it telefoannûmer fan jo gemeente.",
    Prompt.AGAIN: "Dat haw ik net goed ferstien.",
    Prompt.SAY_OR_PRESS: "Sis de namme fan jo gemeente of wenplak, of druk op it nûmer.",
    Prompt.MENU_ITEM: "Foar {name}, druk op {key}.",
    Prompt.CONFIRM: "Bedoele jo {name}? Sis ja of nee, of druk op 1 foar ja en 2 foar nee.",
    Prompt.BETWEEN: (
        "Bedoele jo {first} of {second}? Sis de namme, of druk op 1 foar {first}, 2 foar {second}."
    ),
    Prompt.WELCOME: "Wolkom by jo gemeente.",
    Prompt.ASK_NAME: "Sis de namme fan jo gemeente of wenplak.",
    Prompt.STAY: "Foar oare fragen bliuwe jo oan 'e line.",
    Prompt.NO_DEFAULT: (
        "Wy kinne jo no spitigernôch net trochferbine. Sjoch foar it telefoannûmer fan jo "
        "gemeente op de webside fan de gemeente."
    ),
    Prompt.NATIONAL_WELCOME: "Wolkom by 14, it nûmer fan de oerheid.",
    Prompt.NATIONAL_ASK: (
        "Sis de namme fan jo gemeente of wenplak, of de organisaasje dy't jo sykje. "
        "Jo kinne ek jo postkoade yntoetsje."
    ),
    Prompt.POSTCODE: "Toetsje of sis de fjouwer sifers fan jo postkoade.",
    Prompt.WHICH_PROVINCE: "{name} leit yn mear as ien provinsje. Yn hokker provinsje?",
    Prompt.WHICH_POSTCODE: (
        "{name} leit yn mear as ien gemeente. Toetsje of sis de fjouwer sifers fan jo postkoade."
    ),
    Prompt.OFFER: "Foar it Frysk, druk op {key}.",
    Announcement.UNAVAILABLE: "{name} is fia dit nûmer no net berikber. Besykje it letter nochris.",
    Announcement.NOT_CONNECTED: lambda p: (
        f"De gemeente {p['name']} is net fia dit nûmer berikber. {_call_yourself_fy(p)}"
    ),
    Announcement.NO_DESTINATION: lambda p: (
        f"De gemeente {p['name']} is fia dit nûmer no net berikber. {_call_yourself_fy(p)}"
    ),
    Announcement.CLOSED: (
        "De gemeente {name} is no ticht. Sjoch foar de iepeningstiden op de webside fan de "
        "gemeente."
    ),
    Announcement.CALAMITY: (
        "De gemeente {name} is troch in steuring tydlik net berikber. Besykje it letter nochris."
    ),
}

CATALOGUE: Mapping[str, Mapping[str, Template]] = {"nl": DUTCH, "en": ENGLISH, "fy": FRISIAN}


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
        return " ".join(piece.text for piece in self.pieces(words, language, defaults))

    def pieces(
        self,
        words: str | Message | Iterable[Message],
        language: str = DEFAULT_LANGUAGE,
        defaults: Mapping[str, str] | None = None,
    ) -> tuple[Piece, ...]:
        """The sentences of `words` one by one (plain text is one piece, in every language)."""
        if isinstance(words, str):
            return (Piece(words, words),)
        if isinstance(words, Message):
            words = (words,)
        if defaults:
            words = (Message.of(m.id, **{**defaults, **m.values}) for m in words)
        return tuple(Piece(self.text(m, language), self.text(m, DEFAULT_LANGUAGE)) for m in words)


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
