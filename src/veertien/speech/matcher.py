"""From what the caller said (n-best transcripts) to scored municipalities.

Pure and deterministic. A transcript is folded (case, accents, punctuation), stripped of carrier
words ("ik wil graag de gemeente ..."), cut into word spans, and every span is compared with every
name the candidates answer to: the municipality's name, its aliases ("Den Bosch") and its places
(a caller may say the village). Two comparisons count: spelling, and a Dutch sound key that
folds spellings which sound alike (ij/ei, au/ou, g/ch, v/f, z/s, final d/t, double vowels), so
a recogniser's "Eepe" or "Wijhe"/"Weie" still finds its name. The best span per municipality
gives its score; confidence also weighs the margin to the runner-up, so two near neighbours
(Leiden, Leiderdorp) are confirmed rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import Enum

from veertien.directory.model import Directory, normalise_name

CARRIER_WORDS = frozenset(
    [
        "ik",
        "wil",
        "graag",
        "de",
        "het",
        "een",
        "gemeente",
        "gemeentehuis",
        "bellen",
        "bel",
        "voor",
        "met",
        "naar",
        "van",
        "in",
        "te",
        "spreken",
        "alstublieft",
        "alsjeblieft",
        "svp",
        "ja",
        "nou",
        "eh",
        "euh",
        "uh",
        "hm",
        "hallo",
        "goedemorgen",
        "goedemiddag",
        "goedenavond",
        "dag",
        "mag",
        "ik",
        "u",
        "mijn",
        "woonplaats",
        "woon",
        "ben",
        "bij",
        "kunt",
        "verbinden",
        "doorverbinden",
        "is",
        "dat",
        "over",
        "en",
        "of",
        "op",
        "aan",
        "om",
        "er",
        "die",
        "dit",
        "je",
        "we",
        "wat",
        "nog",
        "maar",
        "dan",
        "ook",
        "zo",
        "hier",
        "heb",
        "wordt",
        "graag",
        "gemeenten",
        "woonachtig",
        "uit",
    ]
)
MAX_WORDS = 12  # an answer to "zeg de naam" is short; a long transcript is noise after that
YES = frozenset(
    {"ja", "jawel", "jazeker", "klopt", "correct", "precies", "zeker", "een", "1",
     "yes", "yeah", "yep", "sure", "one"}  # English, for callers who chose it
)  # fmt: skip
NO = frozenset({"nee", "neen", "nein", "niet", "no", "fout", "twee", "2", "nope", "two"})
DIGIT_WORDS = ("nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen")
_DIGITS = {word: str(n) for n, word in enumerate(DIGIT_WORDS)}  # "één" folds to "een"
_SOUNDS = [  # in order: consonant digraphs, a silent h, then vowels and the rest
    ("sch", "s"),
    ("ch", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("h", ""),
    ("ij", "ei"),
    ("y", "ei"),
    ("au", "ou"),
    ("ae", "a"),
    ("oe", "u"),
    ("ie", "i"),
    ("ee", "e"),
    ("aa", "a"),
    ("oo", "o"),
    ("uu", "u"),
    ("dt", "t"),
    ("c", "k"),
    ("q", "k"),
    ("x", "ks"),
    ("v", "f"),
    ("z", "s"),
    ("w", "f"),
]
MAX_SPAN = 4
# How much the engine's own score can lower a match: a clear name heard with a modest engine
# score still counts. Provisional, until the evaluation benchmark calibrates it.
ENGINE_FLOOR = 0.85


class Action(Enum):
    ACCEPT = "accept"  # transfer at once
    CONFIRM = "confirm"  # "Bedoelt u Epe?"
    CHOOSE = "choose"  # "Bedoelt u Amsterdam of Amstelveen?"
    RETRY = "retry"  # ask again, then the keypad


@dataclass(frozen=True, slots=True)
class Thresholds:
    accept: float = 0.85
    confirm: float = 0.55


@dataclass(frozen=True, slots=True)
class Name:
    """Something a caller may say for a municipality."""

    text: str
    municipality: str  # CBS code
    kind: str = "name"  # "name", "alias", "place" or "learned" (veertien.learning)


@dataclass(frozen=True, slots=True)
class Match:
    municipality: str
    said: str  # the words that matched
    name: str  # the name they matched
    similarity: float  # 0..1, the best span
    confidence: float  # similarity weighed by the margin to the runner-up


@dataclass(frozen=True, slots=True)
class Result:
    matches: tuple[Match, ...]  # best first
    action: Action

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


def sound_key(text: str) -> str:
    """A rough Dutch pronunciation key: spellings that sound alike get the same key."""
    key = normalise_name(text).replace(" ", "")
    for spelling, sound in _SOUNDS:
        key = key.replace(spelling, sound)
    key = re.sub(r"(.)\1+", r"\1", key)
    return re.sub(r"d$", "t", key)


def content_words(transcript: str) -> list[str]:
    return [w for w in normalise_name(transcript).split() if w not in CARRIER_WORDS][:MAX_WORDS]


def _spans(words: Sequence[str]) -> Iterable[str]:
    for size in range(1, min(MAX_SPAN, len(words)) + 1):
        for start in range(len(words) - size + 1):
            yield " ".join(words[start : start + size])


LEARNED = "learned"  # the kind of a name learned from calls
FLOOR = 0.5  # below this a span is no match at all: not worth computing exactly


class _Compared:
    """One name, ready to be compared with many spans: its spelling and sound key are the fixed
    side of two SequenceMatchers (which cache what they learn about that side)."""

    __slots__ = ("name", "sound", "spelling")

    def __init__(self, name: Name) -> None:
        self.name = name
        self.spelling = SequenceMatcher(None, "", normalise_name(name.text), autojunk=False)
        self.sound = SequenceMatcher(None, "", sound_key(name.text), autojunk=False)

    def similarity(self, said: str, said_sound: str) -> float:
        """max(spelling ratio, sound-key ratio); 0 when both are surely below FLOOR."""
        best = 0.0
        for matcher, text in ((self.spelling, said), (self.sound, said_sound)):
            matcher.set_seq1(text)
            if matcher.real_quick_ratio() > max(best, FLOOR) and matcher.quick_ratio() > max(
                best, FLOOR
            ):
                best = max(best, matcher.ratio())
        return best


class NameMatcher:
    """Matches transcripts against a fixed set of names (one area's, or the whole country's)."""

    def __init__(self, names: Iterable[Name], thresholds: Thresholds | None = None) -> None:
        self.names = tuple(names)
        self.thresholds = thresholds or Thresholds()
        self._compared = [_Compared(n) for n in self.names]
        owners: dict[str, list[str]] = {}
        for name in self.names:
            owners.setdefault(name.text, []).append(name.municipality)
        self.owners = {text: tuple(codes) for text, codes in owners.items()}  # text → codes
        self.kinds = frozenset(n.kind for n in self.names)
        self.learned = frozenset((n.text, n.municipality) for n in self.names if n.kind == LEARNED)

    def closest(self, texts: Sequence[str], kinds: frozenset[str], limit: int) -> list[Name]:
        """The `limit` names of these kinds that some span of `texts` resembles most (at least
        FLOOR), best first: the places worth scoring against the audio."""
        best: dict[int, float] = {}
        for text in texts:
            for said in _spans(content_words(text)):
                said_sound = sound_key(said)
                for i, compared in enumerate(self._compared):
                    if compared.name.kind in kinds:
                        score = compared.similarity(said, said_sound)
                        if score > max(best.get(i, 0.0), FLOOR):
                            best[i] = score
        # equal resemblance: the longer name first ("Bergen op Zoom" said whole beats "Bergen")
        ranked = sorted(best, key=lambda i: (-best[i], -len(self.names[i].text), i))[:limit]
        return [self.names[i] for i in ranked]

    def match(self, transcripts: Sequence[tuple[str, float]]) -> Result:
        """`transcripts`: n-best (text, engine score 0..1), best first."""
        best: dict[str, tuple[float, str, str]] = {}
        for text, weight in transcripts:
            scale = ENGINE_FLOOR + (1 - ENGINE_FLOOR) * weight
            for said in _spans(content_words(text)):
                said_sound = sound_key(said)
                for compared in self._compared:
                    score = compared.similarity(said, said_sound) * scale
                    name = compared.name
                    if score > best.get(name.municipality, (0.0, "", ""))[0]:
                        best[name.municipality] = (score, said, name.text)
        ranked = sorted(best.items(), key=lambda item: -item[1][0])
        matches = tuple(self._match(code, entry, ranked) for code, entry in ranked[:5])
        return Result(matches, self._action(matches))

    @staticmethod
    def _match(
        code: str, entry: tuple[float, str, str], ranked: list[tuple[str, tuple[float, str, str]]]
    ) -> Match:
        similarity, said, name = entry
        rival = next((e[0] for c, e in ranked if c != code), 0.0)
        margin = max(0.0, similarity - rival)
        confidence = similarity * min(1.0, 0.4 + 2.0 * margin)
        return Match(code, said, name, round(similarity, 3), round(confidence, 3))

    def _action(self, matches: tuple[Match, ...]) -> Action:
        if not matches:
            return Action.RETRY
        if matches[0].confidence >= self.thresholds.accept:
            return Action.ACCEPT
        if matches[0].similarity >= self.thresholds.confirm:
            return Action.CONFIRM
        return Action.RETRY


def matcher_for_codes(
    directory: Directory,
    codes: Iterable[str],
    thresholds: Thresholds | None = None,
    learned: Iterable[tuple[str, str]] = (),
) -> NameMatcher:
    """A matcher for these municipalities: their names, aliases and places, and the aliases
    learned for them (`learned`: (form, code) pairs, veertien.learning)."""
    wanted = {c for c in codes if c in directory.municipalities}
    munis = {c: directory.municipalities[c].names for c in sorted(wanted)}
    places = [(p.name, p.municipality) for p in directory.places if p.municipality in wanted]
    extra = [Name(form, code, LEARNED) for form, code in learned if code in wanted]
    return NameMatcher(names_for(munis, places) + extra, thresholds)


def names_for(
    municipalities: Mapping[str, tuple[str, ...]], places: Iterable[tuple[str, str]] = ()
) -> list[Name]:
    """Names from {code: (name, *aliases)} and (place, code) pairs."""
    names = [
        Name(n, code, "name" if i == 0 else "alias")
        for code, all_names in municipalities.items()
        for i, n in enumerate(all_names)
    ]
    names += [Name(place, code, "place") for place, code in places]
    return names


def yes_or_no(transcript: str) -> bool | None:
    """True for "ja" (or 1), False for "nee" (or 2), None when neither is clearly said."""
    words = set(normalise_name(transcript).split())
    yes, no = bool(words & YES), bool(words & NO)
    return yes if yes != no else None


def spoken_digits(transcript: str) -> str:
    """Digits from a transcript: "vier vier zes een" and "4461" both give "4461"."""
    out = []
    for word in normalise_name(transcript).split():
        if word.isdigit():
            out.append(word)
        elif word in _DIGITS:
            out.append(_DIGITS[word])
    return "".join(out)
