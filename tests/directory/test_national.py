"""The national reference set in ../shared/data imports whole and makes sense."""

from __future__ import annotations

import pytest

from veertien.directory import Directory
from veertien.numbering import dutch_area_codes


def test_national_set_loads_completely(national: Directory) -> None:
    assert len(national.municipalities) == 342
    assert len(national.places) == 5957
    assert len(national.postcodes) == 4699
    assert set(national.area_codes()) == set(dutch_area_codes())


def test_aliases_from_the_reference_set(national: Directory) -> None:
    assert [m.name for m in national.find_municipalities("Den Bosch")] == ["'s-Hertogenbosch"]
    assert [m.name for m in national.find_municipalities("den haag")] == ["'s-Gravenhage"]
    assert [m.code for m in national.find_municipalities("Ljouwert")] == ["GM0080"]


@pytest.mark.parametrize(("name", "count"), [("Velp", 2), ("Beek", 4), ("Bergen", 2)])
def test_homonym_places_are_kept_apart(national: Directory, name: str, count: int) -> None:
    places = national.find_places(name)
    assert len({p.municipality for p in places}) == count


def test_two_municipalities_called_bergen(national: Directory) -> None:
    assert {m.province for m in national.find_municipalities("Bergen")} == {
        "Noord-Holland",
        "Limburg",
    }


def test_postcodes_map_to_municipalities(national: Directory) -> None:
    assert national.postcodes["4461"].municipality == "GM0664"  # Goes
    assert national.postcodes["8161"].municipality == "GM0232"  # Epe
