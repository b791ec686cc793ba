"""From Whisper's scores for one utterance to one calibrated decision.

Two kinds of evidence per municipality (speech.recogniser.Scores):

- **acoustic**: each of its names (and the places shortlisted for it) scored as the whole answer
  against the audio, less what the same name scores on a silent line (the decoder's prior: a
  common word like "Rotterdam" scores well on any audio); the posterior over the call's
  municipalities is a softmax of each one's best name's gain;
- **primed**: how well the transcription made with the names as a prompt matches its names
  (speech.matcher) — strong on clear speech, but the prompt pulls towards a sibling. (A second
  transcription without the names added nothing measurable on our corpora: docs/speech.md.)

They are ranked on one combined score (`Weights`), and the leader's features go through a
logistic `Calibration` fitted on the calibration half of bench/speech_eval.py, so `probability`
means "the probability that this municipality is the one the caller said". The decision:

- accept (transfer without a question): probability at least `accept`, **and** both kinds
  agree: the acoustic leader is the leader and the transcription names it (no unconfirmed
  transfer rests on one primed transcript, nor on the scores alone); a leader by a learned
  alias needs an acoustic posterior of at least `learned_floor` too;
- choose (the two-name question): the first two hold nearly all the acoustic posterior and the
  runner-up is close;
- confirm ("Bedoelt u ...?"): probability at least `confirm`;
- retry: anything else, and whenever Whisper thinks nothing was said (`no_speech`).

Pure and deterministic; table-tested in tests/speech/test_scoring.py.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace

from veertien.speech.matcher import Action, NameMatcher, Result
from veertien.speech.recogniser import Scores

PLACES_SCORED = 4  # places scored against the audio: those the transcriptions resemble most
# names scored from an open lexicon (national): those the transcription resembles most, of
# municipalities (aliases, former names) and organisations, and of places
OPEN_SCORED = 16
OPEN_PLACES = 8


@dataclass(frozen=True, slots=True)
class Evidence:
    """What speaks for one municipality."""

    municipality: str
    name: str  # its best-scoring name
    loglik: float  # that name's log-likelihood less its prior: what the audio adds
    acoustic: float  # posterior among the call's municipalities, 0..1
    primed: float  # similarity of the primed transcription to its names, 0..1
    combined: float  # the ranking score
    learned: bool = False  # its best name is a learned alias (veertien.learning)


@dataclass(frozen=True, slots=True)
class Weights:
    """How the kinds of evidence add up to the ranking score: log(acoustic) plus the
    transcription's similarity times its weight (chosen by bench/speech_eval.py)."""

    # chosen by bench/speech_eval.py on its calibration half (docs/speech_eval.json)
    temperature: float = 4.0  # of the acoustic softmax
    prior: float = 1.0  # how much of a name's prior (silent-line score) is taken off
    primed: float = 2.0


@dataclass(frozen=True, slots=True)
class Calibration:
    """A logistic model over `features`: P(the leader is right)."""

    # fitted by bench/speech_eval.py on its calibration half (docs/speech_eval.json)
    intercept: float = -3.7652
    coefficients: tuple[float, ...] = (0.1065, -0.4962, 2.1182, 1.3933, 0.9326, 0.395)

    def probability(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(c * f for c, f in zip(self.coefficients, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


FEATURES = ("margin", "acoustic", "primed", "no_speech", "agree", "gain")


@dataclass(frozen=True, slots=True)
class Policy:
    """Where the calibrated probability leads (chosen by bench/speech_eval.py on its calibration
    half, docs/speech_eval.json)."""

    accept: float = 0.97
    confirm: float = 0.6
    # the confirm threshold from the caller's second answer on: the alternative to a question
    # is then the keypad menu (the whole key list, twice), not another try; set by that cost,
    # not by the grid (the grid sees first answers only)
    confirm_again: float = 0.3
    choose_pair: float = 0.7  # the first two hold at least this share of the posterior ...
    choose_gap: float = 0.5  # ... and are within this many combined points of each other
    agree: float = 0.8  # a transcription "names" a municipality at this similarity
    no_speech: float = 0.8  # above this, nothing was said
    # a leader whose best name is a learned alias is accepted only with at least this acoustic
    # posterior: what was learned can never transfer a call without the audio's support
    learned_floor: float = 0.6
    weights: Weights = Weights()
    calibration: Calibration = Calibration()

    def to_json(self) -> dict[str, object]:
        return {
            "accept": self.accept,
            "confirm": self.confirm,
            "confirm_again": self.confirm_again,
            "choose_pair": self.choose_pair,
            "choose_gap": self.choose_gap,
            "agree": self.agree,
            "no_speech": self.no_speech,
            "learned_floor": self.learned_floor,
            "weights": {
                "temperature": self.weights.temperature,
                "prior": self.weights.prior,
                "primed": self.weights.primed,
            },
            "calibration": {
                "intercept": self.calibration.intercept,
                "coefficients": dict(zip(FEATURES, self.calibration.coefficients, strict=True)),
            },
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    ranked: tuple[Evidence, ...]  # best first
    probability: float  # that the first is right
    features: tuple[float, ...] = ()

    @property
    def first(self) -> Evidence | None:
        return self.ranked[0] if self.ranked else None

    @property
    def second(self) -> Evidence | None:
        return self.ranked[1] if len(self.ranked) > 1 else None


def shortlist(matcher: NameMatcher, said: str, open_to: Sequence[str] | None = None) -> list[str]:
    """The names to score against the audio: every municipality's names and aliases, and the
    places the transcription resembles most (an area can have 400 places; scoring them all
    would not fit the time). With `open_to` (an open lexicon: the national number's 6,000
    names), only the names the transcription resembles most (`OPEN_SCORED` of municipalities
    and organisations, `OPEN_PLACES` of places), and those given."""
    if open_to is not None:
        named = matcher.closest([said], matcher.kinds - {"place"}, OPEN_SCORED)
        places = matcher.closest([said], frozenset({"place"}), OPEN_PLACES)
        return list(dict.fromkeys([*(n.text for n in named + places), *open_to]))
    names = [n.text for n in matcher.names if n.kind != "place"]
    places = matcher.closest([said], frozenset({"place"}), PLACES_SCORED)
    return list(dict.fromkeys(names + [p.text for p in places]))


Similar = Mapping[str, float]  # the transcription's similarity per municipality


def similar_of(result: Result) -> Similar:
    """{municipality: similarity} from the matcher's result for the transcription."""
    return {m.municipality: m.similarity for m in result.matches}


def transcribed(scores: Scores, matcher: NameMatcher) -> Similar:
    """The transcription matched here (the pool's workers already did it: speech.pool)."""
    return similar_of(matcher.match([(scores.primed, 1.0)])) if scores.primed else {}


def evidence(
    scores: Scores, matcher: NameMatcher, weights: Weights, similar: Similar | None = None
) -> tuple[Evidence, ...]:
    """Every scored municipality's evidence, ranked by the combined score (`similar`: the
    transcription's similarities, when already known)."""
    priors = dict(scores.priors)
    best: dict[str, tuple[float, str]] = {}
    for text, raw in scores.names:
        loglik = raw - weights.prior * priors.get(text, 0.0)
        for code in matcher.owners.get(text, ()):
            if code not in best or loglik > best[code][0]:
                best[code] = (loglik, text)
    if not best:
        return ()
    top = max(v[0] for v in best.values())
    exp = {c: math.exp((v[0] - top) / weights.temperature) for c, v in best.items()}
    total = sum(exp.values())
    primed = transcribed(scores, matcher) if similar is None else similar
    out = []
    for code, (loglik, text) in best.items():
        acoustic = exp[code] / total
        p = primed.get(code, 0.0)
        combined = math.log(max(acoustic, 1e-12)) + weights.primed * p
        learned = (text, code) in matcher.learned
        out.append(Evidence(code, text, loglik, acoustic, p, combined, learned))
    return tuple(sorted(out, key=lambda e: (-e.combined, e.municipality)))


def features(ranked: Sequence[Evidence], scores: Scores, agree: float) -> tuple[float, ...]:
    """The leader's features for the calibration (in the order of FEATURES)."""
    first = ranked[0]
    margin = first.combined - ranked[1].combined if len(ranked) > 1 else 10.0
    acoustic_leader = max(ranked, key=lambda e: e.acoustic).municipality
    named = first.primed >= agree
    agreed = 1.0 if acoustic_leader == first.municipality and named else 0.0
    gain = max(-20.0, min(first.loglik, 30.0))
    return (min(margin, 10.0), first.acoustic, first.primed, scores.no_speech, agreed, gain)


def decide(
    scores: Scores, matcher: NameMatcher, policy: Policy, similar: Similar | None = None
) -> Verdict:
    """The action for one utterance (see the module's text); `similar` as for `evidence`."""
    ranked = evidence(scores, matcher, policy.weights, similar)
    if not ranked:
        return Verdict(Action.RETRY, (), 0.0)
    feats = features(ranked, scores, policy.agree)
    p = policy.calibration.probability(feats)
    return Verdict(action_for(ranked, feats, p, policy), ranked, round(p, 4), feats)


def action_for(
    ranked: Sequence[Evidence], feats: Sequence[float], p: float, policy: Policy
) -> Action:
    margin, no_speech, agreed = feats[0], feats[3], feats[4]
    if no_speech >= policy.no_speech:
        return Action.RETRY
    first = ranked[0]
    supported = not first.learned or first.acoustic >= policy.learned_floor
    if p >= policy.accept and agreed and supported:
        return Action.ACCEPT
    if len(ranked) > 1:
        pair = ranked[0].acoustic + ranked[1].acoustic
        if pair >= policy.choose_pair and margin <= policy.choose_gap and p >= policy.confirm / 2:
            return Action.CHOOSE
    if p >= policy.confirm:
        return Action.CONFIRM
    return Action.RETRY


def again(policy: Policy) -> Policy:
    """The policy for the caller's second and later answers in one call."""
    return replace(policy, confirm=min(policy.confirm, policy.confirm_again))


def between(verdict: Verdict, pair: Sequence[str], policy: Policy) -> str | None:
    """The answer to the two-name question: one of `pair` when the caller's new utterance puts
    it first, with at least `confirm` probability, and is not itself torn between two names
    (asked again, or two close names again: None, and the caller is asked once more)."""
    first = verdict.first
    if first is None or first.municipality not in pair or verdict.probability < policy.confirm:
        return None
    if verdict.action not in (Action.ACCEPT, Action.CONFIRM):
        return None
    return first.municipality


THRESHOLD_KEYS = frozenset(f.name for f in fields(Policy) if f.type == "float")


def policy_from(overrides: Mapping[str, float]) -> Policy:
    """The default policy with the thresholds a setting overrides (speech_thresholds; the
    transcript policy's own keys are left to speech.policy.transcript_policy)."""
    chosen = {k: float(v) for k, v in overrides.items() if k in THRESHOLD_KEYS}
    return Policy(**chosen)  # type: ignore[arg-type]
