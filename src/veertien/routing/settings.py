"""The settings document: routing's own settings per municipality and for the platform, with
the platform's other settings (veertien.platform: dialogue, speech, privacy, webhook) beside
them, and defaults so the demo needs none.

Settings are plain frozen data. They are read from JSON (settings.json and the database's
settings document, flat; format in docs/routing.md) and validated as a whole: a bad value raises
`SettingsError` naming the municipality and key, and nothing is applied. Routing itself reads
only its own fields; `platform` and each municipality's `privacy` are for the rest.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from veertien.directory import ConnectionStatus, Directory, SliverRule
from veertien.numbering import NATIONAL_ACCESS, NumberingConfig, dutch_area_codes, to_national
from veertien.platform import (
    PLATFORM_KEYS,
    PRIVACY_KEYS,
    MunicipalityPrivacy,
    PlatformSettings,
    RetentionTerms,
    SettingsError,
    mapping,
    share,
)
from veertien.routing.decision import Department
from veertien.routing.destinations import DestinationPolicy, refusals
from veertien.routing.hours import OpeningHours
from veertien.routing.languages import LanguageSettings
from veertien.sip.uri import SipSyntaxError, destination_uri

MAX_MESSAGE_CHARS = 1000  # a closed or calamity message; spoken, it takes about a minute
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def check_destination(key: str, value: object) -> str | None:
    """A destination, checked whole by the SIP parser (a CR/LF, space, quote, '<' or URI header
    could otherwise add headers to the 302 or REFER that carries it)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise SettingsError(f"{key} must be a sip:, sips: or tel: URI")
    try:
        return destination_uri(value)
    except SipSyntaxError as exc:
        message = f"{key} {value[:80]!r} is not a usable sip:, sips: or tel: URI: {exc}"
        raise SettingsError(message) from None


def _check_text(key: str, value: object) -> str | None:
    if value is None or isinstance(value, str):
        if value and len(value) > MAX_MESSAGE_CHARS:
            raise SettingsError(f"{key} is longer than {MAX_MESSAGE_CHARS} characters")
        if value and _CONTROL.search(value):
            raise SettingsError(f"{key} contains control characters")
        return value or None
    raise SettingsError(f"{key} must be text")


@dataclass(frozen=True, slots=True)
class MunicipalitySettings:
    """What a municipality configures. `None` means: use the directory's value or the default."""

    destination: str | None = None
    status: ConnectionStatus | None = None
    hours: OpeningHours | None = None  # None: always open
    closed_message: str | None = None
    closed_destination: str | None = None
    calamity: bool = False
    calamity_destination: str | None = None
    calamity_message: str | None = None
    overflow_destination: str | None = None
    departments: tuple[Department, ...] = ()  # offered by key before the transfer (max 9)
    privacy: MunicipalityPrivacy = field(default_factory=MunicipalityPrivacy)  # what is kept

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = self.privacy.to_json()
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "privacy" or value == getattr(DEFAULT, f.name):  # what differs only
                continue
            if f.name == "departments":
                value = [d.to_json() for d in value]
            if isinstance(value, ConnectionStatus):
                value = value.value
            elif isinstance(value, OpeningHours):
                value = value.to_json()
            data[f.name] = value
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MunicipalitySettings:
        data = mapping("a municipality's settings", data)
        known = {f.name for f in fields(cls) if f.name != "privacy"} | PRIVACY_KEYS
        unknown = set(data) - known
        if unknown:
            raise SettingsError(f"unknown keys {sorted(unknown)}")
        try:
            status = ConnectionStatus(str(data["status"])) if data.get("status") else None
        except ValueError:
            raise SettingsError(f"status {data['status']!r} is not a connection status") from None
        hours = data.get("hours")
        if hours is not None and not isinstance(hours, Mapping):
            raise SettingsError("hours must be an object")
        uris = ("destination", "closed_destination", "calamity_destination", "overflow_destination")
        texts = ("closed_message", "calamity_message")
        return cls(
            status=status,
            hours=OpeningHours.from_json(hours) if hours is not None else None,
            calamity=bool(data.get("calamity", False)),
            departments=_departments(data.get("departments", [])),
            privacy=MunicipalityPrivacy.from_json(data),
            **{k: check_destination(k, data.get(k)) for k in uris},
            **{k: _check_text(k, data.get(k)) for k in texts},
        )


def _departments(value: object) -> tuple[Department, ...]:
    if not isinstance(value, list) or len(value) > MAX_DEPARTMENTS:
        raise SettingsError(f"departments must be a list of at most {MAX_DEPARTMENTS}")
    out = []
    for n, item in enumerate(value, start=1):
        if not isinstance(item, Mapping) or set(item) != {"name", "destination"}:
            raise SettingsError(f"departments[{n}] needs exactly a name and a destination")
        name = _check_text(f"departments[{n}].name", item["name"])
        destination = check_destination(f"departments[{n}].destination", item["destination"])
        if not name or destination is None:
            raise SettingsError(f"departments[{n}] needs a name and a destination")
        out.append(Department(name.strip(), destination))
    return tuple(out)


MAX_DEPARTMENTS = 9


DEFAULT = MunicipalitySettings()


@dataclass(frozen=True)
class Settings:
    """Everything routing needs besides the directory. `version` is a content hash."""

    municipalities: Mapping[str, MunicipalitySettings] = field(default_factory=dict)
    numbering: NumberingConfig = field(default_factory=NumberingConfig)
    sliver_rule: SliverRule = field(default_factory=SliverRule)
    timezone: str = "Europe/Amsterdam"
    area_defaults: Mapping[str, str] = field(default_factory=dict)  # area code -> regional KCC
    national_default: str | None = None  # where the national dialogue ends when nothing fits
    direct_when_single_participant: bool = False
    destinations: DestinationPolicy = field(default_factory=DestinationPolicy)  # toll fraud
    languages: LanguageSettings = field(default_factory=LanguageSettings)  # offered by key
    platform: PlatformSettings = field(default_factory=PlatformSettings)  # not routing's
    version: str = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "municipalities", MappingProxyType(dict(self.municipalities)))
        object.__setattr__(self, "area_defaults", MappingProxyType(dict(self.area_defaults)))
        text = json.dumps(self.to_json(), sort_keys=True)
        object.__setattr__(self, "version", hashlib.sha256(text.encode()).hexdigest()[:8])

    def for_municipality(self, code: str) -> MunicipalitySettings:
        return self.municipalities.get(code, DEFAULT)

    def with_municipality(self, code: str, **changes: Any) -> Settings:
        """A copy with one municipality's settings changed (tests, CLI, portal)."""
        updated = replace(self.for_municipality(code), **changes)
        return replace(self, municipalities={**self.municipalities, code: updated})

    def retention_terms(self) -> RetentionTerms:
        """How long records, salts and each municipality's audio samples are kept."""
        audio = {c: m.privacy.audio_retention_days for c, m in self.municipalities.items()}
        platform = self.platform
        return RetentionTerms(
            platform.record_retention_days, platform.caller_salt_days, audio,
            learning_days=platform.learning_retention_days,
        )  # fmt: skip

    def named_destinations(self) -> list[tuple[str, str]]:
        """Every destination these settings name, with where: (key, URI)."""
        out = [(f"area_defaults.{a}", uri) for a, uri in self.area_defaults.items()]
        if self.national_default:
            out.append(("national_default", self.national_default))
        for code, muni in self.municipalities.items():
            for key in ("destination", "closed_destination", "calamity_destination",
                        "overflow_destination"):  # fmt: skip
                uri = getattr(muni, key)
                if uri:
                    out.append((f"municipalities.{code}.{key}", uri))
            for n, dept in enumerate(muni.departments, start=1):
                out.append((f"municipalities.{code}.departments[{n}]", dept.destination))
        return out

    def to_json(self) -> dict[str, Any]:
        national = {"national_default": self.national_default} if self.national_default else {}
        languages = {"languages": self.languages.to_json()} if self.languages else {}
        return {
            **national,  # only when set: settings without it keep their version
            **languages,  # the same
            **self.platform.to_json(),
            **self.destinations.to_json(),
            "timezone": self.timezone,
            "national_numbers": list(self.numbering.national_numbers),
            "access_numbers": dict(self.numbering.access_numbers),
            "area_defaults": dict(self.area_defaults),
            "direct_when_single_participant": self.direct_when_single_participant,
            "sliver": {
                "max_postcodes": self.sliver_rule.max_postcodes,
                "max_share_of_municipality": self.sliver_rule.max_share_of_municipality,
            },
            "municipalities": {k: v.to_json() for k, v in sorted(self.municipalities.items())},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Settings:
        data = mapping("settings", data)
        known = ROUTING_KEYS | PLATFORM_KEYS
        unknown = set(data) - known
        if unknown:
            raise SettingsError(f"unknown settings {sorted(unknown)}")
        munis: dict[str, MunicipalitySettings] = {}
        for code, value in mapping("municipalities", data.get("municipalities", {})).items():
            try:
                munis[code] = MunicipalitySettings.from_json(value)
            except SettingsError as exc:
                raise SettingsError(f"municipalities.{code}: {exc}") from None
        defaults = dict(mapping("area_defaults", data.get("area_defaults", {})))
        for area, uri in defaults.items():
            _check_area(f"area_defaults.{area}", area)
            check_destination(f"area_defaults.{area}", uri)
        national_default = data.get("national_default") or None
        if national_default is not None:
            national_default = check_destination("national_default", national_default)
        sliver = _sliver(mapping("sliver", data.get("sliver", {})))
        timezone = str(data.get("timezone", "Europe/Amsterdam"))
        try:
            ZoneInfo(timezone)
        except (ValueError, ZoneInfoNotFoundError):
            raise SettingsError(f"timezone {timezone!r} is unknown") from None
        return cls(
            municipalities=munis,
            numbering=_numbering(data),
            sliver_rule=sliver,
            timezone=timezone,
            area_defaults=defaults,
            national_default=national_default,
            direct_when_single_participant=bool(data.get("direct_when_single_participant")),
            destinations=DestinationPolicy.from_json(data),
            languages=LanguageSettings.from_json(data.get("languages", {})),
            platform=PlatformSettings.from_json(data),
        )

    def refused_destinations(self, directory: Directory | None = None) -> list[str]:
        """Each destination of these settings (and of `directory`) that their destination
        policy refuses, with where it is and why; empty when all may be called."""
        named = self.named_destinations()
        if directory is not None:
            named += [
                (f"directory {m.code} ({m.name})", m.destination)
                for m in directory.municipalities.values()
                if m.destination
            ]
            named += [
                (f"organisation {o.code} ({o.name})", o.destination)
                for o in directory.organisations
                if o.destination
            ]
        return refusals(self.destinations, named)


ROUTING_KEYS = frozenset(
    {
        "timezone", "national_numbers", "access_numbers", "area_defaults", "national_default",
        "direct_when_single_participant", "sliver", "municipalities", "destination_hosts",
        "destination_numbers", "languages",
    }
)  # fmt: skip


def _sliver(data: Mapping[str, Any]) -> SliverRule:
    if set(data) - {"max_postcodes", "max_share_of_municipality"}:
        raise SettingsError("sliver takes max_postcodes and max_share_of_municipality")
    postcodes = data.get("max_postcodes", SliverRule().max_postcodes)
    if not isinstance(postcodes, int) or isinstance(postcodes, bool) or not 0 <= postcodes <= 99:
        raise SettingsError("sliver.max_postcodes must be a whole number from 0 to 99")
    default = SliverRule().max_share_of_municipality
    most = share("sliver.max_share_of_municipality", data.get("max_share_of_municipality", default))
    return SliverRule(postcodes, most)


def _check_area(key: str, area: object) -> str:
    if not isinstance(area, str) or area not in dutch_area_codes():
        raise SettingsError(f"{key}: {area!r} is not a Dutch area code")
    return area


def _numbering(data: Mapping[str, Any]) -> NumberingConfig:
    national: list[str] = []
    numbers = data.get("national_numbers", ["14"])
    if not isinstance(numbers, list):
        raise SettingsError("national_numbers must be a list of telephone numbers")
    for number in numbers:
        digits = to_national(str(number))
        if not digits:
            raise SettingsError(f"national_numbers: {number!r} is not a telephone number")
        national.append(digits)
    access: dict[str, str] = {}
    for number, area in mapping("access_numbers", data.get("access_numbers", {})).items():
        digits = to_national(str(number))
        if not digits:
            raise SettingsError(f"access_numbers: {number!r} is not a telephone number")
        access[digits] = (
            NATIONAL_ACCESS
            if area == NATIONAL_ACCESS
            else _check_area(f"access_numbers.{number}", area)
        )
    return NumberingConfig(tuple(national), access)
