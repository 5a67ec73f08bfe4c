"""Fixtures for the HTTP service: `database_url` (SQLite and PostgreSQL), `app`, `client`, `runner`, `auth`,
and `outage` to cut an app off its database.

Each PostgreSQL test gets its own schema (dropped afterwards) in the `test` database, selected
through the connection's search_path, so runs never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine

from service import create_app
from service.cli import main
from tests.service.helpers import PG_SERVER, PG_URL, AuthActions


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    try:
        psycopg.connect(PG_SERVER, connect_timeout=2).close()
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI (.ci/run starts it): {error}")
        return False
    return True


@pytest.fixture
def pg_schema(postgres_available) -> Iterator[str]:
    """A fresh PostgreSQL schema; yields a SQLAlchemy URL whose search_path is that schema."""
    if not postgres_available:
        pytest.skip("PostgreSQL not reachable at 127.0.0.1:5432 (run .ci/run or start it)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    """Every test using the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'triage.sqlite3'}"
    return request.getfixturevalue("pg_schema")


@pytest.fixture
def make_app(engine, tmp_path, database_url) -> Iterator[Callable[..., Flask]]:
    """Build apps sharing the session's engine; extra settings override the test defaults."""
    apps: list[Flask] = []

    def build(**overrides: Any) -> Flask:
        config = {"TESTING": True, "INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                  "SECRET_KEY": "test-secret", "TRIAGE_ENGINE": engine, "TOKEN_CACHE_SECONDS": 0,
                  "RATE_LIMIT": 0, "LOGIN_RATE_LIMIT": 0, **overrides}
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.extensions["triage.db"].dispose()


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(app) -> AuthActions:
    return AuthActions(app)


@pytest.fixture
def runner(tmp_path, database_url) -> Callable[..., Result]:
    """Invoke the `triage` command line against the test database and instance folder."""
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance")}

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    return invoke


@pytest.fixture
def outage(app, database_url, tmp_path, monkeypatch) -> Callable[[bool], None]:
    """Call to cut the app off its database (an unreachable URL of the same kind); again to restore."""
    db = app.extensions["triage.db"]
    unreachable = (f"sqlite:///{tmp_path}/gone/db.sqlite3" if database_url.startswith("sqlite")
                   else "postgresql+psycopg://postgres@127.0.0.1:1/test")

    def toggle(down: bool) -> None:
        if down:
            monkeypatch.setattr(db, "engine", create_engine(unreachable))
        else:
            monkeypatch.undo()

    return toggle
