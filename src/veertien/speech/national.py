"""The speech matcher over the national lexicon (directory.lexicon): its 6,000 names, built once
per directory version and shared by every call to the national number."""

from __future__ import annotations

from veertien.directory.lexicon import Entry, Lexicon, Recent
from veertien.speech.matcher import Name, NameMatcher

_MATCHERS: Recent[NameMatcher] = Recent()


def lexicon_names(entries: tuple[Entry, ...]) -> list[Name]:
    """Lexicon entries as the matcher's names: each text with its code and kind."""
    return [Name(e.text, e.key, e.kind.value) for e in entries]


def national_matcher(lexicon: Lexicon) -> NameMatcher:
    """The matcher over the whole lexicon, built once per directory version."""
    return _MATCHERS.get(lexicon.version, lambda: NameMatcher(lexicon_names(lexicon.entries)))


def among_matcher(lexicon: Lexicon, among: tuple[str, ...]) -> NameMatcher:
    """A matcher for a question that takes only some codes (the provinces of "In welke
    provincie?")."""
    return NameMatcher(lexicon_names(lexicon.among(among)))
