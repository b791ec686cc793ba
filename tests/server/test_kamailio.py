"""The Kamailio front's files: made from checked addresses only, and accepted by Kamailio."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from veertien.cli import main
from veertien.server.kamailio import Address, Front, FrontError


def _front(folder: Path, *nodes: str, **options: int) -> Front:
    return Front(
        Address.parse("127.0.0.1:5060"), tuple(Address.parse(n) for n in nodes), folder, **options
    )


def test_the_dispatcher_list_names_every_node(tmp_path: Path) -> None:
    front = _front(tmp_path, "127.0.0.1:5071", "[::1]:5072", "node3.example:5060")
    assert front.dispatcher().splitlines()[1:] == [
        "1 sip:127.0.0.1:5071;transport=udp 0 0",
        "1 sip:[::1]:5072;transport=udp 0 0",
        "1 sip:node3.example:5060;transport=udp 0 0",
    ]
    config = front.config()
    assert "listen=udp:127.0.0.1:5060" in config and "listen=tcp:127.0.0.1:5060" in config
    assert "@" + "LISTEN@" not in config
    assert 'modparam("dispatcher", "ds_ping_interval", 1)' in config


@pytest.mark.parametrize(
    "bad", ["127.0.0.1", "127.0.0.1:0", "a b:5060", 'x";exit;:5060', "n1\r\nx:5060", ":5060"]
)
def test_an_address_that_is_not_one_never_reaches_the_configuration(bad: str) -> None:
    with pytest.raises(FrontError):
        Address.parse(bad)


def test_nonsense_fronts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(FrontError, match="at least one node"):
        _front(tmp_path).config()
    with pytest.raises(FrontError, match="twice"):
        _front(tmp_path, "127.0.0.1:5071", "127.0.0.1:5071").config()
    with pytest.raises(FrontError, match="a node's address"):
        _front(tmp_path, "127.0.0.1:5060").config()
    with pytest.raises(FrontError, match="failover_ms"):
        _front(tmp_path, "127.0.0.1:5071", failover_ms=10).config()
    with pytest.raises(FrontError, match="folder path"):
        _front(tmp_path / 'x"y', "127.0.0.1:5071").config()


def test_kamailio_accepts_the_configuration(tmp_path: Path) -> None:
    kamailio = shutil.which("kamailio")
    if kamailio is None:
        pytest.skip("kamailio not installed (scripts/install --dev installs it)")
    path = _front(tmp_path, "127.0.0.1:5071", "127.0.0.1:5072").write()
    checked = subprocess.run(
        [kamailio, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_no_source_limit_means_no_pike(tmp_path: Path) -> None:
    assert "#!define WITH_PIKE" in _front(tmp_path, "127.0.0.1:5071").config()
    config = _front(tmp_path, "127.0.0.1:5071", source_limit=0).config()
    assert "#!define WITH_PIKE" not in config and "# no source limit" in config


def test_the_command_takes_admission_from_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = {"sip_carriers": ["192.0.2.0/24"], "sip_source_limit": 50, "sip_block_s": 60}
    (data / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
    out = tmp_path / "front"
    code = main(["--data", str(data), "kamailio", "--listen", "127.0.0.1:5060",
                 "--node", "127.0.0.1:5071", "--out", str(out)])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    config = (out / "kamailio.cfg").read_text(encoding="utf-8")
    assert 'modparam("pike", "reqs_density_per_unit", 50)' in config
    assert "autoexpire=60;" in config
    rows = (out / "db" / "front").read_text(encoding="utf-8").splitlines()
    assert "k:0:0:192.0.2.0/24:0" in rows and "u:0:1:0:0" in rows  # not fresh: the nodes answer
    assert not any(row.startswith("c") for row in rows)
    assert (out / "acc").is_dir()


def test_the_front_role_needs_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data", str(tmp_path), "serve", "--role", "front", "--http", "off"])
    assert code == 1
    assert "--front DIR" in capsys.readouterr().err
