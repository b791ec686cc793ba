from __future__ import annotations

import contextlib
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
            "municipalities.GM0664: destination 'goes' is not a usable sip:",
        ),
        ({"municipalities": {"GM0664": {"status": "half"}}}, "status 'half'"),
        (
            {"municipalities": {"GM0664": {"destination": "sip:a@b\r\nContact: <sip:e@1.2.3.4>"}}},
            "is not a usable sip:",
        ),
        ({"area_defaults": {"0113": "sip:a@b?Route=x"}}, "URI headers"),
        ({"municipalities": {"GM0664": {"closed_message": "x" * 1001}}}, "longer than 1000"),
        ({"municipalities": {"GM0664": {"calamity_message": "a\x1bb"}}}, "control characters"),
        ({"municipalities": {"GM0664": {"volume": 11}}}, "unknown keys"),
        ({"municipalities": {"GM0664": {"hours": ["mon"]}}}, "hours must be an object"),
        ({"municipalities": {"GM0664": {"closed_message": 3}}}, "closed_message must be text"),
        ({"area_defaults": {"0116": "sip:x@y"}}, "'0116' is not a Dutch area code"),
        ({"access_numbers": {"0113000140": "0999"}}, "'0999' is not a Dutch area code"),
        ({"national_numbers": ["veertien"]}, "is not a telephone number"),
        ({"sliver": {"size": 1}}, "sliver takes"),
        ({"record_retention_days": 0}, "record_retention_days must be a whole number"),
        ({"caller_salt_days": 365}, "caller_salt_days must be a whole number of days from 1 to 90"),
        ({"municipalities": {"GM0664": {"audio_sampling": 1.5}}}, "audio_sampling must be"),
        ({"municipalities": {"GM0664": {"audio_retention_days": "30"}}}, "audio_retention_days"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(data: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError) as info:
        Settings.from_json(data)
    assert message in str(info.value)


def test_privacy_settings_have_defaults_and_round_trip() -> None:
    assert (Settings().platform.record_retention_days, Settings().platform.caller_salt_days) == (
        90,
        1,
    )
    data = {
        "record_retention_days": 30,
        "caller_salt_days": 7,
        "municipalities": {"GM0664": {"audio_sampling": 0.1, "audio_retention_days": 14}},
    }
    settings = Settings.from_json(data)
    goes = settings.for_municipality("GM0664")
    assert (goes.privacy.audio_sampling, goes.privacy.audio_retention_days) == (0.1, 14)
    assert Settings.from_json(settings.to_json()) == settings
    assert (
        "audio_sampling"
        not in Settings().with_municipality("GM0664").to_json()["municipalities"]["GM0664"]
    )


_JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)
_MUNICIPALITY_KEYS = st.sampled_from(
    [f.name for f in fields(MunicipalitySettings)] + ["hours.mon", "departments"]
)


@settings(max_examples=400, deadline=None)
@given(
    st.dictionaries(st.sampled_from([f.name for f in fields(Settings)] + ["sliver"]), _JSON_VALUE),
    st.dictionaries(_MUNICIPALITY_KEYS, _JSON_VALUE),
)
def test_any_json_is_settings_or_a_settings_error(
    top: dict[str, Any], municipality: dict[str, Any]
) -> None:
    """Whatever JSON comes in (file, API, import), the answer is settings or a SettingsError
    with a reason: never a TypeError or AttributeError for a caller to catch."""
    for data in (top, {**top, "municipalities": {"GM0664": municipality}}, municipality):
        with contextlib.suppress(SettingsError):
            Settings.from_json(data)
    with contextlib.suppress(SettingsError):
        MunicipalitySettings.from_json(municipality)
