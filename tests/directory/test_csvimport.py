from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from veertien.directory import ConnectionStatus, DirectoryImportError, import_directory
from veertien.speech.matcher import matcher_for_codes


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A writable copy of the demo directory to break in tests."""
    with resources.as_file(resources.files("veertien.directory") / "demo") as demo:
        shutil.copytree(demo, tmp_path / "dir")
    return tmp_path / "dir"


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def _errors(folder: Path) -> list[str]:
    with pytest.raises(DirectoryImportError) as info:
        import_directory(folder)
    return [str(e) for e in info.value.errors]


def test_the_demo_folder_imports(folder: Path) -> None:
    directory = import_directory(folder)
    assert len(directory.municipalities) == 12
    assert directory.municipalities["GM0394"].status is ConnectionStatus.NOT_CONNECTED
    assert directory.municipalities["GM0394"].public_number == "0900 1852"
    assert directory.municipalities["GM0654"].aliases == ("Borssele",)
    assert directory.postcodes["4461"].municipality == "GM0664"


@pytest.mark.parametrize(
    ("file", "row", "reason"),
    [
        (
            "gemeenten.csv",
            "GM12,Nergens,,,,,,",
            "municipality code 'GM12' is not of the form GM0123",
        ),
        ("gemeenten.csv", "GM0999,,,,,,,", "naam is empty"),
        ("gemeenten.csv", "GM0999,X,,,open,,,", "status 'open' is not active, technical or"),
        ("gemeenten.csv", "GM0999,X,,,,http://x,,", "bestemming 'http://x' is not a usable sip:"),
        (
            "gemeenten.csv",
            'GM0999,X,,,,"sip:a@b\r\nContact: <sip:e@1.2.3.4>",,',
            "a line break inside a field",
        ),
        ("gemeenten.csv", "GM0999,X,,,,,bel ons,", "telefoon 'bel ons' is not a Dutch"),
        ("gemeenten.csv", "GM0664,Goes,,,,,,", "GM0664 appears twice"),
        ("gemeenten.csv", "GM0999,X,,,,,,,extra", "too many fields"),
        ("netnummers.csv", "0116,GM0664,1,0.1,0.1", "'0116' is not a Dutch area code"),
        ("netnummers.csv", "113,GM0664,1,0.1,0.1", "(write it with its leading 0)"),
        ("netnummers.csv", "0113,GM9999,1,0.1,0.1", "municipality GM9999 is not in the gemeenten"),
        ("netnummers.csv", "0113,GM0664,1,1.5,0.1", "aandeel_van_netnummer 1.5 is not between"),
        ("netnummers.csv", "0113,GM0664,x,0.1,0.1", "pc4_in_beide 'x' is not a whole number"),
        ("netnummers.csv", "0113,GM0664,1,0.1,0.1", "appears twice"),
        ("woonplaatsen.csv", ",,ja,GM0664,0113", "naam is empty"),
        ("woonplaatsen.csv", "Nergens,,ja,GM0664,0999", "'0999' is not a Dutch area code"),
        ("postcodes.csv", "0123,GM0664,0113", "pc4 '0123' is not a four-digit postcode"),
        ("postcodes.csv", "4461,GM0664,0113", "postcode 4461 appears twice"),
        ("organisaties.csv", "Belasting Dienst,X,,,", "must be 1-40 lower-case letters"),
        ("organisaties.csv", "nieuw,,,,", "naam is empty"),
        ("organisaties.csv", "uwv,UWV,,,", "organisation uwv appears twice"),
        ("organisaties.csv", "nieuw,X,,http://x,", "bestemming 'http://x' is not a usable sip:"),
        ("organisaties.csv", "nieuw,X," + ";".join("s" * 21) + ",,", "more than 20 synoniemen"),
    ],
)
def test_a_bad_row_names_file_line_and_reason(
    folder: Path, file: str, row: str, reason: str
) -> None:
    path = folder / file
    line = len(path.read_text(encoding="utf-8").splitlines()) + 1
    _append(path, row)
    errors = _errors(folder)
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{file}:{line}: ")
    assert reason in errors[0]


def test_every_error_is_reported_not_just_the_first(folder: Path) -> None:
    _append(folder / "gemeenten.csv", "GM12,X,,,,,,")
    _append(folder / "postcodes.csv", "12,GM0664,")
    errors = _errors(folder)
    assert [e.split(":")[0] for e in errors] == ["gemeenten.csv", "postcodes.csv"]


def test_missing_required_file_and_column(folder: Path) -> None:
    (folder / "netnummers.csv").unlink()
    assert _errors(folder) == [
        "netnummers.csv: missing file (also accepted: netnummer_gemeente.csv)"
    ]
    (folder / "netnummers.csv").write_text("netnummer,gm_code\n0113,GM0664\n", encoding="utf-8")
    errors = _errors(folder)
    assert errors[0].startswith("netnummers.csv:1: missing column(s)")


def test_not_a_folder(tmp_path: Path) -> None:
    assert _errors(tmp_path / "nope") == [f"{tmp_path / 'nope'}: not a folder"]


def test_places_and_postcodes_are_optional(folder: Path) -> None:
    (folder / "woonplaatsen.csv").unlink()
    (folder / "postcodes.csv").unlink()
    directory = import_directory(folder)
    assert directory.places == () and not directory.postcodes


def test_the_same_files_give_the_same_version_from_any_folder(tmp_path: Path, folder: Path) -> None:
    """Three folders with the same files once gave three directory versions."""
    versions = set()
    for name in ("a", "b/c", "d"):
        copy = tmp_path / name
        shutil.copytree(folder, copy)
        versions.add(import_directory(copy).version)
    assert len(versions) == 1
    shuffled = tmp_path / "shuffled"
    shutil.copytree(folder, shuffled)
    lines = (shuffled / "postcodes.csv").read_text(encoding="utf-8").splitlines()
    (shuffled / "postcodes.csv").write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    assert import_directory(shuffled).version in versions  # the order of rows is no data


def test_a_population_that_is_not_a_number_is_refused(folder: Path) -> None:
    """`inwoners=abc` was accepted (and silently dropped)."""
    path = folder / "gemeenten.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = [lines[0] + ",inwoners", *(f"{line},1000" for line in lines[1:])]
    rows.append("GM0999,X,,,,,,,abc")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    errors = _errors(folder)
    assert errors == [f"gemeenten.csv:{len(rows)}: inwoners 'abc' is not a whole number"]


def test_an_unclosed_quote_is_named_where_it_opens_without_follow_on_errors(folder: Path) -> None:
    """An unclosed quote in the municipalities file once gave 306 errors about another file
    and none about the broken one; in another file it was reported 49 lines too late."""
    path = folder / "gemeenten.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(",", ',"', 1)  # line 4: a quote that is never closed
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    errors = _errors(folder)
    assert errors[0].startswith("gemeenten.csv:4: a quoted field runs from this line to line")
    assert len(errors) == 2 and errors[1].startswith("other files: ")
    assert "fix the gemeenten file first" in errors[1]


def test_an_unclosed_quote_in_another_file_is_named_where_it_opens(folder: Path) -> None:
    path = folder / "postcodes.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[2] = '"' + lines[2]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert _errors(folder)[0].startswith("postcodes.csv:3: a quoted field runs from this line")


def test_the_demo_catalogue_of_organisations(folder: Path) -> None:
    directory = import_directory(folder)
    uwv = directory.organisation("uwv")
    assert uwv is not None and uwv.name == "UWV" and "uitkering" in uwv.synonyms
    assert uwv.destination == "sip:+31880000103@127.0.0.1:5080"
    assert len(directory.organisations) == 12


def test_former_municipalities_come_from_the_places_earlier_municipality(folder: Path) -> None:
    _append(folder / "woonplaatsen.csv", "Driewegen,,ja,GM0654,0113,Oud-Borsele")
    _append(folder / "woonplaatsen.csv", "Lewedorp,,ja,GM0678,0113,Oud-Borsele")
    _append(folder / "woonplaatsen.csv", "Ovezande,,ja,GM0654,0113,Borssele")  # an alias now
    former = {f.name: f.municipalities for f in import_directory(folder).former}
    assert former == {"Weesp": ("GM0363",), "Oud-Borsele": ("GM0654", "GM0678")}


def test_an_import_without_a_catalogue_keeps_the_one_in_force(folder: Path) -> None:
    before = import_directory(folder)
    (folder / "organisaties.csv").unlink()
    bare = import_directory(folder)
    assert bare.organisations == ()
    kept = bare.keeping_destinations(before)
    assert kept.organisations == before.organisations
    assert kept.version == before.version


def test_a_frisian_name_is_a_name_callers_may_say(folder: Path) -> None:
    """`alias_fy`: the municipality's Frisian name, recognised like any alias (and kept apart,
    for a Frisian dialogue); a directory without the column keeps its version."""
    assert import_directory(folder).version == "0ac9f92b7694"  # as before alias_fy existed
    gemeenten = folder / "gemeenten.csv"
    lines = gemeenten.read_text(encoding="utf-8").splitlines()
    rows = [f"{lines[0]},alias_fy", *(f"{line}," for line in lines[1:])]
    rows.append("GM0080,Leeuwarden,Fryslân,,active,sip:+3158000001@127.0.0.1:5080,,,Ljouwert")
    gemeenten.write_text("\n".join(rows) + "\n", encoding="utf-8")
    _append(folder / "netnummers.csv", "058,GM0080,51,1.0,1.0")
    directory = import_directory(folder)
    leeuwarden = directory.municipalities["GM0080"]
    assert leeuwarden.frisian == "Ljouwert" and leeuwarden.names == ("Leeuwarden", "Ljouwert")
    found = matcher_for_codes(directory, ("GM0080", "GM0664")).match([("ljouwert", 1.0)]).best
    assert found is not None and found.municipality == "GM0080"
    assert directory.municipalities["GM0664"].frisian is None


def test_a_frisian_name_is_one_name(folder: Path) -> None:
    gemeenten = folder / "gemeenten.csv"
    lines = gemeenten.read_text(encoding="utf-8").splitlines()
    rows = [f"{lines[0]},alias_fy", f"{lines[1]},Goes;Goesk", *(f"{x}," for x in lines[2:])]
    gemeenten.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert any("alias_fy 'Goes;Goesk' must be one name" in e for e in _errors(folder))
