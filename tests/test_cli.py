from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from veertien.cli import main
from veertien.storage import DataDir
from veertien.storage.cluster import NodeStore, Role
from veertien.storage.store import Storage


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_route_on_a_new_data_folder_uses_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--data", str(tmp_path / "d"), "route", "140113")
    assert code == 0
    assert out.startswith("IVR (shared_area): 14 0113 (Goes) is shared by 5 municipalities")
    assert "key 5: Kapelle [GM0678, active]" in out
    assert "default: sip:+31113000004@127.0.0.1:5080 (Borsele's line, GM0654: the area's" in out
    code, out, _ = run(capsys, "--data", str(tmp_path / "d"), "route", "140320")
    assert "target: sip:+31320000001@127.0.0.1:5080 (Lelystad, GM0995)" in out


def test_route_json_with_time_and_caller(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(
        capsys,
        "--data",
        str(tmp_path),
        "route",
        "140320",
        "--json",
        "--at",
        "2026-11-24T10:00",
        "--caller",
        "+31320123456",
    )
    decision = json.loads(out)
    assert code == 0 and decision["kind"] == "redirect"
    assert decision["target"] == "sip:+31320000001@127.0.0.1:5080"


def test_route_rejects_a_bad_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--data", str(tmp_path), "route", "14", "--at", "morgen")
    assert code == 2 and "--at 'morgen' is not an ISO 8601 time" in err


def test_failed_import_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "gemeenten.csv").write_text("gm_code,naam\nGM0001,Ergens\nGM2,Nergens\n")
    (bad / "netnummers.csv").write_text(
        "netnummer,gm_code,pc4_in_beide,aandeel_van_netnummer,aandeel_van_gemeente\n"
        "0113,GM0001,1,1.0,1.0\n"
    )
    data = tmp_path / "data"
    code, _, err = run(capsys, "--data", str(data), "directory", "import", str(bad))
    assert code == 1
    assert "import failed, nothing was changed" in err
    assert "gemeenten.csv:3: municipality code 'GM2' is not of the form GM0123" in err
    assert not (data / "directory.json").exists()
    _, out, _ = run(capsys, "--data", str(data), "directory", "show")
    assert out.startswith("directory demo")


def test_bad_settings_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "settings.json").write_text('{"municipalities": {"GM0664": {"status": "x"}}}')
    code, _, err = run(capsys, "--data", str(tmp_path), "route", "140113")
    assert code == 2 and "municipalities.GM0664: status 'x'" in err


def test_show_area_and_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "--data", str(tmp_path), "directory", "show", "0578")
    assert "Olst-Wijhe [GM1773] active: 1 postcodes" in out and "[sliver" in out
    _, out, _ = run(capsys, "--data", str(tmp_path), "directory", "show", "Wemeldinge")
    assert out.strip() == "place Wemeldinge: in Kapelle [GM0678], area codes 0113"
    code, _, err = run(capsys, "--data", str(tmp_path), "directory", "show", "Atlantis")
    assert code == 1 and "nothing named 'Atlantis'" in err
    code, _, err = run(capsys, "--data", str(tmp_path), "directory", "show", "0116")
    assert code == 1 and "0116 is not a Dutch area code" in err


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
def test_serve_listens_and_stops_cleanly(tmp_path: Path, stop: signal.Signals) -> None:
    exe = Path(sys.executable).with_name("veertien")
    proc = subprocess.Popen(
        [str(exe), "--data", str(tmp_path), "serve", "--sip", "127.0.0.1:0", "--http",
         "127.0.0.1:0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    lines: list[str] = []
    while len(lines) < 20 and not (lines and lines[-1].startswith("listening for SIP")):
        lines.append(proc.stdout.readline())
    said = [line for line in lines if not line[:4].isdigit()]  # our lines, not the log's
    assert said[0].startswith("veertien 0.1.0: data folder ")
    said = said[1:]
    assert said[1].startswith("first start: operator account 'operator', one-time password: ")
    assert said[2].startswith("node ") and said[2].endswith(" (all)\n")  # the host's name
    assert "12 municipalities on 6 area codes" in said[3]
    # the embedded default listens for names (or says why not, and runs on keys)
    assert said[4].startswith(("speech on: ", "speech not listening ("))
    assert said[5].startswith("listening for SIP on udp+tcp 127.0.0.1:")
    proc.send_signal(stop)
    rest, _ = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert "stopped: 0 messages in, 0 out, 0 dropped" in rest


def test_serve_refuses_a_bad_address(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--data", str(tmp_path), "serve", "--sip", "localhost")
    assert code == 2 and "'localhost' is not HOST:PORT" in err


@pytest.mark.national
def test_import_national_then_route_names_all_five(tmp_path: Path, national_path: Path) -> None:
    """The installed console script, end to end, with the data folder from the environment."""
    exe = Path(sys.executable).with_name("veertien")
    env = {"VEERTIEN_DATA": str(tmp_path / "data"), "PATH": str(exe.parent)}
    imported = subprocess.run(
        [str(exe), "directory", "import", str(national_path)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "342 municipalities, 5957 places" in imported.stdout
    routed = subprocess.run(
        [str(exe), "route", "140113", "--json"], env=env, capture_output=True, text=True, check=True
    )
    names = {c["name"] for c in json.loads(routed.stdout)["candidates"]}
    assert names == {"Goes", "Kapelle", "Reimerswaal", "Borsele", "Noord-Beveland"}


def test_data_may_follow_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "route", "140320", "--data", str(tmp_path / "after"), "--json")
    assert code == 0 and (tmp_path / "after" / "veertien.db").exists()
    assert json.loads(out)["dialled"] == "140320"


def test_route_json_says_what_was_dialled_and_when(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A redirect once showed "dialled": "" and no time."""
    code, out, _ = run(
        capsys, "--data", str(tmp_path), "route", "140320", "--json", "--at", "2026-12-25T10:00"
    )
    shown = json.loads(out)
    assert code == 0 and shown["dialled"] == "140320"
    assert shown["at"] == "2026-12-25T10:00:00+01:00"


@pytest.mark.parametrize(
    "args",
    [("call", "140113", "--key", "x"), ("route", "140320", "--caller", "abc"),
     ("traffic", "--key", "12a")],
)  # fmt: skip
def test_bad_keys_and_numbers_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--data", str(tmp_path), *args])
    assert done.value.code == 2
    err = capsys.readouterr().err
    assert "keys are 0-9" in err or "is not a telephone number" in err


def test_showing_what_is_not_there_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--data", str(tmp_path), "directory", "show", "Nergenshuizen")
    assert code == 1 and out == "" and "nothing named 'Nergenshuizen'" in err
    code, _, err = run(capsys, "--data", str(tmp_path), "directory", "show", "0116")
    assert code == 1 and "not a Dutch area code" in err


def test_a_reader_that_goes_away_is_no_traceback(tmp_path: Path) -> None:
    """`veertien directory show | head -1` ended in a BrokenPipe traceback."""
    exe = Path(sys.executable).with_name("veertien")
    proc = subprocess.Popen(
        [str(exe), "--data", str(tmp_path), "directory", "show"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # the reader is gone before anything was written
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_a_portal_port_in_use_is_one_clear_line_and_no_lost_password(tmp_path: Path) -> None:
    """It was a 40-line traceback with exit 3, and the operator account was made with a
    one-time password nobody saw."""
    blocker = socket.create_server(("127.0.0.1", 0))
    port = blocker.getsockname()[1]
    exe = Path(sys.executable).with_name("veertien")
    try:
        done = subprocess.run(
            [str(exe), "--data", str(tmp_path), "serve", "--sip", "127.0.0.1:0",
             "--http", f"127.0.0.1:{port}"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    finally:
        blocker.close()
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert f"portal cannot listen on 127.0.0.1:{port}" in done.stderr
    storage = Storage.open(DataDir(tmp_path))
    try:
        assert storage.users.count() == 0  # the next start makes the account and shows it
    finally:
        storage.close()


@pytest.mark.national
def test_importing_the_national_set_keeps_the_destinations_and_warns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], national_path: Path
) -> None:
    """The README's own import once cut every municipality off (480 for every call)."""
    code, out, _ = run(capsys, "--data", str(tmp_path), "directory", "import", str(national_path))
    assert code == 0 and "imported" in out
    assert "municipalities taking part will have no destination" in out
    code, out, _ = run(capsys, "--data", str(tmp_path), "route", "140320")
    assert code == 0 and out.startswith("REDIRECT") and "sip:+31320000001@127.0.0.1:5080" in out


def test_accounts_from_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The way back in when the operator's one-time password is lost, and API tokens (once
    only made by tests)."""
    data = ["--data", str(tmp_path)]
    code, out, _ = run(capsys, *data, "user", "create", "beheer", "--role", "admin",
                       "--municipality", "gm0664")  # fmt: skip
    assert code == 0 and "one-time password: " in out
    first = out.split("one-time password: ", 1)[1].split()[0]
    assert "changed at the first sign-in" in out
    code, out, _ = run(capsys, *data, "user", "list")
    assert out.splitlines() == ["beheer\tadmin\tGM0664"]
    storage = Storage.open(DataDir(tmp_path))
    try:
        user = storage.users.verify("beheer", first)
        assert user is not None and user.must_change  # the portal asks for one's own first
        sid = storage.users.open_session(user, 60)
    finally:
        storage.close()
    code, out, _ = run(capsys, *data, "user", "reset-password", "beheer")
    second = out.rsplit(": ", 1)[1].strip()
    code, out, _ = run(capsys, *data, "user", "create-token", "beheer", "--label", "rapporten")
    token = out.strip()
    storage = Storage.open(DataDir(tmp_path))
    try:
        assert storage.users.verify("beheer", first) is None
        again = storage.users.verify("beheer", second)
        assert again is not None and again.must_change
        assert storage.users.by_session(sid) is None  # a new password closes open sessions
        found = storage.users.by_token(token)
        assert found is not None and found.username == "beheer"
    finally:
        storage.close()
    code, _, err = run(capsys, *data, "user", "reset-password", "niemand")
    assert code == 1 and "no account named 'niemand'" in err
    code, _, err = run(capsys, *data, "user", "create", "x2", "--role", "admin")
    assert code == 2 and "hoort bij één gemeente" in err


def test_nodes_are_listed_drained_and_resumed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ("--data", str(tmp_path))
    assert run(capsys, *data, "nodes")[1].strip() == "no nodes running"
    code, _, err = run(capsys, *data, "node", "drain", "n9")
    assert code == 1 and "no node 'n9'" in err
    storage = Storage.open(DataDir(tmp_path))
    NodeStore(storage.engine).register("n1", Role.SIP, "127.0.0.1:5071", "127.0.0.1:8081")
    storage.close()
    code, out, _ = run(capsys, *data, "node", "drain", "n1")
    assert code == 0 and "n1 drains" in out
    assert "draining" in run(capsys, *data, "nodes")[1]
    assert run(capsys, *data, "node", "resume", "n1")[0] == 0
    listed = run(capsys, *data, "nodes")[1]
    assert "n1" in listed and "taking calls" in listed and "127.0.0.1:5071" in listed


def test_serve_refuses_a_node_id_that_cannot_be_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--data", str(tmp_path), "serve", "--node", "a b")
    assert code == 2 and "--node" in err
