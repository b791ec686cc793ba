"""GET /health: the node's health as JSON, for a load balancer or a person, without signing in."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from veertien.portal.app import create_app
from veertien.storage import DataDir
from veertien.storage.store import Storage


def test_health_is_public_json_with_the_reason_speech_is_not_listening(tmp_path: Path) -> None:
    said: dict[str, Any] = {
        "status": "degraded",
        "sip": "127.0.0.1:5060",
        "speech": {"on": True, "listening": False, "reason": "Whisper base is not installed"},
    }
    storage = Storage.open(DataDir(tmp_path))
    try:
        app = create_app(storage, storage.routing_context, secret="t", health=lambda: said)
        with TestClient(app, base_url="http://testserver") as client:
            found = client.get("/health")
    finally:
        storage.close()
    assert found.status_code == 200
    assert found.json() == {
        **said,
        "destinations": {"missing": 0, "municipalities": [], "organisations": []},
    }
    assert found.headers["cache-control"] == "no-store"


def test_health_without_a_node_is_ok(tmp_path: Path) -> None:
    storage = Storage.open(DataDir(tmp_path))
    try:
        app = create_app(storage, storage.routing_context, secret="t")
        with TestClient(app, base_url="http://testserver") as client:
            assert client.get("/health").json() == {
                "status": "ok",
                "destinations": {"missing": 0, "municipalities": [], "organisations": []},
            }
    finally:
        storage.close()
