"""The Kamailio front of a cluster: its configuration and dispatcher list, made from the
addresses of the veertien SIP nodes (`veertien kamailio`; docs/cluster.md).

Every value that goes into the files is checked first (an address is an IP literal or a host
name and a port; nothing else can reach Kamailio's configuration language)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from veertien.errors import SetupError

HOSTNAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9-]{1,63})*")
SAFE_PATH = re.compile(r"[A-Za-z0-9_./-]{1,200}")
CONFIG = "kamailio.cfg"
DISPATCHER = "dispatcher.list"
TABLES = "db"  # the htable's db_text folder (its file: front)
ACCOUNTING = "acc"  # acc's flat files, direct_<process>.log
CONTROL = "kamailio_ctl"  # the binrpc socket kamcmd talks to


class FrontError(SetupError):
    """An address or folder that cannot go into the Kamailio configuration."""


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Address:
        """'127.0.0.1:5071', '[::1]:5071' or 'node1.example:5060'."""
        host, sep, port = text.rpartition(":")
        host = host.removeprefix("[").removesuffix("]")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise FrontError(f"{text!r} is not HOST:PORT")
        try:
            ipaddress.ip_address(host)
        except ValueError:
            if not HOSTNAME.fullmatch(host):
                why = f"{text!r}: {host!r} is neither an IP address nor a host name"
                raise FrontError(why) from None
        return cls(host, int(port))

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Front:
    listen: Address
    nodes: tuple[Address, ...]
    folder: Path  # where kamailio.cfg, dispatcher.list and the control socket go
    probe_s: int = 1  # OPTIONS to every node this often
    failover_ms: int = 1000  # no answer from a node in this long: the next node
    children: int = 2  # Kamailio's UDP worker processes
    debug: int = 1
    source_limit: int = 32  # requests per source in 2 s before it is blocked (0: no limit)
    block_s: int = 300  # how long a source over the limit is dropped

    def check(self) -> None:
        if not self.nodes:
            raise FrontError("a front needs at least one node (--node HOST:PORT)")
        if len(set(self.nodes)) != len(self.nodes):
            raise FrontError("a node is named twice")
        if self.listen in self.nodes:
            raise FrontError(f"Kamailio cannot listen on a node's address ({self.listen})")
        if not SAFE_PATH.fullmatch(str(self.folder.resolve())):
            raise FrontError(f"{self.folder}: use a folder path of letters, digits, . _ / -")
        for name, value, low, high in (("probe_s", self.probe_s, 1, 60),
                                       ("failover_ms", self.failover_ms, 200, 30_000),
                                       ("children", self.children, 1, 64),
                                       ("source_limit", self.source_limit, 0, 100_000),
                                       ("block_s", self.block_s, 1, 86_400),
                                       ("debug", self.debug, -1, 3)):  # fmt: skip
            if not low <= value <= high:
                raise FrontError(f"{name} {value}: from {low} to {high}")

    def config(self) -> str:
        self.check()
        folder = self.folder.resolve()
        text = resources.files("veertien.server").joinpath(CONFIG).read_text(encoding="utf-8")
        values = {
            "LISTEN": self.listen, "RUNDIR": folder, "DISPATCHER": folder / DISPATCHER,
            "CONTROL": folder / CONTROL, "TABLES": folder / TABLES,
            "ACCOUNTING": folder / ACCOUNTING,
            "PROBE_S": self.probe_s, "FAILOVER_MS": self.failover_ms,
            "CHILDREN": self.children, "DEBUG": self.debug,
            "SOURCE_LIMIT": self.source_limit, "BLOCK_S": self.block_s,
            "PIKE": "#!define WITH_PIKE" if self.source_limit else "# no source limit",
        }  # fmt: skip
        for name, value in values.items():
            text = text.replace(f"@{name}@", str(value))
        return text

    def dispatcher(self) -> str:
        """Set 1: every node, probed (flag 8 is not needed: probing_mode 1 probes all)."""
        self.check()
        lines = ["# set destination flags priority attributes (made by veertien kamailio)"]
        lines += [f"1 sip:{node};transport=udp 0 0" for node in self.nodes]
        return "\n".join(lines) + "\n"

    def write(self) -> Path:
        """Write both files into `folder` and make its db/ and acc/ folders (the table and the
        accounting files, server/front_table.py and server/front.py); the configuration's path."""
        config, dispatcher = self.config(), self.dispatcher()
        self.folder.mkdir(parents=True, exist_ok=True)
        for sub in (TABLES, ACCOUNTING):
            (self.folder / sub).mkdir(exist_ok=True)
        (self.folder / DISPATCHER).write_text(dispatcher, encoding="utf-8")
        path = self.folder / CONFIG
        path.write_text(config, encoding="utf-8")
        return path
