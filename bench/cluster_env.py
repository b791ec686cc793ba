"""A whole cluster on one machine, for tests, benchmarks and demos (`scripts/cluster`):
a throwaway PostgreSQL, N veertien SIP nodes, a portal process, and Kamailio in front with
its companion (`serve --role front`: Kamailio answers the direct 302s itself from the table
the companion keeps, and the companion records them); without the companion (front=False)
Kamailio relays every call to the nodes.

Everything listens on 127.0.0.1 and lives in one folder, removed at the end. Nodes can be
killed (-9), started again, drained; PostgreSQL can be restarted; every wait is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from tests.e2e.peers import free_port

READY = re.compile(r"listening for SIP on udp\+tcp \S+:(\d+)|portal on http://")
WAIT_S = 60.0


def program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (scripts/install --dev installs it)")
    return found


class Postgres:
    """A fresh PostgreSQL cluster in `folder` (run as the postgres user when we are root)."""

    def __init__(self, folder: Path) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins or not (bins[-1] / "initdb").exists():
            raise FileNotFoundError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin, self.folder, self.port = bins[-1], folder, free_port()
        self.url = f"postgresql+psycopg://veertien@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, timeout=120)

    def create(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._run("initdb", "-D", str(self.folder / "data"), "-U", "veertien", "-A", "trust",
                  "--no-sync")  # fmt: skip
        self.start()

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder}"
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-l", str(self.folder / "log"),
                  "-w", "-o", options, "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        with suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w", "stop")


@dataclass
class Node:
    id: str
    sip: int
    http: int
    data: Path
    process: subprocess.Popen[bytes] | None = None

    def records(self) -> list[dict[str, object]]:
        path = self.data / "calls.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@dataclass
class Cluster:
    folder: Path
    postgres: Postgres
    nodes: list[Node]
    portal: Node
    front: int = 0  # Kamailio's port
    kamailio: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)
    companion: Node | None = None  # serve --role front beside Kamailio
    children: int = 2  # Kamailio's UDP workers

    @property
    def front_folder(self) -> Path:
        return self.folder / "kamailio"

    def start_node(self, node: Node, role: str = "sip") -> None:
        """Start a node and wait until it says it listens (a restart after a kill waits out
        the node's last beat, a few seconds)."""
        path = self.folder / f"{node.id}.log"
        offset = path.stat().st_size if path.exists() else 0
        log = path.open("ab")
        where = ["--sip", f"127.0.0.1:{node.sip}", "--http", f"127.0.0.1:{node.http}"]
        if role == "front":
            where = ["--front", str(self.front_folder)]
        node.process = subprocess.Popen(
            [sys.executable, "-m", "veertien.cli", "--data", str(node.data), "serve",
             "--role", role, "--node", node.id, *where, "--log-level", "WARNING"],
            stdout=log, stderr=subprocess.STDOUT, env=self.env,
        )  # fmt: skip
        self._wait_ready(node, path, offset, "portal on http://" if role == "portal" else "Ctrl-C")

    def _wait_ready(self, node: Node, path: Path, offset: int, said: str) -> None:
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            assert node.process is not None
            with path.open("rb") as handle:
                handle.seek(offset)
                text = handle.read().decode("utf-8", errors="replace")
            if said in text:
                return
            if node.process.poll() is not None:
                raise RuntimeError(f"{node.id} stopped: {text[-2000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"{node.id} did not start in {WAIT_S:.0f} s")

    def kill(self, node: Node) -> None:
        """kill -9: no records written at the end, no sign-off."""
        if node.process is not None:
            node.process.kill()
            node.process.wait(timeout=10)
            node.process = None

    def stop(self, node: Node) -> None:
        if node.process is not None:
            node.process.send_signal(signal.SIGTERM)
            try:
                node.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                node.process.kill()
            node.process = None

    def veertien(self, *args: str) -> str:
        """A veertien command on the cluster's database (e.g. `nodes`, `node drain n1`)."""
        done = subprocess.run(
            [sys.executable, "-m", "veertien.cli", "--data", str(self.portal.data), *args],
            capture_output=True, text=True, env=self.env, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout

    def start_kamailio(self) -> None:
        """Its files (veertien kamailio: the configuration, the nodes, a first table), the
        companion if there is one (it makes the table fresh), then Kamailio."""
        nodes = [f"--node=127.0.0.1:{n.sip}" for n in self.nodes]
        self.veertien("kamailio", f"--listen=127.0.0.1:{self.front}", *nodes,
                      f"--out={self.front_folder}", f"--children={self.children}")  # fmt: skip
        if self.companion is not None:
            self.start_node(self.companion, "front")
        config, folder = self.front_folder / "kamailio.cfg", self.front_folder
        self.kamailio = subprocess.Popen(
            [program("kamailio"), "-f", str(config), "-DD", "-E", "-Y", str(folder),
             "-m", "64", "-M", "8"],
            stdout=(self.folder / "kamailio.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        time.sleep(1.5)  # its first probes
        if self.kamailio.poll() is not None:
            raise RuntimeError((self.folder / "kamailio.log").read_text()[-2000:])

    def close(self) -> None:
        for node in [*self.nodes, self.portal, *([self.companion] if self.companion else [])]:
            self.stop(node)
        if self.kamailio is not None:
            self.kamailio.terminate()
            with suppress(subprocess.TimeoutExpired):
                self.kamailio.wait(timeout=10)
        self.postgres.stop("immediate")


@contextmanager
def cluster(
    count: int = 2,
    folder: Path | None = None,
    *,
    speech: bool = False,
    front: bool = True,
    children: int = 2,
) -> Iterator[Cluster]:
    """PostgreSQL, `count` SIP nodes (n1, n2, ...), a portal, Kamailio in front (with its
    companion `front` unless front=False); all stopped and removed at the end."""
    base = Path(folder or tempfile.mkdtemp(prefix="veertien-cluster."))
    base.chmod(0o755)  # PostgreSQL runs as its own user when we are root
    postgres = Postgres(base / "pg")
    env = {**os.environ, "VEERTIEN_DATABASE": postgres.url}
    env.pop("VEERTIEN_NODE", None)
    settings = json.dumps({"speech": speech})
    nodes = [Node(f"n{i}", free_port(), free_port(), base / f"n{i}") for i in range(1, count + 1)]
    portal = Node("portal", 0, free_port(), base / "portal")
    for node in [*nodes, portal]:
        node.data.mkdir(parents=True)
    (portal.data / "settings.json").write_text(settings, encoding="utf-8")
    made = Cluster(base, postgres, nodes, portal, free_port(), env=env, children=children)
    if front:
        made.companion = Node("front", 0, 0, base / "front")
        made.companion.data.mkdir(parents=True)
    try:
        postgres.create()
        made.start_node(portal, "portal")  # migrates, takes the settings into the database
        for node in nodes:
            made.start_node(node)
        made.start_kamailio()
        yield made
    finally:
        made.close()
        if folder is None:
            shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description="Kamailio + N veertien nodes + portal + PG")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--speech", action="store_true", help="let the nodes listen for names")
    parser.add_argument(
        "--no-front-table", action="store_true",
        help="no front companion: Kamailio relays every call to the nodes",
    )  # fmt: skip
    args = parser.parse_args()
    if not 1 <= args.nodes <= 8:
        parser.error("--nodes: 1 to 8")
    with cluster(args.nodes, speech=args.speech, front=not args.no_front_table) as made:
        print(f"PostgreSQL  {made.postgres.url}")
        for node in made.nodes:
            health = f"http://127.0.0.1:{node.http}/health"
            print(f"node {node.id:6} sip 127.0.0.1:{node.sip}  health {health}")
        print(f"portal      http://127.0.0.1:{made.portal.http}/  (its password: portal.log)")
        print(f"folder      {made.folder}")
        if made.companion is not None:
            print(f"front       Kamailio answers the direct 302s ({made.front_folder}/db/front)")
        print(f"Kamailio    sip 127.0.0.1:{made.front}  ← send calls here, e.g.")
        print(f"            veertien call 140320 --server 127.0.0.1:{made.front}")
        print(f"drain       VEERTIEN_DATABASE={made.postgres.url} veertien node drain n1")
        print("Ctrl-C stops everything and removes the folder", flush=True)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
        signal.sigwait({signal.SIGINT, signal.SIGTERM})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
