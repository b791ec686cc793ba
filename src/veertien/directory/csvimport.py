"""Import a directory from a folder of CSV files, atomically and with line-exact errors.

The format is documented in docs/directory-format.md. It is the layout of the national reference
set (gemeenten, netnummer_gemeente, woonplaatsen_gemeente, pc4_gemeente) with optional columns
for what the operator configures: connection status, destination and public number.

Every row of every file is checked before anything is returned: one bad row fails the whole import
with its file, line and reason, so a directory is never half-loaded.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from veertien.directory.model import (
    ConnectionStatus,
    Directory,
    Former,
    Membership,
    Municipality,
    Organisation,
    Place,
    Postcode,
    normalise_name,
)
from veertien.errors import InputError
from veertien.numbering import AreaCodePlan, dutch_area_codes, to_national
from veertien.sip.uri import SipSyntaxError, destination_uri

# Accepted file names per table, our short name first.
MUNICIPALITY_FILES = ("gemeenten.csv", "gemeenten_2025.csv")
MEMBERSHIP_FILES = ("netnummers.csv", "netnummer_gemeente.csv")
PLACE_FILES = ("woonplaatsen.csv", "woonplaatsen_gemeente.csv")
POSTCODE_FILES = ("postcodes.csv", "pc4_gemeente.csv")
ORGANISATION_FILES = ("organisaties.csv", "organisations.csv")

_GM_CODE = re.compile(r"GM\d{4}")
_PC4 = re.compile(r"[1-9]\d{3}")
_ORG_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
MAX_SYNONYMS = 20
_STATUS = {
    "": ConnectionStatus.ACTIVE,
    "active": ConnectionStatus.ACTIVE,
    "actief": ConnectionStatus.ACTIVE,
    "technical": ConnectionStatus.TECHNICAL,
    "technisch": ConnectionStatus.TECHNICAL,
    "not_connected": ConnectionStatus.NOT_CONNECTED,
    "not connected": ConnectionStatus.NOT_CONNECTED,
    "niet_aangesloten": ConnectionStatus.NOT_CONNECTED,
    "niet aangesloten": ConnectionStatus.NOT_CONNECTED,
}
MAX_REPORTED = 50


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    reason: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.line}: {self.reason}"
            if self.line
            else f"{self.file}: {self.reason}"
        )


class DirectoryImportError(InputError):
    """The import failed; nothing was loaded. `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        shown = "\n".join(str(e) for e in errors[:MAX_REPORTED])
        more = len(errors) - MAX_REPORTED
        tail = f"\n... and {more} more" if more > 0 else ""
        super().__init__(f"{len(errors)} error(s) in the directory:\n{shown}{tail}")


class _RowProblem(InputError):
    """Raised by a row parser; the reader turns it into a RowError with file and line."""


Row = Mapping[str, str]
T = TypeVar("T")


@dataclass
class _Reader:
    folder: Path
    plan: AreaCodePlan
    errors: list[RowError]

    def find(self, names: tuple[str, ...], required: bool) -> Path | None:
        for name in names:
            if (self.folder / name).is_file():
                return self.folder / name
        if required:
            self.errors.append(RowError(names[0], 0, f"missing file (also accepted: {names[1]})"))
        return None

    def rows(self, path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, Row]]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in columns if c not in (reader.fieldnames or [])]
                if missing:
                    self.errors.append(RowError(path.name, 1, f"missing column(s) {missing}"))
                    return
                end = reader.line_num
                for row in reader:
                    # A row is named by the line it starts on (a quoted field may span lines).
                    start, end = end + 1, reader.line_num
                    if end > start and any(
                        "\n" in (v or "") for v in row.values() if isinstance(v, str)
                    ):
                        reason = (
                            f"a quoted field runs from this line to line {end}: a quote not "
                            "closed on its line, or a line break inside a field"
                        )
                        self.errors.append(RowError(path.name, start, reason))
                        return  # the rest of the file went into that one field
                    if None in row:
                        self.errors.append(RowError(path.name, start, "too many fields"))
                        continue
                    yield start, {k: (v or "").strip() for k, v in row.items()}
        except (UnicodeDecodeError, csv.Error) as exc:
            self.errors.append(RowError(path.name, 0, f"unreadable: {exc}"))

    def parse(self, path: Path, columns: tuple[str, ...], parse: Callable[[Row], T]) -> list[T]:
        out: list[T] = []
        for line, row in self.rows(path, columns):
            try:
                out.append(parse(row))
            except _RowProblem as exc:
                self.errors.append(RowError(path.name, line, str(exc)))
        return out

    def area_code(self, text: str) -> str:
        if text not in self.plan:
            hint = " (write it with its leading 0)" if "0" + text in self.plan else ""
            raise _RowProblem(f"{text!r} is not a Dutch area code{hint}")
        return text


def _gm_code(text: str) -> str:
    if not _GM_CODE.fullmatch(text):
        raise _RowProblem(f"municipality code {text!r} is not of the form GM0123")
    return text


def _known(text: str, munis: Mapping[str, Municipality]) -> str:
    code = _gm_code(text)
    if code not in munis:
        raise _RowProblem(f"municipality {code} is not in the gemeenten file")
    return code


def _once(key: object, seen: set[object], what: str) -> None:
    if key in seen:
        raise _RowProblem(f"{what} appears twice")
    seen.add(key)


def _fraction(row: Row, column: str) -> float:
    try:
        value = float(row[column])
    except ValueError:
        raise _RowProblem(f"{column} {row[column]!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise _RowProblem(f"{column} {value} is not between 0 and 1")
    return value


def _count(row: Row, column: str) -> int:
    text = row[column]
    if not text.isdigit():
        raise _RowProblem(f"{column} {text!r} is not a whole number")
    return int(text)


def _destination(text: str) -> str | None:
    if not text:
        return None
    try:
        return destination_uri(text)
    except SipSyntaxError as exc:
        raise _RowProblem(
            f"bestemming {text[:80]!r} is not a usable sip:, sips: or tel: URI: {exc}"
        ) from None


def _municipality(row: Row) -> Municipality:
    code = _gm_code(row["gm_code"])
    if not row["naam"]:
        raise _RowProblem("naam is empty")
    status_text = row.get("status", "").lower()
    if status_text not in _STATUS:
        raise _RowProblem(f"status {status_text!r} is not active, technical or not_connected")
    destination = _destination(row.get("bestemming", ""))
    number = row.get("telefoon") or None
    if number is not None and to_national(number) is None:
        raise _RowProblem(f"telefoon {number!r} is not a Dutch telephone number")
    population = (row.get("inwoners") or row.get("inwoners_2024_01_01") or "").replace(".", "")
    if population and not population.isdigit():
        raise _RowProblem(f"inwoners {population[:20]!r} is not a whole number")
    aliases = tuple(a.strip() for a in row.get("alias", "").split(";") if a.strip())
    frisian = row.get("alias_fy", "").strip() or None
    if frisian is not None and (";" in frisian or len(frisian) > 100):
        raise _RowProblem(f"alias_fy {frisian[:40]!r} must be one name (at most 100 characters)")
    return Municipality(
        code=code,
        name=row["naam"],
        province=row.get("provincie", ""),
        aliases=tuple(a for a in aliases if a != row["naam"]),
        status=_STATUS[status_text],
        destination=destination,
        public_number=number,
        population=int(population) if population.isdigit() else None,
        frisian=frisian if frisian != row["naam"] else None,
    )


def _without_follow_ons(errors: list[RowError], broken: int) -> list[RowError]:
    """When the municipalities file has problems of its own, the rows of other files that name
    a municipality it did not give are their consequence: one line says so, instead of hundreds
    that hide the cause."""
    if not broken:
        return errors
    unknown = [e for e in errors[broken:] if e.reason.endswith("is not in the gemeenten file")]
    if not unknown:
        return errors
    rest = [e for e in errors if e not in unknown]
    note = RowError(
        "other files", 0,
        f"{len(unknown)} rows in other files name municipalities the gemeenten file did not "
        "give: fix the gemeenten file first",
    )  # fmt: skip
    return [*rest, note]


def import_directory(folder: Path, plan: AreaCodePlan | None = None) -> Directory:
    """Read and validate a directory folder. Raises `DirectoryImportError` listing every problem."""
    errors: list[RowError] = []
    if not folder.is_dir():
        raise DirectoryImportError([RowError(str(folder), 0, "not a folder")])
    reader = _Reader(folder, plan if plan is not None else dutch_area_codes(), errors)
    municipalities = _load_municipalities(reader)
    broken = len(errors)  # problems in the municipalities file itself
    memberships = _load_memberships(reader, municipalities)
    places, earlier = _load_places(reader, municipalities)
    postcodes = _load_postcodes(reader, municipalities)
    organisations = _load_organisations(reader)
    if errors:
        raise DirectoryImportError(_without_follow_ons(errors, broken))
    return Directory(
        municipalities=municipalities,
        memberships=tuple(memberships),
        places=tuple(places),
        postcodes={p.pc4: p for p in postcodes},
        source=str(folder.resolve()),
        organisations=tuple(organisations),
        former=_former(earlier, municipalities),
    )


def _former(
    earlier: Mapping[str, set[str]], munis: Mapping[str, Municipality]
) -> tuple[Former, ...]:
    """Former municipalities, from the places file's `gemeente_2020` column: a name there
    that no municipality (nor alias) has now, with the municipalities its places lie in now."""
    current = {normalise_name(n) for m in munis.values() for n in m.names}
    return tuple(
        Former(name, tuple(sorted(codes)))
        for name, codes in sorted(earlier.items())
        if normalise_name(name) not in current
    )


def _load_municipalities(reader: _Reader) -> dict[str, Municipality]:
    path = reader.find(MUNICIPALITY_FILES, required=True)
    if path is None:
        return {}
    found: dict[str, Municipality] = {}
    for line, row in reader.rows(path, ("gm_code", "naam")):
        try:
            muni = _municipality(row)
        except _RowProblem as exc:
            reader.errors.append(RowError(path.name, line, str(exc)))
            continue
        if muni.code in found:
            reader.errors.append(RowError(path.name, line, f"{muni.code} appears twice"))
        found[muni.code] = muni
    return found


def _load_memberships(reader: _Reader, munis: Mapping[str, Municipality]) -> list[Membership]:
    path = reader.find(MEMBERSHIP_FILES, required=True)
    if path is None:
        return []

    seen: set[object] = set()

    def parse(row: Row) -> Membership:
        member = Membership(
            area_code=reader.area_code(row["netnummer"]),
            municipality=_known(row["gm_code"], munis),
            postcodes=_count(row, "pc4_in_beide"),
            share_of_area=_fraction(row, "aandeel_van_netnummer"),
            share_of_municipality=_fraction(row, "aandeel_van_gemeente"),
        )
        _once((member.area_code, member.municipality), seen, "this area code and municipality")
        return member

    columns = (
        "netnummer",
        "gm_code",
        "pc4_in_beide",
        "aandeel_van_netnummer",
        "aandeel_van_gemeente",
    )
    return reader.parse(path, columns, parse)


def _load_places(
    reader: _Reader, munis: Mapping[str, Municipality]
) -> tuple[list[Place], dict[str, set[str]]]:
    """The places, and per earlier municipality name (`gemeente_2020`) where they lie now."""
    path = reader.find(PLACE_FILES, required=False)
    earlier: dict[str, set[str]] = {}
    if path is None:
        return [], earlier

    def parse(row: Row) -> Place:
        if not row["naam"]:
            raise _RowProblem("naam is empty")
        areas = tuple(reader.area_code(a) for a in row.get("netnummers", "").split())
        alt = row.get("naam_alt", "")
        code = _known(row["gm_code"], munis)
        if row.get("gemeente_2020"):
            earlier.setdefault(row["gemeente_2020"], set()).add(code)
        return Place(
            name=row["naam"],
            municipality=code,
            official=row.get("officiele_woonplaats", "ja").lower() in ("ja", "yes", "true", "1"),
            area_codes=areas,
            aliases=(alt,) if alt and alt != row["naam"] else (),
        )

    return reader.parse(path, ("naam", "gm_code"), parse), earlier


def _load_postcodes(reader: _Reader, munis: Mapping[str, Municipality]) -> list[Postcode]:
    path = reader.find(POSTCODE_FILES, required=False)
    if path is None:
        return []

    seen: set[object] = set()

    def parse(row: Row) -> Postcode:
        if not _PC4.fullmatch(row["pc4"]):
            raise _RowProblem(f"pc4 {row['pc4']!r} is not a four-digit postcode")
        area = row.get("netnummer", "")
        municipality = _known(row["gm_code"], munis)
        _once(row["pc4"], seen, f"postcode {row['pc4']}")
        return Postcode(row["pc4"], municipality, reader.area_code(area) if area else None)

    return reader.parse(path, ("pc4", "gm_code"), parse)


def organisation_code(text: str) -> bool:
    """Whether `text` is a valid organisation code: 1-40 lower-case letters, digits, dashes."""
    return _ORG_CODE.fullmatch(text) is not None


def _load_organisations(reader: _Reader) -> list[Organisation]:
    """The catalogue of government organisations for the national number (optional)."""
    path = reader.find(ORGANISATION_FILES, required=False)
    if path is None:
        return []
    seen: set[object] = set()

    def parse(row: Row) -> Organisation:
        code = row["code"].lower()
        if not organisation_code(code):
            raise _RowProblem(
                f"code {row['code'][:50]!r} must be 1-40 lower-case letters, digits and dashes"
            )
        if not row["naam"]:
            raise _RowProblem("naam is empty")
        _once(code, seen, f"organisation {code}")
        synonyms = tuple(s.strip() for s in row.get("synoniemen", "").split(";") if s.strip())
        if len(synonyms) > MAX_SYNONYMS:
            raise _RowProblem(f"more than {MAX_SYNONYMS} synoniemen")
        if any(len(n) > 80 for n in (row["naam"], *synonyms)):
            raise _RowProblem("a name or synonym is longer than 80 characters")
        named = tuple(dict.fromkeys(s for s in synonyms if s != row["naam"]))
        return Organisation(code, row["naam"], named, _destination(row.get("bestemming", "")))

    return reader.parse(path, ("code", "naam"), parse)
