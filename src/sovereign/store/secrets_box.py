"""Secrets at rest: AES-256-GCM (``cryptography``) with a versioned, key-tagged ciphertext.

A sealed value reads ``v1:<key id>:<base64url(nonce | ciphertext | tag)>``. The key id (the first
8 hex digits of the key's SHA-256) says which key sealed it, so a rotation can read values under the
old key while it writes them under the new one. The associated data binds a value to its place
(``store:<id>:<column>``): a ciphertext copied to another row or column does not open.

An empty string stays empty (a removed store's forgotten secrets). A value without the ``v1:``
prefix is a plaintext left from before encryption: it reads as it is, and the runtime seals it at
start (``StoreRepository.seal_plaintext``). WooCommerce secrets (``cs_…``) and the webhook secrets
we make (URL-safe base64) never contain ``:``, so they are never mistaken for a sealed value.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from typing import Callable, Iterable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
_NONCE = 12


class SecretKeyError(RuntimeError):
    """The key is missing, malformed or not the one that sealed a secret. The message says what to do."""


def new_key() -> str:
    """A fresh 256-bit key, URL-safe base64 (what ``SOVEREIGN_SECRET_KEY`` and the key file hold)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode("ascii")


def parse_key(text: str, source: str) -> bytes:
    raw = text.strip()
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise SecretKeyError(
            f"{source} is not a valid key: expected 32 bytes in URL-safe base64 "
            "(make one with `sovereign secrets new-key`)"
        )
    return key


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:8]


def is_sealed(value: str) -> bool:
    return value.startswith(VERSION + ":")


def sealed_key_id(value: str) -> str | None:
    if not is_sealed(value):
        return None
    parts = value.split(":", 2)
    return parts[1] if len(parts) == 3 else ""


class SecretBox:
    """Seals with the first key, opens with any. ``reload`` (optional) returns the keys again, e.g.
    from a key file another process just rotated; it is called once when a value names an unknown key."""

    def __init__(self, keys: Iterable[bytes], *, reload: Callable[[], list[bytes]] | None = None,
                 source: str = "the secret key") -> None:
        self._reload = reload
        self.source = source
        self._set(list(keys))

    def _set(self, keys: list[bytes]) -> None:
        if not keys:
            raise SecretKeyError("no secret key configured")
        self.current_id = key_id(keys[0])
        self._current = AESGCM(keys[0])
        self._keys = {key_id(k): AESGCM(k) for k in keys}

    @property
    def key_ids(self) -> list[str]:
        return list(self._keys)

    def seal(self, plaintext: str, *, context: str) -> str:
        if plaintext == "":
            return ""
        nonce = os.urandom(_NONCE)
        ct = self._current.encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        return f"{VERSION}:{self.current_id}:{base64.urlsafe_b64encode(nonce + ct).decode('ascii')}"

    def open(self, value: str, *, context: str) -> str:
        if not is_sealed(value):
            return value  # empty, or a plaintext from before encryption (sealed at start)
        kid = sealed_key_id(value) or ""
        aes = self._keys.get(kid)
        if aes is None and self._reload is not None:
            self._set(self._reload())
            aes = self._keys.get(kid)
        if aes is None:
            raise SecretKeyError(
                f"the secret of {context} was sealed with key {kid or '?'}, which {self.source} does not hold "
                f"(it holds {', '.join(self._keys)}): set SOVEREIGN_SECRET_KEY to the key used before, or "
                "restore the key file, or list the old key in SOVEREIGN_SECRET_KEYS_OLD"
            )
        try:
            blob = base64.urlsafe_b64decode(value.split(":", 2)[2])
            return aes.decrypt(blob[:_NONCE], blob[_NONCE:], context.encode("utf-8")).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, IndexError):
            raise SecretKeyError(
                f"the secret of {context} does not open with key {kid}: the stored value was altered or moved"
            ) from None

    def needs_reseal(self, value: str) -> bool:
        """A non-empty value that is plaintext or sealed under another key than the current one."""
        return value != "" and sealed_key_id(value) != self.current_id


# --- where the keys come from -----------------------------------------------------------------

KEY_FILE_NAME = "secret.key"


def read_key_file(path: Path) -> list[bytes]:
    """One key per line, the current one first, older ones (still readable) after it."""
    try:
        lines = [ln.strip() for ln in path.read_text(encoding="ascii").splitlines()]
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretKeyError(f"cannot read the key file {path}: {exc}") from None
    keys = [parse_key(ln, f"a line of {path}") for ln in lines if ln and not ln.startswith("#")]
    if not keys:
        raise SecretKeyError(f"the key file {path} holds no key")
    return keys


def write_key_file(path: Path, keys: list[str]) -> None:
    """Atomically replace the key file (mode 0600 from its creation on)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, ("\n".join(keys) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def ensure_key_file(path: Path) -> list[bytes]:
    """Read the key file, or make it with a fresh key (0600, never overwriting one made meanwhile)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: read theirs
        else:
            try:
                os.write(fd, (new_key() + "\n").encode("ascii"))
                os.fsync(fd)
            finally:
                os.close(fd)
    return read_key_file(path)


def open_secret_box(env_key: str | None, old_keys: str | None, key_file: Path) -> SecretBox:
    """``SOVEREIGN_SECRET_KEY`` (and ``SOVEREIGN_SECRET_KEYS_OLD``, comma-separated) when set, else the key file."""
    if env_key:
        keys = [parse_key(env_key, "SOVEREIGN_SECRET_KEY")]
        keys += [parse_key(k, "SOVEREIGN_SECRET_KEYS_OLD") for k in (old_keys or "").split(",") if k.strip()]
        return SecretBox(keys, source="SOVEREIGN_SECRET_KEY")
    return SecretBox(ensure_key_file(key_file), reload=lambda: read_key_file(key_file), source=f"the key file {key_file}")
