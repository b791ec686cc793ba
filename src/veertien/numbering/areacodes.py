"""The Dutch geographic area codes (netnummers), taken from libphonenumber's geodata.

The `phonenumbers` package carries a place name for every geographic prefix it knows. For the
Netherlands (+31) those prefixes are exactly the 141 area codes in use. We validate against this
list rather than `phonenumbers.is_valid_number`, which also accepts prefixes such as 0116 or 084
that are not geographic area codes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache

COUNTRY_CODE = "31"


@dataclass(frozen=True, slots=True)
class AreaCode:
    """One geographic area code, written in national form with its trunk zero ("0113")."""

    code: str
    region: str
    region_en: str

    @property
    def digits(self) -> str:
        """The code without the trunk zero, as it appears after +31."""
        return self.code[1:]


class AreaCodePlan(Mapping[str, AreaCode]):
    """Read-only mapping of national-form area code ("020", "0113") to `AreaCode`."""

    def __init__(self, codes: Mapping[str, AreaCode]) -> None:
        self._codes = dict(codes)
        self._lengths = sorted({len(c) for c in self._codes}, reverse=True)

    def __getitem__(self, code: str) -> AreaCode:
        return self._codes[code]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._codes))

    def __len__(self) -> int:
        return len(self._codes)

    def prefix_of(self, national: str) -> AreaCode | None:
        """The area code that `national` ("0113 123456") starts with, if any."""
        for length in self._lengths:
            found = self._codes.get(national[:length])
            if found is not None:
                return found
        return None


def _from_geodata(geocode_data: Mapping[str, Mapping[str, str]]) -> AreaCodePlan:
    codes: dict[str, AreaCode] = {}
    for prefix, names in geocode_data.items():
        if not prefix.startswith(COUNTRY_CODE) or len(prefix) < 4:
            continue
        national = "0" + prefix[len(COUNTRY_CODE) :]
        region = names.get("nl") or names.get("en") or ""
        codes[national] = AreaCode(national, region, names.get("en") or region)
    return AreaCodePlan(codes)


@cache
def dutch_area_codes() -> AreaCodePlan:
    """All Dutch geographic area codes (141 in libphonenumber 8.13 and later). Loaded once."""
    from phonenumbers.geodata import GEOCODE_DATA  # noqa: PLC0415 (0.3 s: load on first use)

    return _from_geodata(GEOCODE_DATA)
