"""The running service: SIP endpoint + redirect handler + call records + live data reload."""

from __future__ import annotations

import asyncio
import gc
import logging
import shutil
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from prometheus_client import CollectorRegistry, Info

from veertien.call.dialogue import DialogueManager
from veertien.call.prompts import PromptCache
from veertien.call.redirect import RedirectHandler
from veertien.platform import PlatformSettings
from veertien.records import CallRecordSink, HashingSink, JsonLinesSink, TeeSink
from veertien.records.writer import BatchWriter
from veertien.server.learning import LearningFollower
from veertien.server.metrics import CallMetrics, LiveFigures
from veertien.server.node import Membership
from veertien.server.recordings import RecordingsFollower
from veertien.sip import SourceGuard, SourcePolicy, networks
from veertien.sip.core import SipCore
from veertien.sip.transport import SipEndpoint
from veertien.speech.pool import Listener, PoolListener, default_workers
from veertien.speech.recogniser import Engine
from veertien.speech.synthesis import EspeakSynthesiser, Synthesiser
from veertien.storage import DataDir
from veertien.storage.calls import DatabaseSink
from veertien.storage.cluster import Role, node_id
from veertien.storage.learning import ExampleSink, LearningStore
from veertien.storage.live import LiveContext
from veertien.storage.privacy import CallerHasher
from veertien.storage.retention import INTERVAL_S, Retention
from veertien.storage.samples import AudioSamples
from veertien.storage.store import Storage

log = logging.getLogger("veertien")
RECORDS = "calls.jsonl"
SPOOL = 50_000  # records that wait in memory for a database that is away (calls.jsonl has them)
PROMPTS = "prompts"
MODELS = "models"
SAMPLES = "samples"
ENGLISH_VOICE = "en-gb"  # espeak-ng's British English: the prompts of callers who chose English


@dataclass
class Service:
    endpoint: SipEndpoint
    records: CallRecordSink
    address: tuple[str, int]
    context: LiveContext
    dialogues: DialogueManager | None = None
    tasks: list[asyncio.Task[None]] = field(default_factory=list)
    metrics: CallMetrics | None = None
    speech: SpeechFollower | None = None
    writers: list[BatchWriter] = field(default_factory=list)  # the call-record writers
    member: Membership | None = None  # this node in the cluster's `nodes` table
    learning: LearningFollower | None = None  # the learned set, and where examples go
    recordings: RecordingsFollower | None = None  # the recorded prompts in use

    def health(self) -> dict[str, Any]:
        """What /health says: SIP is up (this runs), and whether callers can say names."""
        wanted = self.context.current.settings.platform.speech
        follower = self.speech
        listening = follower is not None and follower.running is not None
        reason = follower.reason if follower is not None else NO_DIALOGUES
        speech = {"on": wanted, "listening": listening, "reason": None if listening else reason}
        failing = [w.name for w in self.writers if w.failing]
        records = {
            "waiting": sum(w.depth for w in self.writers),
            "failing": failing,
            "lost": sum(w.lost for w in self.writers),
        }
        degraded = (wanted and not listening) or bool(failing)
        member = self.member
        return {
            "status": "degraded" if degraded else "ok",
            "node": member.node if member is not None else None,
            "draining": self.endpoint.core.draining,
            "database": member.reachable if member is not None else True,
            "sip": f"{self.address[0]}:{self.address[1]}",
            "speech": speech if wanted else {**speech, "reason": "off in the settings"},
            "records": records,
            "learning": self.learning.version if self.learning is not None else None,
            "recordings": self.recordings.count if self.recordings is not None else None,
        }

    async def close(self) -> None:
        """Stop: end running dialogues (their callers get 487 or BYE-less silence, and their
        records are written), close the sockets, then write the last call records."""
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        if self.dialogues is not None:
            await self.dialogues.stop()
        await self.endpoint.close()
        await asyncio.to_thread(self.records.close)
        if self.learning is not None:
            await asyncio.to_thread(self.learning.close)
        if self.member is not None:
            await self.member.leave()
        self.context.storage.close()


async def _learning(
    manager: DialogueManager | None, storage: Storage, context: LiveContext, hasher: CallerHasher
) -> LearningFollower | None:
    """The learned set for the dialogues, read once before the first call (an unreadable one
    is logged: calls are heard without it until it can be read)."""
    if manager is None:
        return None
    learning = LearningFollower(
        LearningStore(storage.engine), context, ExampleSink(storage.engine), hasher
    )
    try:
        await asyncio.to_thread(learning.refresh)
    except Exception as exc:
        log.error("learning cannot be read (%s): nothing learned is used until it can", exc)
    manager.learning = learning
    return learning


async def _recordings(
    manager: DialogueManager | None, storage: Storage
) -> RecordingsFollower | None:
    """The recorded prompts, read once before the first call (unreadable: logged, and the
    prompts are synthesised until they can be read)."""
    if manager is None:
        return None
    follower = RecordingsFollower(storage.recordings, manager.prompts)
    try:
        await follower.refresh()
    except Exception as exc:
        log.error("recordings cannot be read (%s): prompts are synthesised until they can", exc)
    return follower


NO_DIALOGUES = "espeak-ng or sox is missing: no dialogues (shared areas go to their default desk)"


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
    cache = data.path / PROMPTS
    voices: dict[str, Synthesiser] = {"en": EspeakSynthesiser(cache, ENGLISH_VOICE)}
    prompts = PromptCache(EspeakSynthesiser(cache), voices)
    return DialogueManager(core, sink, prompts, time.perf_counter, media_host=host)


async def _listener(
    data: DataDir, settings: PlatformSettings
) -> tuple[Listener | None, str | None]:
    """The recogniser pool, its engines loaded in every worker, when the settings turn speech
    on; (None, the reason) — keys only, the reason logged — when it cannot start."""
    engines = [Engine(name) for name in settings.speech_engines]
    workers = settings.speech_workers or default_workers()
    pool = PoolListener(engines, data.path / MODELS, workers)
    try:
        await pool.start()
    except (ImportError, RuntimeError, OSError) as exc:  # ModelError, PronunciationError, ...
        pool.close()
        why = f"{exc}; pip install 'veertien[speech]'"
        log.warning("speech is on but cannot start (%s): keys only", why)
        return None, why
    return pool, None


SPEECH_CHECK_S = 1.0


class SpeechFollower:
    """Speech follows the settings while the node runs: turned on in the portal or the file,
    the recogniser pool starts (logged; a failure is logged and the dialogue stays on keys);
    turned off, the pool stops. Engines or workers changed: the pool is started anew. A call
    already in a dialogue keeps what it started with."""

    def __init__(self, manager: DialogueManager, data: DataDir, context: LiveContext) -> None:
        self.manager = manager
        self.data = data
        self.context = context
        self.running: tuple[tuple[str, ...], int] | None = None  # the pool's engines, workers
        self.failed: tuple[tuple[str, ...], int] | None = None  # what could not start
        self.reason: str | None = "starting"  # why speech is not listening (None: it is)

    def wanted(self) -> tuple[tuple[str, ...], int] | None:
        platform = self.context.current.settings.platform
        return (platform.speech_engines, platform.speech_workers) if platform.speech else None

    async def follow(self) -> None:
        """Bring the pool in line with the settings (call it after every reload)."""
        wanted = self.wanted()
        if wanted is None:
            self.reason = "off in the settings"
        if wanted == self.running or (wanted is not None and wanted == self.failed):
            return
        if self.manager.listener is not None:
            old, self.manager.listener = self.manager.listener, None
            await asyncio.to_thread(old.close)
            log.info("speech off: recogniser pool stopped")
        self.running = None
        if wanted is None:
            self.failed = None
            return
        listener, why = await _listener(self.data, self.context.current.settings.platform)
        if listener is None:
            self.failed, self.reason = wanted, why
            return
        self.manager.listener, self.running, self.failed, self.reason = listener, wanted, None, None
        log.info("speech on: the dialogue listens for names from the next call")

    async def run(self, interval: float = SPEECH_CHECK_S) -> None:
        while True:
            await asyncio.sleep(interval)
            try:
                await self.follow()
            except Exception:  # keep following
                log.exception("starting or stopping speech failed")


async def start_service(
    data: DataDir,
    host: str,
    port: int,
    records: CallRecordSink | None = None,
    *,
    dialogues: bool = True,
    node: str | None = None,
    role: Role = Role.ALL,
    http: str | None = None,
) -> Service:
    """The SIP side of a node; `node` its id (storage.cluster.node_id), `role` ALL or SIP,
    `http` where its portal or health page will be (shown in `veertien nodes`)."""
    storage = await asyncio.to_thread(Storage.open, data)
    context = LiveContext(storage)
    settings = context.current.settings
    member = Membership(storage.engine, node_id(node), role)
    try:
        kept = data.path / RECORDS if records is None else None  # what the last run kept
        await member.join(f"{host}:{port}", http, kept)  # before any call: of the last run
    except BaseException:
        storage.close()
        raise
    hasher = CallerHasher(storage.engine, settings.platform.caller_salt_days)
    metrics = CallMetrics(CollectorRegistry())
    Info("veertien_node", "This node", registry=metrics.registry).info(
        {"node": member.node, "role": role.value}
    )
    sink, database, journal = _sinks(storage, data, records, hasher, metrics, node=member.node)
    retention = Retention(
        storage.engine, lambda: context.current.settings.retention_terms(),  # noqa: PLW0108 (live)
        hasher,
        AudioSamples(data.path / SAMPLES), journal,
    )  # fmt: skip
    await asyncio.to_thread(retention.run)
    zone = ZoneInfo(settings.timezone)
    core = SipCore(sources=SourceGuard(LivePolicy(lambda: context.current.settings.platform)))
    manager = _dialogues(core, sink, data, host) if dialogues else None
    if manager is not None:
        manager.samples = retention.samples
        if database is not None:  # a record of each dialogue from its start (storage.calls)
            manager.recorder.opened = lambda r: database.open(replace(r, caller=hasher(r.caller)))
    learning = await _learning(manager, storage, context, hasher)
    recordings = await _recordings(manager, storage)
    follower = SpeechFollower(manager, data, context) if manager is not None else None
    if follower is not None:
        await follower.follow()  # speech as the settings say, before the first call
    handler = RedirectHandler(
        core, context, sink, time.perf_counter, lambda: datetime.now(zone), dialogues=manager
    )
    endpoint = SipEndpoint(core, handler.handle)
    address = await endpoint.start(host, port)
    if manager is not None:
        manager.attach(lambda outputs: endpoint.dispatch(outputs, endpoint.loop.time()), address)
    service = Service(endpoint, sink, address, context, manager, metrics=metrics, speech=follower)
    service.member, service.learning, service.recordings = member, learning, recordings
    queues = [q for q in (database, journal) if q is not None]
    writers = [q.writer for q in queues]
    if database is not None and journal is not None:
        database.writer.spool = SPOOL  # the database may be away a while: calls.jsonl has them
    core.guard.pressure = lambda: any(w.behind() for w in writers)  # records before new calls
    service.writers = writers
    metrics.registry.register(_live_figures(service, queues))
    _run_beside(service, retention)
    return service


def _run_beside(service: Service, retention: Retention) -> None:
    """What runs beside the calls: reloads, speech and learning following the settings, the
    retention purge and the node's heartbeat."""
    loop = asyncio.get_running_loop()
    running = [service.context.watch(), purge_every(retention, INTERVAL_S)]
    followers = (service.speech, service.learning, service.recordings)
    running += [f.run() for f in followers if f is not None]
    manager, member = service.dialogues, service.member
    if member is not None:
        dialogue_count = (lambda: len(manager.tasks)) if manager is not None else (lambda: 0)
        running.append(member.run(service.endpoint.core, dialogue_count))
    service.tasks += [loop.create_task(job) for job in running]


Queue = DatabaseSink | JsonLinesSink


def _sinks(
    storage: Storage,
    data: DataDir,
    records: CallRecordSink | None,
    hasher: CallerHasher,
    metrics: CallMetrics,
    *,
    node: str,
) -> tuple[CallRecordSink, DatabaseSink | None, JsonLinesSink | None]:
    """Where call records go: the database and calls.jsonl, callers hashed first (or the sink
    a test gives), and the metrics; with the two writers (none for a test's sink)."""
    if records is not None:
        return TeeSink(records, metrics), None, None
    database = DatabaseSink(storage.engine, node=node)
    journal = JsonLinesSink(data.path / RECORDS, node=node)
    return TeeSink(HashingSink(TeeSink(database, journal), hasher), metrics), database, journal


def _live_figures(service: Service, queues: list[Queue]) -> LiveFigures:
    counters = service.endpoint.counters
    manager = service.dialogues

    def speech_queue() -> float:
        listener = manager.listener if manager is not None else None
        return float(getattr(listener, "pending", 0))

    return LiveFigures(
        {
            "veertien_dialogues_active": (
                "Dialogues running now",
                lambda: float(len(manager.tasks) if manager else 0),
            ),
            "veertien_record_queue_depth": (
                "Call records waiting for the database and calls.jsonl",
                lambda: float(sum(q.depth for q in queues)),
            ),
            "veertien_speech_queue_depth": ("Utterances waiting for a recogniser", speech_queue),
            "veertien_rtp_lateness_p99_seconds": (
                "How late the dialogues' RTP packets left, p99 of the last 10,000",
                lambda: manager.pacing.percentile(0.99, 10_000) if manager else 0.0,
            ),
        },
        {
            **{
                f"veertien_sip_messages_{name}": (f"SIP messages {name}", _reader(counters, name))
                for name in ("received", "sent", "dropped")
            },
            "veertien_sip_connections_refused": (
                "TCP connections refused: too many at once",
                _reader(counters, "refused_connections"),
            ),
            "veertien_sip_invites_shed": (
                "New calls answered 503 because the node was behind (overload)",
                lambda: float(service.endpoint.core.guard.shed),
            ),
            "veertien_sip_invites_shed_for_records": (
                "New calls answered 503 because the call records were behind (part of shed)",
                lambda: float(service.endpoint.core.guard.pressed),
            ),
            "veertien_record_write_failures": (
                "Batches of call records that could not be written (kept and tried again)",
                lambda: float(sum(q.writer.failures for q in queues)),
            ),
            "veertien_records_lost": (
                "Call records dropped: more than the writers' capacity waiting",
                lambda: float(sum(q.writer.lost for q in queues)),
            ),
            "veertien_sip_source_dropped": (
                "SIP messages dropped unanswered: their source is blocked (rate limit, scanner)",
                _reader(service.endpoint.core.sources.counts, "dropped"),
            ),
            "veertien_sip_sources_blocked": (
                "Times a source was blocked (over the rate limit, or a scanner)",
                _reader(service.endpoint.core.sources.counts, "blocked"),
            ),
            "veertien_sip_invites_forbidden": (
                "INVITEs answered 403: not from a carrier in sip_carriers",
                _reader(service.endpoint.core.sources.counts, "forbidden"),
            ),
            "veertien_dialogues_refused": (
                "Calls answered 503 because the dialogues or RTP ports were all in use",
                _reader(manager.rtp_guard if manager else {"busy": 0}, "busy"),
            ),
            "veertien_rtp_packets_refused": (
                "RTP packets refused: from others than the caller of a dialogue",
                _reader(manager.rtp_guard if manager else {"refused": 0}, "refused"),
            ),
            "veertien_rtp_packets_withheld": (
                "RTP packets not sent: the SDP address had not proven to be the caller's",
                _reader(manager.rtp_guard if manager else {"withheld": 0}, "withheld"),
            ),
        },
    )


def _reader(counters: dict[str, int], name: str) -> Callable[[], float]:
    return lambda: float(counters[name])


async def purge_every(retention: Retention, interval: float) -> None:
    """The retention purge, every `interval` seconds (it ran once at start)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await asyncio.to_thread(retention.run)
        except Exception:  # a database hiccup must not stop the purge for good
            log.exception("retention purge failed")


def tune_gc() -> None:
    """Fewer collections: a busy server keeps tens of thousands of live transactions, and every
    full collection walks them all. The objects loaded at start are frozen out of collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)


class LivePolicy:
    """The SIP admission policy of the settings in force (made again only when they change)."""

    def __init__(self, platform: Callable[[], PlatformSettings]) -> None:
        self.platform = platform
        self._for: PlatformSettings | None = None
        self._policy = SourcePolicy()

    def __call__(self) -> SourcePolicy:
        current = self.platform()
        if current is not self._for:
            self._for, self._policy = (
                current,
                SourcePolicy(
                    trusted=networks("sip_trusted", current.sip_trusted),
                    carriers=networks("sip_carriers", current.sip_carriers),
                    limit=current.sip_source_limit,
                    block_s=float(current.sip_block_s),
                ),
            )
        return self._policy


def run(coro: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine on uvloop when it is installed, else on asyncio's own loop."""
    try:
        import uvloop  # noqa: PLC0415 (optional)
    except ImportError:
        asyncio.run(coro)
        return
    uvloop.run(coro)
