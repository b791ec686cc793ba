"""Learning can never transfer a call on its own: whatever examples came in (any forms, any
municipalities, any callers and times), a leader by a learned alias is accepted only with the
audio's own support — an acoustic posterior of at least the floor — and as the acoustic leader."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from veertien.learning.aliases import Rules, Tally, active, aliases
from veertien.speech.matcher import LEARNED, Action, Name, NameMatcher, names_for
from veertien.speech.recogniser import Scores
from veertien.speech.scoring import Calibration, Policy, decide

CODES = ("GM0664", "GM0678", "GM0703")
DIRECTORY = names_for({"GM0664": ("Goes",), "GM0678": ("Kapelle",), "GM0703": ("Reimerswaal",)})
FORMS = ("ganzenstad", "kaatje", "goes", "reimers", "eh")
LOOSE = Policy(accept=0.0, confirm=0.0, calibration=Calibration(5.0, (1, 1, 1, 0, 1, 1)))

example = st.tuples(st.sampled_from(FORMS), st.sampled_from(CODES), st.integers(0, 6),
                    st.integers(0, 6))  # form, municipality, caller, window  # fmt: skip


def learned(examples: list[tuple[str, str, int, int]]) -> list[Name]:
    counts = Counter((f, c) for f, c, _, _ in examples)
    tallies = [
        Tally("0113", f, c, n, len({k for ff, cc, k, _ in examples if (ff, cc) == (f, c)}),
              len({w for ff, cc, _, w in examples if (ff, cc) == (f, c)}))
        for (f, c), n in counts.items()
    ]  # fmt: skip
    found = aliases(tallies, {}, Rules(support=1, against=0), lambda a, f: frozenset())
    return [Name(form, code, LEARNED) for _, form, code in active(found)]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(example, max_size=40),
    st.sampled_from([*FORMS, "Goes", "Kapelle"]),
    st.lists(st.floats(-20, 30), min_size=8, max_size=8),
)
def test_no_examples_make_a_learned_name_transfer_without_acoustic_support(
    examples: list[tuple[str, str, int, int]], said: str, gains: list[float]
) -> None:
    extra = learned(examples)
    matcher = NameMatcher([*DIRECTORY, *extra])
    texts = list(dict.fromkeys(n.text for n in matcher.names))
    scores = Scores(said, 0.0, tuple(zip(texts, gains, strict=False)), ())
    verdict = decide(scores, matcher, LOOSE)
    first = verdict.first
    if verdict.action is Action.ACCEPT and first is not None and first.learned:
        assert first.acoustic >= LOOSE.learned_floor
        assert first.municipality == max(verdict.ranked, key=lambda e: e.acoustic).municipality
