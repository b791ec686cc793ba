from __future__ import annotations

import json
from pathlib import Path

import pytest

from veertien.directory import Directory
from veertien.routing import Settings, SettingsError
from veertien.storage import DataDir, default_data_dir
from veertien.storage.store import Storage


def test_default_data_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VEERTIEN_DATA", "/srv/veertien")
    assert default_data_dir() == Path("/srv/veertien")
    monkeypatch.delenv("VEERTIEN_DATA")
    assert default_data_dir() == Path("veertien-data")


def test_saved_directory_is_loaded_back(tmp_path: Path, demo: Directory) -> None:
    data = DataDir(tmp_path / "new")
    assert data.load_directory().source == "demo"
    data.directory_store.save(demo)
    assert data.load_directory().version == demo.version
    assert [p.name for p in (tmp_path / "new").iterdir()] == ["directory.json"]


def test_settings_file(tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    assert data.load_settings() == Settings()
    data.settings_path.write_text(json.dumps({"municipalities": {"GM0664": {"calamity": True}}}))
    assert data.load_settings().for_municipality("GM0664").calamity


@pytest.mark.parametrize(
    "text", ["{", "[1, 2]", '{"municipalities": 3}', '{"national_numbers": 14}']
)
def test_broken_settings_file_raises_settings_error(tmp_path: Path, text: str) -> None:
    data = DataDir(tmp_path)
    data.settings_path.write_text(text)
    with pytest.raises(SettingsError, match=r"settings\.json"):
        data.load_settings()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
def test_a_settings_file_in_any_unicode_with_its_mark_is_read(
    tmp_path: Path, encoding: str
) -> None:
    """UTF-16 (as some editors save) once crashed `serve` with a traceback; a UTF-8 BOM was
    refused."""
    (tmp_path / "settings.json").write_bytes('{"key_timeout_s": 4}'.encode(encoding))
    assert DataDir(tmp_path).load_settings().platform.key_timeout_s == 4


@pytest.mark.parametrize("raw", [b"\x00\x81{}", b"\xff\xfe{\x00", b"\xc3("])
def test_an_unreadable_settings_file_is_a_settings_error(tmp_path: Path, raw: bytes) -> None:
    (tmp_path / "settings.json").write_bytes(raw)
    with pytest.raises(SettingsError, match=r"settings\.json"):
        DataDir(tmp_path).load_settings()


def test_settings_for_a_municipality_that_does_not_exist_are_refused(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"municipalities": {"GM9999": {}}}))
    with pytest.raises(SettingsError, match="not in the directory: GM9999"):
        DataDir(tmp_path).load_settings(known={"GM0664"})
    with pytest.raises(SettingsError, match="GM9999"):
        Storage.open(DataDir(tmp_path))
