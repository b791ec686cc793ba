"""Where calls may be sent at all (toll-fraud guard): an operator-managed allow-list of SIP hosts
and telephone-number prefixes. A destination outside it is refused where it is entered (settings
file, portal, API, directory import), with the reason, and nothing is saved.

By default every SIP host is allowed (the list is empty) but numbers are not all equal: a
destination whose number is international (not +31) or premium rate (0900, 0906, 0909) is
refused unless its prefix is on the list (`destination_numbers`). A destination's number is its
tel: number or the user part of a sip: URI that is a telephone number.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from veertien.platform import SettingsError
from veertien.sip.uri import SipSyntaxError, SipUri

PREMIUM = ("0900", "0906", "0909")  # Dutch premium-rate ranges
_DIGITS = re.compile(r"\+?[0-9]+")
_HOST = re.compile(r"(\*\.)?[a-z0-9][a-z0-9.\-]*|\[?[0-9a-f:.]+\]?")


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    hosts: tuple[str, ...] = ()  # SIP hosts allowed ("kcc.goes.nl", "*.goes.nl"); empty: any
    numbers: tuple[str, ...] = ()  # number prefixes allowed beyond the default ("+32", "0900")

    def to_json(self) -> dict[str, Any]:
        return {"destination_hosts": list(self.hosts), "destination_numbers": list(self.numbers)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DestinationPolicy:
        hosts = _texts("destination_hosts", data.get("destination_hosts", []))
        numbers = _texts("destination_numbers", data.get("destination_numbers", []))
        for host in hosts:
            if not _HOST.fullmatch(host):
                raise SettingsError(f"destination_hosts: {host!r} is not a host or *.domain")
        for prefix in numbers:
            if not _DIGITS.fullmatch(prefix):
                raise SettingsError(f"destination_numbers: {prefix!r} is not a number prefix")
        return cls(tuple(h.lower() for h in hosts), tuple(numbers))

    def refusal(self, destination: str) -> str | None:
        """Why `destination` may not be called, or None when it may."""
        try:
            uri = SipUri.parse(destination)
        except SipSyntaxError as exc:
            return str(exc)
        if uri.scheme != "tel" and self.hosts and not self._host_allowed(uri.host):
            return f"host {uri.host} is not on the allow-list (destination_hosts)"
        number = _number(uri)
        if number is None or self._number_allowed(number):
            return None
        if number.startswith("+") and not number.startswith("+31"):
            return f"{number} is an international number (allow its prefix in destination_numbers)"
        return f"{number} is a premium-rate number (allow its prefix in destination_numbers)"

    def _host_allowed(self, host: str) -> bool:
        host = host.lower()
        return any(
            host == allowed or (allowed.startswith("*.") and host.endswith(allowed[1:]))
            for allowed in self.hosts
        )

    def _number_allowed(self, number: str) -> bool:
        if any(number.startswith(prefix) for prefix in self.numbers):
            return True
        national = "0" + number[3:] if number.startswith("+31") else number
        international = number.startswith("+") and not number.startswith("+31")
        return not international and not national.startswith(PREMIUM)


def refusals(policy: DestinationPolicy, destinations: Iterable[tuple[str, str]]) -> list[str]:
    """'where: destination: why' for each (where, destination) the policy refuses."""
    out = []
    for where, destination in destinations:
        why = policy.refusal(destination)
        if why is not None:
            out.append(f"{where}: {destination} is refused: {why}")
    return out


def _number(uri: SipUri) -> str | None:
    user = (uri.user or "").replace("-", "").replace(".", "").replace(" ", "")
    if uri.scheme != "tel" and not _DIGITS.fullmatch(user):
        return None  # a name at a host, not a number
    return user if _DIGITS.fullmatch(user) else None


def _texts(key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingsError(f"{key} must be a list of text")
    if len(value) > 200:
        raise SettingsError(f"{key} has more than 200 entries")
    return [v.strip() for v in value]
