"""The settings that are not routing's: read from the same flat document, checked, and kept
apart from routing (storage, call and server read them without routing's settings module)."""

from __future__ import annotations

import pytest

from veertien.platform import (
    PLATFORM_KEYS,
    HandoverMode,
    MunicipalityPrivacy,
    PlatformSettings,
    SettingsError,
)
from veertien.routing import Settings


def test_the_document_splits_into_routing_and_platform_and_back() -> None:
    data = {
        "timezone": "Europe/Amsterdam",
        "handover": "refer",
        "speech": True,
        "speech_thresholds": {"confirm": 0.4},
        "record_retention_days": 30,
        "municipalities": {"GM0664": {"calamity": True, "keep_transcripts": True}},
    }
    settings = Settings.from_json(data)
    assert settings.platform.handover is HandoverMode.REFER and settings.platform.speech
    assert settings.platform.speech_thresholds == {"confirm": 0.4}
    goes = settings.for_municipality("GM0664")
    assert goes.calamity and goes.privacy == MunicipalityPrivacy(keep_transcripts=True)
    again = Settings.from_json(settings.to_json())
    assert again == settings and again.version == settings.version
    assert settings.to_json()["municipalities"]["GM0664"] == {
        "calamity": True,
        "keep_transcripts": True,
    }
    terms = settings.retention_terms()
    assert (terms.record_days, terms.salt_days, terms.audio_days) == (30, 1, {"GM0664": 30})


def test_platform_keys_are_the_platform_settings() -> None:
    assert set(PlatformSettings().to_json()) == PLATFORM_KEYS
    assert "timezone" not in PLATFORM_KEYS and "speech" in PLATFORM_KEYS


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"handover": "pigeon"}, "handover 'pigeon' is not one of early_media, refer"),
        ({"key_timeout_s": 0}, "key_timeout_s must be a number of seconds"),
        ({"speech_engines": ["siri"]}, "speech_engines must list"),
        ({"speech_thresholds": {"x": 1}}, "speech_thresholds.x is unknown"),
        ({"status_webhook": "ftp://x"}, "status_webhook must be an http"),
        ({"caller_salt_days": 91}, "caller_salt_days must be a whole number of days from 1 to 90"),
    ],
)
def test_bad_platform_settings_say_why(data: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        PlatformSettings.from_json(data)
    with pytest.raises(SettingsError, match=message):
        Settings.from_json(data)
