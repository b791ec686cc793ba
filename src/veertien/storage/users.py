"""Portal users, their roles and API tokens. Passwords are hashed with argon2id; tokens are
random and stored as their sha256 only (shown once, at creation)."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, insert, select, update

from veertien.errors import InputError
from veertien.storage.cluster import exclusive
from veertien.storage.config import audit
from veertien.storage.schema import api_tokens, portal_sessions, users

_HASHER = PasswordHasher()
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_CODE = re.compile(r"^GM\d{4}$")
MIN_PASSWORD = 12


class Role(Enum):
    OPERATOR = "operator"  # everything
    ADMIN = "admin"  # their own municipality's settings
    VIEWER = "viewer"  # reads only (their municipality, or everything without one)


class UserError(InputError):
    """A user cannot be created or changed; the text says why (in Dutch: portal users read it)."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    username: str
    role: Role
    municipality: str | None
    active: bool
    must_change: bool = False  # a one-time password: to be changed before anything else

    def may_see(self, code: str) -> bool:
        """Operators and viewers without a municipality see all; others their own."""
        return self.municipality == code or (
            self.municipality is None and self.role is not Role.ADMIN
        )

    def may_change(self, code: str) -> bool:
        return self.role is Role.OPERATOR or (self.role is Role.ADMIN and self.municipality == code)


@dataclass(frozen=True, slots=True)
class Token:
    """An API token as the portal lists it: never the token itself."""

    id: int
    label: str
    created_at: datetime


def _user(row: object) -> User:
    return User(
        row.id,  # type: ignore[attr-defined]
        row.username,  # type: ignore[attr-defined]
        Role(row.role),  # type: ignore[attr-defined]
        row.municipality,  # type: ignore[attr-defined]
        bool(row.active),  # type: ignore[attr-defined]
        bool(row.must_change),  # type: ignore[attr-defined]
    )


class UserStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def count(self) -> int:
        with self.engine.connect() as conn:
            return len(conn.execute(select(users.c.id)).all())

    def all(self) -> list[User]:
        with self.engine.connect() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.username))]

    def get(self, user_id: int) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
        return _user(row) if row is not None else None

    def create(
        self,
        username: str,
        password: str,
        role: Role,
        municipality: str | None,
        actor: str,
        *,
        one_time: bool = False,
    ) -> User:
        """A new account. `one_time`: the password was made for the user (by the system or
        somebody else), who must change it at the first sign-in."""
        username = username.strip().lower()
        if not _NAME.match(username):
            raise UserError("gebruikersnaam: 2-64 tekens, kleine letters, cijfers, . _ -")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"wachtwoord: minstens {MIN_PASSWORD} tekens")
        if role is not Role.OPERATOR and municipality is not None and not _CODE.match(municipality):
            raise UserError("gemeente: een CBS-code zoals GM0664")
        if role is Role.ADMIN and municipality is None:
            raise UserError("een beheerder hoort bij één gemeente")
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.id).where(users.c.username == username)).first():
                raise UserError(f"gebruiker {username} bestaat al")
            new_id = conn.execute(
                insert(users).values(
                    username=username,
                    password_hash=_HASHER.hash(password),
                    role=role.value,
                    municipality=None if role is Role.OPERATOR else municipality,
                    active=True,
                    created_at=datetime.now(UTC),
                    must_change=one_time,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            new = {"role": role.value, "municipality": municipality}
            audit(conn, actor, "user created", f"user:{username}", new=new)
        found = self.get(int(new_id))
        assert found is not None
        return found

    def verify(self, username: str, password: str) -> User | None:
        """The active user with this password; None otherwise (same work either way)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users).where(users.c.username == username.strip().lower())
            ).first()
        digest = row.password_hash if row is not None else _DUMMY
        try:
            _HASHER.verify(digest, password)
        except (VerificationError, InvalidHashError):
            return None
        return _user(row) if row is not None and row.active else None

    def by_name(self, username: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users).where(users.c.username == username.strip().lower())
            ).first()
        return _user(row) if row is not None else None

    def set_password(
        self, user: User, password: str, actor: str, *, one_time: bool = False
    ) -> None:
        """A new password; every open portal session of the user is closed with it.
        `one_time`: made for the user, who must change it at the next sign-in."""
        if len(password) < MIN_PASSWORD:
            raise UserError(f"wachtwoord: minstens {MIN_PASSWORD} tekens")
        with self.engine.begin() as conn:
            conn.execute(
                update(users)
                .where(users.c.id == user.id)
                .values(password_hash=_HASHER.hash(password), must_change=one_time)
            )
            conn.execute(delete(portal_sessions).where(portal_sessions.c.user_id == user.id))
            action = "one-time password set" if one_time else "password changed"
            audit(conn, actor, action, f"user:{user.username}")

    def change_password(self, user: User, current: str, new: str, repeated: str) -> None:
        """The user's own change: the current password proves it is them; the new one must be
        long enough, typed twice the same, and not the current one."""
        if self.verify(user.username, current) is None:
            raise UserError("het huidige wachtwoord klopt niet")
        if new != repeated:
            raise UserError("de twee nieuwe wachtwoorden zijn niet gelijk")
        if new == current:
            raise UserError("kies een ander wachtwoord dan het huidige")
        self.set_password(user, new, user.username)

    def set_active(self, user_id: int, active: bool, actor: str) -> None:
        with self.engine.begin() as conn:
            row = conn.execute(select(users).where(users.c.id == user_id)).first()
            if row is None:
                raise UserError("onbekende gebruiker")
            conn.execute(update(users).where(users.c.id == user_id).values(active=active))
            audit(
                conn, actor, "user active", f"user:{row.username}", old=bool(row.active), new=active
            )

    def new_token(self, user: User, label: str, actor: str) -> str:
        token = "vt_" + secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(
                    user_id=user.id,
                    token_hash=_token_hash(token),
                    label=label[:100] or "token",
                    created_at=datetime.now(UTC),
                )
            )
            audit(conn, actor, "token created", f"user:{user.username}", new={"label": label})
        return token

    def tokens(self, user: User) -> list[Token]:
        """The user's API tokens (their labels and dates; the tokens themselves are not kept)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(api_tokens).where(api_tokens.c.user_id == user.id).order_by(api_tokens.c.id)
            ).all()
        return [Token(r.id, r.label, _aware(r.created_at)) for r in rows]

    def revoke_token(self, user: User, token_id: int, actor: str) -> None:
        with self.engine.begin() as conn:
            gone = conn.execute(
                delete(api_tokens).where(
                    api_tokens.c.id == token_id, api_tokens.c.user_id == user.id
                )
            ).rowcount
            if not gone:
                raise UserError("onbekend token")
            audit(conn, actor, "token revoked", f"user:{user.username}", old={"id": token_id})

    def by_token(self, token: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users)
                .join(api_tokens, api_tokens.c.user_id == users.c.id)
                .where(api_tokens.c.token_hash == _token_hash(token))
            ).first()
        return _user(row) if row is not None and row.active else None

    def open_session(self, user: User, seconds: float) -> str:
        """A new portal session for `user`, good for `seconds`: its id (kept only hashed)."""
        sid = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            conn.execute(delete(portal_sessions).where(portal_sessions.c.expires_at < now))
            conn.execute(
                insert(portal_sessions).values(
                    sid_hash=_token_hash(sid),
                    user_id=user.id,
                    expires_at=now + timedelta(seconds=seconds),
                )
            )
        return sid

    def by_session(self, sid: str) -> User | None:
        """The active user of a session that is open and not expired."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(users, portal_sessions.c.expires_at)
                .join(portal_sessions, portal_sessions.c.user_id == users.c.id)
                .where(portal_sessions.c.sid_hash == _token_hash(sid))
            ).first()
        if row is None or _aware(row.expires_at) < datetime.now(UTC) or not row.active:
            return None
        return _user(row)

    def close_session(self, sid: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                delete(portal_sessions).where(portal_sessions.c.sid_hash == _token_hash(sid))
            )

    def revoke_tokens(self, user: User, actor: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(api_tokens).where(api_tokens.c.user_id == user.id))
            audit(conn, actor, "tokens revoked", f"user:{user.username}")


def _aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes: they were written in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_DUMMY = _HASHER.hash(secrets.token_hex(16))  # verify against something when the user is unknown


def first_operator(store: UserStore) -> str | None:
    """On a database without users: an operator account `operator` with a one-time password
    (returned, to be printed once); None when there are users already. Under the cluster lock:
    of portals starting together, one makes it."""
    with exclusive(store.engine, "first-operator"):
        if store.count():
            return None
        password = secrets.token_urlsafe(15)
        store.create("operator", password, Role.OPERATOR, None, actor="system", one_time=True)
    return password
