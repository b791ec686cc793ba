"""The directory: municipalities, places, area-code membership and postcodes.

Everything here is immutable. A `Directory` is built once (by the CSV importer or from a stored
snapshot) and then only read, so routing can share it between calls without locks.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any


class ConnectionStatus(Enum):
    """How a municipality takes part in the 14+ platform."""

    ACTIVE = "active"  # connected and promoting its 14+ number
    TECHNICAL = "technical"  # connected, calls are routed, but the number is not promoted
    NOT_CONNECTED = "not_connected"  # not reachable via 14+: callers are told its own number

    @property
    def participates(self) -> bool:
        return self is not ConnectionStatus.NOT_CONNECTED


@dataclass(frozen=True, slots=True)
class Municipality:
    code: str  # CBS code, "GM0664"
    name: str
    province: str = ""
    aliases: tuple[str, ...] = ()
    status: ConnectionStatus = ConnectionStatus.ACTIVE
    destination: str | None = None  # SIP or tel URI of its contact centre (KCC)
    public_number: str | None = None  # its own published number, read out when not connected
    population: int | None = None
    frisian: str | None = None  # its Frisian name (Ljouwert), said by callers like an alias

    @property
    def names(self) -> tuple[str, ...]:
        extra = (self.frisian,) if self.frisian and self.frisian not in self.aliases else ()
        return (self.name, *self.aliases, *extra)


@dataclass(frozen=True, slots=True)
class Place:
    """A town or village (kern/woonplaats); the same name may exist in several municipalities."""

    name: str
    municipality: str  # CBS code
    official: bool = True  # a BAG woonplaats rather than a hamlet or district
    area_codes: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other spellings, e.g. the Frisian name

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True, slots=True)
class Membership:
    """A municipality lying (partly) in an area code.

    `share_of_area` is the part of the area's postcodes that belong to the municipality;
    `share_of_municipality` the part of the municipality's postcodes that lie in the area.
    """

    area_code: str
    municipality: str
    postcodes: int
    share_of_area: float
    share_of_municipality: float


@dataclass(frozen=True, slots=True)
class Postcode:
    pc4: str
    municipality: str
    area_code: str | None = None


@dataclass(frozen=True, slots=True)
class Organisation:
    """A government organisation the national number connects to (Belastingdienst, UWV):
    what callers call it and where its calls go (an operator's configuration)."""

    code: str  # a short id: "belastingdienst"
    name: str
    synonyms: tuple[str, ...] = ()  # other things callers say: "de belasting", "toeslagen"
    destination: str | None = None  # SIP or tel URI of its information line

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)


@dataclass(frozen=True, slots=True)
class Former:
    """A former municipality's name and the municipalities it went into: one (Weesp →
    Amsterdam, a name callers still use) or several (Haaren: the place or postcode decides)."""

    name: str
    municipalities: tuple[str, ...]  # CBS codes


@dataclass(frozen=True, slots=True)
class SliverRule:
    """When is a membership a sliver (a corner of the municipality that happens to use the area
    code) rather than a real member? A sliver rests on at most `max_postcodes` postcodes and is
    less than `max_share_of_municipality` of the municipality. Slivers are not offered in the
    area's menu but their names are still understood there."""

    max_postcodes: int = 1
    max_share_of_municipality: float = 0.25

    def is_sliver(self, member: Membership) -> bool:
        return (
            member.postcodes <= self.max_postcodes
            and member.share_of_municipality < self.max_share_of_municipality
        )


def normalise_name(text: str) -> str:
    """Fold a name for lookup: case, accents, apostrophes and punctuation do not matter."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    cleaned = "".join(c if c.isalnum() else " " for c in plain.replace("'", ""))
    return " ".join(cleaned.split())


def _index(pairs: Iterable[tuple[str, str]]) -> Mapping[str, tuple[str, ...]]:
    index: dict[str, list[str]] = {}
    for key, value in pairs:
        bucket = index.setdefault(key, [])
        if value not in bucket:
            bucket.append(value)
    return MappingProxyType({k: tuple(v) for k, v in index.items()})


@dataclass(frozen=True, eq=False)
class Directory:
    """An immutable, indexed directory. `version` is a content hash: equal data, equal version."""

    municipalities: Mapping[str, Municipality]
    places: tuple[Place, ...] = ()
    memberships: tuple[Membership, ...] = ()
    postcodes: Mapping[str, Postcode] = field(default_factory=dict)
    source: str = ""
    organisations: tuple[Organisation, ...] = ()
    former: tuple[Former, ...] = ()
    version: str = field(init=False)
    _by_name: Mapping[str, tuple[str, ...]] = field(init=False, repr=False)
    _places_by_name: Mapping[str, tuple[Place, ...]] = field(init=False, repr=False)
    _members: Mapping[str, tuple[Membership, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        munis = MappingProxyType(dict(self.municipalities))
        object.__setattr__(self, "municipalities", munis)
        object.__setattr__(self, "postcodes", MappingProxyType(dict(self.postcodes)))
        names = ((normalise_name(n), m.code) for m in munis.values() for n in m.names)
        object.__setattr__(self, "_by_name", _index(names))
        places: dict[str, list[Place]] = {}
        for place in self.places:
            for name in {normalise_name(n) for n in place.names}:
                places.setdefault(name, []).append(place)
        object.__setattr__(self, "_places_by_name", {k: tuple(v) for k, v in places.items()})
        members: dict[str, list[Membership]] = {}
        for member in sorted(self.memberships, key=lambda m: (-m.share_of_area, m.municipality)):
            members.setdefault(member.area_code, []).append(member)
        object.__setattr__(self, "_members", {k: tuple(v) for k, v in members.items()})
        object.__setattr__(self, "version", self._content_hash())

    def _content_hash(self) -> str:
        """Of the data alone: not where it was imported from, nor the order of its rows, so
        the same files give the same version from any folder."""
        data = self.to_json()
        del data["source"]
        canonical = {
            key: sorted(json.dumps(item, sort_keys=True) for item in items)
            for key, items in data.items()
        }
        digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode())
        return digest.hexdigest()[:12]

    def municipality(self, code: str) -> Municipality | None:
        return self.municipalities.get(code)

    def keeping_destinations(self, old: Directory) -> Directory:
        """This (newly imported) directory with the destination each municipality had in
        `old` where the import gives it none: importing the national set, which names no
        destinations, must not cut every municipality off. An import without an organisation
        catalogue keeps the catalogue in force likewise."""
        kept = {
            code: replace(muni, destination=old.municipalities[code].destination)
            if muni.destination is None and code in old.municipalities
            else muni
            for code, muni in self.municipalities.items()
        }
        organisations = self.organisations or old.organisations
        if organisations is self.organisations and all(
            kept[c] is self.municipalities[c] for c in kept
        ):
            return self
        return replace(self, municipalities=kept, organisations=organisations)

    def find_municipalities(self, name: str) -> tuple[Municipality, ...]:
        """Municipalities whose name or alias matches `name` (several for homonyms: Bergen)."""
        codes = self._by_name.get(normalise_name(name), ())
        return tuple(self.municipalities[c] for c in codes)

    def find_places(self, name: str) -> tuple[Place, ...]:
        return self._places_by_name.get(normalise_name(name), ())

    def members(self, area_code: str) -> tuple[Membership, ...]:
        """Municipalities in an area code, largest share of the area first."""
        return self._members.get(area_code, ())

    def area_codes(self) -> tuple[str, ...]:
        return tuple(sorted(self._members))

    def areas_of(self, municipality: str) -> tuple[Membership, ...]:
        return tuple(m for m in self.memberships if m.municipality == municipality)

    def organisation(self, code: str) -> Organisation | None:
        return next((o for o in self.organisations if o.code == code), None)

    def to_json(self) -> dict[str, Any]:
        """A plain-data form of the whole directory, stable for hashing and storing. (The
        organisations and former names only when there are some: a directory without them
        keeps the version it had before they existed.)"""
        data: dict[str, Any] = {
            "municipalities": [_muni_json(m) for m in self.municipalities.values()],
            "places": [asdict(p) for p in self.places],
            "memberships": [asdict(m) for m in self.memberships],
            "postcodes": [asdict(p) for p in self.postcodes.values()],
            "source": self.source,
        }
        if self.organisations:
            data["organisations"] = [asdict(o) for o in self.organisations]
        if self.former:
            data["former"] = [asdict(f) for f in self.former]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Directory:
        munis = [_muni_from_json(m) for m in data["municipalities"]]
        return cls(
            municipalities={m.code: m for m in munis},
            places=tuple(_place_from_json(p) for p in data["places"]),
            memberships=tuple(Membership(**m) for m in data["memberships"]),
            postcodes={p["pc4"]: Postcode(**p) for p in data["postcodes"]},
            source=str(data.get("source", "")),
            organisations=tuple(
                Organisation(
                    o["code"], o["name"], tuple(o.get("synonyms", ())), o.get("destination")
                )
                for o in data.get("organisations", ())
            ),
            former=tuple(
                Former(f["name"], tuple(f["municipalities"])) for f in data.get("former", ())
            ),
        )


def _muni_json(m: Municipality) -> dict[str, Any]:
    data = asdict(m)
    data["status"] = m.status.value
    data["aliases"] = list(m.aliases)
    if m.frisian is None:  # a directory without Frisian names keeps its version
        del data["frisian"]
    return data


def _muni_from_json(data: Mapping[str, Any]) -> Municipality:
    fields = dict(data)
    fields["status"] = ConnectionStatus(fields["status"])
    fields["aliases"] = tuple(fields["aliases"])
    return Municipality(**fields)


def _place_from_json(data: Mapping[str, Any]) -> Place:
    fields = dict(data)
    fields["area_codes"] = tuple(fields["area_codes"])
    fields["aliases"] = tuple(fields.get("aliases", ()))
    return Place(**fields)
