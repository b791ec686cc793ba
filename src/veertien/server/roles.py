"""`veertien serve` in each role: everything in one process (the embedded default), a SIP node
of a cluster (SIP and dialogues, /health and /metrics only), or the portal on its own (no SIP,
so reports never share an event loop with RTP)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from veertien.server.front import FrontCompanion, Kamcmd
from veertien.server.kamailio import ACCOUNTING, TABLES
from veertien.server.node import Membership
from veertien.server.service import (
    RECORDS,
    SAMPLES,
    Service,
    purge_every,
    start_service,
    tune_gc,
)
from veertien.storage import DataDir
from veertien.storage.cluster import Node, NodeError, NodeStore, Role, node_id
from veertien.storage.live import LiveContext
from veertien.storage.privacy import CallerHasher
from veertien.storage.retention import INTERVAL_S, Retention
from veertien.storage.samples import AudioSamples
from veertien.storage.store import Storage

if TYPE_CHECKING:
    from veertien.portal.server import PortalServer

log = logging.getLogger("veertien")
FRONT_NICE = 10
Ready = Callable[[str], None]


async def serve(
    data: DataDir,
    host: str,
    port: int,
    ready: Ready,
    http: tuple[str, int] | None = ("127.0.0.1", 8080),
    *,
    role: Role = Role.ALL,
    node: str | None = None,
    front: Path | None = None,
) -> None:
    """Run until SIGINT or SIGTERM."""
    if role is Role.PORTAL:
        await serve_portal(data, ready, http, node=node)
        return
    if role is Role.FRONT:
        if front is None:
            raise NodeError("the front role needs --front DIR (the folder of veertien kamailio)")
        await serve_front(data, front, ready, node=node)
        return
    shown = f"{http[0]}:{http[1]}" if http is not None else None
    service = await start_service(data, host, port, node=node, role=role, http=shown)
    portal = await _portal(service, http, ready, pages=role is Role.ALL)
    tune_gc()
    stop = _stop_event()
    _announce(service, data, ready)
    await stop.wait()
    log.info("stopping")
    if portal is not None:
        await portal.stop()
    await service.close()
    counters = service.endpoint.counters
    ready(
        f"stopped: {counters['received']} messages in, {counters['sent']} out, "
        f"{counters['dropped']} dropped"
    )


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _announce(service: Service, data: DataDir, ready: Ready) -> None:
    ctx = service.context.current
    directory = ctx.directory
    member = service.member
    if member is not None:
        ready(f"node {member.node} ({member.role.value})")
        if member.recovered:
            ready(f"{member.recovered} dialogues of this node's last run recorded as node_lost")
    ready(
        f"directory {directory.source or '?'} (version {directory.version}): "
        f"{len(directory.municipalities)} municipalities on "
        f"{len(directory.area_codes())} area codes; data version {ctx.data_version}"
    )
    speech = service.health()["speech"]
    if speech["listening"]:
        ready("speech on: the shared-area menus listen for names (keys work too)")
    else:
        ready(f"speech not listening ({speech['reason']}): keys only")
    bound_host, bound_port = service.address
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    ready(
        f"listening for SIP on udp+tcp {shown}:{bound_port}; call records in "
        f"{Path(data.path / RECORDS).resolve()}; Ctrl-C stops"
    )


async def _portal(
    service: Service, http: tuple[str, int] | None, ready: Ready, *, pages: bool = True
) -> PortalServer | None:
    if http is None:
        return None
    from veertien.portal.server import PortalServer  # noqa: PLC0415

    metrics = service.metrics.exposition if service.metrics is not None else None
    portal = PortalServer(
        service.context.storage, service.context, *http, metrics=metrics,
        health=service.health, pages=pages,
    )  # fmt: skip
    password = await _start(portal, service.close)
    _portal_ready(portal, password, ready, pages=pages)
    return portal


async def _start(portal: PortalServer, give_up: Callable[[], Awaitable[None]]) -> str | None:
    """Start the portal (its one-time operator password, if made); when it cannot listen,
    `give_up` (stop what was started) and say where it could not."""
    try:
        return await portal.start()
    except (OSError, SystemExit) as exc:
        await give_up()
        raise OSError(f"portal cannot listen on {portal.host}:{portal.port}: {exc}") from None


def _portal_ready(portal: PortalServer, password: str | None, ready: Ready, *, pages: bool) -> None:
    bound = portal.address
    if pages:
        ready(f"portal on http://{bound[0]}:{bound[1]}/ (status page /status)")
    else:
        ready(f"health and metrics on http://{bound[0]}:{bound[1]}/health and /metrics")
    if password is not None:
        ready(
            f"first start: operator account 'operator', one-time password: {password} "
            "(you choose your own at the first sign-in)"
        )


async def serve_portal(
    data: DataDir, ready: Ready, http: tuple[str, int] | None, *, node: str | None = None
) -> None:
    """The portal and reports without SIP, on the cluster's database; it also runs the
    retention purge (once per cluster, storage.cluster.once)."""
    from veertien.portal.server import PortalServer  # noqa: PLC0415

    if http is None:
        raise OSError("the portal role needs --http")
    storage = await asyncio.to_thread(Storage.open, data)
    context = LiveContext(storage)
    member = Membership(storage.engine, node_id(node), Role.PORTAL)
    await member.join(None, f"{http[0]}:{http[1]}")
    nodes = NodeStore(storage.engine)
    portal = PortalServer(storage, context, *http, health=lambda: cluster_health(member, nodes))
    retention = Retention(
        storage.engine, lambda: context.current.settings.retention_terms(),  # noqa: PLW0108 (live)
        samples=AudioSamples(data.path / SAMPLES),
    )  # fmt: skip
    await asyncio.to_thread(retention.run)

    async def give_up() -> None:
        await member.leave()
        storage.close()

    password = await _start(portal, give_up)
    loop = asyncio.get_running_loop()
    tasks = [
        loop.create_task(context.watch()),
        loop.create_task(member.run(None, lambda: 0)),
        loop.create_task(purge_every(retention, INTERVAL_S)),
    ]
    stop = _stop_event()
    ready(f"node {member.node} (portal): no SIP here")
    _portal_ready(portal, password, ready, pages=True)
    await stop.wait()
    await portal.stop()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await member.leave()
    storage.close()
    ready("stopped")


async def serve_front(
    data: DataDir, folder: Path, ready: Ready, *, node: str | None = None
) -> None:
    """The front companion next to Kamailio (server/front.py): its table and its records. It
    runs at a lower CPU priority than Kamailio: its records may wait a cycle, the 302s not."""
    kamcmd = Kamcmd(folder)  # FrontError before anything starts when kamcmd is missing
    os.nice(FRONT_NICE)
    storage = await asyncio.to_thread(Storage.open, data)
    context = LiveContext(storage)
    member = Membership(storage.engine, node_id(node), Role.FRONT)
    await member.join(None, None)
    hasher = CallerHasher(storage.engine, context.current.settings.platform.caller_salt_days)
    companion = FrontCompanion(folder, context, storage.engine, member.node, hasher, kamcmd)
    await companion.refresh(force=True)
    loop = asyncio.get_running_loop()
    tasks = [
        loop.create_task(context.watch()),
        loop.create_task(member.run(None, lambda: 0)),
        loop.create_task(companion.run()),
    ]
    stop = _stop_event()
    ready(f"node {member.node} (front): Kamailio's table in {folder / TABLES}, its records "
          f"from {folder / ACCOUNTING}; data version {context.version}; Ctrl-C stops")  # fmt: skip
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await companion.finish()
    await member.leave()
    storage.close()
    counts = companion.counts
    ready(f"stopped: {counts.records} records of the front's 302s written, "
          f"{counts.refused} accounting lines refused")  # fmt: skip


def cluster_health(member: Membership, nodes: NodeStore) -> dict[str, Any]:
    """The portal's /health: itself, the database, and every node it knows (a blocking read;
    Starlette runs the handler in a thread)."""
    now = datetime.now(UTC)
    try:
        known = nodes.all()
    except Exception as exc:  # the database is away
        return {"status": "degraded", "node": member.node, "role": "portal",
                "database": False, "reason": str(exc)}  # fmt: skip
    sip = [n for n in known if n.role in {Role.SIP.value, Role.ALL.value}]
    live = [n for n in sip if n.alive(now) and not n.draining]
    return {
        "status": "ok" if live else "degraded",
        "node": member.node,
        "role": "portal",
        "database": True,
        "nodes": [_shown(n, now) for n in known],
    }


def _shown(n: Node, now: datetime) -> dict[str, Any]:
    return {
        "id": n.id, "role": n.role, "sip": n.sip, "alive": n.alive(now), "draining": n.draining,
        "dialogues": n.dialogues, "seen_s": round((now - n.seen_at).total_seconds(), 1),
    }  # fmt: skip
