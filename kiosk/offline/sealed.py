"""Personal data at rest: AES-256-GCM with the terminal's key.

Each record is bound to its own identity (``aad``), so a sealed blob copied
onto another record fails to open instead of showing one citizen's data as
another's. Owner tags let the terminal find a citizen's records by ID number
without storing the number: an HMAC under a key derived apart from the sealing key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


class SealError(Exception):
    """A sealed blob is damaged, forged or sealed with another key."""


class Sealer:
    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(_derive(key, b"kiosk seal v1"))
        self._tag_key = _derive(key, b"kiosk owner tag v1")

    def seal(self, plaintext: bytes, aad: str) -> bytes:
        nonce = secrets.token_bytes(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, aad.encode())

    def open(self, blob: bytes, aad: str) -> bytes:
        if len(blob) < NONCE_BYTES + 16:
            raise SealError("too short to be sealed data")
        try:
            return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad.encode())
        except InvalidTag:
            raise SealError("does not open with this terminal's key") from None

    def owner_tag(self, *parts: str) -> str:
        """A stable, keyed stand-in for personal identifiers (never reversible)."""
        message = "\x1f".join(parts).encode()
        return hmac.new(self._tag_key, message, hashlib.sha256).hexdigest()


def _derive(key: bytes, purpose: bytes) -> bytes:
    # One master key, separate keys per use: HMAC-SHA256 as a KDF (HKDF's expand step).
    return hmac.new(key, purpose + b"\x01", hashlib.sha256).digest()
