"""The portal's shared state: one session key for every portal process (an older version's
file taken over once), and failed sign-ins counted across processes, stored hashed."""

from __future__ import annotations

from pathlib import Path

from veertien.portal.security import LOGIN_FAILURES, LOGIN_WINDOW_S, LoginLimiter
from veertien.storage.logins import DatabaseFailures, session_secret
from veertien.storage.store import Storage


def test_every_portal_gets_the_one_session_key(storage: Storage, tmp_path: Path) -> None:
    legacy = tmp_path / "portal.secret"
    legacy.write_text("kept-from-before\n", encoding="utf-8")
    assert session_secret(storage.engine, legacy) == "kept-from-before"
    legacy.write_text("changed", encoding="utf-8")
    assert session_secret(storage.engine, legacy) == "kept-from-before"  # the database's
    assert session_secret(storage.engine) == "kept-from-before"


def test_failed_sign_ins_count_for_every_portal_process(storage: Storage) -> None:
    now = [1000.0]
    portals = [LoginLimiter(lambda: now[0], DatabaseFailures(storage.engine, LOGIN_WINDOW_S))
               for _ in range(2)]  # fmt: skip
    for attempt in range(LOGIN_FAILURES):
        assert not portals[attempt % 2].blocked("operator", "192.0.2.7")
        portals[attempt % 2].failed("operator", "192.0.2.7")
    assert all(p.blocked("operator", "192.0.2.7") for p in portals)
    assert not portals[1].blocked("operator", "192.0.2.8")  # another address is not locked out
    with storage.engine.connect() as conn:
        keys = [r.key for r in conn.exec_driver_sql("SELECT key FROM login_failures")]
    assert keys and not any("operator" in k or "192.0.2" in k for k in keys)  # hashed
    now[0] += LOGIN_WINDOW_S + 1
    assert not portals[0].blocked("operator", "192.0.2.7")  # the window has passed
    portals[1].failed("someone", "192.0.2.9")  # and old rows are deleted on the way
    with storage.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM login_failures").scalar() == 2
    portals[0].succeeded("someone", "192.0.2.9")
    assert not portals[1].blocked("someone", "192.0.2.9")
