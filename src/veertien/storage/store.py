"""Everything the service keeps, in one place: the database and the stores on it.

`settings.json` and `directory.json` in the data folder still work: a changed file is taken
into the database once (audited as coming from the file). After that, the portal's changes and
the file's live side by side in the database; the database is what routing reads.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from veertien.directory import Directory
from veertien.routing import RoutingContext, Settings
from veertien.storage.config import ConfigStore, Snapshot
from veertien.storage.datadir import DataDir
from veertien.storage.db import database_url, open_engine
from veertien.storage.incidents import IncidentStore
from veertien.storage.recordings import RecordingStore
from veertien.storage.users import UserStore

log = logging.getLogger("veertien.storage")


@dataclass
class Storage:
    engine: Engine
    data: DataDir
    _stats: dict[str, tuple[float, int]] = field(default_factory=dict)  # files already looked at

    @classmethod
    def open(cls, data: DataDir, url: str | None = None) -> Storage:
        storage = cls(open_engine(database_url(data.path, url)), data)
        storage.sync_files()
        return storage

    @property
    def config(self) -> ConfigStore:
        return ConfigStore(self.engine)

    @property
    def users(self) -> UserStore:
        return UserStore(self.engine)

    @property
    def incidents(self) -> IncidentStore:
        return IncidentStore(self.engine)

    @property
    def recordings(self) -> RecordingStore:
        return RecordingStore(self.engine)

    def sync_files(self) -> bool:
        """Take changed data-folder files into the database. Raises SettingsError for a bad
        settings file (nothing is changed then)."""
        changed = False
        for path in (self.data.directory_store.path, self.data.settings_path):  # directory first
            if not path.is_file():
                continue
            stat = path.stat()
            if self._stats.get(path.name) == (stat.st_mtime, stat.st_size):
                continue  # unchanged since the last look: no need to read and hash it again
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            if self.config.file_seen(path.name, digest):
                self._stats[path.name] = (stat.st_mtime, stat.st_size)
                continue
            document: Settings | Directory = (
                self._settings_change()
                if path == self.data.settings_path
                else self.data.load_directory()
            )
            self.config.import_file(path.name, digest, document)
            self._stats[path.name] = (stat.st_mtime, stat.st_size)
            log.info("%s taken into the database", path)
            changed = True
        return changed

    def _settings_change(self) -> Settings:
        """The settings file applied as a change set to the settings in force."""
        context = self.config.snapshot().context
        return self.data.load_settings(context.directory.municipalities, base=context.settings)

    def snapshot(self) -> Snapshot:
        return self.config.snapshot()

    def routing_context(self) -> RoutingContext:
        return self.snapshot().context

    def close(self) -> None:
        self.engine.dispose()
