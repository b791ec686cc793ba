"""X-Forwarded-For is believed only from configured proxies: a real portal (uvicorn) on
loopback, where a client that names a new address in every request once escaped the login
limit."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from veertien.portal.security import ADDRESS_FAILURES
from veertien.portal.server import PROXIES_ENV, PortalServer, proxy_options
from veertien.storage import DataDir
from veertien.storage.live import LiveContext
from veertien.storage.store import Storage


def test_proxy_options() -> None:
    assert proxy_options(None) == {"proxy_headers": False}
    assert proxy_options(" ") == {"proxy_headers": False}
    assert proxy_options("10.0.0.1, 10.0.0.2") == {
        "proxy_headers": True,
        "forwarded_allow_ips": "10.0.0.1,10.0.0.2",
    }


async def _attempts(tmp_path: Path, count: int) -> int:
    """`count` failed logins, each claiming another address; the status of one more."""
    storage = Storage.open(DataDir(tmp_path))
    portal = PortalServer(storage, LiveContext(storage), "127.0.0.1", 0)
    await portal.start()
    host, port = portal.address
    try:
        async with httpx.AsyncClient(base_url=f"http://{host}:{port}") as client:
            status = 0
            for n in range(count + 1):
                page = await client.get("/inloggen")
                token = page.text.split('name="csrf" value="')[1].split('"')[0]
                form = {"username": f"guess{n}", "password": "x" * 12, "csrf": token}
                answer = await client.post(
                    "/inloggen", data=form, headers={"X-Forwarded-For": f"10.9.{n}.1"}
                )
                status = answer.status_code
            return status
    finally:
        await portal.stop()
        storage.close()


async def test_a_client_cannot_choose_its_address(tmp_path: Path) -> None:
    assert await _attempts(tmp_path, ADDRESS_FAILURES) == 429


async def test_a_configured_proxy_is_believed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PROXIES_ENV, "127.0.0.1")
    assert await _attempts(tmp_path, ADDRESS_FAILURES) == 401  # each attempt from its own address
