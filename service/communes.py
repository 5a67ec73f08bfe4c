"""Communes as tenants: which communes a token or an account may see and act on.

A token's or account's communes are stored as a comma list of commune ids (those of the commune
YAML files); NULL means every commune (province-level admins and analysts, and rows made before
communes existed). Every query of messages is limited with `scope_condition`.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, true

from triage.routing import CommuneDirectory

# None: every commune.
Scope = frozenset[str] | None


def parse_scope(stored: str | None) -> Scope:
    """The communes of a stored comma list (None: every commune)."""
    return None if stored is None else frozenset(part for part in stored.split(",") if part)


def stored_scope(communes: Iterable[str] | None) -> str | None:
    """The stored form of a set of communes (None or empty: every commune)."""
    ids = sorted(set(communes or ()))
    return ",".join(ids) if ids else None


def split_ids(values: Iterable[str]) -> list[str]:
    """Commune ids given as repeated options and/or comma lists, in order, without blanks."""
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def check_communes(requested: Iterable[str], known: Iterable[str]) -> frozenset[str]:
    """The requested ids; ValueError naming the first unknown id and the known ones."""
    known_ids = set(known)
    chosen = frozenset(requested)
    unknown = sorted(chosen - known_ids)
    if unknown:
        raise ValueError(f"unknown commune {unknown[0]!r}; known: {sorted(known_ids)}")
    return chosen


def allows(scope: Scope, commune: str) -> bool:
    """Whether a caller with this scope may see a message of `commune`."""
    return scope is None or commune in scope


def within(scope: Scope, outer: Scope) -> bool:
    """Whether `scope` is no wider than `outer`."""
    return outer is None or (scope is not None and scope <= outer)


def scope_condition(column: Any, scope: Scope) -> ColumnElement[bool]:
    """A WHERE clause limiting `column` (a commune id column) to the scope."""
    return true() if scope is None else column.in_(sorted(scope))


def load_directory(config: Any) -> CommuneDirectory:
    """The commune configs of an app config (COMMUNES_DIR, DEFAULT_COMMUNE), for the command line."""
    folder = Path(config["COMMUNES_DIR"]) if config["COMMUNES_DIR"] else None
    return CommuneDirectory.load(folder, config["DEFAULT_COMMUNE"])


def describe(scope: Scope) -> str:
    """A scope in words for listings."""
    return "all communes" if scope is None else ",".join(sorted(scope))
