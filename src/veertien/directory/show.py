"""Plain-text views of the directory for `veertien directory show`."""

from __future__ import annotations

from veertien.directory.model import Directory, Municipality, SliverRule
from veertien.numbering import dutch_area_codes


def describe(directory: Directory, query: str | None, rule: SliverRule | None = None) -> str:
    """The whole directory in brief, one area code, or everything matching a name."""
    rule = rule or SliverRule()
    if query is None:
        return _overview(directory, rule)
    digits = query.strip()
    if digits.isdigit():
        code = digits if digits.startswith("0") else "0" + digits
        return _area(directory, code, rule)
    return _name(directory, query)


def _overview(directory: Directory, rule: SliverRule) -> str:
    lines = [
        f"directory {directory.source or '?'} (version {directory.version}): "
        f"{len(directory.municipalities)} municipalities, {len(directory.places)} places, "
        f"{len(directory.postcodes)} postcodes, {len(directory.area_codes())} area codes",
    ]
    for code in directory.area_codes():
        names = [
            _muni_name(directory, m.municipality)
            for m in directory.members(code)
            if not rule.is_sliver(m)
        ]
        lines.append(f"  {code}: {', '.join(names)}")
    return "\n".join(lines)


def _muni_name(directory: Directory, code: str) -> str:
    muni = directory.municipality(code)
    return muni.name if muni else code


def _area(directory: Directory, code: str, rule: SliverRule) -> str:
    plan = dutch_area_codes()
    if code not in plan:
        return f"{code} is not a Dutch area code"
    members = directory.members(code)
    lines = [f"area code {code} ({plan[code].region}): {len(members)} municipalities"]
    for member in members:
        muni = directory.municipalities[member.municipality]
        sliver = "  [sliver: by name only]" if rule.is_sliver(member) else ""
        lines.append(
            f"  {muni.name} [{muni.code}] {muni.status.value}: {member.postcodes} postcodes, "
            f"{member.share_of_area:.0%} of the area, {member.share_of_municipality:.0%} of the "
            f"municipality; destination {muni.destination or '-'}{sliver}"
        )
    return "\n".join(lines)


def _name(directory: Directory, name: str) -> str:
    lines = [_municipality(directory, m) for m in directory.find_municipalities(name)]
    for place in directory.find_places(name):
        lines.append(
            f"place {place.name}: in {_muni_name(directory, place.municipality)} "
            f"[{place.municipality}], area codes {' '.join(place.area_codes) or '-'}"
        )
    return "\n".join(lines) if lines else f"nothing named {name!r} in the directory"


def _municipality(directory: Directory, muni: Municipality) -> str:
    areas = ", ".join(m.area_code for m in directory.areas_of(muni.code))
    places = sum(1 for p in directory.places if p.municipality == muni.code)
    aliases = f" (also: {', '.join(muni.aliases)})" if muni.aliases else ""
    return (
        f"municipality {muni.name}{aliases} [{muni.code}], {muni.province or '-'}: "
        f"{muni.status.value}, destination {muni.destination or '-'}, public number "
        f"{muni.public_number or '-'}, area codes {areas or '-'}, {places} places"
    )
