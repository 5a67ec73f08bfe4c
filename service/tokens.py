"""API tokens: creation (shown once), revocation and listing. Only sha256 hashes are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import exc, insert, select, update

from service.communes import Scope, parse_scope, stored_scope
from service.db import Database
from service.schema import api_tokens

Role = Literal["bot", "officer", "analyst", "admin"]
ROLES: tuple[Role, ...] = ("bot", "officer", "analyst", "admin")
TOKEN_PREFIX = "trg_"


class TokenError(Exception):
    """A token command cannot be carried out; the message says why."""


@dataclass(frozen=True)
class TokenRecord:
    """A stored token (never the token itself)."""

    id: int
    name: str
    role: Role
    token_hash: str
    created_at: datetime
    revoked: bool
    communes: Scope = None  # None: every commune


def hash_token(token: str) -> str:
    """Hex sha256 of a token, as stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(db: Database, name: str, role: Role, communes: Scope = None) -> str:
    """Store a new token's hash and return the token (the only time it exists in clear).

    `communes` (checked by the caller against the commune configs) limits what the token may
    classify into and read; None: every commune."""
    if role not in ROLES:
        raise TokenError(f"unknown role {role!r}; choose one of {list(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    try:
        with db.transaction() as conn:
            conn.execute(insert(api_tokens).values(name=name, role=role, token_hash=hash_token(token),
                                                   created_at=datetime.now(UTC), revoked=False,
                                                   communes=stored_scope(communes)))
    except exc.IntegrityError as error:
        raise TokenError(f"a token named {name!r} already exists; pick another name "
                         "(or revoke the old one and rotate)") from error
    return token


def revoke_token(db: Database, name: str) -> None:
    """Mark the token named `name` revoked (workers stop accepting it within TOKEN_CACHE_SECONDS)."""
    with db.transaction() as conn:
        changed = conn.execute(update(api_tokens)
                               .where(api_tokens.c.name == name, api_tokens.c.revoked.is_(False))
                               .values(revoked=True, revoked_at=datetime.now(UTC))).rowcount
    if not changed:
        raise TokenError(f"no active token named {name!r}; see `triage tokens list`")


def list_tokens(db: Database, *, include_revoked: bool = True) -> list[TokenRecord]:
    """Stored tokens, oldest first."""
    query = select(api_tokens.c.id, api_tokens.c.name, api_tokens.c.role, api_tokens.c.token_hash,
                   api_tokens.c.created_at, api_tokens.c.revoked, api_tokens.c.communes).order_by(api_tokens.c.id)
    if not include_revoked:
        query = query.where(api_tokens.c.revoked.is_(False))
    with db.transaction() as conn:
        return [TokenRecord(*row[:-1], parse_scope(row[-1])) for row in conn.execute(query)]
