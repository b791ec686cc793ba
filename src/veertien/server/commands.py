"""The cluster's commands: `veertien nodes`, `veertien node drain|resume ID` and
`veertien kamailio` (the front's files); docs/cluster.md."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from veertien.server.front import admission
from veertien.server.front_table import TABLE, write_table
from veertien.server.kamailio import DISPATCHER, TABLES, Address, Front, FrontError
from veertien.storage import DataDir
from veertien.storage.cluster import NodeStore
from veertien.storage.store import Storage


def cluster_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    sub.add_parser("nodes", parents=[common], help="the nodes of the cluster and their state")
    node = sub.add_parser("node", parents=[common], help="drain a node, or let it take calls")
    nsub = node.add_subparsers(dest="action", required=True)
    for action, text in (("drain", "take no new calls; running dialogues go on"),
                         ("resume", "take new calls again")):  # fmt: skip
        nsub.add_parser(action, parents=[common], help=text).add_argument("id")
    front = sub.add_parser(
        "kamailio", help="write a Kamailio front's kamailio.cfg and dispatcher.list"
    )
    front.add_argument("--listen", required=True, help="Kamailio's SIP address HOST:PORT (UDP)")
    front.add_argument(
        "--node", action="append", required=True, help="a veertien SIP node HOST:PORT (repeat)"
    )
    front.add_argument("--out", type=Path, required=True, help="folder for the two files")
    front.add_argument("--probe-s", type=int, default=1, help="OPTIONS to each node (default 1 s)")
    front.add_argument(
        "--failover-ms", type=int, default=1000, help="no answer this long: next node (1000)"
    )
    front.add_argument("--children", type=int, default=2, help="Kamailio UDP workers (2)")
    front.add_argument(
        "--source-limit", type=int, default=None,
        help="requests per source in 2 s before Kamailio blocks it (default: sip_source_limit)",
    )  # fmt: skip
    front.add_argument(
        "--block-s", type=int, default=None,
        help="how long Kamailio drops a blocked source (default: sip_block_s)",
    )  # fmt: skip


def _nodes(args: argparse.Namespace, data: DataDir) -> int:
    storage = Storage.open(data)
    try:
        known = NodeStore(storage.engine).all()
    finally:
        storage.close()
    now = datetime.now(UTC)
    if not known:
        print("no nodes running")
    for n in known:
        takes_calls = n.role in ("sip", "all")
        working = "draining" if n.draining else "taking calls" if takes_calls else "running"
        state = working if n.alive(now) else "gone"
        seen = (now - n.seen_at).total_seconds()
        print(f"{n.id:20} {n.role:7} {state:13} dialogues {n.dialogues:4}  "
              f"sip {n.sip or '-'}  http {n.http or '-'}  seen {seen:.0f} s ago")  # fmt: skip
    return 0


def _node(args: argparse.Namespace, data: DataDir) -> int:
    storage = Storage.open(data)
    try:
        found = NodeStore(storage.engine).drain(args.id, on=args.action == "drain")
    finally:
        storage.close()
    if not found:
        print(f"veertien: no node {args.id!r} (see veertien nodes)", file=sys.stderr)
        return 1
    said = "drains: no new calls, its dialogues go on" if args.action == "drain" else "takes calls"
    print(f"node {args.id} {said} (within a second)")
    return 0


def _kamailio(args: argparse.Namespace, data: DataDir) -> int:
    """The front's files, its admission from the stored settings, and a first table (not
    fresh: Kamailio relays every call to the nodes until the front companion writes one)."""
    storage = Storage.open(data)
    try:
        ctx = storage.snapshot().context
    finally:
        storage.close()
    platform = ctx.settings.platform
    limit = platform.sip_source_limit if args.source_limit is None else args.source_limit
    block_s = platform.sip_block_s if args.block_s is None else args.block_s
    try:
        front = Front(
            Address.parse(args.listen), tuple(Address.parse(n) for n in args.node), args.out,
            probe_s=args.probe_s, failover_ms=args.failover_ms, children=args.children,
            source_limit=limit, block_s=block_s,
        )  # fmt: skip
        path = front.write()
        write_table(args.out / TABLES, (), ctx.data_version, 0, admission(ctx))
    except (FrontError, OSError) as exc:
        print(f"veertien: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}, {args.out / DISPATCHER} and the table {args.out / TABLES / TABLE}")
    print(f"run: kamailio -DD -E -f {path}  and beside it: "
          f"veertien serve --role front --front {args.out}")  # fmt: skip
    return 0


CLUSTER_COMMANDS: dict[str, Callable[[argparse.Namespace, DataDir], int]] = {
    "nodes": _nodes,
    "node": _node,
    "kamailio": _kamailio,
}
