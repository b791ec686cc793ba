"""Settings of the platform that are not routing: the dialogue (hand-over, key time-out, speech),
privacy (how long records and callers' salts live; per municipality transcripts and audio
samples) and the status webhook.

They share `settings.json` (and the database's settings document) with the routing settings,
flat, as documented in docs/routing.md; `routing.Settings` reads its own keys and hands the rest
to `PlatformSettings` and `MunicipalityPrivacy`. This module imports nothing of veertien's but
the error tree, so storage, call and server read these settings without importing routing.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import Enum
from types import MappingProxyType
from typing import Any

from veertien.errors import InputError


class SettingsError(InputError):
    """Settings are invalid; the text names the key and the problem."""


class HandoverMode(Enum):
    """How a dialogue call is handed over (per call, the caller's abilities decide further)."""

    EARLY_MEDIA = "early_media"  # never answer: the menu in early media, then a 302
    REFER = "refer"  # answer, then REFER callers that allow it (a bridge for the others)


ENGINES = ("whisper", "sphinx")
DEFAULT_ENGINES = ("whisper",)  # pocketsphinx's votes carried little (docs/speech.md)
# speech_thresholds: the scoring policy's (speech.scoring.Policy) and, for pocketsphinx alone,
# the transcript policy's (speech.policy.Policy); each with its largest value
THRESHOLDS = {
    "accept": 1.0, "confirm": 1.0, "confirm_again": 1.0, "choose_pair": 1.01,
    "choose_gap": 10.0, "agree": 1.0, "no_speech": 1.0, "agree_accept": 1.0, "solo_accept": 1.0,
    "learned_floor": 1.0,
}  # fmt: skip


def share(key: str, value: object) -> float:
    """A number from 0 to 1."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= 1:
        raise SettingsError(f"{key} must be a number from 0 to 1")
    return float(value)


def days(key: str, value: object, most: int = 3650) -> int:
    """A whole number of days from 1 to `most`."""
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise SettingsError(f"{key} must be a whole number of days from 1 to {most}")
    return value


def mapping(key: str, value: object) -> Mapping[str, Any]:
    """`value` when it is a JSON object (names are text), else a SettingsError for `key`."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise SettingsError(f"{key} must be an object")
    return value


@dataclass(frozen=True)
class PlatformSettings:
    """Platform-wide settings that are not routing."""

    key_timeout_s: float = 5.0  # the dialogue waits this long for a key after a menu
    handover: HandoverMode = HandoverMode.EARLY_MEDIA
    speech: bool = True  # the dialogue also listens for a spoken name (needs veertien[speech])
    speech_engines: tuple[str, ...] = DEFAULT_ENGINES  # see docs/speech.md
    speech_workers: int = 0  # recogniser processes; 0: one per CPU core
    speech_thresholds: Mapping[str, float] = field(default_factory=dict)  # policy overrides
    status_webhook: str | None = None  # incidents are POSTed here as JSON (portal)
    record_retention_days: int = 90  # call records older than this are deleted (AVG)
    caller_salt_days: int = 1  # callers' numbers are hashed under a salt this long, then unlinkable
    max_dialogues: int = 200  # dialogues at once; one more gets 503 with Retry-After
    sip_trusted: tuple[str, ...] = ("127.0.0.0/8", "::1")  # never rate-limited (sip.admission)
    sip_carriers: tuple[str, ...] = ()  # when set, INVITEs only from these (403 for others)
    sip_source_limit: int = 32  # new requests per source in 2 s before it is blocked; 0: off
    sip_block_s: int = 300  # how long a source over the limit (or a scanner) is dropped
    # learning from calls (veertien.learning, docs/learning.md)
    learning_support: int = 10  # different callers and hours that must agree on a learned alias
    learning_window_s: int = 3600  # examples within one window count once (floods)
    learning_retention_days: int = 180  # learning examples older than this are deleted
    learning_off: tuple[str, ...] = ()  # area codes that learn nothing

    def __post_init__(self) -> None:
        thresholds = MappingProxyType(dict(self.speech_thresholds))
        object.__setattr__(self, "speech_thresholds", thresholds)

    def to_json(self) -> dict[str, Any]:
        return {
            "key_timeout_s": self.key_timeout_s,
            "handover": self.handover.value,
            "speech": self.speech,
            "speech_engines": list(self.speech_engines),
            "speech_workers": self.speech_workers,
            "speech_thresholds": dict(self.speech_thresholds),
            "status_webhook": self.status_webhook,
            "record_retention_days": self.record_retention_days,
            "caller_salt_days": self.caller_salt_days,
            "max_dialogues": self.max_dialogues,
            "sip_trusted": list(self.sip_trusted),
            "sip_carriers": list(self.sip_carriers),
            "sip_source_limit": self.sip_source_limit,
            "sip_block_s": self.sip_block_s,
            "learning_support": self.learning_support,
            "learning_window_s": self.learning_window_s,
            "learning_retention_days": self.learning_retention_days,
            "learning_off": list(self.learning_off),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PlatformSettings:
        """From a settings document's keys (others are ignored: they are routing's)."""
        return cls(
            key_timeout_s=_seconds("key_timeout_s", data.get("key_timeout_s", 5.0)),
            handover=_handover(data.get("handover", HandoverMode.EARLY_MEDIA.value)),
            speech=bool(data.get("speech", True)),
            **_speech(data),
            status_webhook=_webhook(data.get("status_webhook")),
            record_retention_days=days(
                "record_retention_days", data.get("record_retention_days", 90)
            ),
            caller_salt_days=days("caller_salt_days", data.get("caller_salt_days", 1), 90),
            max_dialogues=_count("max_dialogues", data.get("max_dialogues", 200), 10_000),
            sip_trusted=_addresses("sip_trusted", data.get("sip_trusted", ["127.0.0.0/8", "::1"])),
            sip_carriers=_addresses("sip_carriers", data.get("sip_carriers", [])),
            sip_source_limit=_whole("sip_source_limit", data.get("sip_source_limit", 32), 100_000),
            sip_block_s=_count("sip_block_s", data.get("sip_block_s", 300), 86_400),
            **_learning(data),
        )


PLATFORM_KEYS = frozenset(PlatformSettings().to_json())


@dataclass(frozen=True, slots=True)
class MunicipalityPrivacy:
    """What a municipality allows to be kept of its callers."""

    keep_transcripts: bool = False  # what callers said, kept in the call records (AVG: opt in)
    learn_from_calls: bool = False  # speech turns of calls to it are learning examples (opt in)
    audio_sampling: float = 0.0  # share of speech calls whose utterances are kept for tuning
    audio_retention_days: int = 30  # how long kept utterances stay (storage.samples)

    def to_json(self) -> dict[str, Any]:
        """The values that differ from the defaults."""
        default = MunicipalityPrivacy()
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if getattr(self, f.name) != getattr(default, f.name)
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MunicipalityPrivacy:
        default = cls()
        return cls(
            keep_transcripts=bool(data.get("keep_transcripts", False)),
            learn_from_calls=bool(data.get("learn_from_calls", False)),
            audio_sampling=share("audio_sampling", data.get("audio_sampling", 0)),
            audio_retention_days=days(
                "audio_retention_days",
                data.get("audio_retention_days", default.audio_retention_days),
            ),
        )


PRIVACY_KEYS = frozenset(f.name for f in fields(MunicipalityPrivacy))


@dataclass(frozen=True)
class RetentionTerms:
    """How long things are kept, for the scheduled purge (storage.retention)."""

    record_days: int
    salt_days: int
    audio_days: Mapping[str, int]  # municipality code → days, where it set its own
    default_audio_days: int = MunicipalityPrivacy().audio_retention_days
    learning_days: int = 180  # learning examples (learning_retention_days)


def _webhook(value: object) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("http://", "https://")) or " " in value:
        raise SettingsError("status_webhook must be an http:// or https:// URL")
    return value


def _speech(data: Mapping[str, Any]) -> dict[str, Any]:
    """speech_engines, speech_workers and speech_thresholds, checked."""
    engines = data.get("speech_engines", list(DEFAULT_ENGINES))
    if (
        not isinstance(engines, list)
        or not engines
        or any(e not in ENGINES for e in engines)
        or len(set(engines)) != len(engines)
    ):
        raise SettingsError(f"speech_engines must list one or both of {', '.join(ENGINES)}")
    workers = data.get("speech_workers", 0)
    if not isinstance(workers, int) or isinstance(workers, bool) or not 0 <= workers <= 64:
        raise SettingsError("speech_workers must be a whole number from 0 (one per core) to 64")
    thresholds = mapping("speech_thresholds", data.get("speech_thresholds", {}))
    checked = {}
    for key, value in thresholds.items():
        if key not in THRESHOLDS:
            raise SettingsError(f"speech_thresholds.{key} is unknown ({', '.join(THRESHOLDS)})")
        top = THRESHOLDS[key]
        if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= top:
            raise SettingsError(f"speech_thresholds.{key} must be a number from 0 to {top:g}")
        checked[key] = float(value)
    return {"speech_engines": tuple(engines), "speech_workers": workers,
            "speech_thresholds": checked}  # fmt: skip


def _learning(data: Mapping[str, Any]) -> dict[str, Any]:
    off = data.get("learning_off", [])
    if not isinstance(off, list) or not all(
        isinstance(a, str) and a.isdigit() and 2 <= len(a) <= 5 for a in off
    ):
        raise SettingsError('learning_off must be a list of area codes, e.g. ["0113"]')
    return {
        "learning_support": _count("learning_support", data.get("learning_support", 10), 10_000),
        "learning_window_s": _count(
            "learning_window_s", data.get("learning_window_s", 3600), 86_400 * 7
        ),
        "learning_retention_days": days(
            "learning_retention_days", data.get("learning_retention_days", 180)
        ),
        "learning_off": tuple(dict.fromkeys(off)),
    }


def _handover(value: object) -> HandoverMode:
    try:
        return HandoverMode(value)
    except ValueError:
        names = ", ".join(m.value for m in HandoverMode)
        raise SettingsError(f"handover {value!r} is not one of {names}") from None


def _count(key: str, value: object, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise SettingsError(f"{key} must be a whole number from 1 to {most}")
    return value


def _whole(key: str, value: object, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= most:
        raise SettingsError(f"{key} must be a whole number from 0 (off) to {most}")
    return value


def _addresses(key: str, value: object) -> tuple[str, ...]:
    """IP addresses or CIDR ranges, at most 200 ('192.0.2.10', '198.51.100.0/24')."""
    if not isinstance(value, list | tuple) or len(value) > 200:
        raise SettingsError(f"{key} must be a list of at most 200 IP addresses or ranges")
    out = []
    for item in value:
        try:
            out.append(str(ipaddress.ip_network(str(item), strict=False)))
        except ValueError:
            raise SettingsError(f"{key}: {item!r} is not an IP address or range") from None
    return tuple(out)


def _seconds(key: str, value: object) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 < value <= 60:
        raise SettingsError(f"{key} must be a number of seconds between 0 and 60")
    return float(value)
