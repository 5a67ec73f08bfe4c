"""Migrations: they build exactly the schema of service/schema.py, once, even when run concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, exc, inspect, select, text

from service import migrations
from service.db import Database
from service.schema import metadata, schema_migrations, users


def test_migrated_database_matches_the_declared_schema(database_url):
    engine = create_engine(database_url)
    try:
        assert [m.version for m in migrations.upgrade(engine)] == [m.version for m in migrations.MIGRATIONS]
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == set(metadata.tables)
        for table in metadata.sorted_tables:
            columns = {c["name"]: c for c in inspector.get_columns(table.name)}
            assert set(columns) == set(table.columns.keys()), table.name
            for column in table.columns:
                assert columns[column.name]["nullable"] == column.nullable, (table.name, column.name)
            unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints(table.name)}
            unique |= {tuple(i["column_names"]) for i in inspector.get_indexes(table.name) if i["unique"]}
            for column in table.columns:
                if column.unique:
                    assert (column.name,) in unique, (table.name, column.name)
            indexes = {i["name"]: i for i in inspector.get_indexes(table.name)}
            for index in table.indexes:
                assert index.name in indexes, (table.name, index.name)
                assert indexes[index.name]["column_names"] == [c.name for c in index.columns], index.name
                assert bool(indexes[index.name]["unique"]) == bool(index.unique), index.name
        assert ("msg_id",) not in {tuple(u["column_names"]) for u in inspector.get_unique_constraints("messages")}
    finally:
        engine.dispose()


def test_migration_5_keeps_existing_rows_working(database_url, monkeypatch):
    """Rows written before communes and per-token msg_ids: messages keep their corrections, belong to
    the token named in `client`, tokens and users see every commune; a second token may reuse a msg_id."""
    engine = Database(database_url).engine  # the service's engine: SQLite foreign keys on
    now = datetime.now(UTC)
    try:
        monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:4])
        migrations.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO api_tokens (name, role, token_hash, created_at, revoked) "
                              "VALUES ('zalo-bot', 'bot', 'h1', :now, false), ('other', 'bot', 'h2', :now, false)"),
                         {"now": now})
            conn.execute(text("INSERT INTO users (name, role, password_hash, disabled, failed_logins, created_at) "
                              "VALUES ('lan', 'officer', 'x', false, 0, :now)"), {"now": now})
            conn.execute(text(
                "INSERT INTO messages (id, msg_id, received_at, stored_at, client, commune, text, label, urgent, "
                "needs_review, confidence, model_version, rules_version, result) VALUES ('m1', 'zalo-1', :now, "
                ":now, 'zalo-bot', 'dai_hong', 'bị trộm', 'crime_tip', false, false, 0.9, 'v', 'r', '{}')"),
                {"now": now})
            conn.execute(text("INSERT INTO corrections (message_id, label, created_by, created_by_role, created_at) "
                              "VALUES ('m1', 'chat', 'lan', 'officer', :now)"), {"now": now})
        monkeypatch.undo()
        monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
        assert [m.version for m in migrations.upgrade(engine)] == [5]
        with engine.begin() as conn:
            assert conn.execute(text("SELECT m.token_id, t.name, m.commune FROM messages m "
                                     "JOIN api_tokens t ON t.id = m.token_id")).one()[1:] == ("zalo-bot", "dai_hong")
            assert conn.execute(text("SELECT count(*) FROM corrections c JOIN messages m ON m.id = c.message_id"))\
                .scalar_one() == 1
            assert conn.execute(text("SELECT communes FROM users")).scalar_one() is None
            assert set(conn.execute(text("SELECT communes FROM api_tokens")).scalars()) == {None}
            conn.execute(text(
                "INSERT INTO messages (id, msg_id, received_at, stored_at, client, commune, text, label, urgent, "
                "needs_review, confidence, model_version, rules_version, result, token_id) VALUES ('m2', 'zalo-1', "
                ":now, :now, 'other', 'dai_hong', 'chào', 'chat', false, false, 0.9, 'v', 'r', '{}', "
                "(SELECT id FROM api_tokens WHERE name = 'other'))"), {"now": now})
        with pytest.raises(exc.IntegrityError):
            with engine.begin() as conn:
                conn.execute(text(
                    "INSERT INTO messages (id, msg_id, received_at, stored_at, client, commune, text, label, "
                    "urgent, needs_review, confidence, model_version, rules_version, result, token_id) VALUES "
                    "('m3', 'zalo-1', :now, :now, 'zalo-bot', 'dai_hong', 'chào', 'chat', false, false, 0.9, 'v', "
                    "'r', '{}', (SELECT id FROM api_tokens WHERE name = 'zalo-bot'))"), {"now": now})
        with pytest.raises(exc.IntegrityError):  # the rebuilt table still refuses orphans (SQLite too)
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO corrections (message_id, label, created_by, created_by_role, "
                                  "created_at) VALUES ('nope', 'chat', 'lan', 'officer', :now)"), {"now": now})
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_safe_to_run_concurrently(database_url):
    engine = create_engine(database_url)
    try:
        with ThreadPoolExecutor(4) as pool:
            applied = list(pool.map(lambda _: migrations.upgrade(engine), range(4)))
        assert sorted(len(a) for a in applied) == [0, 0, 0, len(migrations.MIGRATIONS)]
        assert migrations.upgrade(engine) == []
        with engine.connect() as conn:
            assert list(conn.scalars(select(schema_migrations.c.version))) == [m.version for m in migrations.MIGRATIONS]
    finally:
        engine.dispose()


def test_version_6_keeps_accounts_and_moves_lockouts_to_their_own_table(database_url):
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            schema_migrations.create(conn)
            for migration in migrations.MIGRATIONS:
                if migration.version < 6:
                    migration.apply(conn)
                    conn.execute(schema_migrations.insert().values(version=migration.version, name=migration.name,
                                                                   applied_at=datetime.now(UTC)))
            conn.exec_driver_sql("INSERT INTO users (name, role, password_hash, disabled, failed_logins, created_at) "
                                 "VALUES ('lan', 'officer', 'scrypt:x', false, 3, CURRENT_TIMESTAMP)")
        assert [m.version for m in migrations.upgrade(engine)] == [m.version for m in migrations.MIGRATIONS
                                                                   if m.version >= 6]
        inspector = inspect(engine)
        assert {"failed_logins", "locked_until"}.isdisjoint(c["name"] for c in inspector.get_columns("users"))
        assert {"sessions", "login_failures"} <= set(inspector.get_table_names())
        with engine.connect() as conn:
            assert conn.execute(select(users.c.name, users.c.password_hash)).all() == [("lan", "scrypt:x")]
    finally:
        engine.dispose()


def test_a_database_with_8_but_not_7_gets_7_on_its_next_start(database_url):
    """7 (acknowledgements) and 8 (Zalo) were written on parallel branches: a database migrated on the
    Zalo branch holds 8 without 7; the next upgrade applies 7 alone and ends with the declared schema."""
    engine = create_engine(database_url)
    try:
        with engine.begin() as conn:
            schema_migrations.create(conn)
            for migration in migrations.MIGRATIONS:
                if migration.version != 7:
                    migration.apply(conn)
                    conn.execute(schema_migrations.insert().values(version=migration.version, name=migration.name,
                                                                   applied_at=datetime.now(UTC)))
        assert "acknowledgements" not in inspect(engine).get_table_names()
        assert [m.version for m in migrations.upgrade(engine)] == [7]
        assert migrations.upgrade(engine) == []
        assert set(inspect(engine).get_table_names()) == set(metadata.tables)
        with engine.connect() as conn:
            assert sorted(conn.scalars(select(schema_migrations.c.version))) == [m.version
                                                                                 for m in migrations.MIGRATIONS]
    finally:
        engine.dispose()
