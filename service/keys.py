"""The service's two keys: one signs session cookies, the other keys sender pseudonyms.

Both come from the master SECRET_KEY unless given on their own. The pseudonym key defaults to the
master itself (the key pseudonyms were made with before the split), the session key to an HMAC of
the master under its own label: rotating the session key never changes a pseudonym, and knowing
one key tells nothing about the other.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

SESSION_LABEL = b"triage/session-cookies/v1"


@dataclass(frozen=True)
class Keys:
    """The resolved keys of one app."""

    session: str
    pseudonym: bytes


def derive(master: str, label: bytes) -> str:
    """A subkey of `master` for one purpose (hex HMAC-SHA256 of the label)."""
    return hmac.new(master.encode("utf-8"), label, hashlib.sha256).hexdigest()


def resolve(config: Mapping[str, Any]) -> Keys:
    """The session and pseudonym keys from SECRET_KEY, SESSION_SECRET and PSEUDONYM_SECRET."""
    master = config["SECRET_KEY"]
    return Keys(session=config["SESSION_SECRET"] or derive(master, SESSION_LABEL),
                pseudonym=(config["PSEUDONYM_SECRET"] or master).encode("utf-8"))
