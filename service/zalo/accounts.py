"""Linked OAs and their tokens: link, set tokens, find by OA id, and refresh (once, atomically).

Zalo refresh tokens are single-use: the refresh runs inside a transaction that holds the OA's row
(FOR UPDATE on PostgreSQL, the write lock on SQLite), so two workers never spend the same refresh
token, and the new pair is committed before any call uses it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, insert, select, update

from service.db import Database, utc
from service.metrics import Metrics
from service.schema import zalo_accounts
from service.zalo import oa_api
from service.zalo.vault import Vault

log = logging.getLogger("triage.zalo")

# Refresh this long before the access token expires.
REFRESH_MARGIN = timedelta(minutes=5)


class AccountError(Exception):
    """An OA is not linked, or has no tokens yet; the message says which command fixes it."""


@dataclass(frozen=True)
class Account:
    """One linked OA, its secrets decrypted."""

    oa_id: str
    commune: str
    secret_key: str
    access_token: str | None
    expires_at: datetime | None
    token_version: int


class Accounts:
    """The zalo_accounts table behind the vault."""

    def __init__(self, db: Database, vault: Vault, metrics: Metrics, *, app_id: str | None,
                 app_secret: str | None, oauth_base: str) -> None:
        self.db = db
        self.vault = vault
        self.metrics = metrics
        self.app_id = app_id
        self.app_secret = app_secret
        self.oauth_base = oauth_base

    def link(self, commune: str, oa_id: str, secret_key: str) -> None:
        """Link an OA to a commune (or change its secret key); a commune has one OA."""
        secret = self.vault.encrypt(secret_key)
        with self.db.transaction() as conn:
            by_commune = conn.execute(select(zalo_accounts.c.oa_id).where(zalo_accounts.c.commune == commune)).scalar()
            if by_commune is not None and by_commune != oa_id:
                raise AccountError(f"commune {commune!r} is already linked to OA {by_commune}")
            exists = conn.execute(select(zalo_accounts.c.commune).where(zalo_accounts.c.oa_id == oa_id)).scalar()
            if exists is not None and exists != commune:
                raise AccountError(f"OA {oa_id} is already linked to commune {exists!r}")
            if exists is None:
                conn.execute(insert(zalo_accounts).values(oa_id=oa_id, commune=commune, secret_key=secret,
                                                          token_version=0, linked_at=datetime.now(UTC)))
            else:
                conn.execute(update(zalo_accounts).where(zalo_accounts.c.oa_id == oa_id).values(secret_key=secret))

    def set_tokens(self, commune: str, access_token: str, refresh_token: str,
                   expires_in: int = oa_api.DEFAULT_EXPIRES_IN) -> str:
        """Store a commune's OA tokens (from the OA admin page); returns the OA id."""
        with self.db.transaction() as conn:
            oa_id = conn.execute(select(zalo_accounts.c.oa_id).where(zalo_accounts.c.commune == commune)).scalar()
            if oa_id is None:
                raise AccountError(f"commune {commune!r} has no linked OA; run `triage zalo link` first")
            self._store_pair(conn, oa_id, access_token, refresh_token, expires_in)
        return oa_id

    def find(self, oa_id: str) -> Account | None:
        """The linked OA with this id, or None."""
        with self.db.transaction() as conn:
            row = conn.execute(select(zalo_accounts).where(zalo_accounts.c.oa_id == oa_id)).mappings().first()
        return None if row is None else self._account(row)

    def by_commune(self, commune: str) -> Account | None:
        """The OA linked to this commune, or None."""
        with self.db.transaction() as conn:
            row = conn.execute(select(zalo_accounts).where(zalo_accounts.c.commune == commune)).mappings().first()
        return None if row is None else self._account(row)

    def access_token(self, oa_id: str) -> tuple[str, int]:
        """A usable access token and its version, refreshed first when it expires within REFRESH_MARGIN."""
        account = self.find(oa_id)
        if account is None:
            raise AccountError(f"OA {oa_id} is not linked")
        if account.access_token is None:
            raise AccountError(f"OA {oa_id} has no tokens; run `triage zalo tokens --commune {account.commune}`")
        if account.expires_at is not None and account.expires_at - datetime.now(UTC) < REFRESH_MARGIN:
            return self.refresh(oa_id, account.token_version)
        return account.access_token, account.token_version

    def refresh(self, oa_id: str, seen_version: int) -> tuple[str, int]:
        """New tokens, unless another worker refreshed since `seen_version` (then its token is used).

        Raises oa_api.RefreshError when Zalo refuses (the stored pair is then left as it was).
        """
        with self.db.transaction() as conn:
            _lock_row(conn, oa_id)
            row = conn.execute(select(zalo_accounts).where(zalo_accounts.c.oa_id == oa_id)
                               .with_for_update()).mappings().one()
            if row["token_version"] != seen_version and row["access_token"]:
                return self.vault.decrypt(row["access_token"]), row["token_version"]
            if not row["refresh_token"]:
                raise AccountError(f"OA {oa_id} has no refresh token; run `triage zalo tokens`")
            try:
                pair = oa_api.refresh(self.oauth_base, self.app_id or "", self.app_secret or "",
                                      self.vault.decrypt(row["refresh_token"]))
            except oa_api.RefreshError:
                self.metrics.zalo_refreshes.labels("failed").inc()
                raise
            version = self._store_pair(conn, oa_id, pair.access_token, pair.refresh_token, pair.expires_in)
        self.metrics.zalo_refreshes.labels("ok").inc()
        log.info("zalo: access token of OA %s refreshed (version %d)", oa_id, version)
        return pair.access_token, version

    def _store_pair(self, conn: Connection, oa_id: str, access_token: str, refresh_token: str,
                    expires_in: int) -> int:
        version = conn.execute(update(zalo_accounts).where(zalo_accounts.c.oa_id == oa_id).values(
            access_token=self.vault.encrypt(access_token), refresh_token=self.vault.encrypt(refresh_token),
            access_expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
            token_version=zalo_accounts.c.token_version + 1).returning(zalo_accounts.c.token_version)).scalar_one()
        return version

    def _account(self, row) -> Account:
        access = row["access_token"]
        return Account(oa_id=row["oa_id"], commune=row["commune"], secret_key=self.vault.decrypt(row["secret_key"]),
                       access_token=self.vault.decrypt(access) if access else None,
                       expires_at=utc(row["access_expires_at"]) if row["access_expires_at"] else None,
                       token_version=row["token_version"])


def _lock_row(conn: Connection, oa_id: str) -> None:
    """SQLite has no row locks: a no-op write takes the database's write lock for this transaction."""
    if conn.dialect.name == "sqlite":
        conn.execute(update(zalo_accounts).where(zalo_accounts.c.oa_id == oa_id)
                     .values(token_version=zalo_accounts.c.token_version))
