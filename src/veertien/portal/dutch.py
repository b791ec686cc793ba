"""The audit log in Dutch for the portal (it is written in English, also for tools); times and
numbers are `veertien.dutch`'s."""

from __future__ import annotations

from veertien.dutch import local_time, number, percent

# The audit log is written in English (it is also read by tools); the portal shows it in Dutch.
AUDIT_ACTIONS = {
    "user created": "gebruiker aangemaakt",
    "user active": "gebruiker in- of uitgeschakeld",
    "one-time password set": "eenmalig wachtwoord gegeven",
    "password changed": "wachtwoord gewijzigd",
    "password set": "wachtwoord gezet",
    "token created": "API-token gemaakt",
    "token revoked": "API-token ingetrokken",
    "tokens revoked": "alle API-tokens ingetrokken",
    "incident opened": "storing gemeld",
    "incident update": "storing bijgewerkt",
    "directory import": "gemeentelijst geïmporteerd",
    "settings file": "instellingen uit settings.json",
    "settings": "instellingen",
}
SETTING_NAMES = {
    "destination": "bestemming",
    "status": "aansluitstatus",
    "calamity": "calamiteit",
    "calamity_destination": "calamiteitenbestemming",
    "calamity_message": "calamiteitenmelding",
    "closed_message": "melding buiten openingstijden",
    "closed_destination": "bestemming buiten openingstijden",
    "overflow_destination": "overloopbestemming",
    "keep_transcripts": "bewaar transcripties",
    "departments": "afdelingen",
    "hours": "openingstijden",
    "audio_sampling": "opnamen bewaren",
    "audio_retention_days": "bewaartermijn opnamen",
    "speech": "spraakherkenning",
    "area_defaults": "standaardbestemming per netnummer",
}
ACTORS = {"system": "systeem", "cli": "opdrachtregel (veertien user)"}


def audit_action(action: str) -> str:
    """'settings GM0664' → 'instellingen GM0664'; 'directory import refused' → '... geweigerd'."""
    refused = action.endswith(" refused")
    base = action.removesuffix(" refused")
    head, _, rest = base.partition(" ")
    text = AUDIT_ACTIONS.get(base) or (
        f"{AUDIT_ACTIONS[head]} {rest}" if head in AUDIT_ACTIONS and rest else base
    )
    return f"{text}: geweigerd" if refused else text


def audit_target(target: str, names: dict[str, str]) -> str:
    """'user:piet' → 'gebruiker piet'; 'municipalities.GM0995.destination' → 'Lelystad
    (GM0995): bestemming'; other setting keys by their Dutch name where there is one."""
    kind, sep, rest = target.partition(":")
    if sep and kind in ("user", "incident"):
        return f"{'gebruiker' if kind == 'user' else 'storing'} {rest}"
    if target in ("directory", "destinations"):
        return {"directory": "gemeentelijst", "destinations": "bestemmingen"}[target]
    parts = target.split(".")
    if len(parts) >= 2 and parts[0] == "municipalities":
        code, keys = parts[1], parts[2:]
        who = f"{names[code]} ({code})" if code in names else code
        what = " › ".join(SETTING_NAMES.get(k, k) for k in keys)
        return f"{who}: {what}" if what else who
    return " › ".join(SETTING_NAMES.get(k, k) for k in parts)


def audit_actor(actor: str) -> str:
    if actor.startswith("file:"):
        return f"bestand {actor.removeprefix('file:')}"
    if actor.startswith("api:"):
        return f"{actor.removeprefix('api:')} (API)"
    return ACTORS.get(actor, actor)


__all__ = [
    "audit_action",
    "audit_actor",
    "audit_target",
    "local_time",
    "number",
    "percent",
]
