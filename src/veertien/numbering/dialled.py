"""Turn what a caller dialled into a typed `DialledNumber`.

Accepted spellings: a SIP user part or tel URI ("14020", "140113", "tel:+31-14-0113",
"sip:140113@example.net;user=phone"), E.164 ("+3114020"), the international prefix form
("0031 14 0113"), with spaces, dashes, dots and brackets as visual separators. "+31 (0)..." is
tolerated. Area codes are checked against the real Dutch geographic plan.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from veertien.numbering.areacodes import COUNTRY_CODE, AreaCode, AreaCodePlan, dutch_area_codes

_SEPARATORS = re.compile(r"[\s\-.()/]")
_DIGITS = re.compile(r"\+?[0-9]+")
SERVICE_PREFIX = "14"


class DialKind(Enum):
    """What kind of number was dialled."""

    AREA = "area"  # 14 + area code: the municipalities of one area code
    NATIONAL = "national"  # the national number: any municipality or service
    ACCESS = "access"  # an ordinary geographic number standing in for 14 + area code
    UNKNOWN = "unknown"


NATIONAL_ACCESS = "national"  # an access number that stands for the national number


@dataclass(frozen=True, slots=True)
class NumberingConfig:
    """Which numbers the platform answers besides 14 + area code.

    `national_numbers` are national-form numbers ("14"); `access_numbers` map an ordinary
    national-form number ("0113000140") to the area code it stands for, so that the service can
    be reached from abroad, where 14 numbers cannot be dialled; one mapped to "national"
    (`NATIONAL_ACCESS`) stands for the national number.
    """

    national_numbers: tuple[str, ...] = ("14",)
    access_numbers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DialledNumber:
    """The outcome of reading a dialled string. `national` is the digits in national form."""

    raw: str
    national: str
    kind: DialKind
    area: AreaCode | None = None
    reason: str = ""

    @property
    def display(self) -> str:
        """How people write it: "14 0113", "14", or the national digits."""
        if self.kind is DialKind.AREA and self.area is not None:
            return f"{SERVICE_PREFIX} {self.area.code}"
        return self.national


def strip_uri(raw: str) -> str:
    """The number part of a tel or sip URI; plain strings come back unchanged."""
    text = raw.strip()
    lowered = text.lower()
    for scheme in ("tel:", "sips:", "sip:"):
        if lowered.startswith(scheme):
            text = text[len(scheme) :]
            break
    text = text.split("@", 1)[0]
    return text.split(";", 1)[0]


def to_national(raw: str) -> str | None:
    """National-form digits ("140113", "0113123456"), or None if it is no Dutch number."""
    text = _SEPARATORS.sub("", strip_uri(raw))
    if not _DIGITS.fullmatch(text):
        return None
    if text.startswith("+"):
        text = "00" + text[1:]
    if text.startswith("00"):
        if not text.startswith("00" + COUNTRY_CODE):
            return None
        nsn = text[2 + len(COUNTRY_CODE) :].removeprefix("0")
        return nsn if nsn.startswith(SERVICE_PREFIX) else "0" + nsn
    return text


def parse_dialled(
    raw: str,
    config: NumberingConfig | None = None,
    plan: AreaCodePlan | None = None,
) -> DialledNumber:
    """Classify `raw`. Never raises: anything unreadable comes back as `DialKind.UNKNOWN`."""
    config = config or NumberingConfig()
    plan = plan if plan is not None else dutch_area_codes()
    national = to_national(raw)
    if not national:
        return DialledNumber(raw, "", DialKind.UNKNOWN, reason="not a Dutch telephone number")
    if national in config.national_numbers:
        return DialledNumber(raw, national, DialKind.NATIONAL)
    access = config.access_numbers.get(national)
    if access == NATIONAL_ACCESS:
        return DialledNumber(raw, national, DialKind.NATIONAL)
    if access is not None and access in plan:
        return DialledNumber(raw, national, DialKind.ACCESS, plan[access])
    if national.startswith(SERVICE_PREFIX):
        return _service_number(raw, national, plan)
    return DialledNumber(raw, national, DialKind.UNKNOWN, reason=f"{national} is not a 14 number")


def _service_number(raw: str, national: str, plan: AreaCodePlan) -> DialledNumber:
    rest = national[len(SERVICE_PREFIX) :]
    area = plan.get(rest)
    if area is not None:
        return DialledNumber(raw, national, DialKind.AREA, area)
    if not rest.startswith("0"):
        reason = f"14 {rest} is not 14 followed by an area code"
        if not rest:
            reason = "14 without an area code"
        return DialledNumber(raw, national, DialKind.UNKNOWN, reason=reason)
    prefix = plan.prefix_of(rest)
    if prefix is not None:
        extra = rest[len(prefix.code) :]
        reason = f"14 {prefix.code} followed by extra digits {extra}"
    else:
        reason = f"{rest} is not a Dutch area code"
    return DialledNumber(raw, national, DialKind.UNKNOWN, reason=reason)
