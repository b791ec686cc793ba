"""Helpers for end-to-end tests with real SIP peers we did not write (SIPp, baresip)."""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import keys_only
from tests.media.pcap import sipp_pcap
from veertien.media.g711 import Law, encode

SCENARIOS = Path(__file__).parent / "scenarios"
Record = dict[str, object]


def need(program: str) -> str:
    """The path of a peer program; fails in CI (the test command installs it), skips elsewhere."""
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed (scripts/test installs it with apt)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = int(udp.getsockname()[1])
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port")


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    data: Path
    http_port: int = 0  # the portal
    password: str = ""  # the operator's one-time password (printed at first start)

    def records(self, where: Callable[[Record], bool], at_least: int = 1) -> list[Record]:
        """The call records matching `where`, waiting (up to 5 s) until there are `at_least`:
        the writer thread flushes every 0.1 s."""
        path = self.data / "calls.jsonl"
        found: list[Record] = []
        for _ in range(100):
            if path.exists():
                lines = path.read_text(encoding="utf-8").splitlines()
                found = [r for r in map(json.loads, filter(None, lines)) if where(r)]
                if len(found) >= at_least:
                    break
            time.sleep(0.05)
        return found


@contextmanager
def veertien_server(
    data: Path, log_level: str = "INFO", *, speech: bool = False
) -> Iterator[Server]:
    """`veertien serve` on `data`; keys only unless `speech` (or the folder's settings.json
    says so): most tests play keys, and speech is on by default."""
    if not speech:
        keys_only(data)
    exe = Path(sys.executable).with_name("veertien")
    process = subprocess.Popen(
        [str(exe), "--data", str(data), "serve", "--sip", "127.0.0.1:0",
         "--http", "127.0.0.1:0", "--log-level", log_level],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert process.stdout is not None
    server = Server(process, 0, data)
    for _ in range(40):
        line = process.stdout.readline()
        if line.startswith("portal on http://"):
            server.http_port = int(line.split()[2].rstrip("/").rsplit(":", 1)[1])
        elif "one-time password:" in line:
            server.password = line.split("one-time password:", 1)[1].split()[0]
        elif line.startswith("listening for SIP"):
            server.port = int(line.split()[5].rsplit(":", 1)[1].rstrip(";"))
            break
    assert server.port, "veertien serve did not start"
    try:
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise


def scenario(name: str, folder: Path, **values: str) -> Path:
    """A copy of a SIPp scenario with @NAME@ placeholders filled in."""
    text = (SCENARIOS / name).read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    left = re.findall(r"@[A-Z_]+@", text)
    assert not left, f"unfilled placeholders {left} in {name}"
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def expect_302(folder: Path, target: str, dialled: str = "140320") -> Path:
    """The uac_302 scenario asserting exactly this Contact and the Diversion for `dialled`."""
    contact = re.escape(f"<{target}>")
    diversion = re.escape(f"<tel:+31{dialled}>;reason=unconditional;counter=1")
    return scenario(
        "uac_302.xml",
        folder,
        CONTACT_REGEXP=xml_attr(f"^ *{contact}$"),
        DIVERSION_REGEXP=xml_attr(f"^ *{diversion}$"),
    )


def sipp(path: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    """Run SIPp headless in the scenario's folder; exit code 0 means every call succeeded."""
    # a port of its own, so a late retransmission for one test never reaches the next
    cmd = [
        need("sipp"),
        "-sf",
        str(path),
        "-p",
        str(free_port()),
        "-nostdin",
        "-trace_err",
        "-timeout",
        f"{timeout}s",
        "-timeout_error",
        *args,
    ]
    return subprocess.run(
        cmd, cwd=path.parent, capture_output=True, text=True, timeout=timeout + 10, check=False
    )


def xml_attr(text: str) -> str:
    """Escape text for an XML attribute (SIPp regexps live in attributes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sipp_errors(folder: Path) -> str:
    return "\n".join(p.read_text(errors="replace")[-2000:] for p in folder.glob("*_errors.log"))


def silence_wav(path: Path, seconds: float = 3.0) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(b"\0\0" * int(8000 * seconds))
    return path


class Baresip:
    """baresip as a headless softphone, driven over its ctrl_tcp netstring JSON interface."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.sip_port = free_port()
        self.ctrl_port = free_port()
        conf = home / ".baresip"
        conf.mkdir(parents=True)
        wav = silence_wav(home / "silence.wav")
        (conf / "config").write_text(
            "\n".join(
                [
                    "poll_method epoll",
                    f"sip_listen 127.0.0.1:{self.sip_port}",
                    "audio_player aubridge,nil",
                    f"audio_source aufile,{wav}",
                    "audio_alert aubridge,nil",
                    "module_path /usr/lib/baresip/modules",
                    "module g711.so",
                    "module aufile.so",
                    "module aubridge.so",
                    "module_app account.so",
                    "module_app menu.so",
                    "module_app ctrl_tcp.so",
                    f"ctrl_tcp_listen 127.0.0.1:{self.ctrl_port}",
                    "",
                ]
            )
        )
        (conf / "accounts").write_text("<sip:0612345678@127.0.0.1>;regint=0\n")
        self.process = subprocess.Popen(
            # "-n ADDRESS": in a loopback-only namespace baresip finds no interface by itself
            [need("baresip"), "-f", str(conf), "-n", "127.0.0.1"],
            env={**os.environ, "HOME": str(home)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.sock = self._connect()
        self.buffer = b""

    def _connect(self) -> socket.socket:
        deadline = time.monotonic() + 10
        while True:
            try:
                return socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=1)
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def command(self, command: str, params: str = "") -> None:
        body = json.dumps({"command": command, "params": params, "token": command}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")

    def events(self, until: str, timeout: float = 10) -> list[dict[str, object]]:
        """Messages received until an event of type `until` (or the time limit)."""
        seen: list[dict[str, object]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            while b":" in self.buffer:
                length, _, rest = self.buffer.partition(b":")
                if len(rest) < int(length) + 1:
                    break
                seen.append(json.loads(rest[: int(length)]))
                self.buffer = rest[int(length) + 1 :]
                if seen[-1].get("type") == until:
                    return seen
            try:
                self.sock.settimeout(max(0.05, deadline - time.monotonic()))
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            self.buffer += chunk
        return seen

    def close(self) -> str:
        self.sock.close()
        self.process.terminate()
        try:
            out, _ = self.process.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        return out


class Linphone:
    """linphone-cli (linphonec) as a softphone, driven by lines on its standard input."""

    def __init__(self, home: Path) -> None:
        self.sip_port = free_port()
        (home / ".local" / "share" / "linphone").mkdir(parents=True)
        config = home / "linphonerc"
        config.write_text(
            f"[sip]\nsip_port={self.sip_port}\nsip_tcp_port=-1\ndefault_proxy=-1\n"
            f"[rtp]\naudio_rtp_port={free_port()}\n[sound]\nechocancellation=0\n"
        )
        self.process = subprocess.Popen(
            [need("linphonec"), "-c", str(config)],
            env={**os.environ, "HOME": str(home)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def say(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def close(self) -> str:
        try:
            self.say("quit")
            out, _ = self.process.communicate(timeout=10)
        except (subprocess.TimeoutExpired, BrokenPipeError):
            self.process.kill()
            out, _ = self.process.communicate()
        return out


class FakeMunicipality:
    """SIPp as a municipality's contact centre on `port`, playing one call of `scenario_path`."""

    def __init__(self, scenario_path: Path, port: int, *extra: str, timeout: int = 40) -> None:
        self.folder = scenario_path.parent
        self.timeout = timeout
        self.process = subprocess.Popen(
            [
                need("sipp"),
                "-sf",
                str(scenario_path),
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "-m",
                "1",
                *extra,
                "-nostdin",
                "-trace_err",
                "-timeout",
                f"{timeout}s",
                "-timeout_error",
            ],
            cwd=self.folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def check(self, context: str = "") -> None:
        """Wait for its call to end and fail with SIPp's errors if it was not as scripted."""
        self.process.communicate(timeout=self.timeout + 5)
        assert self.process.returncode == 0, (
            f"fake municipality: {sipp_errors(self.folder)}\n{context}"
        )


def csrf_of(page: str) -> str:
    """The CSRF token in a portal page's form."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def signed_in(server: Server, username: str = "operator", password: str = "") -> httpx.Client:
    """An HTTP client signed in to the server's portal (the operator by default)."""
    client = httpx.Client(base_url=f"http://127.0.0.1:{server.http_port}")
    token = csrf_of(client.get("/inloggen").text)
    form = {"username": username, "password": password or server.password, "csrf": token}
    answer = client.post("/inloggen", data=form)
    assert answer.status_code == 303, answer.text
    account = client.get("/account").text
    if 'id="must-change"' in account:  # the first sign-in: choose a password of one's own
        own = f"{form['password']}-eigen"
        change = {"current": form["password"], "new": own, "repeated": own,
                  "csrf": csrf_of(account)}  # fmt: skip
        assert "Uw wachtwoord is gewijzigd" in client.post("/account/wachtwoord", data=change).text
        if not password:
            server.password = own
    return client


def keypress(key: str | None) -> str:
    """SIPp XML that plays the RFC 4733 recording of `key` (Debian's sip-tester pcaps)."""
    if key is None:
        return ""
    return f'<exec play_pcap_audio="{sipp_pcap(f"dtmf_2833_{key}.pcap")}"/>'


def keys(digits: str, wait_ms: int = 0, gap_ms: int = 400) -> str:
    """SIPp actions for RFC 4733 keys, one after the other (after `wait_ms`, `gap_ms` apart),
    for a scenario's KEYPRESS action (the pauses close and reopen its <nop><action>)."""
    pause = f'</action></nop><pause milliseconds="{wait_ms}"/><nop><action>' if wait_ms else ""
    between = f'</action></nop><pause milliseconds="{gap_ms}"/><nop><action>'
    return pause + between.join(keypress(d) for d in digits)


def keyed_call(
    server: Server, folder: Path, actions: str, expected: str, dialled: str = "140113"
) -> None:
    """One SIPp call in early media (PCMU, quiet line noise) that plays `actions` (`keys`) and
    must end in a 302 whose headers match `expected`."""
    path = scenario(
        "uac_early_media.xml", folder, AUDIO=str(line_noise(folder, "PCMU")), CODEC="PCMU",
        PT="0", KEYPRESS=actions, STATUS="302", REGEXP=xml_attr(re.escape(expected)),
        CALLER="0612345678",
    )  # fmt: skip
    done = sipp(path, "-s", dialled, f"127.0.0.1:{server.port}", "-m", "1", "-mp", "0",
                timeout=60)  # fmt: skip
    assert done.returncode == 0, sipp_errors(folder)


def line_noise(folder: Path, codec: str) -> Path:
    """Half a second of quiet line noise as raw G.711 for SIPp's rtp_stream (quiet enough not
    to count as speech, so the menu is not interrupted by it)."""
    rng = random.Random(5)
    pcm = struct.pack("<4000h", *(rng.randint(-60, 60) for _ in range(4000)))
    law = Law.PCMU if codec == "PCMU" else Law.PCMA
    path = folder / f"noise.{'ulaw' if law is Law.PCMU else 'alaw'}"
    path.write_bytes(encode(pcm, law))
    return path
