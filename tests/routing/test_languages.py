"""The languages a shared area's dialogue offers (routing/languages.py), read from settings."""

from __future__ import annotations

import pytest

from veertien.platform import SettingsError
from veertien.routing import Settings


def test_the_platform_offer_and_an_area_of_its_own() -> None:
    settings = Settings.from_json(
        {"languages": {"offer": {"en": "9"}, "areas": {"0511": {"en": "9", "fy": "8"}, "0113": {}}}}
    )
    assert dict(settings.languages.for_area("0511")) == {"en": "9", "fy": "8"}
    assert dict(settings.languages.for_area("0320")) == {"en": "9"}
    assert dict(settings.languages.for_area("0113")) == {}  # this area offers none
    assert Settings.from_json(settings.to_json()) == settings


def test_no_languages_leave_the_settings_version_as_it_was() -> None:
    assert "languages" not in Settings().to_json()
    assert Settings.from_json({"languages": {}}).version == Settings.from_json({}).version


@pytest.mark.parametrize(
    ("languages", "why"),
    [
        ({"offer": {"de": "9"}}, "not one of"),
        ({"offer": {"nl": "9"}}, "not one of"),  # Dutch is always there, never offered
        ({"offer": {"en": "#"}}, "0-9 or"),
        ({"offer": {"en": 9}}, "0-9 or"),
        ({"offer": {"en": "9", "fy": "9"}}, "two languages on one key"),
        ({"areas": {"0999": {"en": "9"}}}, "not a Dutch area code"),
        ({"offer": {}, "keys": {}}, "unknown keys"),
        ({"offer": []}, "languages.offer"),
    ],
)
def test_bad_language_settings_are_refused(languages: object, why: str) -> None:
    with pytest.raises(SettingsError, match=why):
        Settings.from_json({"languages": languages})
