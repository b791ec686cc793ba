"""The national lexicon: what each thing a caller may say stands for (table tests)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest

from veertien.directory import Directory
from veertien.directory.lexicon import Kind, Lexicon, lexicon_of, spoken


@pytest.fixture(scope="module")
def lexicon(national: Directory, demo: Directory) -> Lexicon:
    return Lexicon(replace(national, organisations=demo.organisations))


@pytest.mark.parametrize(
    ("said", "municipalities"),
    [
        ("Goes", ("GM0664",)),
        ("Den Haag", ("GM0518",)),  # an alias
        ("'s-Gravenhage", ("GM0518",)),
        ("den bosch", ("GM0796",)),
        ("Weesp", ("GM0363",)),  # a former municipality, merged into Amsterdam
        ("Heerhugowaard", ("GM1980",)),  # former, now Dijk en Waard
        ("Haaren", ("GM0757", "GM0824", "GM0855", "GM0865")),  # former, split over four
        ("Bergen", ("GM0373", "GM0893")),  # two municipalities of that name
        ("Groningen", ("GM0014",)),  # the municipality, not the province
        ("Wemeldinge", ("GM0678",)),  # a place in one municipality
        ("Kloetinge", ("GM0664", "GM0678")),  # a place in two (Goes, Kapelle)
    ],
)
def test_what_a_name_stands_for(
    lexicon: Lexicon, said: str, municipalities: tuple[str, ...]
) -> None:
    meaning = lexicon.lookup(said)
    assert meaning is not None
    assert meaning.municipalities == municipalities
    assert meaning.ambiguous == (len(municipalities) > 1)


def test_zevenhuizen_lies_in_ten_municipalities_in_five_provinces(lexicon: Lexicon) -> None:
    meaning = lexicon.lookup("Zevenhuizen")
    assert meaning is not None and meaning.ambiguous
    provinces = Counter(lexicon.province_of(c) for c in meaning.municipalities)
    assert provinces == {"Groningen": 3, "Fryslân": 2, "Noord-Brabant": 2, "Zuid-Holland": 2,
                         "Utrecht": 1}  # fmt: skip


@pytest.mark.parametrize(
    ("said", "organisation"),
    [("Belastingdienst", "belastingdienst"), ("de belasting", "belastingdienst"),
     ("zorgtoeslag", "toeslagen"), ("UWV", "uwv"), ("Kamer van Koophandel", "kvk")],
)  # fmt: skip
def test_organisations_and_their_synonyms(lexicon: Lexicon, said: str, organisation: str) -> None:
    meaning = lexicon.lookup(said)
    assert meaning is not None and meaning.organisation == organisation
    assert meaning.municipalities == ()


def test_a_municipality_name_beats_hamlets_of_that_name_elsewhere(lexicon: Lexicon) -> None:
    # Goes is also the name of no other official place; a hamlet elsewhere would not make the
    # municipality's own name ambiguous, an official woonplats does (Hengelo, Gelderland)
    hengelo = lexicon.lookup("Hengelo")
    assert hengelo is not None and set(hengelo.municipalities) == {"GM0164", "GM1876"}


def test_provinces_are_only_answers_to_the_province_question(lexicon: Lexicon) -> None:
    assert all(e.kind is not Kind.PROVINCE for e in lexicon.entries)
    keys = [e.key for e in lexicon.provinces]
    assert "province:Zeeland" in keys and len(keys) == 12
    zeeland = lexicon.meaning("province:Zeeland")
    assert zeeland is not None and len(zeeland.municipalities) == 13
    among = lexicon.among(["province:Zeeland", "GM0664"])
    assert {e.key for e in among} == {"province:Zeeland", "GM0664"}
    assert {"Zeeland", "Goes", "Kloetinge"} - {e.text for e in among} == {"Kloetinge"}


def test_postcodes(lexicon: Lexicon) -> None:
    assert lexicon.postcode("4461") == "GM0664"
    assert lexicon.postcode("0000") is None


@pytest.mark.parametrize(
    ("written", "said"),
    [("Berg (?)", "Berg"), ("Zevenhuizen ?", "Zevenhuizen"), ("(De) Dingen", "De Dingen"),
     ("Groot(-)Dochteren", "Groot-Dochteren"),
     ("Groot Medhuizen (Midhuizen ?)", "Groot Medhuizen"),
     ("'s-Heer Arendskerke", "'s-Heer Arendskerke")],
)  # fmt: skip
def test_spoken_forms_of_written_names(written: str, said: str) -> None:
    assert spoken(written) == said


def test_built_once_per_directory_version(demo: Directory) -> None:
    assert lexicon_of(demo) is lexicon_of(demo)
    assert lexicon_of(demo).lookup("Weesp") is not None
