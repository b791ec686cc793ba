"""The data folder: `--data DIR`, else $VEERTIEN_DATA, else ./veertien-data.

It holds `directory.json` (the imported directory; absent means the demo directory) and,
optionally, `settings.json` (routing settings, format in docs/routing.md).
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

    def load_settings(
        self, known: Collection[str] | None = None, base: Settings | None = None
    ) -> Settings:
        """The settings file, or defaults when there is none. With `base` (the settings in
        force), the file is a change set: the keys it names replace theirs in `base`, per
        municipality per key (`null` resets a key; a municipality set to `null` loses its own
        settings), and everything it does not name stays as it was — so a file never erases
        what the portal saved. Raises `SettingsError` if bad: not UTF-8 (a UTF-8, UTF-16 or
        UTF-32 byte-order mark is understood), not a JSON object, a value out of range, or a
        municipality that is not in `known` (the directory the settings are for, when given)."""
        if not self.settings_path.is_file():
            return Settings()
        try:
            raw = self.settings_path.read_bytes()
        except OSError as exc:
            raise SettingsError(f"{self.settings_path}: {exc}") from None
        try:
            data = json.loads(_text(raw))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SettingsError(f"{self.settings_path}: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{self.settings_path}: expected a JSON object")
        named = data.get("municipalities")
        if base is not None:
            data = changed(base.to_json(), data)
        try:
            settings = Settings.from_json(data)
        except SettingsError as exc:
            raise SettingsError(f"{self.settings_path}: {exc}") from None
        codes = set(named) if isinstance(named, dict) else set()
        unknown = sorted(codes - set(known)) if known is not None else []
        if unknown:
            raise SettingsError(
                f"{self.settings_path}: municipalities not in the directory: {', '.join(unknown)}"
            )
        return settings

    def routing_context(self) -> RoutingContext:
        return RoutingContext(self.load_directory(), self.load_settings())


def changed(current: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """`current` (a settings document) with the keys `change` names replaced; municipalities
    per municipality per key."""
    out = dict(current)
    for key, value in change.items():
        if key != "municipalities" or not isinstance(value, dict):
            out[key] = value
            continue
        municipalities = dict(out.get("municipalities") or {})
        for code, fields in value.items():
            if fields is None:
                municipalities.pop(code, None)
            elif isinstance(fields, dict):
                mine = {**municipalities.get(code, {}), **fields}
                municipalities[code] = {k: v for k, v in mine.items() if v is not None}
            else:
                municipalities[code] = fields  # not an object: Settings.from_json says so
        out[key] = municipalities
    return out


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _text(raw: bytes) -> str:
    """A settings file's text: UTF-8, or whatever its byte-order mark says (editors on some
    systems save UTF-16 with one). Raises UnicodeDecodeError otherwise."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return raw.decode(encoding)
    return raw.decode("utf-8")
