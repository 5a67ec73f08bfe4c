"""Migrations: they build exactly the schema of service/schema.py, once, even when run concurrently."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlalchemy import create_engine, inspect, select

from service import migrations
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
        assert [m.version for m in migrations.upgrade(engine)] == [6]
        inspector = inspect(engine)
        assert {"failed_logins", "locked_until"}.isdisjoint(c["name"] for c in inspector.get_columns("users"))
        assert {"sessions", "login_failures"} <= set(inspector.get_table_names())
        with engine.connect() as conn:
            assert conn.execute(select(users.c.name, users.c.password_hash)).all() == [("lan", "scrypt:x")]
    finally:
        engine.dispose()
