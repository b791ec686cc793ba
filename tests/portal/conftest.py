"""A portal on a fresh SQLite database with an operator, a Goes admin and a viewer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from veertien.portal.app import create_app
from veertien.routing import RoutingContext
from veertien.storage import DataDir
from veertien.storage.store import Storage
from veertien.storage.users import Role

PASSWORD = "een lang wachtwoord"


@dataclass
class Site:
    storage: Storage
    client: TestClient
    posted: list[dict[str, object]]

    def context(self) -> RoutingContext:
        return self.storage.routing_context()

    def login(self, name: str, password: str = PASSWORD) -> TestClient:
        page = self.client.get("/inloggen")
        token = page.text.split('name="csrf" value="')[1].split('"')[0]
        self.client.post(
            "/inloggen",
            data={"username": name, "password": password, "csrf": token, "next": "/gemeenten"},
        )
        return self.client

    def csrf(self, path: str = "/gemeenten") -> str:
        page = self.client.get(path)
        return page.text.split('name="csrf" value="')[1].split('"')[0]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    storage = Storage.open(DataDir(tmp_path))
    users = storage.users
    users.create("ops", PASSWORD, Role.OPERATOR, None, "test")
    users.create("goes", PASSWORD, Role.ADMIN, "GM0664", "test")
    users.create("kapelle", PASSWORD, Role.ADMIN, "GM0678", "test")
    users.create("lezer", PASSWORD, Role.VIEWER, None, "test")
    posted: list[dict[str, object]] = []
    app = create_app(storage, storage.routing_context, secret="test", webhook=posted.append)
    with TestClient(app, base_url="http://testserver") as client:
        yield Site(storage, client, posted)
    storage.close()
