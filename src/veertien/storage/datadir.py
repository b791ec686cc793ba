"""The data folder: `--data DIR`, else $VEERTIEN_DATA, else ./veertien-data.

It holds `directory.json` (the imported directory; absent means the demo directory) and,
optionally, `settings.json` (routing settings, format in docs/routing.md).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from veertien.directory import Directory, JsonDirectoryStore
from veertien.routing import RoutingContext, Settings, SettingsError

ENV_VAR = "VEERTIEN_DATA"
SETTINGS = "settings.json"


def default_data_dir() -> Path:
    return Path(os.environ.get(ENV_VAR) or "veertien-data")


@dataclass(frozen=True)
class DataDir:
    path: Path

    @property
    def directory_store(self) -> JsonDirectoryStore:
        return JsonDirectoryStore(self.path)

    @property
    def settings_path(self) -> Path:
        return self.path / SETTINGS

    def load_directory(self) -> Directory:
        return self.directory_store.load()

    def load_settings(self) -> Settings:
        """The settings file, or defaults when there is none. Raises `SettingsError` if bad."""
        if not self.settings_path.is_file():
            return Settings()
        try:
            data = json.loads(self.settings_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SettingsError(f"{self.settings_path}: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{self.settings_path}: expected a JSON object")
        try:
            return Settings.from_json(data)
        except SettingsError as exc:
            raise SettingsError(f"{self.settings_path}: {exc}") from None

    def routing_context(self) -> RoutingContext:
        return RoutingContext(self.load_directory(), self.load_settings())
