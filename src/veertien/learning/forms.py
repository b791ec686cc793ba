"""Spoken forms: what a caller said, reduced to what an alias can be learned for, and grouped
with the forms that are the same words as the recogniser heard them another time.

The same words from different callers (or lines) do not come out of the recogniser the same:
"Gondentai", "Gandentai", "Ganbentai". A learned alias is kept for a group of forms, named by
the form seen first; a form joins a group when it is at least SIMILAR like one of its forms
(spelling or sound key, as the name matcher compares) and at least LOOSE like its first.
"""

from __future__ import annotations

from collections.abc import Iterable
from difflib import SequenceMatcher

from veertien.directory.model import normalise_name
from veertien.speech.matcher import sound_key

SIMILAR = 0.75
LOOSE = 0.6
MAX_FORM = 60  # characters of a spoken form kept (a name is a few words)
MAX_FORM_WORDS = 4


def form_of(said: str, content: list[str]) -> str:
    """The spoken form an alias is learned for: the transcription's content words (no
    "gemeente", "eh"), folded, a repetition said once ("Rondentak. Rondentak. Rondentak." is
    "rondentak": the recogniser loops on short audio); '' when there are none, or too many to
    be a name (a sentence)."""
    words = unrepeated(content)
    whole = unrepeated(normalise_name(said).split())
    if not words or len(words) > MAX_FORM_WORDS or len(whole) > 2 * MAX_FORM_WORDS:
        return ""
    return normalise_name(" ".join(words))[:MAX_FORM]


def unrepeated(words: list[str]) -> list[str]:
    """`words` as the shortest run they repeat (the last copy may be cut short)."""
    for size in range(1, len(words) // 2 + 1):
        unit = words[:size]
        if all(w == unit[i % size] for i, w in enumerate(words[:-1])) and unit[
            (len(words) - 1) % size
        ].startswith(words[-1]):
            return unit
    return words


def similarity(a: str, b: str) -> float:
    spelling = SequenceMatcher(None, a, b, autojunk=False).ratio()
    sound = SequenceMatcher(None, sound_key(a), sound_key(b), autojunk=False).ratio()
    return max(spelling, sound)


def grouped(forms: Iterable[str]) -> dict[str, tuple[str, ...]]:
    """{first form: the forms of its group}, `forms` in the order they were first seen."""
    groups: dict[str, list[str]] = {}
    for form in forms:
        home = next(
            (first for first, members in groups.items()
             if similarity(form, first) >= LOOSE
             and any(similarity(form, m) >= SIMILAR for m in members)),
            None,
        )  # fmt: skip
        groups.setdefault(home or form, []).append(form)
    return {first: tuple(members) for first, members in groups.items()}
