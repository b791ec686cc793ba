"""Which languages a shared area's dialogue offers its callers, and by which key.

Dutch is always the dialogue's language at the start. The operator offers other languages
platform-wide (`offer`) and per area code (`areas`, replacing the platform's offer there; an
empty object offers none): each language with the DTMF key that chooses it. In settings.json:

    "languages": {"offer": {"en": "9"}, "areas": {"0511": {"en": "9", "fy": "8"}}}

What a language needs besides its texts (a voice, or the municipality's recordings) is not
known here: the dialogue leaves out what it cannot speak (call/dialogue.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from veertien.numbering import dutch_area_codes
from veertien.platform import SettingsError, mapping

LANGUAGES = ("nl", "en", "fy")  # Dutch, English, Frisian
OFFERABLE = frozenset(LANGUAGES) - {"nl"}
LANGUAGE_KEYS = frozenset("0123456789*")
VOICED = frozenset({"en"})  # espeak-ng speaks them; the others from recordings
NAMES = {"nl": "Nederlands", "en": "Engels", "fy": "Fries"}

Offer = Mapping[str, str]  # language → the key that chooses it


def _offer(key: str, value: object) -> Offer:
    found = dict(mapping(key, value))
    for language, digit in found.items():
        if language not in OFFERABLE:
            raise SettingsError(f"{key}: {language!r} is not one of {sorted(OFFERABLE)}")
        if not isinstance(digit, str) or digit not in LANGUAGE_KEYS:
            raise SettingsError(f"{key}.{language}: the key must be one of 0-9 or *")
    keys = list(found.values())
    if len(set(keys)) != len(keys):
        raise SettingsError(f"{key}: two languages on one key")
    return MappingProxyType(found)


def free_keys(offer: Offer, menu_size: int) -> dict[str, str]:
    """key → language, for the languages of `offer` whose key does not choose one of the
    menu's `menu_size` municipalities (keys 1 to menu_size)."""
    taken = {str(n) for n in range(1, menu_size + 1)}
    return {key: language for language, key in offer.items() if key not in taken}


NATIONAL_KEYS = frozenset("0*")  # the national number's first question takes a postcode (1-9…)


def national_keys(offer: Offer) -> dict[str, str]:
    """key → language, for the languages of `offer` the national dialogue can offer: on 0 or
    *, since its first question takes a postcode, which starts with 1 to 9."""
    return {key: language for language, key in offer.items() if key in NATIONAL_KEYS}


def not_offered(offer: Offer, menu_size: int, spoken: frozenset[str] = VOICED) -> dict[str, str]:
    """language → why a language of `offer` is not offered in a menu of `menu_size` (Dutch,
    for the portal); the languages not named here are offered."""
    free = set(free_keys(offer, menu_size).values())
    why: dict[str, str] = {}
    for language, key in offer.items():
        if language not in free:
            why[language] = f"toets {key} kiest hier een gemeente"
        elif language not in spoken:
            why[language] = (
                "nog niet alle zinnen zijn opgenomen (er bestaat geen stem voor; zie Opnames)"
            )
    return why


@dataclass(frozen=True)
class LanguageSettings:
    offer: Offer = field(default_factory=lambda: MappingProxyType({}))
    areas: Mapping[str, Offer] = field(default_factory=lambda: MappingProxyType({}))

    def for_area(self, area_code: str | None) -> Offer:
        """The languages offered on this area code (the platform's unless the area has its own)."""
        if area_code is not None and area_code in self.areas:
            return self.areas[area_code]
        return self.offer

    def __bool__(self) -> bool:
        return bool(self.offer) or bool(self.areas)

    def to_json(self) -> dict[str, Any]:
        return {
            "offer": dict(self.offer),
            "areas": {area: dict(offer) for area, offer in sorted(self.areas.items())},
        }

    @classmethod
    def from_json(cls, data: object) -> LanguageSettings:
        found = mapping("languages", data)
        unknown = set(found) - {"offer", "areas"}
        if unknown:
            raise SettingsError(f"languages: unknown keys {sorted(unknown)}")
        areas: dict[str, Offer] = {}
        for area, offer in mapping("languages.areas", found.get("areas", {})).items():
            if area not in dutch_area_codes():
                raise SettingsError(f"languages.areas: {area!r} is not a Dutch area code")
            areas[area] = _offer(f"languages.areas.{area}", offer)
        return cls(_offer("languages.offer", found.get("offer", {})), MappingProxyType(areas))
