"""The master key that wraps each evidence file's own data key.

Every object has its own random AES-256 data key; only the wrapped (encrypted) data key is
stored, in the object's header. The master key lives in configuration, never beside the
objects, so a copy of the storage alone (a backup, a bucket) is unreadable.

VIDEORESPONSE_EVIDENCE_MASTER_KEY may hold several keys separated by commas: the first wraps
new objects, the others still unwrap older ones (rotation without re-encrypting everything).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

if TYPE_CHECKING:
    from videoresponse.config import Settings

log = logging.getLogger(__name__)

KEY_BYTES = 32
NO_KEY_IN_PRODUCTION = (
    "Evidence cannot be received: VIDEORESPONSE_EVIDENCE_MASTER_KEY is not set. A service "
    "on an https:// address never uses the development key kept beside the evidence "
    "(see docs/DEPLOYMENT.md, 'Evidence: master key')."
)


class MasterKeyError(Exception):
    """A master key is missing, malformed or does not open an object."""


class Keyring:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise MasterKeyError("No evidence master key.")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise MasterKeyError(
                    "An evidence master key must be 32 bytes (base64 of 32 bytes)."
                )
        self._keys = {key_id_of(key): key for key in keys}
        self.key_id = key_id_of(keys[0])

    @classmethod
    def from_settings(cls, settings: Settings) -> Keyring:
        configured = settings.evidence_master_key.get_secret_value().strip()
        if configured:
            return cls([_decode(part) for part in configured.split(",") if part.strip()])
        if is_production(settings):
            raise MasterKeyError(NO_KEY_IN_PRODUCTION)
        return cls([_development_key(settings.data_dir / "evidence" / "master.key")])

    def new_data_key(self) -> tuple[bytes, bytes]:
        """A fresh data key and the same key wrapped by the current master key."""
        data_key = os.urandom(KEY_BYTES)
        return data_key, aes_key_wrap(self._keys[self.key_id], data_key)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        master = self._keys.get(key_id)
        if master is None:
            raise MasterKeyError(
                f"This file was sealed with master key {key_id}, which is not configured. "
                "Add it (after a comma) to VIDEORESPONSE_EVIDENCE_MASTER_KEY."
            )
        try:
            return aes_key_unwrap(master, wrapped)
        except InvalidUnwrap:
            raise MasterKeyError(
                "The file's key does not open with the master key: changed."
            ) from None


def is_production(settings: Settings) -> bool:
    """Served to the public over HTTPS with Secure cookies: a real deployment, where a key
    kept beside the evidence (the development key) would defeat the encryption."""
    return settings.cookie_secure and settings.public_base_url.lower().startswith("https://")


def key_id_of(master: bytes) -> str:
    """Names a master key without revealing it, so an object says which key it needs."""
    return hashlib.sha256(b"videoresponse evidence master key\0" + master).hexdigest()[:16]


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError("VIDEORESPONSE_EVIDENCE_MASTER_KEY is not valid base64.") from None


def _development_key(path: Path) -> bytes:
    # The folder holds the key and, below it, every upload and object: its owner only.
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.parent.chmod(0o700)
    if not path.exists():
        try:
            # O_EXCL: two processes starting together must not each make (and use) a key.
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                out.write(base64.b64encode(os.urandom(KEY_BYTES)).decode() + "\n")
                out.flush()
                os.fsync(out.fileno())
    log.warning(
        "Evidence is encrypted with a development master key kept in %s. "
        "Set VIDEORESPONSE_EVIDENCE_MASTER_KEY for real use.",
        path,
    )
    return _decode(path.read_text())
