"""The Kamailio front's files: made from checked addresses only, and accepted by Kamailio."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

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
