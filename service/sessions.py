"""Server-side review-screen sessions, checked on every request.

The cookie carries a random session id; the database keeps only its sha256, with the user and
the times of login and last use. A session ends at logout (every session of that user), when the
user is disabled or gets a new password, after `idle` without use, and `lifetime` after login
whatever happens: a cookie copied before any of these opens nothing afterwards.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, delete, insert, or_, select, update

from service.db import Database, utc
from service.schema import sessions, users

# The last use is written at most this often per session, not on every request; the idle
# timeout can therefore end a session up to this much early.
TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session may stay unused, and how long it may last at all."""

    idle: timedelta
    lifetime: timedelta


def _digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def start_session(db: Database, user_id: int, policy: SessionPolicy) -> str:
    """Record a login and return the new session id for the cookie."""
    session_id = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with db.transaction() as conn:
        # The user's sessions that can no longer be valid are forgotten at each login.
        conn.execute(delete(sessions).where(sessions.c.user_id == user_id, or_(
            sessions.c.ended_at.is_not(None), sessions.c.created_at < now - policy.lifetime)))
        conn.execute(insert(sessions).values(id=_digest(session_id), user_id=user_id, created_at=now,
                                             last_seen_at=now))
        conn.execute(update(users).where(users.c.id == user_id).values(last_login_at=now))
    return session_id


def session_user_id(db: Database, session_id: str, policy: SessionPolicy) -> int | None:
    """The user id of a live session, or None (ended, idle too long, too old, or unknown)."""
    now = datetime.now(UTC)
    with db.transaction() as conn:
        row = conn.execute(select(sessions.c.user_id, sessions.c.created_at, sessions.c.last_seen_at)
                           .where(sessions.c.id == _digest(session_id), sessions.c.ended_at.is_(None))).first()
        if row is None:
            return None
        last_seen = utc(row.last_seen_at)
        if now - last_seen > policy.idle or now - utc(row.created_at) > policy.lifetime:
            return None
        if now - last_seen >= TOUCH_INTERVAL:
            conn.execute(update(sessions).where(sessions.c.id == _digest(session_id)).values(last_seen_at=now))
    return row.user_id


def end_sessions(conn: Connection, user_id: int) -> None:
    """End every open session of a user (inside the caller's transaction)."""
    conn.execute(update(sessions).where(sessions.c.user_id == user_id, sessions.c.ended_at.is_(None))
                 .values(ended_at=datetime.now(UTC)))


def end_user_sessions(db: Database, user_id: int) -> None:
    """End every open session of a user (logout)."""
    with db.transaction() as conn:
        end_sessions(conn, user_id)
