from __future__ import annotations

import json
from pathlib import Path

import pytest

from veertien.directory import Directory
from veertien.routing import Settings, SettingsError
from veertien.storage import DataDir, default_data_dir


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
