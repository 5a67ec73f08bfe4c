"""Review-screen accounts: creation, listing, disabling, passwords, and password checks with lockout.

Passwords are stored as werkzeug hashes (scrypt by default). After `max_failures` wrong
passwords in a row from one client address an account is locked for `lockout` for that address
only, so nobody can lock an officer out from elsewhere (the counts live in the database, so every
worker and instance sees them). Disabling an account or changing its password ends its sessions.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, delete, exc, func, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from service.communes import Scope, parse_scope, stored_scope
from service.db import Database, utc
from service.schema import login_failures, users
from service.sessions import end_sessions

UserRole = Literal["officer", "analyst", "admin"]
USER_ROLES: tuple[UserRole, ...] = ("officer", "analyst", "admin")
MIN_PASSWORD_CHARS = 10
MAX_NAME_CHARS = 100
# Letters (any script, stored in NFC), digits, '.', '_' and '-'; starting with a letter or digit.
NAME_PATTERN = re.compile(rf"[^\W_][\w.-]{{0,{MAX_NAME_CHARS - 1}}}")
# Passwords handed over by an admin: no 0/O, 1/l/I to misread (14 of these carry about 80 bits).
HANDOVER_ALPHABET = "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
# Wrong passwords older than this no longer count towards a lock.
FAILURE_MEMORY = timedelta(days=1)


class UserError(Exception):
    """A user command cannot be carried out; the message says why (in English for the command line,
    `vietnamese` for the admin page)."""

    def __init__(self, message: str, vietnamese: str = "") -> None:
        super().__init__(message)
        self.vietnamese = vietnamese or "Không thực hiện được thao tác với tài khoản."


@dataclass(frozen=True)
class User:
    """A stored account (never its password)."""

    id: int
    name: str
    role: UserRole
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None
    communes: Scope = None  # None: every commune


_COLUMNS = (users.c.id, users.c.name, users.c.role, users.c.disabled, users.c.created_at, users.c.last_login_at,
            users.c.communes)


def canonical_name(name: str) -> str:
    """A user name as stored and looked up: NFC, so composed and decomposed accents are one name."""
    return unicodedata.normalize("NFC", name)


def name_key(name: str) -> str:
    """What two names must not share: compatibility-folded and case-folded ("Lân", "LÂN", "ｌâｎ")."""
    return unicodedata.normalize("NFKC", name).casefold()


def check_new_user(name: str, role: str, password: str) -> None:
    """Raise UserError saying what is wrong with a new account's name (already NFC), role or password."""
    if not NAME_PATTERN.fullmatch(name) or ".." in name:
        raise UserError(f"name must be 1 to {MAX_NAME_CHARS} letters, digits, '.', '_' or '-' without spaces, "
                        f"'/', '..' or control characters, starting with a letter or digit, not {name!r}",
                        f"tên đăng nhập phải có 1 đến {MAX_NAME_CHARS} chữ cái, chữ số, '.', '_' hoặc '-', "
                        "bắt đầu bằng chữ cái hoặc chữ số, không có dấu cách, '/' hay '..'")
    if role not in USER_ROLES:
        raise UserError(f"unknown role {role!r}; choose one of {list(USER_ROLES)}", "vai trò không hợp lệ")
    check_new_password(password)


def check_new_password(password: str) -> None:
    """Raise UserError if a new password is too short."""
    if len(password) < MIN_PASSWORD_CHARS:
        raise UserError(f"password must have at least {MIN_PASSWORD_CHARS} characters",
                        f"mật khẩu phải có ít nhất {MIN_PASSWORD_CHARS} ký tự")


def create_user(db: Database, name: str, role: str, password: str, *, method: str = "scrypt",
                communes: Scope = None) -> User:
    """Store a new account with a hashed password, limited to `communes` (None: every commune);
    refused if the name looks like an existing one."""
    name = canonical_name(name)
    check_new_user(name, role, password)
    taken = {name_key(user.name): user.name for user in list_users(db)}
    if name_key(name) in taken:
        raise UserError(f"a user named {taken[name_key(name)]!r} already exists",
                        f"đã có tài khoản tên {taken[name_key(name)]}")
    values = {"name": name, "role": role, "password_hash": generate_password_hash(password, method=method),
              "disabled": False, "created_at": datetime.now(UTC), "communes": stored_scope(communes)}
    try:
        with db.transaction() as conn:
            new_id = conn.execute(insert(users).values(**values).returning(users.c.id)).scalar_one()
    except exc.IntegrityError as error:
        raise UserError(f"a user named {name!r} already exists", f"đã có tài khoản tên {name}") from error
    return User(new_id, name, role, False, values["created_at"], None,  # type: ignore[arg-type]
                parse_scope(values["communes"]))


def list_users(db: Database) -> list[User]:
    """Every account, oldest first."""
    with db.transaction() as conn:
        return [_user(row) for row in conn.execute(select(*_COLUMNS).order_by(users.c.id))]


def get_user(db: Database, user_id: int) -> User | None:
    """The account with this id, or None."""
    with db.transaction() as conn:
        row = conn.execute(select(*_COLUMNS).where(users.c.id == user_id)).first()
    return None if row is None else _user(row)


def set_disabled(db: Database, name: str, disabled: bool) -> None:
    """Disable (or enable again) an account; disabling ends its sessions (enabling does not revive them)."""
    with db.transaction() as conn:
        user_id = _user_id(conn, name)
        conn.execute(update(users).where(users.c.id == user_id).values(disabled=disabled))
        if disabled:
            end_sessions(conn, user_id)


def set_password(db: Database, name: str, password: str, *, method: str = "scrypt") -> None:
    """Give an account a new password: its sessions end and its login locks are lifted."""
    check_new_password(password)
    with db.transaction() as conn:
        user_id = _user_id(conn, name)
        conn.execute(update(users).where(users.c.id == user_id)
                     .values(password_hash=generate_password_hash(password, method=method)))
        end_sessions(conn, user_id)
        conn.execute(delete(login_failures).where(login_failures.c.user_id == user_id))


def reset_password(db: Database, name: str, *, method: str = "scrypt") -> str:
    """Give an account a new random password (returned once, to hand over) and end its sessions."""
    password = "".join(secrets.choice(HANDOVER_ALPHABET) for _ in range(14))
    set_password(db, name, password, method=method)
    return password


def unlock_account(db: Database, name: str) -> None:
    """Lift an account's login locks, from every address."""
    with db.transaction() as conn:
        conn.execute(delete(login_failures).where(login_failures.c.user_id == _user_id(conn, name)))


def locked_accounts(db: Database) -> dict[int, datetime]:
    """Accounts locked from at least one address now: user id -> when the last of those locks ends."""
    query = (select(login_failures.c.user_id, func.max(login_failures.c.locked_until))
             .where(login_failures.c.locked_until > datetime.now(UTC)).group_by(login_failures.c.user_id))
    with db.transaction() as conn:
        return {user_id: utc(until) for user_id, until in conn.execute(query)}


def _user_id(conn: Connection, name: str) -> int:
    user_id = conn.execute(select(users.c.id).where(users.c.name == canonical_name(name))).scalar()
    if user_id is None:
        raise UserError(f"no user named {name!r}; see `triage users list`", f"không có tài khoản tên {name}")
    return user_id


def authenticate(db: Database, name: str, password: str, *, address: str, max_failures: int,
                 lockout: timedelta, dummy_hash: str) -> User | None:
    """The account if `password` is right and the account is enabled and not locked for `address`; else None.

    Unknown names and locked accounts cost the same hash check as a real one (`dummy_hash`), so
    timing does not tell which names exist. A wrong password counts towards the lock of this
    account for this address; a right one clears that count.
    """
    now = datetime.now(UTC)
    with db.transaction() as conn:
        row = conn.execute(select(users).where(users.c.name == canonical_name(name))
                           .with_for_update()).mappings().first()
        if row is None:
            check_password_hash(dummy_hash, password)
            return None
        here = (login_failures.c.user_id == row["id"]) & (login_failures.c.address == address)
        failed = conn.execute(select(login_failures).where(here)).mappings().first()
        if failed is not None and failed["locked_until"] is not None and utc(failed["locked_until"]) > now:
            check_password_hash(dummy_hash, password)
            return None
        if not check_password_hash(row["password_hash"], password):
            recent = failed is not None and utc(failed["last_failure_at"]) > now - FAILURE_MEMORY
            _count_failure(conn, row["id"], address, failed["failures"] + 1 if recent else 1, now,
                           max_failures=max_failures, lockout=lockout)
            return None
        if failed is not None:
            conn.execute(delete(login_failures).where(here))
        if row["disabled"]:
            return None
        return User(row["id"], row["name"], row["role"], False, row["created_at"], row["last_login_at"],
                    parse_scope(row["communes"]))


def _user(row: tuple) -> User:
    return User(*row[:-1], parse_scope(row[-1]))


def _count_failure(conn: Connection, user_id: int, address: str, count: int, now: datetime, *,
                   max_failures: int, lockout: timedelta) -> None:
    values = ({"failures": 0, "locked_until": now + lockout} if count >= max_failures
              else {"failures": count, "locked_until": None})
    here = (login_failures.c.user_id == user_id) & (login_failures.c.address == address)
    if not conn.execute(update(login_failures).where(here).values(last_failure_at=now, **values)).rowcount:
        conn.execute(insert(login_failures).values(user_id=user_id, address=address, last_failure_at=now,
                                                   **values))
    # Other addresses' counts that went quiet long ago and lock nothing are forgotten.
    conn.execute(delete(login_failures).where(
        login_failures.c.user_id == user_id, login_failures.c.last_failure_at < now - FAILURE_MEMORY,
        login_failures.c.locked_until.is_(None) | (login_failures.c.locked_until < now)))


def make_dummy_hash(method: str) -> str:
    """A hash of a random password, checked when the name is unknown (same cost as a real check)."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)
