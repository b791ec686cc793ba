"""The `veertien` command line."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from veertien import __version__
from veertien.directory import DirectoryImportError, import_directory
from veertien.directory.model import normalise_name
from veertien.directory.show import describe
from veertien.ivr.prompts import spoken_text
from veertien.routing import CallFacts, RoutingContext, RoutingDecision, SettingsError, decide
from veertien.server.commands import CLUSTER_COMMANDS, cluster_commands
from veertien.server.kamailio import FrontError
from veertien.server.roles import serve
from veertien.server.service import run
from veertien.storage import DataDir, default_data_dir
from veertien.storage.cluster import NodeError, node_id
from veertien.storage.cluster import Role as ClusterRole
from veertien.storage.db import DatabaseError
from veertien.storage.store import Storage
from veertien.storage.users import Role, UserError
from veertien.testcall.caller import place_call

DATA_HELP = "data folder (default: $VEERTIEN_DATA or ./veertien-data)"
KEYS = frozenset("0123456789*#")


def _keys(text: str) -> str:
    """--key: DTMF keys only."""
    if set(text) - KEYS:
        raise argparse.ArgumentTypeError(f"{text!r}: keys are 0-9, * and #")
    return text


def _number(text: str) -> str:
    """--caller: a telephone number (digits, an optional leading +)."""
    if not text.removeprefix("+").isdigit() or len(text) > 20:
        raise argparse.ArgumentTypeError(f"{text!r} is not a telephone number")
    return text


def _serve_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    serve = sub.add_parser("serve", parents=[common], help="run the platform")
    serve.add_argument(
        "--sip",
        default="127.0.0.1:5060",
        help="SIP listen address HOST:PORT, [IPv6]:PORT (default 127.0.0.1:5060)",
    )
    serve.add_argument(
        "--http",
        default="127.0.0.1:8080",
        help="portal listen address HOST:PORT (default 127.0.0.1:8080); 'off' for none",
    )
    serve.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="INFO logs one line per call (default); WARNING only problems",
    )
    serve.add_argument(
        "--role",
        choices=[r.value for r in ClusterRole],
        default=ClusterRole.ALL.value,
        help="all: SIP and portal in one process (default); sip: a SIP node of a cluster "
        "(/health and /metrics on --http); portal: the portal only, no SIP; front: next to "
        "Kamailio, its direct-302 table and their records (--front DIR; docs/cluster.md)",
    )
    serve.add_argument(
        "--front", type=Path, default=None, help="the front role: the folder of veertien kamailio"
    )
    serve.add_argument(
        "--node", default=None, help="this node's id (default: $VEERTIEN_NODE or the host name)"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="veertien", description=__doc__)
    parser.add_argument("--version", action="version", version=f"veertien {__version__}")
    parser.add_argument("--data", type=Path, default=None, help=DATA_HELP)
    # --data also after the command (`veertien route 140113 --data DIR`)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data", type=Path, default=argparse.SUPPRESS, help=DATA_HELP)
    sub = parser.add_subparsers(dest="command", required=True)

    _serve_parser(sub, common)
    cluster_commands(sub, common)

    directory = sub.add_parser(
        "directory", parents=[common], help="import or inspect the directory"
    )
    dsub = directory.add_subparsers(dest="action", required=True)
    imp = dsub.add_parser(
        "import", parents=[common], help="load a directory from a folder of CSV files"
    )
    imp.add_argument("path", type=Path)
    imp.add_argument("--dry-run", action="store_true", help="validate and summarise only")
    show = dsub.add_parser(
        "show", parents=[common], help="show the directory, an area code or a name"
    )
    show.add_argument("query", nargs="?", default=None, help="area code (0113) or a name")

    call = sub.add_parser(
        "call", parents=[common], help="place a real SIP call into a running server"
    )
    call.add_argument("dialled", help="what to dial, e.g. 140320")
    call.add_argument("--server", default="127.0.0.1:5060", help="HOST:PORT of veertien serve")
    call.add_argument("--caller", type=_number, default="0612345678", help="the caller's number")
    call.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        help="seconds to wait for the final answer, then CANCEL (default 60: a spoken "
        "dialogue with a question takes up to about 40)",
    )
    call.add_argument("--key", type=_keys, default="", help="keys to press in the menu, e.g. 2")
    call.add_argument(
        "--say",
        default=None,
        help="speak this when asked (synthesised), answer confirmations truthfully",
    )
    call.add_argument(
        "--voice", default="nl", help="espeak-ng voice for --say, e.g. nl+f2 (default nl)"
    )
    call.add_argument(
        "--key-after", type=float, default=1.5, help="seconds of menu before each key (default 1.5)"
    )

    traffic = sub.add_parser(
        "traffic", parents=[common], help="drive a known mix of real calls into a server"
    )
    traffic.add_argument("--server", default="127.0.0.1:5060", help="HOST:PORT of veertien serve")
    traffic.add_argument("--calls", type=int, default=None, help="calls in all (the mix scaled)")
    traffic.add_argument(
        "--mix",
        default="direct=4,keys=3,invalid=1,refused=1,hangup-greeting=1,hangup-menu=1",
        help="kinds and counts: direct, refused, keys, invalid, timeout, hangup-greeting, "
        "hangup-menu, speech, hangup-name (e.g. direct=4,keys=3)",
    )
    traffic.add_argument("--concurrency", type=int, default=10, help="calls at once (default 10)")
    traffic.add_argument("--shared", default="140113", help="a shared area's 14 number")
    traffic.add_argument("--single", default="140320", help="a single municipality's 14 number")
    traffic.add_argument("--key", type=_keys, default="2", help="the menu key the keys kinds press")
    traffic.add_argument("--name", default="Goes", help="the name the speech kinds say")
    traffic.add_argument("--verbose", action="store_true", help="print every call's steps")

    recognise = sub.add_parser(
        "recognise", parents=[common], help="recognise a spoken name in a WAV recording"
    )
    recognise.add_argument("wav", type=Path, help="mono 16-bit WAV, any sample rate")
    recognise.add_argument("--dialled", default=None, help="the 14 number: its candidates")
    recognise.add_argument(
        "--national", action="store_true", help="match against all municipalities and places"
    )
    recognise.add_argument("--json", action="store_true", help="print JSON")

    _user_commands(sub, common)
    route = sub.add_parser("route", parents=[common], help="what would happen to a call, and why")
    route.add_argument("dialled", help="what the caller dialled, e.g. 140113")
    route.add_argument("--caller", type=_number, default=None, help="the caller's number")
    route.add_argument("--at", default=None, help="time of the call (ISO 8601; default now)")
    route.add_argument("--json", action="store_true", help="print the decision as JSON")
    return parser


def _user_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    """`veertien user list|create|reset-password|create-token`."""
    user = sub.add_parser("user", parents=[common], help="portal accounts: create, reset, tokens")
    usub = user.add_subparsers(dest="action", required=True)
    usub.add_parser("list", parents=[common], help="every account, its role and municipality")
    create = usub.add_parser("create", parents=[common], help="a new account (password printed)")
    create.add_argument("username")
    create.add_argument("--role", choices=[r.value for r in Role], default=Role.OPERATOR.value)
    create.add_argument("--municipality", default=None, help="CBS code, for admins and viewers")
    reset = usub.add_parser(
        "reset-password", parents=[common], help="a new one-time password (printed once)"
    )
    reset.add_argument("username")
    token = usub.add_parser("create-token", parents=[common], help="an API token (printed once)")
    token.add_argument("username")
    token.add_argument("--label", default="cli", help="what the token is for")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    data = DataDir(args.data if args.data is not None else default_data_dir())
    commands: dict[str, Callable[[argparse.Namespace, DataDir], int]] = {
        "directory": _directory,
        "route": _route,
        "call": _call,
        "traffic": _traffic,
        "recognise": _recognise,
        "serve": _serve,
        "user": _user,
        **CLUSTER_COMMANDS,
    }
    try:
        return commands[args.command](args, data)
    except BrokenPipeError:  # `veertien route ... | head`: the reader has gone, so be quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except SettingsError as exc:
        print(f"veertien: bad settings: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"veertien: {exc}", file=sys.stderr)
        return 1


def _user(args: argparse.Namespace, data: DataDir) -> int:
    """Accounts from the command line: the way back in when the operator's one-time password
    was lost, and tokens for the API. Passwords and tokens are printed once, never stored."""
    storage = Storage.open(data)
    try:
        store = storage.users
        if args.action == "list":
            for found in store.all():
                where = found.municipality or "all"
                state = "" if found.active else " (disabled)"
                print(f"{found.username}\t{found.role.value}\t{where}{state}")
            return 0
        if args.action == "create":
            password = secrets.token_urlsafe(15)
            municipality = args.municipality.upper() if args.municipality else None
            made = store.create(
                args.username, password, Role(args.role), municipality, "cli", one_time=True
            )
            print(
                f"created {made.username} ({made.role.value}); one-time password: {password}"
                " (to be changed at the first sign-in)"
            )
            return 0
        known = store.by_name(args.username)
        if known is None:
            print(f"veertien: no account named {args.username!r}", file=sys.stderr)
            return 1
        if args.action == "reset-password":
            password = secrets.token_urlsafe(15)
            store.set_password(known, password, "cli", one_time=True)
            print(f"new one-time password for {known.username}: {password}")
        else:
            print(store.new_token(known, args.label, "cli"))
        return 0
    except UserError as exc:
        print(f"veertien: {exc}", file=sys.stderr)
        return 2
    finally:
        storage.close()


def _recognise(args: argparse.Namespace, data: DataDir) -> int:
    from veertien.recognise import main as recognise  # noqa: PLC0415 (heavy, optional)

    return recognise(
        _routing_context(data),
        data.path / "models",
        args.wav,
        dialled=args.dialled,
        national=args.national,
        as_json=args.json,
    )


def _directory(args: argparse.Namespace, data: DataDir) -> int:
    if args.action == "show":
        ctx = _routing_context(data)
        text = describe(ctx.directory, args.query, ctx.settings.sliver_rule)
        found = not text.startswith("nothing named") and not text.endswith("not a Dutch area code")
        print(text, file=sys.stdout if found else sys.stderr)
        return 0 if found else 1
    try:
        directory = import_directory(args.path)
    except DirectoryImportError as exc:
        print(f"veertien: import failed, nothing was changed. {exc}", file=sys.stderr)
        return 1
    summary = (
        f"{len(directory.municipalities)} municipalities, {len(directory.places)} places, "
        f"{len(directory.memberships)} area-code memberships, "
        f"{len(directory.postcodes)} postcodes (version {directory.version})"
    )
    ctx = _routing_context(data)
    directory = directory.keeping_destinations(ctx.directory)
    refused = ctx.settings.refused_destinations(directory)
    if refused:
        shown = "\n".join(refused[:20])
        print(f"veertien: import refused, nothing was changed:\n{shown}", file=sys.stderr)
        return 1
    missing = RoutingContext(directory, ctx.settings).without_destination()
    if missing:
        names = ", ".join(sorted(m.name for m in missing)[:10])
        more = f" and {len(missing) - 10} more" if len(missing) > 10 else ""
        summary += (
            f"\nwarning: {len(missing)} municipalities taking part will have no destination "
            f"(their calls get 480 until one is set in the portal): {names}{more}"
        )
    if args.dry_run:
        print(f"dry run: {args.path} is valid: {summary}")
        return 0
    data.directory_store.save(directory)
    print(f"imported {args.path} into {data.path}: {summary}")
    return 0


def _routing_context(data: DataDir) -> RoutingContext:
    """What routing uses now: the database's snapshot (with the data folder's files taken in)."""
    storage = Storage.open(data)
    try:
        return storage.routing_context()
    finally:
        storage.close()


def _call_time(text: str | None, ctx: RoutingContext) -> datetime:
    if text is None:
        return datetime.now(ctx.zone)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=ctx.zone)


def _route(args: argparse.Namespace, data: DataDir) -> int:
    ctx = _routing_context(data)
    try:
        at = _call_time(args.at, ctx)
    except ValueError:
        print(f"veertien: --at {args.at!r} is not an ISO 8601 time", file=sys.stderr)
        return 2
    decision = decide(CallFacts(args.dialled, at, args.caller), ctx)
    if args.json:
        shown = {**decision.to_json(), "dialled": args.dialled, "at": at.isoformat()}
        if decision.message:  # the words too, not only the message id
            shown["message"]["text"] = spoken_text(decision.message)
        print(json.dumps(shown, ensure_ascii=False, indent=2))
    else:
        print(format_decision(decision, ctx))
    return 0


def _whose(target: str, decision: RoutingDecision, ctx: RoutingContext) -> str:
    """' (Goes, GM0664)': the municipality whose line `target` is, by name."""
    chosen = ctx.directory.municipalities.get(decision.municipality or "")
    if chosen is not None:
        return f" ({chosen.name}, {chosen.code})"
    if decision.area_code and ctx.settings.area_defaults.get(decision.area_code) == target:
        return " (the area's default desk, from the settings' area_defaults)"
    for code in decision.named_codes():
        muni = ctx.directory.municipalities.get(code)
        if muni is not None and ctx.destination(muni) == target:
            return f" ({muni.name}'s line, {muni.code}: the area's default desk)"
    return ""


def format_decision(decision: RoutingDecision, ctx: RoutingContext) -> str:
    lines = [f"{decision.kind.value.upper()} ({decision.rule.value}): {decision.reason}"]
    if decision.target:
        label = "default" if decision.candidates else "target"
        lines.append(f"  {label}: {decision.target}{_whose(decision.target, decision, ctx)}")
    if decision.fallback:
        lines.append(f"  overflow: {decision.fallback}")
    for number, cand in enumerate(c for c in decision.candidates if c.in_menu):
        note = "" if cand.status.participates else f" (not connected; {cand.public_number or '-'})"
        lines.append(f"  key {number + 1}: {cand.name} [{cand.code}, {cand.status.value}]{note}")
    for cand in (c for c in decision.candidates if not c.in_menu):
        lines.append(f"  by name only: {cand.name} [{cand.code}] (sliver of this area)")
    if decision.message:
        lines.append(f"  message: {spoken_text(decision.message)}")
    lines.append(f"  data version: {decision.data_version}")
    return "\n".join(lines)


def _call(args: argparse.Namespace, data: DataDir) -> int:
    try:
        host, port = parse_hostport(args.server)
    except ValueError as exc:
        print(f"veertien: --server: {exc}", file=sys.stderr)
        return 2
    speaker = None
    if args.say is not None:
        from veertien.testcall.listen import SpeakerError, speaker_for  # noqa: PLC0415 (heavy)

        try:
            speaker = speaker_for(args.say, args.voice, data.path)
        except SpeakerError as exc:
            print(f"veertien: --say: {exc}", file=sys.stderr)
            return 1
    result = asyncio.run(
        place_call(
            args.dialled,
            host,
            port,
            caller=args.caller,
            timeout=args.timeout,
            keys=args.key,
            key_after_s=args.key_after,
            speaker=speaker,
        )
    )
    final = result.final
    if final is None or (final.status == 487 and result.timed_out):
        print("ended: no final answer (cancelled)")
        return 1
    if 300 <= final.status < 400:
        contact = final.header("Contact") or ""
        where = _who(data, contact)
        after = f" after {result.seconds:.1f} s" if result.seconds is not None else ""
        print(f"ended: transferred to {contact}{f' ({where})' if where else ''}{after}")
        if args.say is not None and where and normalise_name(where) != normalise_name(args.say):
            print(f"wanted {args.say}, got {where}")  # the call went through: still exit 0
        return 0
    print(f"ended: {final.status} {final.reason}")
    return 0


def _who(data: DataDir, contact: str) -> str | None:
    """The municipality whose destination `contact` is, by the local directory (the caller
    usually shares the server's data folder); None when unknown."""
    uri = contact.strip().removeprefix("<").split(">")[0]
    try:
        ctx = _routing_context(data)
    except (SettingsError, DatabaseError, OSError):
        return None
    for muni in ctx.directory.municipalities.values():
        if ctx.destination(muni) == uri:
            return muni.name
    return None


def _traffic(args: argparse.Namespace, data: DataDir) -> int:
    from veertien.speech.synthesis import EspeakSynthesiser  # noqa: PLC0415
    from veertien.testcall.traffic import (  # noqa: PLC0415
        Numbers,
        TrafficError,
        parse_mix,
        plans,
        run_traffic,
        scaled,
        summary,
    )  # fmt: skip

    try:
        host, port = parse_hostport(args.server)
        mix = scaled(parse_mix(args.mix), args.calls)
    except (ValueError, TrafficError) as exc:
        print(f"veertien: traffic: {exc}", file=sys.stderr)
        return 2
    numbers = Numbers(args.shared, args.single, key=args.key, name=args.name)
    voice = EspeakSynthesiser(data.path / "prompts")
    show = print if args.verbose else (lambda line: None)
    outcomes = asyncio.run(
        run_traffic(plans(mix, numbers, voice.render), (host, port),
                    concurrency=args.concurrency, show=show)
    )  # fmt: skip
    result = summary(outcomes)
    print(json.dumps(result, indent=2))
    return 0 if not result["unexpected"] else 1


def parse_hostport(text: str) -> tuple[str, int]:
    """'127.0.0.1:5060', '[::1]:5060', 'localhost:5070' → (host, port)."""
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) < 65536 or not host:
        raise ValueError(f"{text!r} is not HOST:PORT")
    return host.removeprefix("[").removesuffix("]"), int(port)


def _serve(args: argparse.Namespace, data: DataDir) -> int:
    try:
        host, port = parse_hostport(args.sip)
        http = None if args.http == "off" else parse_hostport(args.http)
    except ValueError as exc:
        print(f"veertien: --sip/--http: {exc}", file=sys.stderr)
        return 2
    try:
        node = node_id(args.node)
    except NodeError as exc:
        print(f"veertien: --node: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=args.log_level, format=f"%(asctime)s {node} %(levelname)s %(message)s"
    )
    print(f"veertien {__version__}: data folder {data.path.resolve()}", flush=True)
    role = ClusterRole(args.role)
    try:
        run(serve(data, host, port, lambda line: print(line, flush=True), http,
                  role=role, node=node, front=args.front))  # fmt: skip
    except (NodeError, FrontError) as exc:
        print(f"veertien: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:  # the portal's message names its own address
        said = str(exc) if "portal" in str(exc) else f"cannot listen on {args.sip}: {exc}"
        print(f"veertien: {said}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
