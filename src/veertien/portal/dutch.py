"""The audit log in Dutch for the portal (it is written in English, also for tools); times and
numbers are `veertien.dutch`'s."""

from __future__ import annotations

import re

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
    "organisation": "organisatie (landelijk nummer)",
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
    "national_default": "standaardbestemming van het landelijke nummer",
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
    if len(parts) == 2 and parts[0] == "organisations":
        return f"organisatie {parts[1]}"
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


# Settings and import errors are raised in English (the CLI, the API and the logs read them);
# the portal's pages show them in Dutch. A message no pattern knows is shown as it is.
_FIELD = r"(?P<field>[a-z_.\[\]0-9]+)"
Patterns = tuple[tuple[re.Pattern[str], str], ...]


def _compiled(pairs: tuple[tuple[str, str], ...]) -> Patterns:
    return tuple((re.compile(pattern), dutch) for pattern, dutch in pairs)


ERROR_PATTERNS = _compiled((
        (rf"^{_FIELD} (?P<v>'.*') is not a usable sip:, sips: or tel: URI: (?P<why>.*)$",
         "{field}: {v} is geen bruikbaar sip:-, sips:- of tel:-adres ({why})"),
        (rf"^{_FIELD} must be a sip:, sips: or tel: URI$",
         "{field}: moet een sip:-, sips:- of tel:-adres zijn"),
        (rf"^{_FIELD} is longer than (?P<n>\d+) characters$", "{field}: langer dan {n} tekens"),
        (rf"^{_FIELD} contains control characters$", "{field}: bevat stuurtekens"),
        (r"^opening range (?P<v>.*) is not like 08:30-17:00$",
         "openingstijden: {v} is niet van de vorm 08:30-17:00"),
        (r"^opening range (?P<v>.*) ends before it starts$",
         "openingstijden: {v} eindigt voordat het begint"),
        (r"^holidays: (?P<why>.*)$", "vrije dagen: {why}"),
        (r"^departments must be a list of at most (?P<n>\d+)$", "afdelingen: hooguit {n}"),
        (r"^departments\[(?P<n>\d+)\] needs .*$",
         "afdelingen: regel {n1} heeft een naam en een bestemming nodig"),
        (r"^(?P<what>.+?): (?P<dest>\S+) is refused: (?P<why>.*?)(?P<more> \(and \d+ more\))?$",
         "{what}: bestemming {dest} is niet toegestaan: {why}"),
        (r"^(?P<n>\d+) error\(s\) in the directory:$", "{n} fout(en) in de gemeentelijst:"),
        (r"^(?P<file>[^:]+):(?P<line>\d+): (?P<why>.*)$", "{file} regel {line}: {why}"),
        (r"^\.\.\. and (?P<n>\d+) more$", "... en nog {n}"),
))  # fmt: skip
REASONS = _compiled((  # the reasons inside an import error line
    (r"^(?P<col>\w+) (?P<v>'.*') is not a number$", "{col} {v} is geen getal"),
    (r"^(?P<col>\w+) (?P<v>'.*') is not a whole number$",
     "{col} {v} is geen geheel getal"),
    (r"^(?P<v>'.*') is not a Dutch area code(?P<hint>.*)$",
     "{v} is geen Nederlands netnummer{hint}"),
    (r"^municipality code (?P<v>'.*') is not of the form GM0123$",
     "gemeentecode {v} is niet van de vorm GM0123"),
    (r"^municipality (?P<v>\S+) is not in the gemeenten file$",
     "gemeente {v} staat niet in het gemeentenbestand"),
    (r"^(?P<v>.+) appears twice$", "{v} staat er twee keer in"),
    (r"^naam is empty$", "naam is leeg"),
    (r"^missing column\(s\) (?P<v>.*)$", "kolom(men) ontbreken: {v}"),
    (r"^missing file \(also accepted: (?P<v>.*)\)$",
     "bestand ontbreekt (ook goed: {v})"),
    (r"^too many fields$", "te veel velden"),
    (r"^a quoted field runs from this line to line (?P<end>\d+).*$",
     "een veld tussen aanhalingstekens loopt van deze regel tot regel {end}: een "
     "aanhalingsteken is niet gesloten"),
    (r"^host (?P<v>\S+) is not on the allow-list \(destination_hosts\)$",
     "host {v} staat niet op de toegestane lijst (destination_hosts)"),
    (r"^(?P<v>\S+) is an international number .*$",
     "{v} is een buitenlands nummer (sta het voorvoegsel toe in destination_numbers)"),
    (r"^(?P<v>\S+) is a premium-rate number .*$",
     "{v} is een betaalnummer (sta het voorvoegsel toe in destination_numbers)"),
))  # fmt: skip


def error_text(message: str, labels: dict[str, str] | None = None) -> str:
    """An English settings or import error in Dutch, line by line (field names by their label
    where `labels` has one)."""
    return "\n".join(_line(line, labels or {}) for line in message.splitlines())


def _line(line: str, labels: dict[str, str]) -> str:
    for pattern, dutch in ERROR_PATTERNS:
        found = pattern.match(line)
        if found is None:
            continue
        values = found.groupdict()
        if "field" in values:
            values["field"] = labels.get(values["field"], values["field"])
        if "why" in values:
            values["why"] = _reason(values["why"])
        if "n" in values and values["n"].isdigit():
            values["n1"] = str(int(values["n"]) + 1)
        return dutch.format(**values)
    return _reason(line)


def _reason(text: str) -> str:
    for pattern, dutch in REASONS:
        found = pattern.match(text)
        if found is not None:
            return dutch.format(**found.groupdict())
    return text


__all__ = [
    "audit_action",
    "audit_actor",
    "audit_target",
    "error_text",
    "local_time",
    "number",
    "percent",
]
