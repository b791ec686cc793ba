"""The combination policy: agreement → accept, a lone sure Whisper → accept, else confirm/ask."""

from __future__ import annotations

import pytest

from veertien.speech.matcher import Action, Match, Result
from veertien.speech.policy import Policy, combine, yes_no
from veertien.speech.recogniser import Engine

W, S = Engine.WHISPER, Engine.SPHINX
POLICY = Policy(agree_accept=0.7, solo_accept=0.95, confirm=0.6)


def _heard(code: str | None, similarity: float = 1.0, confidence: float | None = None) -> Result:
    if code is None:
        return Result((), Action.RETRY)
    match = Match(code, "x", "x", similarity, similarity if confidence is None else confidence)
    return Result((match,), Action.RETRY)


@pytest.mark.parametrize(
    ("whisper", "sphinx", "action", "code"),
    [
        (_heard("GM0232", 0.8, 0.5), _heard("GM0232"), Action.ACCEPT, "GM0232"),  # agree
        (_heard("GM0232", 0.65), _heard("GM0232"), Action.CONFIRM, "GM0232"),  # agree, far
        (_heard("GM0232", 0.5), _heard("GM0232"), Action.CONFIRM, "GM0232"),  # agree, very far
        (_heard("GM0232", 1.0, 0.97), _heard(None), Action.ACCEPT, "GM0232"),  # lone and sure
        (_heard("GM0232", 1.0, 0.9), _heard(None), Action.CONFIRM, "GM0232"),  # lone, rival near
        (_heard("GM0232", 1.0, 1.0), _heard("GM0228"), Action.CONFIRM, "GM0232"),  # disputed
        (_heard("GM0232", 0.5), _heard("GM0228"), Action.RETRY, "GM0232"),  # disputed and far
        (_heard(None), _heard("GM0228", 0.9), Action.CONFIRM, "GM0228"),  # only sphinx
        (_heard(None), _heard("GM0228", 0.4), Action.RETRY, "GM0228"),
    ],
)
def test_policy_table(whisper: Result, sphinx: Result, action: Action, code: str) -> None:
    result = combine({W: whisper, S: sphinx}, POLICY)
    assert result.action is action
    assert result.best is not None and result.best.municipality == code


def test_nothing_heard_asks_again() -> None:
    assert combine({W: _heard(None), S: _heard(None)}, POLICY) == Result((), Action.RETRY)
    assert combine({}, POLICY).action is Action.RETRY


def test_one_engine_alone_uses_the_solo_rules() -> None:
    assert combine({W: _heard("GM0232", 1.0, 0.99)}, POLICY).action is Action.ACCEPT
    assert combine({W: _heard("GM0232", 0.8, 0.8)}, POLICY).action is Action.CONFIRM
    # pocketsphinx alone never transfers without a confirmation
    assert combine({S: _heard("GM0232", 1.0, 1.0)}, POLICY).action is Action.CONFIRM


@pytest.mark.parametrize(
    ("whisper", "sphinx", "answer"),
    [
        (True, True, True),
        (True, None, True),
        (True, False, False),  # any "nee" is taken: it only means asking again
        (None, True, None),  # pocketsphinx's "ja" alone does not send a call on
        (None, False, False),
        (False, True, False),
        (None, None, None),
    ],
)
def test_a_yes_needs_whisper_and_no_dissent(
    whisper: bool | None, sphinx: bool | None, answer: bool | None
) -> None:
    assert yes_no({W: whisper, S: sphinx}) is answer


def test_yes_no_with_one_engine() -> None:
    assert yes_no({S: True}) is True
    assert yes_no({W: True}) is True
    assert yes_no({}) is None


def test_a_learned_alias_is_confirmed_however_sure_the_transcripts() -> None:
    """Without scores there is no acoustic evidence for a learned alias ("x" here)."""
    agreed = {W: _heard("GM0232"), S: _heard("GM0232")}
    assert combine(agreed, POLICY).action is Action.ACCEPT
    assert combine(agreed, POLICY, frozenset({("x", "GM0232")})).action is Action.CONFIRM
