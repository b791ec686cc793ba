"""Shared fixtures. The national reference set is read from ../shared/data (never copied)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from veertien.directory import Directory, demo_directory, import_directory

REPO = Path(__file__).resolve().parent.parent
AMS = ZoneInfo("Europe/Amsterdam")
# A Tuesday morning in office hours, not a holiday.
TUESDAY_MORNING = datetime(2026, 11, 24, 10, 0, tzinfo=AMS)


@pytest.fixture
def voices() -> None:
    """espeak-ng and sox (prompts, synthetic callers): a failure in CI, a skip elsewhere."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        if os.environ.get("CI"):
            pytest.fail("espeak-ng and sox are missing (scripts/install installs them)")
        pytest.skip("espeak-ng and sox are missing")


def national_data_path() -> Path:
    return Path(os.environ.get("VEERTIEN_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def national_path() -> Path:
    path = national_data_path()
    if not (path / "gemeenten_2025.csv").is_file():
        message = f"national reference set not found at {path} (set VEERTIEN_SHARED_DATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def national(national_path: Path) -> Directory:
    return import_directory(national_path)


@pytest.fixture(scope="session")
def demo() -> Directory:
    return demo_directory()


def keys_only(data: Path) -> Path:
    """A data folder whose dialogues take keys only (speech is on by default): its
    settings.json gets `"speech": false` beside whatever a test wrote there."""
    import json  # noqa: PLC0415

    path = data / "settings.json"
    settings = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    settings.setdefault("speech", False)
    data.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings), encoding="utf-8")
    return data
