"""Who is asking, and may they: sessions, API tokens, CSRF tokens, login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request

from veertien.storage.users import Role, User, UserStore

LOGIN_WINDOW_S = 300.0
LOGIN_FAILURES = 5  # per user name from one address within the window
ADDRESS_FAILURES = 20  # per address, whatever the names, within the window
SESSION_S = 8 * 3600  # a portal session lasts a working day at most


class LoginLimiter:
    """At most LOGIN_FAILURES failed logins for one name from one address, and
    ADDRESS_FAILURES from one address, in LOGIN_WINDOW_S. A name is never locked for every
    address: somebody guessing the operator's password elsewhere cannot lock the operator out
    (argon2's cost is what slows guessing spread over many addresses)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        found = self._failures.setdefault(key, deque())
        while found and self.clock() - found[0] > LOGIN_WINDOW_S:
            found.popleft()
        return found

    def blocked(self, name: str, address: str) -> bool:
        pair = len(self._recent(f"pair:{name.lower()}@{address}")) >= LOGIN_FAILURES
        return pair or len(self._recent(f"addr:{address}")) >= ADDRESS_FAILURES

    def failed(self, name: str, address: str) -> None:
        for key in (f"pair:{name.lower()}@{address}", f"addr:{address}"):
            self._recent(key).append(self.clock())
        if len(self._failures) > 10_000:  # bounded memory under a spray of names
            self._failures = {k: v for k, v in self._failures.items() if self._recent(k)}

    def succeeded(self, name: str, address: str) -> None:
        self._failures.pop(f"pair:{name.lower()}@{address}", None)


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
