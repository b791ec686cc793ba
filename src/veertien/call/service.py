"""The running service: SIP endpoint + redirect handler + call records + live data reload."""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
import signal
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from veertien.call.dialogue import DialogueManager
from veertien.call.port import PromptCache
from veertien.call.records import CallRecordSink, JsonLinesSink
from veertien.call.redirect import RedirectHandler
from veertien.routing import RoutingContext, Settings, SettingsError
from veertien.sip.core import SipCore
from veertien.sip.transport import SipEndpoint
from veertien.speech.pool import Listener, PoolListener, default_workers
from veertien.speech.recogniser import Engine
from veertien.speech.synthesis import EspeakSynthesiser
from veertien.storage import DataDir

log = logging.getLogger("veertien")
RECORDS = "calls.jsonl"
PROMPTS = "prompts"
MODELS = "models"


class LiveContext:
    """The current RoutingContext; reloaded when the data folder's files change (checked at
    most once a second, so `veertien directory import` while serving is live for later calls)."""

    def __init__(self, data: DataDir, clock: Callable[[], float] = time.monotonic) -> None:
        self.data = data
        self.clock = clock
        self._stamp = self._files_stamp()
        self._checked = clock()
        self.current = data.routing_context()

    def _files_stamp(self) -> tuple[float, ...]:
        paths = (self.data.directory_store.path, self.data.settings_path)
        return tuple(p.stat().st_mtime if p.exists() else 0.0 for p in paths)

    def __call__(self) -> RoutingContext:
        now = self.clock()
        if now - self._checked >= 1.0:
            self._checked = now
            stamp = self._files_stamp()
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
        return self.current

    def _reload(self) -> None:
        try:
            fresh = self.data.routing_context()
        except (SettingsError, ValueError, KeyError, OSError) as exc:
            log.error(
                "data changed but cannot be loaded, keeping version %s: %s",
                self.current.data_version,
                exc,
            )
            return
        log.info("data reloaded: version %s → %s", self.current.data_version, fresh.data_version)
        self.current = fresh


@dataclass
class Service:
    endpoint: SipEndpoint
    records: CallRecordSink
    address: tuple[str, int]
    context: LiveContext
    dialogues: DialogueManager | None = None

    async def close(self) -> None:
        """Stop: end running dialogues (their callers get 487 or BYE-less silence, and their
        records are written), close the sockets, then write the last call records."""
        if self.dialogues is not None:
            await self.dialogues.stop()
        await self.endpoint.close()
        self.records.close()


def _dialogues(
    core: SipCore, sink: CallRecordSink, data: DataDir, host: str
) -> DialogueManager | None:
    """The IVR for shared areas, if prompts can be made here (espeak-ng and sox)."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        log.warning(
            "espeak-ng or sox missing: no dialogue; shared areas go straight to their "
            "default destination (apt-get install espeak-ng sox)"
        )
        return None
    prompts = PromptCache(EspeakSynthesiser(data.path / PROMPTS))
    return DialogueManager(core, sink, prompts, time.perf_counter, media_host=host)


async def _listener(data: DataDir, settings: Settings) -> Listener | None:
    """The recogniser pool, its engines loaded in every worker, when the settings turn speech
    on; None (keys only) with the reason logged when it cannot start."""
    engines = [Engine(name) for name in settings.speech_engines]
    workers = settings.speech_workers or default_workers()
    pool = PoolListener(engines, data.path / MODELS, workers)
    try:
        await pool.start()
    except (ImportError, RuntimeError, OSError) as exc:  # ModelError, PronunciationError, ...
        pool.close()
        log.warning(
            "speech is on but cannot start (%s): keys only; pip install 'veertien[speech]'", exc
        )
        return None
    return pool


async def start_service(
    data: DataDir,
    host: str,
    port: int,
    records: CallRecordSink | None = None,
    *,
    dialogues: bool = True,
) -> Service:
    context = LiveContext(data)
    sink = records or JsonLinesSink(data.path / RECORDS)
    zone = ZoneInfo(context.current.settings.timezone)
    core = SipCore()
    manager = _dialogues(core, sink, data, host) if dialogues else None
    if manager is not None and context.current.settings.speech:
        manager.listener = await _listener(data, context.current.settings)
    handler = RedirectHandler(
        core, context, sink, time.perf_counter, lambda: datetime.now(zone), dialogues=manager
    )
    endpoint = SipEndpoint(core, handler.handle)
    address = await endpoint.start(host, port)
    if manager is not None:
        manager.attach(lambda outputs: endpoint.dispatch(outputs, endpoint.loop.time()), address)
    return Service(endpoint, sink, address, context, manager)


def tune_gc() -> None:
    """Fewer collections: a busy server keeps tens of thousands of live transactions, and every
    full collection walks them all. The objects loaded at start are frozen out of collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


async def serve(data: DataDir, host: str, port: int, ready: Callable[[str], None]) -> None:
    """Run until SIGINT or SIGTERM."""
    service = await start_service(data, host, port)
    tune_gc()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ctx = service.context.current
    directory = ctx.directory
    ready(
        f"directory {directory.source or '?'} (version {directory.version}): "
        f"{len(directory.municipalities)} municipalities on "
        f"{len(directory.area_codes())} area codes; data version {ctx.data_version}"
    )
    bound_host, bound_port = service.address
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    ready(
        f"listening for SIP on udp+tcp {shown}:{bound_port}; call records in "
        f"{Path(data.path / RECORDS).resolve()}; Ctrl-C stops"
    )
    await stop.wait()
    log.info("stopping")
    await service.close()
    counters = service.endpoint.counters
    ready(
        f"stopped: {counters['received']} messages in, {counters['sent']} out, "
        f"{counters['dropped']} dropped"
    )


def run(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on uvloop when it is installed, else on asyncio's own loop."""
    try:
        import uvloop  # noqa: PLC0415 (optional)
    except ImportError:
        asyncio.run(coro)
        return
    uvloop.run(coro)
