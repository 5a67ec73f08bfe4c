"""Sender pseudonyms: a keyed HMAC of the Zalo sender id, and the key it needs."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

SECRET_FILE = "secret.key"


def pseudonymize(key: bytes, sender_id: str) -> str:
    """A stable pseudonym (hex HMAC-SHA256) that cannot be reversed without the key."""
    return hmac.new(key, sender_id.encode("utf-8"), hashlib.sha256).hexdigest()


def load_or_create_secret(instance_path: str | Path) -> str:
    """The key in instance/secret.key, created once (race-free across workers) if missing."""
    path = Path(instance_path) / SECRET_FILE
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{SECRET_FILE}.{os.getpid()}")
    temporary.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    temporary.chmod(0o600)
    try:
        os.link(temporary, path)  # atomic: the first worker's key wins, the others read it
    except FileExistsError:
        pass
    finally:
        temporary.unlink()
    return path.read_text(encoding="utf-8").strip()
