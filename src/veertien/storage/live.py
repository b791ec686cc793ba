"""The live routing snapshot of a running node: what the next call is routed on."""

from __future__ import annotations

import asyncio
import logging

from veertien.routing import RoutingContext, SettingsError
from veertien.storage.store import Storage

log = logging.getLogger("veertien")


class LiveContext:
    """The current RoutingContext: a snapshot of directory + settings from the database.

    `watch()` checks every `interval` seconds, in a worker thread, whether the data folder's
    files changed (they are taken into the database) or the database's revision moved (the
    portal saved something), and swaps in the new snapshot: live for the next call, no restart.
    The event loop never waits on the database."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        snapshot = storage.snapshot()
        self.revision = snapshot.revision
        self.current = snapshot.context

    def __call__(self) -> RoutingContext:
        return self.current

    @property
    def version(self) -> str:
        return self.current.data_version

    def refresh(self) -> None:
        """Blocking: run it in a thread."""
        try:
            self.storage.sync_files()
        except (SettingsError, ValueError, KeyError, OSError) as exc:
            log.error("data folder changed but cannot be loaded, not taken: %s", exc)
        revision = self.storage.config.revision()
        if revision == self.revision:
            return
        try:
            snapshot = self.storage.snapshot()
        except (SettingsError, ValueError, KeyError) as exc:
            log.error(
                "stored data cannot be loaded, keeping %s: %s", self.current.data_version, exc
            )
            return
        log.info(
            "data reloaded: version %s → %s",
            self.current.data_version,
            snapshot.context.data_version,
        )
        self.revision, self.current = snapshot.revision, snapshot.context

    async def watch(self, interval: float = 1.0) -> None:
        """Reload when the data changed. While the database is away (a restart) calls are
        routed on the snapshot in hand: said once when it goes, once when it is back."""
        away = False
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception as exc:  # a database hiccup must not stop reloading for good
                if not away:
                    log.error(
                        "cannot check for changed data (%s): routing goes on with %s",
                        exc, self.current.data_version,
                    )  # fmt: skip
                away = True
                continue
            if away:
                log.warning("data can be checked again")
            away = False
