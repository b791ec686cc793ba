"""Labelling a call's speech turns, and the spoken form an alias is learned for."""

from __future__ import annotations

import pytest

from veertien.call.learn import how_chosen
from veertien.ivr.flow import Phase
from veertien.ivr.runner import EventKind, IvrEvent
from veertien.learning.examples import Candidate, How, Label, Turn, label_of
from veertien.learning.forms import form_of, grouped
from veertien.speech.matcher import content_words

GOES, KAPELLE = "GM0664", "GM0678"


def turn(leader: str | None) -> Turn:
    candidates = (Candidate(leader, "x", 0.5, 0.5),) if leader else ()
    return Turn("x", (), candidates, 0.5, "confirm")


@pytest.mark.parametrize(
    ("leader", "how", "label"),
    [
        (GOES, How.SPEECH, Label.ACCEPTED),
        (GOES, How.CONFIRMED, Label.CONFIRMED),
        (GOES, How.CHOSEN, Label.CHOSEN),
        (KAPELLE, How.CONFIRMED, Label.CORRECTED),  # "nee" to Kapelle, then Goes confirmed
        (KAPELLE, How.KEYS, Label.KEYED),
        (None, How.KEYS, Label.KEYED),  # nothing understood, then the key
    ],
)
def test_labels(leader: str | None, how: How, label: Label) -> None:
    assert label_of(turn(leader), GOES, how) is label


@pytest.mark.parametrize(
    ("events", "how"),
    [
        ([(EventKind.SPEECH, Phase.MENU), (EventKind.KEY, Phase.REPEAT)], How.KEYS),
        ([(EventKind.SPEECH, Phase.MENU), (EventKind.KEY, Phase.CONFIRM),
          (EventKind.CONFIRMED, Phase.CONFIRM)], How.CONFIRMED),  # key 1 answers the question
        ([(EventKind.SPEECH, Phase.MENU), (EventKind.CHOSEN, Phase.CHOOSE)], How.CHOSEN),
        ([(EventKind.SPEECH, Phase.MENU)], How.SPEECH),
    ],
)  # fmt: skip
def test_how_the_choice_was_made(events: list[tuple[EventKind, Phase]], how: How) -> None:
    assert how_chosen([IvrEvent(kind, "s", phase=phase) for kind, phase in events]) is how


@pytest.mark.parametrize(
    ("said", "form"),
    [
        ("Ganzenstad.", "ganzenstad"),
        ("Eh, de gemeente Ganzenstad", "ganzenstad"),  # carrier words are not the name
        ("", ""),
        ("ik wil graag iemand spreken over mijn paspoort dat kwijt is", ""),  # not a name
        ("Rondentak. Rondentak. Rondentak.", "rondentak"),  # the recogniser looping
        ("Mee Leandem. Mee Leandem. Mee Le", "mee leandem"),  # ... cut short
        ("De neuterhondstads. De neuterhondstads", "neuterhondstads"),
    ],
)
def test_the_spoken_form(said: str, form: str) -> None:
    assert form_of(said, content_words(said)) == form


def test_forms_the_recogniser_wrote_differently_are_one_group() -> None:
    groups = grouped(["gondentai", "goes", "ganbentai", "gandentai", "ramdentai", "kapelle"])
    assert groups == {
        "gondentai": ("gondentai", "ganbentai", "gandentai", "ramdentai"),
        "goes": ("goes",),
        "kapelle": ("kapelle",),
    }
