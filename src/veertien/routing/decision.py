"""What routing decides for one call: a frozen, explainable `RoutingDecision`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from veertien.directory import ConnectionStatus


class DecisionKind(Enum):
    REDIRECT = "redirect"  # send the call to `target` (SIP 302 or REFER)
    IVR = "ivr"  # ask the caller to choose among `candidates`
    ANNOUNCE = "announce"  # play `message` and hang up
    REJECT = "reject"  # refuse the call (SIP 404)


class Rule(Enum):
    """Which rule produced the decision: stable names for logs and reports."""

    UNKNOWN_NUMBER = "unknown_number"
    NO_MUNICIPALITY = "no_municipality"
    SINGLE_MUNICIPALITY = "single_municipality"
    SHARED_AREA = "shared_area"
    NATIONAL = "national"
    SELECTED = "selected"
    ORGANISATION = "organisation"  # the national number: a government organisation
    NOT_CONNECTED = "not_connected"
    NO_DESTINATION = "no_destination"
    CALAMITY = "calamity"
    CLOSED = "closed"


class Scope(Enum):
    """Which names the IVR should listen for."""

    AREA = "area"  # the candidates of one area code
    NATIONAL = "national"  # any municipality, place or postcode


class Announcement(StrEnum):
    """What an ANNOUNCE decision tells the caller. The words, per language, are in the prompt
    catalogue (ivr.prompts); routing says only which message and with what."""

    NOT_CONNECTED = "not_connected"  # params: name, number ("" when the directory has none)
    NO_DESTINATION = "no_destination"  # params: name, number
    CLOSED = "closed"  # params: name
    CALAMITY = "calamity"  # params: name
    UNAVAILABLE = "unavailable"  # params: name: an organisation without a destination
    OWN_TEXT = "own_text"  # params: text: the municipality's own message, spoken as written


@dataclass(frozen=True, slots=True)
class Message:
    """A message id from the prompt catalogue and its parameters ("name" → "Goes")."""

    id: str
    params: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, id: str, **params: str) -> Message:
        return cls(id, tuple(sorted(params.items())))

    @property
    def values(self) -> Mapping[str, str]:
        return dict(self.params)

    def to_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "params": dict(self.params)}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A municipality the caller may choose in the IVR.

    `in_menu` is False for slivers: their name is understood but they are not offered as a key.
    Not-connected municipalities are candidates too, so that the caller can be told so.
    """

    code: str
    name: str
    status: ConnectionStatus
    in_menu: bool = True
    public_number: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "status": self.status.value,
            "in_menu": self.in_menu,
            "public_number": self.public_number,
        }


@dataclass(frozen=True, slots=True)
class Department:
    """A part of a municipality with its own line ("Burgerzaken"), offered by key after the
    municipality is known."""

    name: str
    destination: str

    def to_json(self) -> dict[str, str]:
        return {"name": self.name, "destination": self.destination}


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    kind: DecisionKind
    rule: Rule
    reason: str  # plain English for logs and the portal
    data_version: str
    dialled: str = ""
    area_code: str | None = None
    municipality: str | None = None  # CBS code of the municipality the call is for, once known
    target: str | None = None  # REDIRECT: where to; IVR: the area's default (regional KCC)
    fallback: str | None = None  # overflow destination if the target does not answer
    message: Message | None = None  # ANNOUNCE: what the caller hears (ivr.prompts has the words)
    candidates: tuple[Candidate, ...] = ()
    scope: Scope | None = None  # IVR only
    caller_area: str | None = None  # the caller's own area code, when known
    departments: tuple[Department, ...] = ()  # REDIRECT: a key menu first; target if none chosen
    organisation: str | None = None  # code of the organisation the call is for (national)

    def named_codes(self) -> list[str]:
        """The municipalities a caller may name for this call: the candidates, or the one."""
        codes = [c.code for c in self.candidates]
        return codes or ([self.municipality] if self.municipality else [])

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "rule": self.rule.value,
            "reason": self.reason,
            "data_version": self.data_version,
            "dialled": self.dialled,
            "area_code": self.area_code,
            "municipality": self.municipality,
            "target": self.target,
            "fallback": self.fallback,
            "message": self.message.to_json() if self.message else None,
            "candidates": [c.to_json() for c in self.candidates],
            "scope": self.scope.value if self.scope else None,
            "caller_area": self.caller_area,
            "departments": [d.to_json() for d in self.departments],
            "organisation": self.organisation,
        }
