"""Ed25519 signatures over served manifests (PyNaCl); the key comes from settings or the environment."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from nacl.signing import SigningKey, VerifyKey

from core.errors import ApplicationError
from screening.error_codes import ScreeningError

ALGORITHM = "Ed25519"


def canonical_json(value: Any) -> bytes:
    """The exact bytes that are signed: sorted keys, no whitespace, UTF-8, no NaN."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


@dataclass(frozen=True)
class KeyPair:
    signing_key: SigningKey

    @property
    def verify_key(self) -> VerifyKey:
        return self.signing_key.verify_key

    @property
    def public_key_b64(self) -> str:
        return base64.b64encode(bytes(self.verify_key)).decode("ascii")

    @property
    def key_id(self) -> str:
        """First 16 hex digits of sha256(public key bytes): lets a phone pick the right pinned key."""
        return hashlib.sha256(bytes(self.verify_key)).hexdigest()[:16]

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self.signing_key.sign(payload).signature).decode("ascii")


def _decode_seed(text: str, origin: str) -> SigningKey:
    try:
        seed = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ApplicationError(f"{origin} is not base64.", code=ScreeningError.SIGNING_KEY_MISSING, status=503) from exc
    if len(seed) != 32:
        raise ApplicationError(f"{origin} must hold a 32-byte Ed25519 seed.", code=ScreeningError.SIGNING_KEY_MISSING, status=503)
    return SigningKey(seed)


def key_file() -> Path:
    return Path(settings.MODEL_SIGNING_KEY_FILE)


def load_key() -> KeyPair:
    """MODEL_SIGNING_KEY (base64 seed) wins over MODEL_SIGNING_KEY_FILE; no key is a clear 503."""
    from_env = settings.MODEL_SIGNING_KEY
    if from_env:
        return KeyPair(_decode_seed(str(from_env), "MODEL_SIGNING_KEY"))
    path = key_file()
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ApplicationError(
            "Model signing key is not configured (run `manage.py generate_signing_key`).",
            code=ScreeningError.SIGNING_KEY_MISSING,
            status=503,
        ) from exc
    return KeyPair(_decode_seed(text, str(path)))


def generate_key_file(path: Path, *, force: bool = False) -> tuple[KeyPair, bool]:
    """Write a new base64 seed to `path` (mode 0600) unless one exists; return the key and whether it is new."""
    if path.exists() and not force:
        return KeyPair(_decode_seed(path.read_text(encoding="ascii"), str(path))), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(base64.b64encode(bytes(key)).decode("ascii") + "\n")
    os.replace(tmp, path)
    return KeyPair(key), True


def verify(public_key_b64: str, payload: bytes, signature_b64: str) -> bool:
    """What a phone does: True when `signature_b64` is a valid signature of `payload`."""
    from nacl.exceptions import BadSignatureError

    try:
        VerifyKey(base64.b64decode(public_key_b64)).verify(payload, base64.b64decode(signature_b64))
    except (BadSignatureError, ValueError, binascii.Error):
        return False
    return True
