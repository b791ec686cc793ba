"""From transcripts alone to one action: accept, confirm ("Bedoelt u Epe?") or ask again.

This is the policy for engines that only transcribe (pocketsphinx configured alone, or a
Whisper without scores); with Whisper's candidate scores the dialogue uses speech.scoring.

Whisper transcribes freely (the names in its prompt) and is right more often; pocketsphinx can
only answer with one of the call's names and is often silent. They err differently, so:

- both name the same municipality → accept when Whisper's match is close enough
  (`agree_accept`), else confirm;
- only one has an answer, or they differ → accept only an unambiguous, near-exact Whisper match
  (`solo_accept`); confirm Whisper's best above `confirm`; else ask again.

The thresholds are settings, chosen by measurement (bench/speech_eval.py); the defaults here
are the measured choice. A policy with one engine uses the solo rules only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from veertien.speech.matcher import Action, Match, Result
from veertien.speech.recogniser import Engine


@dataclass(frozen=True, slots=True)
class Policy:
    # Chosen by bench/speech_eval.py on its calibration half (docs/speech_eval.json).
    agree_accept: float = 1.0  # both engines agree: accept at or above this similarity
    solo_accept: float = 0.8  # Whisper alone (pocketsphinx silent): accept at this confidence
    confirm: float = 0.85  # confirm at or above this similarity; below, ask again

    def to_json(self) -> dict[str, float]:
        return {
            "agree_accept": self.agree_accept,
            "solo_accept": self.solo_accept,
            "confirm": self.confirm,
        }


TRANSCRIPT_KEYS = frozenset(f.name for f in fields(Policy))


def transcript_policy(overrides: Mapping[str, float]) -> Policy:
    """The default policy with the thresholds a setting overrides (speech_thresholds; the
    scoring policy's keys are left to speech.scoring.policy_from)."""
    return Policy(**{k: v for k, v in overrides.items() if k in TRANSCRIPT_KEYS})


def combine(
    results: Mapping[Engine, Result],
    policy: Policy,
    learned: frozenset[tuple[str, str]] = frozenset(),
) -> Result:
    """One result: the leading engine's matches and the action the policy gives them. A best
    match on a learned alias (`learned`: (name, code), NameMatcher.learned) is never accepted
    here: without scores there is no acoustic evidence for it (scoring.Policy.learned_floor)."""
    whisper, sphinx = results.get(Engine.WHISPER), results.get(Engine.SPHINX)
    lead = whisper if whisper is not None and whisper.best is not None else sphinx
    if lead is None or lead.best is None:
        return Result((), Action.RETRY)
    other = sphinx if lead is whisper else whisper
    action = _action(lead.best, other, lead is whisper, policy)
    if action is Action.ACCEPT and (lead.best.name, lead.best.municipality) in learned:
        action = Action.CONFIRM
    return replace(lead, action=action)


def _action(best: Match, other: Result | None, transcribed: bool, policy: Policy) -> Action:
    """`transcribed`: `best` comes from the transcribing engine (Whisper)."""
    named = other.best.municipality if other is not None and other.best is not None else None
    agreed = named == best.municipality
    if agreed and best.similarity >= policy.agree_accept:
        return Action.ACCEPT
    if transcribed and named is None and best.confidence >= policy.solo_accept:
        return Action.ACCEPT
    if agreed or best.similarity >= policy.confirm:
        return Action.CONFIRM
    return Action.RETRY


def yes_no(answers: Mapping[Engine, bool | None]) -> bool | None:
    """The caller's answer to "Bedoelt u ...?" from each engine's reading of it. A "ja" sends
    the call on, so it needs Whisper's "ja" and no engine hearing "nee"; any "nee" is taken (it
    only means asking again). pocketsphinx alone (configured without Whisper) decides alone."""
    if Engine.WHISPER not in answers:
        return answers.get(Engine.SPHINX)
    heard = set(answers.values())
    if False in heard:
        return False
    return True if answers[Engine.WHISPER] is True else None
