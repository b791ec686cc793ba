"""Where the active directory lives between runs: a JSON snapshot in the data folder.

`veertien directory import` validates a CSV folder and replaces the snapshot atomically (write
to a temporary file, fsync, rename), so a crash mid-import leaves the previous directory intact.
A data folder without a snapshot starts with the built-in demo directory. The storage issue
swaps this for the database behind the same `DirectoryStore` protocol.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Protocol

from veertien.directory.csvimport import import_directory
from veertien.directory.model import Directory

SNAPSHOT = "directory.json"


class DirectoryStore(Protocol):
    def load(self) -> Directory: ...

    def save(self, directory: Directory) -> None: ...


def demo_directory() -> Directory:
    """The small example directory that ships with veertien (destinations are examples)."""
    with resources.as_file(resources.files("veertien.directory") / "demo") as folder:
        directory = import_directory(Path(folder))
    return replace(directory, source="demo")


class JsonDirectoryStore:
    """Keeps the directory as one JSON file in the data folder."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / SNAPSHOT

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> Directory:
        if not self.exists():
            return demo_directory()
        with self.path.open(encoding="utf-8") as handle:
            return Directory.from_json(json.load(handle))

    def save(self, directory: Directory) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".directory-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(directory.to_json(), handle, ensure_ascii=False)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
