"""The national lexicon: everything a caller to the national number may say, and what it means.

Municipalities (names and aliases: Den Haag, Den Bosch), former municipalities (Weesp →
Amsterdam; Haaren, split over four), places (5,957 in the national set: Zevenhuizen lies in nine
municipalities, there are two Bergens) and government organisations (Belastingdienst, UWV) all
become `Entry`s; what each stands for is a `Meaning` found by its `key`:

- a CBS code ("GM0664") when a text can mean only that municipality;
- "org:<code>" for an organisation;
- "many:<text>" when the text names places (or former municipalities) in several municipalities:
  the dialogue must narrow (routing.narrowing: province or postcode);
- "province:<name>" for a province (the answer to "In welke provincie?").

A municipality's own name beats places of that name elsewhere that are not official
woonplaatsen (hamlets): a caller who says "Hengelo" is not asked about a hamlet. Pure and
immutable; built once per directory version (`lexicon_of`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from threading import Lock
from typing import Generic, TypeVar

from veertien.directory.model import Directory, normalise_name

ORGANISATION = "org:"
MANY = "many:"
PROVINCE = "province:"
MAX_LIKELY = 40  # names in the transcription's prompt (Whisper keeps ~200 tokens)
_UNSURE = re.compile(r"\([^()]*\?\)")  # "(?)", "(Midhuizen ?)": the source was not sure


class Kind(Enum):
    MUNICIPALITY = "municipality"
    ALIAS = "alias"
    FORMER = "former"  # a former municipality's name
    PLACE = "place"
    ORGANISATION = "organisation"
    PROVINCE = "province"


@dataclass(frozen=True, slots=True)
class Entry:
    """Something a caller may say (`text`, as written for the recogniser) and its meaning."""

    text: str
    kind: Kind
    key: str


@dataclass(frozen=True, slots=True)
class Meaning:
    """What a key stands for. `municipalities`: one (go there), several (narrow first), or the
    municipalities of a province; `organisation`: its code."""

    key: str
    name: str  # for prompts and logs: "Zevenhuizen", "Goes", "Belastingdienst"
    municipalities: tuple[str, ...] = ()
    organisation: str | None = None
    province: str | None = None

    @property
    def ambiguous(self) -> bool:
        return self.organisation is None and self.province is None and len(self.municipalities) > 1


def spoken(name: str) -> str:
    """A name as a caller says it: the source's doubts ("Berg (?)") left out, optional parts
    ("(De) Dingen", "Groot(-)Dochteren") kept without their brackets."""
    text = _UNSURE.sub(" ", name).replace("(", "").replace(")", "").replace("?", "")
    return " ".join(text.split())


@dataclass
class _Names:
    """Per folded text: how it is written, and the municipalities it names (own names, and
    places split into official woonplaatsen and hamlets)."""

    text: str
    kind: Kind
    own: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)
    hamlets: set[str] = field(default_factory=set)

    def municipalities(self) -> tuple[str, ...]:
        named = self.own | self.places
        return tuple(sorted(named if self.own else named | self.hamlets))


class Lexicon:
    def __init__(self, directory: Directory) -> None:
        self.version = directory.version
        self.directory = directory
        names = self._names(directory)
        entries: list[Entry] = []
        meanings: dict[str, Meaning] = {}
        for folded, found in names.items():
            codes = found.municipalities()
            if len(codes) == 1:
                key = codes[0]
                meanings[key] = Meaning(key, directory.municipalities[key].name, codes)
            else:
                key = MANY + folded
                meanings[key] = Meaning(key, found.text, codes)
            entries.append(Entry(found.text, found.kind, key))
        for org in directory.organisations:
            key = ORGANISATION + org.code
            meanings[key] = Meaning(key, org.name, organisation=org.code)
            entries += [Entry(n, Kind.ORGANISATION, key) for n in org.names]
        provinces: list[Entry] = []
        for province, members in sorted(self._provinces(directory).items()):
            key = PROVINCE + province
            meanings[key] = Meaning(key, province, tuple(sorted(members)), province=province)
            provinces.append(Entry(province, Kind.PROVINCE, key))
        self.entries = tuple(entries)  # what the first question listens for
        self.provinces = tuple(provinces)  # what "In welke provincie?" listens for
        self._meanings = meanings
        self._likely: dict[str | None, tuple[str, ...]] = {}  # by the caller's area code
        self._by_text: dict[str, Entry] = {}
        for entry in entries:  # a municipality's name before an organisation's synonym
            self._by_text.setdefault(normalise_name(entry.text), entry)

    @staticmethod
    def _names(directory: Directory) -> dict[str, _Names]:
        names: dict[str, _Names] = {}

        def add(text: str, kind: Kind) -> _Names:
            return names.setdefault(normalise_name(text), _Names(text, kind))

        for muni in directory.municipalities.values():
            for i, name in enumerate(muni.names):
                add(name, Kind.MUNICIPALITY if i == 0 else Kind.ALIAS).own.add(muni.code)
        for former in directory.former:
            add(former.name, Kind.FORMER).places.update(former.municipalities)
        for place in directory.places:
            for name in place.names:
                said = spoken(name)
                if normalise_name(said):
                    found = add(said, Kind.PLACE)
                    (found.places if place.official else found.hamlets).add(place.municipality)
        return {k: v for k, v in names.items() if k}

    @staticmethod
    def _provinces(directory: Directory) -> dict[str, set[str]]:
        provinces: dict[str, set[str]] = {}
        for muni in directory.municipalities.values():
            if muni.province:
                provinces.setdefault(muni.province, set()).add(muni.code)
        return provinces

    def meaning(self, key: str) -> Meaning | None:
        return self._meanings.get(key)

    def lookup(self, text: str) -> Meaning | None:
        """The meaning of exactly this text (folded), if the lexicon has it."""
        entry = self._by_text.get(normalise_name(text))
        return self._meanings[entry.key] if entry is not None else None

    def postcode(self, pc4: str) -> str | None:
        """The municipality of a four-digit postcode (None when the table lacks it)."""
        found = self.directory.postcodes.get(pc4)
        return found.municipality if found is not None else None

    def province_of(self, code: str) -> str:
        muni = self.directory.municipalities.get(code)
        return muni.province if muni is not None else ""

    def among(self, keys: Iterable[str]) -> tuple[Entry, ...]:
        """The entries (provinces included) that stand for one of these keys."""
        wanted = frozenset(keys)
        return tuple(e for e in (*self.entries, *self.provinces) if e.key in wanted)

    def likely(self, area: str | None) -> tuple[str, ...]:
        """What a caller most likely says: the organisations' names (a dozen or so), and for a
        caller from area code `area` (a geographic number) its municipalities, then their
        official places; at most `MAX_LIKELY` (the transcription's prompt, and scored against
        the audio beside what the transcription resembles). Worked out once per area."""
        found = self._likely.get(area)
        if found is None:
            directory = self.directory
            names = [o.name for o in directory.organisations]
            if area is not None:
                names += [directory.municipalities[m.municipality].name
                          for m in directory.members(area)]  # fmt: skip
                names += [p.name for p in directory.places if p.official and area in p.area_codes]
            found = self._likely[area] = tuple(dict.fromkeys(names))[:MAX_LIKELY]
        return found


T = TypeVar("T")


class Recent(Generic[T]):
    """What is built from a directory, kept for its few newest versions: built once, then
    shared by every call (and thread) that asks for the same version."""

    def __init__(self, kept: int = 4) -> None:
        self.kept = kept
        self._found: dict[str, T] = {}
        self._lock = Lock()

    def get(self, version: str, make: Callable[[], T]) -> T:
        with self._lock:
            found = self._found.get(version)
            if found is None:
                if len(self._found) >= self.kept:
                    self._found.pop(next(iter(self._found)))
                found = self._found[version] = make()
            return found


_LEXICONS: Recent[Lexicon] = Recent()


def lexicon_of(directory: Directory) -> Lexicon:
    """The lexicon of a directory, built once per directory version (a few kept)."""
    return _LEXICONS.get(directory.version, lambda: Lexicon(directory))
