"""The current database schema as SQLAlchemy Core tables (created and changed only by migrations)."""

from __future__ import annotations

from sqlalchemy import (
                        JSON,
                        BigInteger,
                        Boolean,
                        Column,
                        DateTime,
                        Float,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData()

# JSONB on PostgreSQL (indexable, compact); JSON text elsewhere.
ResultJSON = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY columns.
BigId = BigInteger().with_variant(Integer(), "sqlite")

schema_migrations = Table(
    "schema_migrations", metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("revoked_at", DateTime(timezone=True)),
    # Comma list of commune ids the token may classify into and read (NULL: every commune).
    Column("communes", String(1000)),
)

messages = Table(
    "messages", metadata,
    Column("id", String(32), primary_key=True),
    # The client's own id: idempotency is per token (unique with token_id, see below).
    Column("msg_id", String(200)),
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
    Column("result", ResultJSON, nullable=False),
    Column("token_id", Integer, ForeignKey("api_tokens.id")),
    Index("ix_messages_commune", "commune"),
    Index("ux_messages_token_msg_id", "token_id", "msg_id", unique=True),
)

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    # Comma list of commune ids the account may see (NULL: every commune).
    Column("communes", String(1000)),
)

# A review-screen login; the cookie holds the random session id, this table only its sha256.
sessions = Table(
    "sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True)),
)

# Wrong passwords in a row per account and client address: a lock holds for that address only.
login_failures = Table(
    "login_failures", metadata,
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("address", String(64), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True)),
    Column("last_failure_at", DateTime(timezone=True), nullable=False),
)

corrections = Table(
    "corrections", metadata,
    Column("id", BigId, primary_key=True),
    Column("message_id", String(32), ForeignKey("messages.id"), nullable=False, index=True),
    Column("label", String(20), nullable=False),
    Column("urgent", Boolean),
    Column("procedure_id", String(64)),
    Column("note", Text),
    Column("created_by", String(100), nullable=False),
    Column("created_by_role", String(20), nullable=False),
    Column("token_id", Integer, ForeignKey("api_tokens.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    # sha256 of triage.text.memory_key(message): finds the correction when the same text comes again.
    Column("memory_key", String(64), index=True),
    # An undo: the id of the correction this one reverses (its label is the one restored).
    Column("reverts", BigInteger),
)

# Who saw an urgent tip and when (append-only, like corrections). Confirming or correcting an
# urgent tip acknowledges it; undoing that correction appends a row that withdraws the acknowledgement.
acknowledgements = Table(
    "acknowledgements", metadata,
    Column("id", BigId, primary_key=True),
    Column("message_id", String(32), ForeignKey("messages.id"), nullable=False, index=True),
    Column("correction_id", BigInteger),
    # The id of the acknowledgement this row withdraws (NULL: this row acknowledges).
    Column("withdraws", BigInteger),
    Column("created_by", String(100), nullable=False),
    Column("created_by_role", String(20), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id")),
    Column("token_id", Integer, ForeignKey("api_tokens.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# The Zalo Official Account linked to each commune; secrets and tokens Fernet-encrypted (service/zalo/vault.py).
zalo_accounts = Table(
    "zalo_accounts", metadata,
    Column("oa_id", String(64), primary_key=True),
    Column("commune", String(64), nullable=False, unique=True),
    Column("secret_key", Text, nullable=False),
    Column("access_token", Text),
    Column("refresh_token", Text),
    Column("access_expires_at", DateTime(timezone=True)),
    # Bumped by every token change: a worker whose token failed refreshes only if nobody did meanwhile.
    Column("token_version", Integer, nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
)

# Each webhook event once per (OA, event key): Zalo's msg_id, or event name + user + timestamp.
zalo_events = Table(
    "zalo_events", metadata,
    Column("id", BigId, primary_key=True),
    Column("oa_id", String(64), nullable=False),
    Column("event_key", String(250), nullable=False),
    Column("event_name", String(64), nullable=False),
    Column("sender_hash", String(64)),
    # The raw Zalo user id, encrypted: only replies need it.
    Column("user_id", Text),
    Column("message_id", String(32), ForeignKey("messages.id")),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ux_zalo_events_oa_key", "oa_id", "event_key", unique=True),
    Index("ix_zalo_events_sender", "oa_id", "sender_hash", "received_at"),
)

# What the service still has to send (replies, officer alerts, escalations, outgoing webhooks), once each.
zalo_outbox = Table(
    "zalo_outbox", metadata,
    Column("id", BigId, primary_key=True),
    Column("oa_id", String(64), nullable=False),
    Column("dedup_key", String(250), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("recipient", Text),
    Column("text", Text, nullable=False),
    Column("message_id", String(32), ForeignKey("messages.id")),
    # pending, sending (claimed until next_attempt_at), sent, failed, cancelled
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
    Column("last_error", String(200)),
    Index("ux_zalo_outbox_oa_key", "oa_id", "dedup_key", unique=True),
    Index("ix_zalo_outbox_due", "status", "next_attempt_at"),
)
