"""Explicit, versioned schema migrations recorded in `schema_migrations`.

Each migration is frozen once released: it describes the change as it was made, never the
current schema (`service/schema.py`, which a test compares with the migrated database).
`upgrade` holds a lock for its whole transaction (PostgreSQL advisory lock, SQLite write lock),
so several workers or instances starting together apply each migration exactly once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB

from service.schema import schema_migrations

# Any constant shared by every instance; identifies the migration lock among advisory locks.
ADVISORY_LOCK_KEY = 7_311_020_403


@dataclass(frozen=True)
class Migration:
    """One schema change."""

    version: int
    name: str
    apply: Callable[[Connection], None]


def _v1_initial(conn: Connection) -> None:
    md = MetaData()
    Table("api_tokens", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(100), nullable=False, unique=True),
          Column("role", String(20), nullable=False),
          Column("token_hash", String(64), nullable=False, unique=True),
          Column("created_at", DateTime(timezone=True), nullable=False),
          Column("revoked", Boolean, nullable=False, default=False),
          Column("revoked_at", DateTime(timezone=True)))
    Table("messages", md,
          Column("id", String(32), primary_key=True),
          Column("msg_id", String(200), unique=True),
          Column("received_at", DateTime(timezone=True), nullable=False, index=True),
          Column("stored_at", DateTime(timezone=True), nullable=False),
          Column("client", String(100), nullable=False),
          Column("commune", String(64), nullable=False),
          Column("sender_hash", String(64)),
          Column("text", Text, nullable=False),
          Column("label", String(20), nullable=False),
          Column("urgent", Boolean, nullable=False),
          Column("needs_review", Boolean, nullable=False),
          Column("procedure_id", String(64)),
          Column("confidence", Float, nullable=False),
          Column("model_version", String(64), nullable=False),
          Column("rules_version", String(64), nullable=False),
          Column("result", JSON().with_variant(JSONB(), "postgresql"), nullable=False))
    Table("corrections", md,
          Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
          Column("message_id", String(32), ForeignKey("messages.id"), nullable=False, index=True),
          Column("label", String(20), nullable=False),
          Column("urgent", Boolean),
          Column("procedure_id", String(64)),
          Column("note", Text),
          Column("created_by", String(100), nullable=False),
          Column("created_by_role", String(20), nullable=False),
          Column("token_id", Integer, ForeignKey("api_tokens.id")),
          Column("created_at", DateTime(timezone=True), nullable=False))
    md.create_all(conn)


def _v2_corrections_append_only(conn: Connection) -> None:
    """Corrections are evidence of who decided what: the database refuses UPDATE and DELETE."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE FUNCTION corrections_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'corrections are append-only'; END $$")
        conn.exec_driver_sql(
            "CREATE TRIGGER corrections_append_only BEFORE UPDATE OR DELETE ON corrections "
            "FOR EACH ROW EXECUTE FUNCTION corrections_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER corrections_no_{event.lower()} BEFORE {event} ON corrections "
                "BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END")


def _v3_users(conn: Connection) -> None:
    """Review-screen accounts; corrections made there name the account."""
    md = MetaData()
    Table("users", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(100), nullable=False, unique=True),
          Column("role", String(20), nullable=False),
          Column("password_hash", String(255), nullable=False),
          Column("disabled", Boolean, nullable=False, default=False),
          Column("failed_logins", Integer, nullable=False, default=0),
          Column("locked_until", DateTime(timezone=True)),
          Column("created_at", DateTime(timezone=True), nullable=False),
          Column("last_login_at", DateTime(timezone=True)))
    md.create_all(conn)
    # ADD COLUMN keeps the rows (and the append-only triggers) of corrections as they are.
    conn.exec_driver_sql("ALTER TABLE corrections ADD COLUMN user_id INTEGER REFERENCES users (id)")


def _v4_corrections_memory_key(conn: Connection) -> None:
    """The correction memory's lookup key (older corrections keep NULL: the table is append-only)."""
    conn.exec_driver_sql("ALTER TABLE corrections ADD COLUMN memory_key VARCHAR(64)")
    conn.exec_driver_sql("CREATE INDEX ix_corrections_memory_key ON corrections (memory_key)")


def _v5_communes_and_msg_id_per_token(conn: Connection) -> None:
    """Communes of tokens and users (NULL: all); messages.token_id; msg_id unique per token, not globally."""
    for table in ("api_tokens", "users"):
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN communes VARCHAR(1000)")
    if conn.dialect.name == "sqlite":
        _v5_rebuild_sqlite_messages(conn)
    else:
        conn.exec_driver_sql("ALTER TABLE messages ADD COLUMN token_id INTEGER REFERENCES api_tokens (id)")
        for unique in inspect(conn).get_unique_constraints("messages"):
            if unique["column_names"] == ["msg_id"]:
                conn.exec_driver_sql(f'ALTER TABLE messages DROP CONSTRAINT "{unique["name"]}"')
    # Existing messages belong to the token whose name they carry (token names are never reused).
    conn.exec_driver_sql("UPDATE messages SET token_id = "
                         "(SELECT api_tokens.id FROM api_tokens WHERE api_tokens.name = messages.client)")
    conn.exec_driver_sql("CREATE INDEX ix_messages_commune ON messages (commune)")
    conn.exec_driver_sql("CREATE UNIQUE INDEX ux_messages_token_msg_id ON messages (token_id, msg_id)")


def _v5_rebuild_sqlite_messages(conn: Connection) -> None:
    """SQLite cannot drop a UNIQUE constraint: copy messages into a new table without it (its
    foreign keys are off during upgrade, see `upgrade`)."""
    md = MetaData()
    Table("api_tokens", md, Column("id", Integer, primary_key=True))  # referenced only, exists already
    rebuilt = Table("messages_v5", md,
                    Column("id", String(32), primary_key=True),
                    Column("msg_id", String(200)),
                    Column("received_at", DateTime(timezone=True), nullable=False),
                    Column("stored_at", DateTime(timezone=True), nullable=False),
                    Column("client", String(100), nullable=False),
                    Column("commune", String(64), nullable=False),
                    Column("sender_hash", String(64)),
                    Column("text", Text, nullable=False),
                    Column("label", String(20), nullable=False),
                    Column("urgent", Boolean, nullable=False),
                    Column("needs_review", Boolean, nullable=False),
                    Column("procedure_id", String(64)),
                    Column("confidence", Float, nullable=False),
                    Column("model_version", String(64), nullable=False),
                    Column("rules_version", String(64), nullable=False),
                    Column("result", JSON, nullable=False),
                    Column("token_id", Integer, ForeignKey("api_tokens.id")))
    rebuilt.create(conn)
    conn.exec_driver_sql(
        "INSERT INTO messages_v5 (id, msg_id, received_at, stored_at, client, commune, sender_hash, text, label, "
        "urgent, needs_review, procedure_id, confidence, model_version, rules_version, result) "
        "SELECT id, msg_id, received_at, stored_at, client, commune, sender_hash, text, label, urgent, "
        "needs_review, procedure_id, confidence, model_version, rules_version, result FROM messages")
    conn.exec_driver_sql("DROP TABLE messages")
    conn.exec_driver_sql("ALTER TABLE messages_v5 RENAME TO messages")
    conn.exec_driver_sql("CREATE INDEX ix_messages_received_at ON messages (received_at)")
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise RuntimeError(f"migration 5: foreign keys broken by the messages rebuild: {broken[:3]}")


def _v6_sessions(conn: Connection) -> None:
    """Server-side sessions; lockouts per account and client address instead of per account."""
    md = MetaData()
    Table("sessions", md,
          Column("id", String(64), primary_key=True),
          Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
          Column("created_at", DateTime(timezone=True), nullable=False),
          Column("last_seen_at", DateTime(timezone=True), nullable=False),
          Column("ended_at", DateTime(timezone=True)))
    Table("login_failures", md,
          Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
          Column("address", String(64), primary_key=True),
          Column("failures", Integer, nullable=False),
          Column("locked_until", DateTime(timezone=True)),
          Column("last_failure_at", DateTime(timezone=True), nullable=False))
    Table("users", md, Column("id", Integer, primary_key=True))  # only for the foreign keys
    md.create_all(conn, tables=[md.tables["sessions"], md.tables["login_failures"]])
    # DROP COLUMN needs SQLite 3.35+; neither column is indexed, constrained or used by a trigger.
    for column in ("failed_logins", "locked_until"):
        conn.exec_driver_sql(f"ALTER TABLE users DROP COLUMN {column}")


def _v7_acknowledgements(conn: Connection) -> None:
    """Acknowledgements of urgent tips (append-only); corrections.reverts for undone corrections."""
    conn.exec_driver_sql("ALTER TABLE corrections ADD COLUMN reverts BIGINT")
    md = MetaData()
    Table("api_tokens", md, Column("id", Integer, primary_key=True))  # only for the foreign keys
    Table("users", md, Column("id", Integer, primary_key=True))
    Table("messages", md, Column("id", String(32), primary_key=True))
    Table("acknowledgements", md,
          Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
          Column("message_id", String(32), ForeignKey("messages.id"), nullable=False, index=True),
          Column("correction_id", BigInteger),
          Column("withdraws", BigInteger),
          Column("created_by", String(100), nullable=False),
          Column("created_by_role", String(20), nullable=False),
          Column("user_id", Integer, ForeignKey("users.id")),
          Column("token_id", Integer, ForeignKey("api_tokens.id")),
          Column("created_at", DateTime(timezone=True), nullable=False))
    md.create_all(conn, tables=[md.tables["acknowledgements"]])
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            "CREATE FUNCTION acknowledgements_append_only() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'acknowledgements are append-only'; END $$")
        conn.exec_driver_sql(
            "CREATE TRIGGER acknowledgements_append_only BEFORE UPDATE OR DELETE ON acknowledgements "
            "FOR EACH ROW EXECUTE FUNCTION acknowledgements_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER acknowledgements_no_{event.lower()} BEFORE {event} ON acknowledgements "
                "BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END")


def _v8_zalo(conn: Connection) -> None:
    """Zalo OA connector: linked accounts and tokens, webhook events, the outbox."""
    md = MetaData()
    big_id = BigInteger().with_variant(Integer(), "sqlite")
    Table("messages", md, Column("id", String(32), primary_key=True))  # only for the foreign keys
    Table("zalo_accounts", md,
          Column("oa_id", String(64), primary_key=True),
          Column("commune", String(64), nullable=False, unique=True),
          Column("secret_key", Text, nullable=False),
          Column("access_token", Text),
          Column("refresh_token", Text),
          Column("access_expires_at", DateTime(timezone=True)),
          Column("token_version", Integer, nullable=False),
          Column("linked_at", DateTime(timezone=True), nullable=False))
    Table("zalo_events", md,
          Column("id", big_id, primary_key=True),
          Column("oa_id", String(64), nullable=False),
          Column("event_key", String(250), nullable=False),
          Column("event_name", String(64), nullable=False),
          Column("sender_hash", String(64)),
          Column("user_id", Text),
          Column("message_id", String(32), ForeignKey("messages.id")),
          Column("latitude", Float),
          Column("longitude", Float),
          Column("received_at", DateTime(timezone=True), nullable=False),
          Index("ux_zalo_events_oa_key", "oa_id", "event_key", unique=True),
          Index("ix_zalo_events_sender", "oa_id", "sender_hash", "received_at"))
    Table("zalo_outbox", md,
          Column("id", big_id, primary_key=True),
          Column("oa_id", String(64), nullable=False),
          Column("dedup_key", String(250), nullable=False),
          Column("kind", String(20), nullable=False),
          Column("recipient", Text),
          Column("text", Text, nullable=False),
          Column("message_id", String(32), ForeignKey("messages.id")),
          Column("status", String(12), nullable=False),
          Column("attempts", Integer, nullable=False),
          Column("next_attempt_at", DateTime(timezone=True), nullable=False),
          Column("created_at", DateTime(timezone=True), nullable=False),
          Column("sent_at", DateTime(timezone=True)),
          Column("last_error", String(200)),
          Index("ux_zalo_outbox_oa_key", "oa_id", "dedup_key", unique=True),
          Index("ix_zalo_outbox_due", "status", "next_attempt_at"))
    md.create_all(conn, tables=[md.tables[name] for name in ("zalo_accounts", "zalo_events", "zalo_outbox")])


# 7 and 8 were written on parallel branches: a database may hold 8 without 7. `upgrade` applies
# every version not yet recorded, so such a database gets 7 on its next start.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "messages, corrections, api_tokens", _v1_initial),
    Migration(2, "corrections append-only", _v2_corrections_append_only),
    Migration(3, "users; corrections.user_id", _v3_users),
    Migration(4, "corrections memory key", _v4_corrections_memory_key),
    Migration(5, "communes of tokens and users; msg_id unique per token", _v5_communes_and_msg_id_per_token),
    Migration(6, "sessions; login failures per address", _v6_sessions),
    Migration(7, "acknowledgements of urgent tips; corrections.reverts", _v7_acknowledgements),
    Migration(8, "zalo accounts, events, outbox", _v8_zalo),
)
LATEST = MIGRATIONS[-1].version


def applied_versions(conn: Connection) -> set[int]:
    """Versions recorded in schema_migrations (empty when the table does not exist yet)."""
    if not conn.dialect.has_table(conn, schema_migrations.name):
        return set()
    return set(conn.scalars(select(schema_migrations.c.version)))


def upgrade(engine: Engine) -> list[Migration]:
    """Apply every pending migration in one locked transaction; returns those applied."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        foreign_keys = 1
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({ADVISORY_LOCK_KEY})")
        elif sqlite:
            # A table rebuild (the only way SQLite drops a constraint) must not cascade through
            # foreign keys; the pragma only changes outside a transaction. Rebuilds check them.
            foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            schema_migrations.create(conn, checkfirst=True)
            done = applied_versions(conn)
            pending = [m for m in MIGRATIONS if m.version not in done]
            for migration in pending:
                migration.apply(conn)
                conn.execute(insert(schema_migrations).values(
                    version=migration.version, name=migration.name, applied_at=datetime.now(UTC)))
            conn.commit()
        finally:
            if sqlite:
                conn.rollback()
                conn.exec_driver_sql(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
    return pending
