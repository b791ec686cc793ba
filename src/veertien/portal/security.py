"""Who is asking, and may they: sessions, API tokens, CSRF tokens, login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request

from veertien.storage.users import Role, User, UserStore

LOGIN_WINDOW_S = 300.0
LOGIN_FAILURES = 5  # per user name from one address within the window
ADDRESS_FAILURES = 20  # per address, whatever the names, within the window
SESSION_S = 8 * 3600  # a portal session lasts a working day at most


class FailureLog(Protocol):
    """Where failed sign-ins are remembered: memory (one process) or the database (every
    portal process of a cluster together, storage.logins)."""

    def count(self, key: str, since: float) -> int: ...
    def add(self, keys: Sequence[str], at: float) -> None: ...
    def clear(self, key: str) -> None: ...


class MemoryFailures:
    """Failed sign-ins in this process's memory, bounded under a spray of names."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = {}

    def count(self, key: str, since: float) -> int:
        found = self._failures.get(key)
        while found and found[0] < since:
            found.popleft()
        return len(found) if found else 0

    def add(self, keys: Sequence[str], at: float) -> None:
        for key in keys:
            self._failures.setdefault(key, deque()).append(at)
        if len(self._failures) > 10_000:
            since = at - LOGIN_WINDOW_S
            self._failures = {k: v for k, v in self._failures.items() if self.count(k, since)}

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class LoginLimiter:
    """At most LOGIN_FAILURES failed logins for one name from one address, and
    ADDRESS_FAILURES from one address, in LOGIN_WINDOW_S. A name is never locked for every
    address: somebody guessing the operator's password elsewhere cannot lock the operator out
    (argon2's cost is what slows guessing spread over many addresses). Blocking when `log` is
    the database's: call it from a thread."""

    def __init__(
        self, clock: Callable[[], float] = time.time, log: FailureLog | None = None
    ) -> None:
        self.clock = clock
        self.log = log if log is not None else MemoryFailures()

    def blocked(self, name: str, address: str) -> bool:
        since = self.clock() - LOGIN_WINDOW_S
        pair = self.log.count(_pair(name, address), since) >= LOGIN_FAILURES
        return pair or self.log.count(f"addr:{address}", since) >= ADDRESS_FAILURES

    def failed(self, name: str, address: str) -> None:
        self.log.add([_pair(name, address), f"addr:{address}"], self.clock())

    def succeeded(self, name: str, address: str) -> None:
        self.log.clear(_pair(name, address))


def _pair(name: str, address: str) -> str:
    return f"pair:{name.lower()}@{address}"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, sent: object) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not isinstance(sent, str):
        raise HTTPException(403, "Formulier verlopen: laad de pagina opnieuw.")
    if not hmac.compare_digest(expected, sent):
        raise HTTPException(403, "Formulier verlopen: laad de pagina opnieuw.")


def session_user(request: Request, users: UserStore) -> User | None:
    """The user of an open server-side session (the cookie carries its id; signing out
    closes it, so a copy of the cookie is worth nothing afterwards)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        return None
    user = users.by_session(sid)
    if user is None:
        request.session.clear()
    return user


def token_user(request: Request, users: UserStore) -> User | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return users.by_token(token.strip())


PASSWORD_FIRST = 428  # a one-time password still in use: the portal sends the user to change it


def require(user: User | None, *roles: Role, pending_ok: bool = False) -> User:
    """The user, if signed in with one of `roles` (any role when none are given) and no longer
    on a one-time password (unless `pending_ok`: the page where it is changed)."""
    if user is None:
        raise HTTPException(401, "Log eerst in.")
    if user.must_change and not pending_ok:
        raise HTTPException(PASSWORD_FIRST, "Kies eerst een eigen wachtwoord (Mijn account).")
    if roles and user.role not in roles:
        raise HTTPException(403, "Dit mag uw rol niet.")
    return user


def require_sees(user: User, code: str) -> None:
    if not user.may_see(code):
        raise HTTPException(403, "Dit is niet uw gemeente.")


def require_changes(user: User, code: str) -> None:
    if not user.may_change(code):
        raise HTTPException(403, "U mag de instellingen van deze gemeente niet wijzigen.")
