"""The database connection: engine setup, schema readiness and a short-circuit while it is down."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import Connection, Engine, create_engine, event, exc, text
from sqlalchemy.engine import make_url

from service import migrations

# Errors that mean "the database cannot be used right now" (as opposed to a bug in a query).
UNAVAILABLE_ERRORS = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError)


class DatabaseUnavailable(Exception):
    """The database cannot be reached (or was failing a moment ago); `reason` names the error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class SchemaOutdated(DatabaseUnavailable):
    """The database schema is older than this code and automatic upgrades are off."""


class Database:
    """One SQLAlchemy engine plus what the service needs around it.

    After a failure, `transaction` raises DatabaseUnavailable at once for `retry_seconds`
    instead of waiting on the network for every request; callers spool in the meantime.
    """

    def __init__(self, url: str, *, auto_upgrade: bool = True, retry_seconds: float = 2.0,
                 pool_size: int = 5) -> None:
        self.url = make_url(url)
        self.auto_upgrade = auto_upgrade
        self.retry_seconds = retry_seconds
        self.engine = _make_engine(url, pool_size)
        # The hot insert (service.store) uses the driver directly, so its errors come unwrapped.
        driver = self.engine.dialect.loaded_dbapi
        self._unavailable_errors = (*UNAVAILABLE_ERRORS, driver.OperationalError, driver.InterfaceError)
        self.schema_ready = False
        self.last_error: str | None = None
        self._down_until = 0.0
        self._lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """A connection in a transaction, committed on success; DatabaseUnavailable if down."""
        if time.monotonic() < self._down_until:
            raise DatabaseUnavailable(self.last_error or "database unavailable")
        try:
            self._ensure_schema()
            with self.engine.begin() as conn:
                yield conn
        except self._unavailable_errors as error:
            self._mark_down(type(getattr(error, "orig", None) or error).__name__)
            raise DatabaseUnavailable(self.last_error or "") from error
        except SchemaOutdated as error:
            self._mark_down(error.reason)
            raise
        self.last_error = None

    def ping(self) -> None:
        """Check the database now, ignoring the short-circuit (for /readyz)."""
        self._down_until = 0.0
        with self.transaction() as conn:
            conn.execute(text("SELECT 1"))

    def upgrade(self) -> list[migrations.Migration]:
        """Apply pending migrations now."""
        applied = migrations.upgrade(self.engine)
        self.schema_ready = True
        return applied

    def _ensure_schema(self) -> None:
        if self.schema_ready:
            return
        with self._lock:
            if self.schema_ready:
                return
            if self.auto_upgrade:
                self.upgrade()
                return
            with self.engine.connect() as conn:
                missing = {m.version for m in migrations.MIGRATIONS} - migrations.applied_versions(conn)
            if missing:
                raise SchemaOutdated(f"database schema lacks migrations {sorted(missing)}; "
                                     "run `triage db upgrade`")
            self.schema_ready = True

    def _mark_down(self, reason: str) -> None:
        self.last_error = reason
        self._down_until = time.monotonic() + self.retry_seconds

    def dispose(self) -> None:
        self.engine.dispose()


def _make_engine(url: str, pool_size: int) -> Engine:
    parsed = make_url(url)
    # Bound parameters hold message text and notes: keep them out of SQL logs and error messages.
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = {"connect_timeout": 3} if parsed.get_backend_name() == "postgresql" else {}
    return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_timeout=3,
                         pool_recycle=3600, connect_args=connect_args, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the gunicorn workers read while one writes; NORMAL syncs at checkpoints (a power
    # cut may lose the last commits, a process crash loses nothing). Production runs PostgreSQL.
    cursor = dbapi_connection.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=10000"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite returns naive datetimes, which are UTC here)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def default_sqlite_url(instance_path: str) -> str:
    """The default database: a SQLite file in the instance folder."""
    return f"sqlite:///{Path(instance_path) / 'triage.sqlite3'}"


def init_app(app: Flask) -> None:
    """Create the app's Database from DATABASE_URL (default: SQLite in the instance folder)."""
    url = app.config["DATABASE_URL"] or default_sqlite_url(app.instance_path)
    app.extensions["triage.db"] = Database(url, auto_upgrade=app.config["DB_AUTO_UPGRADE"],
                                           retry_seconds=app.config["DB_RETRY_SECONDS"],
                                           pool_size=app.config["DB_POOL_SIZE"])


def get_db() -> Database:
    """The current app's Database."""
    return current_app.extensions["triage.db"]
