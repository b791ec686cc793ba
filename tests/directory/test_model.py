from __future__ import annotations

import pytest

from veertien.directory import (
    ConnectionStatus,
    Directory,
    Membership,
    Municipality,
    SliverRule,
    normalise_name,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("'s-Hertogenbosch", "s hertogenbosch"),
        ("Súdwest-Fryslân", "sudwest fryslan"),
        ("  Noord-Beveland ", "noord beveland"),
        ("EPE", "epe"),
        ("Nuenen, Gerwen en Nederwetten", "nuenen gerwen en nederwetten"),
    ],
)
def test_normalise_name(text: str, folded: str) -> None:
    assert normalise_name(text) == folded


def test_demo_finds_names_aliases_and_places(demo: Directory) -> None:
    assert [m.code for m in demo.find_municipalities("goes")] == ["GM0664"]
    assert [m.code for m in demo.find_municipalities("Mokum")] == ["GM0363"]
    assert [p.municipality for p in demo.find_places("Wemeldinge")] == ["GM0678"]
    assert demo.find_municipalities("Haarlem") == ()


def test_members_are_ordered_by_share_of_the_area(demo: Directory) -> None:
    assert [m.municipality for m in demo.members("0578")] == ["GM0232", "GM0246", "GM1773"]


def test_version_is_a_content_hash(demo: Directory) -> None:
    again = Directory.from_json(demo.to_json())
    assert again.version == demo.version
    changed = dict(demo.municipalities)
    changed["GM0664"] = Municipality("GM0664", "Goes", status=ConnectionStatus.TECHNICAL)
    other = Directory(changed, demo.places, demo.memberships, demo.postcodes, demo.source)
    assert other.version != demo.version


def test_json_round_trip_keeps_everything(demo: Directory) -> None:
    again = Directory.from_json(demo.to_json())
    assert again.municipalities == demo.municipalities
    assert again.places == demo.places
    assert again.memberships == demo.memberships
    assert again.postcodes == demo.postcodes


@pytest.mark.parametrize(
    ("postcodes", "share", "sliver"),
    [(1, 0.2, True), (1, 0.25, False), (2, 0.1, False), (1, 1.0, False), (0, 0.0, True)],
)
def test_sliver_rule(postcodes: int, share: float, sliver: bool) -> None:
    member = Membership("0578", "GM1773", postcodes, 0.1, share)
    assert SliverRule().is_sliver(member) is sliver
