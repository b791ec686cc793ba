"""Table tests for the name matcher: transcripts → names, over demo and national data."""

from __future__ import annotations

import pytest

from veertien.directory import Directory
from veertien.speech.matcher import (
    Action,
    NameMatcher,
    Thresholds,
    content_words,
    names_for,
    sound_key,
    spoken_digits,
    yes_or_no,
)


def area_matcher(directory: Directory, codes: tuple[str, ...]) -> NameMatcher:
    munis = {c: directory.municipalities[c].names for c in codes}
    places = [(p.name, p.municipality) for p in directory.places if p.municipality in codes]
    return NameMatcher(names_for(munis, places))


EPE_AREA = ("GM0232", "GM0246", "GM1773")  # Epe, Heerde, Olst-Wijhe (sliver)


@pytest.mark.parametrize(
    ("said", "code", "action"),
    [
        ("Epe", "GM0232", Action.ACCEPT),
        ("ik wil graag de gemeente Heerde", "GM0246", Action.ACCEPT),
        ("eh ik bel voor Epe alstublieft", "GM0232", Action.ACCEPT),
        ("Eepe", "GM0232", Action.ACCEPT),  # a recogniser's spelling of the same sound
        ("heerden", "GM0246", Action.ACCEPT),
        ("Wapenveld", "GM0246", Action.ACCEPT),  # a place: its municipality
        ("Olst", "GM1773", Action.ACCEPT),  # the sliver is understood by name
    ],
)
def test_names_places_and_carrier_words(
    demo: Directory, said: str, code: str, action: Action
) -> None:
    result = area_matcher(demo, EPE_AREA).match([(said, 1.0)])
    assert result.best is not None and result.best.municipality == code
    assert result.action is action


@pytest.mark.parametrize(
    ("said", "action"),
    [
        ("Deventer", Action.RETRY),
        ("", Action.RETRY),
        ("ja", Action.RETRY),
        ("Ede", Action.CONFIRM),
    ],  # not a candidate, or too close to call: never a silent guess
)
def test_unsure_is_confirmed_or_asked_again(demo: Directory, said: str, action: Action) -> None:
    assert area_matcher(demo, EPE_AREA).match([(said, 1.0)]).action is action


def test_aliases(national: Directory) -> None:
    matcher = NameMatcher(names_for({c: m.names for c, m in national.municipalities.items()}))
    best = matcher.match([("ik wil naar Den Bosch", 1.0)]).best
    assert best is not None and best.municipality == "GM0796"


def test_homonym_places_keep_their_municipalities(national: Directory) -> None:
    places = [(p.name, p.municipality) for p in national.find_places("Velp")]
    matcher = NameMatcher(names_for({}, places))
    result = matcher.match([("Velp", 1.0)])
    assert {m.municipality for m in result.matches} == {"GM0275", "GM1982"}
    assert result.action is not Action.ACCEPT  # two municipalities have a Velp: ask


def test_near_neighbours_are_confirmed(national: Directory) -> None:
    codes = ("GM0546", "GM0547")  # Leiden, Leiderdorp
    matcher = NameMatcher(names_for({c: national.municipalities[c].names for c in codes}))
    assert matcher.match([("Leiden", 1.0)]).best.municipality == "GM0546"  # type: ignore[union-attr]
    assert matcher.match([("Leider", 1.0)]).action is Action.CONFIRM


def test_n_best_and_engine_scores(demo: Directory) -> None:
    result = area_matcher(demo, EPE_AREA).match([("de pee", 0.3), ("Epe", 0.9)])
    assert result.best is not None and result.best.municipality == "GM0232"
    strict = NameMatcher(area_matcher(demo, EPE_AREA).names, Thresholds(accept=0.99))
    assert strict.match([("Eepe", 0.9)]).action is Action.CONFIRM


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Wijhe", "fei"),
        ("Weie", "fei"),
        ("Epe", "epe"),
        ("Eepe", "epe"),
        ("Goes", "gus"),
        ("Gouda", "gouda"),
        ("Raalte", "ralte"),
        ("Heerde", "erde"),
    ],
)
def test_sound_key(text: str, key: str) -> None:
    assert sound_key(text) == key


def test_confirmation_words_and_digits() -> None:
    assert yes_or_no("ja dat klopt") is True
    assert yes_or_no("nee") is False
    assert yes_or_no("ja nee") is None
    assert yes_or_no("misschien") is None
    assert spoken_digits("vier vier zes één") == "4461"
    assert spoken_digits("mijn postcode is 8161") == "8161"
    assert content_words("Ik wil graag de gemeente Goes") == ["goes"]
