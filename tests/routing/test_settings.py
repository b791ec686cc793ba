from __future__ import annotations

from typing import Any

import pytest

from veertien.directory import ConnectionStatus
from veertien.routing import MunicipalitySettings, Settings, SettingsError

FULL: dict[str, Any] = {
    "timezone": "Europe/Amsterdam",
    "national_numbers": ["14", "1400"],
    "access_numbers": {"+31 113 000 140": "0113"},
    "area_defaults": {"0113": "sip:kcc@goes.example"},
    "direct_when_single_participant": True,
    "sliver": {"max_postcodes": 2, "max_share_of_municipality": 0.3},
    "municipalities": {
        "GM0664": {
            "destination": "sip:+31113000099@127.0.0.1:5080",
            "status": "technical",
            "hours": {"mon": ["08:30-17:00"]},
            "closed_message": "Wij zijn gesloten.",
            "calamity": True,
            "calamity_destination": "tel:+31201234567",
            "overflow_destination": "sip:overflow@127.0.0.1",
        }
    },
}


def test_settings_read_from_json() -> None:
    settings = Settings.from_json(FULL)
    goes = settings.for_municipality("GM0664")
    assert goes.status is ConnectionStatus.TECHNICAL
    assert goes.calamity and goes.calamity_destination == "tel:+31201234567"
    assert settings.numbering.national_numbers == ("14", "1400")
    assert settings.numbering.access_numbers == {"0113000140": "0113"}
    assert settings.sliver_rule.max_postcodes == 2
    assert settings.for_municipality("GM0232") == MunicipalitySettings()


def test_round_trip_and_version() -> None:
    settings = Settings.from_json(FULL)
    again = Settings.from_json(settings.to_json())
    assert again == settings and again.version == settings.version
    assert Settings().version != settings.version
    changed = settings.with_municipality("GM0664", calamity=False)
    assert changed.version != settings.version
    assert not changed.for_municipality("GM0664").calamity


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"colour": "blue"}, "unknown settings"),
        ({"timezone": "Mars/Olympus"}, "timezone 'Mars/Olympus' is unknown"),
        (
            {"municipalities": {"GM0664": {"destination": "goes"}}},
            "municipalities.GM0664: destination 'goes' is not a sip:",
        ),
        ({"municipalities": {"GM0664": {"status": "half"}}}, "status 'half'"),
        ({"municipalities": {"GM0664": {"volume": 11}}}, "unknown keys"),
        ({"municipalities": {"GM0664": {"hours": ["mon"]}}}, "hours must be an object"),
        ({"municipalities": {"GM0664": {"closed_message": 3}}}, "closed_message must be text"),
        ({"area_defaults": {"0116": "sip:x@y"}}, "'0116' is not a Dutch area code"),
        ({"access_numbers": {"0113000140": "0999"}}, "'0999' is not a Dutch area code"),
        ({"national_numbers": ["veertien"]}, "is not a telephone number"),
        ({"sliver": {"size": 1}}, "sliver takes"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(data: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_json(data)
    assert message in str(info.value)
