"""What the learner needs from the rest of the platform: its rules from the settings, and what
the directory already says of a spoken form."""

from __future__ import annotations

from functools import lru_cache

from veertien.directory.model import Directory
from veertien.learning.aliases import Known, Rules
from veertien.platform import PlatformSettings
from veertien.speech.matcher import NameMatcher, matcher_for_codes

NAMES = 0.8  # a form "names" a municipality at this similarity (speech.scoring.Policy.agree)


def rules_of(platform: PlatformSettings) -> Rules:
    return Rules(
        support=platform.learning_support,
        window_s=platform.learning_window_s,
        off=frozenset(platform.learning_off),
    )


def known_in(directory: Directory) -> Known:
    """(area code, form) → the area's municipalities whose names, aliases or places the form
    already matches (a matcher per area, built when first asked)."""

    @lru_cache(maxsize=256)
    def matcher(area: str) -> NameMatcher:
        codes = [m.municipality for m in directory.members(area)]
        return matcher_for_codes(directory, codes)

    def known(area: str, form: str) -> frozenset[str]:
        result = matcher(area).match([(form, 1.0)])
        return frozenset(m.municipality for m in result.matches if m.similarity >= NAMES)

    return known
