"""Secrets at rest: OA secret keys, tokens and raw Zalo user ids, Fernet-encrypted.

The Fernet key is a subkey of the master SECRET_KEY under its own label (service/keys.py), so it
changes with SECRET_KEY: every instance sharing the database needs the same SECRET_KEY.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken

from service.keys import derive

VAULT_LABEL = b"triage/zalo-secrets/v1"


class VaultError(Exception):
    """A stored secret cannot be decrypted (SECRET_KEY changed since it was stored?)."""


class Vault:
    """Encrypts and decrypts short texts with a key derived from the master secret."""

    def __init__(self, master: str) -> None:
        self._fernet = Fernet(base64.urlsafe_b64encode(bytes.fromhex(derive(master, VAULT_LABEL))))

    def encrypt(self, plain: str) -> str:
        """The token of `plain` (authenticated, randomized)."""
        return self._fernet.encrypt(plain.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The text of a token made by `encrypt` with the same master secret."""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise VaultError("a stored Zalo secret cannot be decrypted: was SECRET_KEY changed? Link the OA "
                             "and set its tokens again (`triage zalo link`, `triage zalo tokens`)") from None
