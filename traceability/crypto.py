"""Encryption at rest: keys derived from MASTER_KEY, AES-GCM sealing, and envelope encryption."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12
_VERSION = b"\x01"


class Keyring:
    """Purpose-bound keys derived from one master key, so a leak of one purpose spares the rest."""

    def __init__(self, master_key_b64: str) -> None:
        self._master = base64.b64decode(master_key_b64)
        if len(self._master) != 32:
            raise ValueError("MASTER_KEY must be 32 bytes")
        self._derived: dict[str, bytes] = {}

    def key(self, purpose: str) -> bytes:
        """A 256-bit key for one purpose (HKDF-SHA256 with the purpose as info), derived once."""
        derived = self._derived.get(purpose)
        if derived is None:
            derived = HKDF(
                algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()
            ).derive(self._master)
            self._derived[purpose] = derived
        return derived

    def seal(self, purpose: str, plaintext: bytes, aad: bytes = b"") -> bytes:
        """Encrypt and authenticate; `aad` binds the ciphertext to its row so it cannot be moved."""
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + AESGCM(self.key(purpose)).encrypt(nonce, plaintext, aad)

    def open(self, purpose: str, sealed: bytes, aad: bytes = b"") -> bytes:
        """Decrypt what `seal` produced; raises InvalidTag when anything was altered."""
        if sealed[:1] != _VERSION:
            raise ValueError("unknown sealing version")
        nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
        return AESGCM(self.key(purpose)).decrypt(nonce, body, aad)

    def envelope_seal(self, purpose: str, plaintext: bytes, aad: bytes) -> tuple[bytes, bytes]:
        """Seal with a fresh data key, and wrap that data key with the purpose key."""
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(_NONCE)
        sealed = _VERSION + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)
        return sealed, self.seal(purpose, data_key, aad)

    def envelope_open(self, purpose: str, sealed: bytes, wrapped_key: bytes, aad: bytes) -> bytes:
        data_key = self.open(purpose, wrapped_key, aad)
        nonce, body = sealed[1 : 1 + _NONCE], sealed[1 + _NONCE :]
        return AESGCM(data_key).decrypt(nonce, body, aad)

    def mac(self, purpose: str, message: bytes) -> str:
        """A keyed hash (HMAC-SHA256, hex) for pseudonymising values such as client IPs."""
        return hmac.new(self.key(purpose), message, hashlib.sha256).hexdigest()


def sha256_hex(data: bytes | str) -> str:
    """The hex SHA-256 used for stored token hashes and request fingerprints."""
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()
