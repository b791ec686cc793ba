"""The front companion (`veertien serve --role front --front DIR`): the veertien process next
to a Kamailio front that answers the direct 302s itself (server/kamailio.cfg; docs/cluster.md).

It does two things, each on a short cycle, and nothing on Kamailio's hot path:
- **The table.** On every data version (a destination, a calamity switch, an import) and at
  least every REFRESH_S, it writes DIR/db/front from `routing.export.direct_routes` and the
  admission settings (server/front_table.py) and has Kamailio reload it
  (`kamcmd htable.reload front`). The table says until when it may be used (FRESH_S ahead):
  if this process stops, Kamailio sends every call to a node, which routes it from the
  database as before, within FRESH_S.
- **The records.** Kamailio accounts every 302 it answers to DIR/acc/direct_<process>.log.
  Each cycle the companion renames those files and asks Kamailio to open new ones
  (`kamcmd flatstore.k_rotate`); a renamed file is read one cycle later (a write that was
  under way has landed by then), turned into call records (server/front_records.py, callers
  hashed as on a node, marked with the front's node id) and inserted in one transaction,
  and only then deleted. So the files are the queue: while the database is away they wait
  and are written when it is back; a line that cannot be read goes to DIR/acc/refused.log
  with the reason in the log. A companion killed between the insert and the delete writes
  that file's calls a second time when it starts again; never none.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from veertien.records import CallRecord
from veertien.routing import RoutingContext
from veertien.routing.export import direct_routes
from veertien.server.front_records import AccError, record_of
from veertien.server.front_table import FRESH_S, Admission, write_table
from veertien.server.kamailio import ACCOUNTING, CONTROL, TABLES, FrontError
from veertien.sip import networks
from veertien.storage.calls import insert_records

log = logging.getLogger("veertien")
REFRESH_S = 5.0  # the table is written again at least this often
CHECK_S = 1.0  # the data version is compared this often
COLLECT_S = 2.0  # accounting files are rotated (and those of the cycle before read) this often
KAMCMD_S = 10.0
REFUSED = "refused.log"


def admission(ctx: RoutingContext) -> Admission:
    platform = ctx.settings.platform
    return Admission(
        trusted=tuple(str(n) for n in networks("sip_trusted", platform.sip_trusted)),
        carriers=tuple(str(n) for n in networks("sip_carriers", platform.sip_carriers)),
    )


class Kamcmd:
    """Kamailio's control socket in DIR, through `kamcmd` (fixed commands; never caller text)."""

    def __init__(self, folder: Path, program: str | None = None) -> None:
        found = program or shutil.which("kamcmd")
        if found is None:
            raise FrontError("kamcmd is not installed (apt-get install kamailio)")
        self.argv = [found, "-s", f"unix:{folder / CONTROL}"]

    async def __call__(self, *command: str) -> None:
        process = await asyncio.create_subprocess_exec(
            *self.argv, *command,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            _, err = await asyncio.wait_for(process.communicate(), KAMCMD_S)
        except TimeoutError:
            process.kill()
            await process.wait()
            raise FrontError(f"kamcmd {' '.join(command)}: no answer in {KAMCMD_S:.0f} s") from None
        if process.returncode:
            said = err.decode("utf-8", errors="replace").strip()[-300:]
            raise FrontError(f"kamcmd {' '.join(command)}: {said or process.returncode}")


@dataclass
class FrontCounts:
    tables: int = 0  # tables written
    reload_failures: int = 0
    records: int = 0  # call records inserted
    refused: int = 0  # accounting lines that could not be read
    waiting_files: int = 0  # rotated files not written yet (the database is away)


Hasher = Callable[[str | None], str | None]


@dataclass
class FrontCompanion:
    folder: Path  # Kamailio's folder (veertien kamailio --out)
    context: Callable[[], RoutingContext]
    engine: Engine
    node: str
    hasher: Hasher
    kamcmd: Callable[..., Awaitable[None]]
    clock: Callable[[], float] = time.time
    counts: FrontCounts = field(default_factory=FrontCounts)
    written: str | None = None  # the data version of the table Kamailio has
    written_at: float = float("-inf")
    _sequence: int = 0
    _failing: set[str] = field(default_factory=set)  # what is failing now (said once)

    async def refresh(self, *, force: bool = False) -> None:
        """Write the table and have Kamailio reload it, when the data version moved, the last
        write is REFRESH_S old, or `force`."""
        ctx = self.context()
        due = self.clock() - self.written_at >= REFRESH_S
        if not force and not due and ctx.data_version == self.written:
            return
        until = int(self.clock() + FRESH_S)
        try:
            await asyncio.to_thread(
                write_table, self.folder / TABLES, direct_routes(ctx), ctx.data_version, until,
                admission(ctx),
            )  # fmt: skip
        except (FrontError, OSError) as exc:
            why = f"the front's table cannot be written ({exc})"
            self._fails("table", f"{why}: Kamailio uses the last one until stale, then the nodes")
            return
        self._recovered("table", "the front's table is written again")
        self.counts.tables += 1
        try:
            await self._kamcmd("htable.reload", "front")
        except FrontError as exc:
            self.counts.reload_failures += 1
            self._fails("reload", f"the table cannot be reloaded ({exc}): Kamailio loads it "
                        "when it starts; until then its calls go to the nodes")  # fmt: skip
            return
        self._recovered("reload", "Kamailio reloads the table again")
        if ctx.data_version != self.written:
            log.info("front table: data version %s → %s", self.written, ctx.data_version)
        self.written, self.written_at = ctx.data_version, self.clock()

    async def _kamcmd(self, *command: str) -> None:
        await self.kamcmd(*command)

    async def collect(self) -> int:
        """One cycle: write the files rotated before, then rotate the current ones."""
        written = await self._write_rotated()
        acc = self.folder / ACCOUNTING
        for path in sorted(acc.glob("direct_*.log")):
            self._sequence += 1
            path.rename(acc / f"moving-{int(self.clock())}-{self._sequence}-{path.name}")
        moving = sorted(acc.glob("moving-*"))
        if moving:
            try:
                await self._kamcmd("flatstore.k_rotate")
            except FrontError as exc:
                self._fails("rotate", f"accounting files cannot be rotated ({exc})")
                return written
            self._recovered("rotate", "accounting files are rotated again")
            for path in moving:
                path.rename(acc / path.name.replace("moving-", "rotated-", 1))
        return written

    async def _write_rotated(self) -> int:
        acc = self.folder / ACCOUNTING
        files = sorted(acc.glob("rotated-*"))
        self.counts.waiting_files = len(files)
        written = 0
        for path in files:
            try:
                written += await asyncio.to_thread(self._write_file, path)
            except Exception as exc:  # the database is away: the file waits
                self._fails("records", f"front records cannot be written ({exc}); "
                            f"{len(files)} accounting files wait")  # fmt: skip
                return written
            self.counts.waiting_files -= 1
        if files:
            self._recovered("records", "front records are written again")
        return written

    def _write_file(self, path: Path) -> int:
        """Blocking: one rotated file into the database, then deleted."""
        ctx = self.context()
        zone = ZoneInfo(ctx.settings.timezone)
        records: list[CallRecord] = []
        refused: list[str] = []
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                found = record_of(line, ctx, zone)
            except AccError as exc:
                log.error("%s line %d: not a call record (%s); kept in %s",
                          path.name, number, exc, REFUSED)  # fmt: skip
                refused.append(f"{path.name}:{number}: {exc}: {line[:2000]}")
                continue
            records.append(replace(found, caller=self.hasher(found.caller)))
        insert_records(self.engine, records, self.node)
        if refused:
            with (path.parent / REFUSED).open("a", encoding="utf-8") as out:
                out.write("\n".join(refused) + "\n")
        path.unlink()
        self.counts.records += len(records)
        self.counts.refused += len(refused)
        return len(records)

    def _fails(self, what: str, message: str) -> None:
        if what not in self._failing:
            log.error(message)
        self._failing.add(what)

    def _recovered(self, what: str, message: str) -> None:
        if what in self._failing:
            log.warning(message)
        self._failing.discard(what)

    async def run(self) -> None:
        """Follow the data and collect the records until cancelled."""
        last = float("-inf")
        while True:
            try:
                await self.refresh()
                if self.clock() - last >= COLLECT_S:
                    last = self.clock()
                    await self.collect()
            except Exception:  # keep following: the next cycle tries again
                log.exception("front cycle failed")
            await asyncio.sleep(CHECK_S)

    async def finish(self, settle_s: float = 0.5) -> None:
        """At a stop: rotate once more, let the last writes land, write everything."""
        await self.collect()
        await asyncio.sleep(settle_s)
        await self.collect()
