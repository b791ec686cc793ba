"""Choosing the scorer's weights, its calibration and the policy's thresholds from measurements.

Everything here works on what Whisper already produced (speech.recogniser.Scores) for the
calibration half of the corpus, so a choice costs no recognition:

1. `choose_weights`: the ranking weights (prior, primed, temperature) that put the right
   municipality first most often;
2. `fit`: a logistic model of "the leader is right" over the leader's features (speech.scoring
   FEATURES), by Newton's method with a little L2; utterances that name nothing (real speech,
   one speaker of ../shared/speech/nl-read) are negatives;
3. `choose_policy`: the thresholds worth most, where a wrong transfer costs 400 right ones and a
   question about a name nobody said costs 3.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from veertien.speech.matcher import Action, NameMatcher
from veertien.speech.recogniser import Scores
from veertien.speech.scoring import (
    Calibration,
    Evidence,
    Policy,
    Similar,
    Verdict,
    Weights,
    action_for,
    decide,
    evidence,
    features,
    transcribed,
)


@dataclass(frozen=True)
class Item:
    """One utterance's scores; `truth` is None for one that names nothing."""

    truth: str | None
    scores: Scores
    matcher: NameMatcher
    similar: Similar

    @classmethod
    def of(cls, truth: str | None, scores: Scores, matcher: NameMatcher) -> Item:
        return cls(truth, scores, matcher, transcribed(scores, matcher))

    def ranked(self, weights: Weights) -> tuple[Evidence, ...]:
        return evidence(self.scores, self.matcher, weights, self.similar)


def top1(items: Sequence[Item], weights: Weights) -> float:
    right = 0
    for item in items:
        ranked = item.ranked(weights)
        right += bool(ranked) and ranked[0].municipality == item.truth
    return right / max(1, len(items))


def choose_weights(items: Sequence[Item]) -> Weights:
    best = (-1.0, Weights())
    for prior, primed, temperature in itertools.product(
        (0.5, 0.8, 1.0), (0.0, 1.0, 2.0, 4.0, 8.0), (1.0, 2.0, 4.0)
    ):
        weights = Weights(temperature, prior, primed)
        share = top1(items, weights)
        if share > best[0]:
            best = (share, weights)
    return best[1]


def _rows(
    items: Sequence[Item], weights: Weights, agree: float
) -> tuple[list[list[float]], list[int]]:
    xs, ys = [], []
    for item in items:
        ranked = item.ranked(weights)
        if not ranked:
            continue
        xs.append(list(features(ranked, item.scores, agree)))
        ys.append(int(ranked[0].municipality == item.truth))
    return xs, ys


def fit(items: Sequence[Item], weights: Weights, agree: float, l2: float = 1.0) -> Calibration:
    """Logistic regression (Newton's method, L2 on the coefficients, not the intercept)."""
    import numpy as np  # noqa: PLC0415

    xs, ys = _rows(items, weights, agree)
    x = np.hstack([np.ones((len(xs), 1)), np.array(xs, dtype=float)])
    y = np.array(ys, dtype=float)
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[0, 0] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -40, 40)))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = x.T @ (x * (p * (1 - p))[:, None]) + penalty + np.eye(x.shape[1]) * 1e-6
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return Calibration(round(float(w[0]), 4), tuple(round(float(v), 4) for v in w[1:]))


# What each first-answer decision is worth (per utterance), against asking again (0): a
# transfer saves the caller a round; a question about the right name saves most of one; one
# about a wrong name costs a "nee" and a few seconds more than asking again would (a misheard
# "ja" is rare: it needs Whisper's "ja" and no "nee"); a wrong transfer is what must not happen.
WORTH = {
    ("accept", True): 1.0,
    ("accept", False): -400.0,
    ("confirm", True): 0.6,
    ("confirm", False): -0.25,
    ("choose", True): 0.6,  # the right one is among the two
    ("choose", False): -0.25,
    ("retry", True): 0.0,
    ("retry", False): 0.0,
}
QUESTION_ABOUT_NOTHING = -3.0  # a confirm or choose about a name nobody said
TRANSFER_ON_NOTHING = -400.0


def worth(verdict: Verdict, truth: str | None) -> float:
    action = verdict.action
    if truth is None:
        if action is Action.ACCEPT:
            return TRANSFER_ON_NOTHING
        return QUESTION_ABOUT_NOTHING if action is not Action.RETRY else 0.0
    first, second = verdict.first, verdict.second
    if action is Action.CHOOSE:
        pair = {e.municipality for e in (first, second) if e is not None}
        return WORTH[("choose", truth in pair)]
    right = first is not None and first.municipality == truth
    return WORTH[(action.value, right)]


def policies(base: Policy) -> Iterable[Policy]:
    for accept, confirm, pair, gap, no_speech in itertools.product(
        (0.8, 0.85, 0.9, 0.93, 0.95, 0.97, 0.98, 0.99),
        (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7),
        (0.7, 0.8, 0.9, 1.01),
        (0.5, 1.0, 2.0, 3.0),
        (0.8, 0.9, 0.95, 1.0),
    ):
        yield replace(
            base, accept=accept, confirm=confirm, choose_pair=pair, choose_gap=gap,
            no_speech=no_speech,
        )  # fmt: skip


def verdicts(items: Sequence[Item], policy: Policy) -> list[Verdict]:
    """What `policy` decides for each item (the similarities known)."""
    return [decide(i.scores, i.matcher, policy, i.similar) for i in items]


def choose_policy(items: Sequence[Item], base: Policy) -> Policy:
    """The thresholds worth most on these items (ties go to the first, the strictest)."""
    found = verdicts(items, base)
    best: tuple[float, Policy] | None = None
    for policy in policies(base):
        total = 0.0
        for item, verdict in zip(items, found, strict=True):
            decided = verdict
            if verdict.ranked:
                action = action_for(verdict.ranked, verdict.features, verdict.probability, policy)
                decided = replace(verdict, action=action)
            total += worth(decided, item.truth)
        if best is None or total > best[0]:
            best = (total, policy)
    assert best is not None
    return best[1]


def calibrate(names: Sequence[Item], nothing: Sequence[Item]) -> Policy:
    """Weights from the named utterances; the calibration and thresholds from both. (Choosing
    `agree` too, from 0.6 to 0.9, gave nine more first-answer transfers on the evaluation half
    but fewer confirmations and no fewer wrong transfers in the dialogue: it stays 0.8.)"""
    weights = choose_weights(names)
    base = Policy(weights=weights)
    calibration = fit([*names, *nothing], weights, base.agree)
    return choose_policy([*names, *nothing], replace(base, calibration=calibration))
