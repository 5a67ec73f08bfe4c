"""Review-screen accounts: creation, listing, disabling, and password checks with lockout.

Passwords are stored as werkzeug hashes (scrypt by default). After `max_failures` wrong
passwords in a row an account is locked for `lockout` (the count lives in the database, so every
worker and instance sees it).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import exc, insert, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from service.communes import Scope, parse_scope, stored_scope
from service.db import Database
from service.schema import users

UserRole = Literal["officer", "analyst", "admin"]
USER_ROLES: tuple[UserRole, ...] = ("officer", "analyst", "admin")
MIN_PASSWORD_CHARS = 10
MAX_NAME_CHARS = 100
# Letters (any script, stored in NFC), digits, '.', '_' and '-'; starting with a letter or digit.
NAME_PATTERN = re.compile(rf"[^\W_][\w.-]{{0,{MAX_NAME_CHARS - 1}}}")


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
    locked_until: datetime | None
    created_at: datetime
    last_login_at: datetime | None
    communes: Scope = None  # None: every commune


_COLUMNS = (users.c.id, users.c.name, users.c.role, users.c.disabled, users.c.locked_until, users.c.created_at,
            users.c.last_login_at, users.c.communes)


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
              "disabled": False, "failed_logins": 0, "created_at": datetime.now(UTC),
              "communes": stored_scope(communes)}
    try:
        with db.transaction() as conn:
            new_id = conn.execute(insert(users).values(**values).returning(users.c.id)).scalar_one()
    except exc.IntegrityError as error:
        raise UserError(f"a user named {name!r} already exists", f"đã có tài khoản tên {name}") from error
    return User(new_id, name, role, False, None, values["created_at"], None,  # type: ignore[arg-type]
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
    """Disable (or enable again) an account; a disabled account's sessions stop working at once."""
    with db.transaction() as conn:
        changed = conn.execute(update(users).where(users.c.name == canonical_name(name))
                               .values(disabled=disabled)).rowcount
    if not changed:
        raise UserError(f"no user named {name!r}; see `triage users list`", f"không có tài khoản tên {name}")


def authenticate(db: Database, name: str, password: str, *, max_failures: int, lockout: timedelta,
                 dummy_hash: str) -> User | None:
    """The account if `password` is right and the account is enabled and not locked; else None.

    Unknown names cost the same hash check as known ones (`dummy_hash`), so timing does not tell
    which names exist. A wrong password counts towards the lockout; the count resets on success.
    """
    now = datetime.now(UTC)
    with db.transaction() as conn:
        row = conn.execute(select(users).where(users.c.name == canonical_name(name))
                           .with_for_update()).mappings().first()
        if row is None:
            check_password_hash(dummy_hash, password)
            return None
        locked_until = _aware(row["locked_until"])
        if locked_until is not None and locked_until > now:
            check_password_hash(dummy_hash, password)
            return None
        if not check_password_hash(row["password_hash"], password):
            failures = row["failed_logins"] + 1
            values = ({"failed_logins": 0, "locked_until": now + lockout} if failures >= max_failures
                      else {"failed_logins": failures})
            conn.execute(update(users).where(users.c.id == row["id"]).values(**values))
            return None
        if row["disabled"]:
            return None
        conn.execute(update(users).where(users.c.id == row["id"])
                     .values(failed_logins=0, locked_until=None, last_login_at=now))
        return User(row["id"], row["name"], row["role"], False, None, row["created_at"], now,
                    parse_scope(row["communes"]))


def _user(row: tuple) -> User:
    return User(*row[:-1], parse_scope(row[-1]))


def make_dummy_hash(method: str) -> str:
    """A hash of a random password, checked when the name is unknown (same cost as a real check)."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def _aware(moment: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; they are UTC here."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment
