"""The municipality settings form: to and from `MunicipalitySettings` (validated by routing's own
`from_json`, so the portal, the API and settings.json accept exactly the same)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from veertien.routing import SettingsError
from veertien.routing.hours import DAYS
from veertien.routing.settings import MunicipalitySettings

URI_FIELDS = ("destination", "closed_destination", "calamity_destination", "overflow_destination")
TEXT_FIELDS = ("closed_message", "calamity_message")
FLAGS = ("calamity", "keep_transcripts")
DAY_NAMES = {
    "mon": "maandag",
    "tue": "dinsdag",
    "wed": "woensdag",
    "thu": "donderdag",
    "fri": "vrijdag",
    "sat": "zaterdag",
    "sun": "zondag",
}
LABELS = {
    "destination": "Bestemming (SIP- of tel-URI van het klantcontactcentrum)",
    "status": "Aansluitstatus",
    "calamity": "Calamiteit: alle bellers naar de calamiteitenbestemming of -melding",
    "calamity_destination": "Calamiteitenbestemming",
    "calamity_message": "Calamiteitenmelding",
    "closed_message": "Melding buiten openingstijden",
    "closed_destination": "Bestemming buiten openingstijden",
    "overflow_destination": "Overloopbestemming (bij bezet of geen antwoord)",
    "keep_transcripts": "Bewaar wat bellers zeiden in de gespreksgegevens (AVG: alleen met reden)",
    "departments": "Afdelingen met een eigen lijn, één per regel: naam | bestemming (max. 9)",
    "audio_sampling": "Bewaar de opnamen van dit percentage spraakgesprekken om de herkenning te "
    "verbeteren (0: geen)",
    "audio_retention_days": "Bewaartermijn van die opnamen (dagen)",
}
STATUSES = {
    "": "zoals in de gemeentelijst",
    "active": "aangesloten",
    "technical": "technisch aangesloten (niet gepromoot)",
    "not_connected": "niet aangesloten",
}


def settings_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """The settings JSON a submitted form describes (validate it with `from_json`)."""
    data: dict[str, Any] = {}
    for key in (*URI_FIELDS, *TEXT_FIELDS):
        value = str(form.get(key, "")).strip()
        if value:
            data[key] = value
    for key in FLAGS:
        if form.get(key) in ("on", "1", "true"):
            data[key] = True
    status = str(form.get("status", ""))
    if status:
        data["status"] = status
    data.update(_sampling(form))
    departments = [
        {"name": name.strip(), "destination": destination.strip()}
        for name, _, destination in (
            line.partition("|") for line in str(form.get("departments", "")).splitlines()
        )
        if name.strip() or destination.strip()
    ]
    if departments:
        data["departments"] = departments
    if form.get("always_open") not in ("on", "1", "true"):
        hours: dict[str, Any] = {
            day: [r.strip() for r in str(form.get(f"hours_{day}", "")).split(",") if r.strip()]
            for day in DAYS
        }
        hours["holidays"] = re.findall(r"\d{4}-\d{2}-\d{2}", str(form.get("holidays", "")))
        hours["public_holidays"] = form.get("public_holidays") in ("on", "1", "true")
        data["hours"] = hours
    return data


def _sampling(form: Mapping[str, Any]) -> dict[str, Any]:
    """Audio sampling: a percentage on screen, a share in the settings."""
    out: dict[str, Any] = {}
    share, days = (str(form.get(k, "")).strip() for k in ("audio_sampling", "audio_retention_days"))
    try:
        if share:
            out["audio_sampling"] = float(share.replace(",", ".")) / 100
        if days:
            out["audio_retention_days"] = int(days)
    except ValueError:
        raise SettingsError("opnamen: een percentage van 0 tot 100 en een aantal dagen") from None
    return out


def form_values(settings: MunicipalitySettings) -> dict[str, Any]:
    """What the form shows for these settings."""
    data = settings.to_json()
    values: dict[str, Any] = {k: data.get(k, "") for k in (*URI_FIELDS, *TEXT_FIELDS)}
    values.update({k: bool(data.get(k)) for k in FLAGS})
    values["status"] = data.get("status", "")
    values["audio_sampling"] = f"{settings.privacy.audio_sampling * 100:g}"
    values["audio_retention_days"] = str(settings.privacy.audio_retention_days)
    values["departments"] = "\n".join(
        f"{d['name']} | {d['destination']}" for d in data.get("departments", [])
    )
    hours = data.get("hours")
    values["always_open"] = hours is None
    hours = hours or {}
    for day in DAYS:
        values[f"hours_{day}"] = ", ".join(hours.get(day, []))
    values["holidays"] = "\n".join(hours.get("holidays", []))
    values["public_holidays"] = bool(hours.get("public_holidays", True))
    return values


def parse(form: Mapping[str, Any]) -> MunicipalitySettings:
    """Raises SettingsError with the reason."""
    return MunicipalitySettings.from_json(settings_from_form(form))
