"""Where the store key comes from: the OS keyring, a key file, optionally wrapped by a passphrase.

The store key is 32 random bytes used as a raw SQLCipher key (no KDF at each start: opening with
PBKDF2 costs ~150 ms, a raw key ~0.2 ms). A passphrase, when the user wants one, wraps that key
with AES-256-GCM under a scrypt-derived key; only the wrapped form is then stored.

Stored text forms (the same for the keyring entry and the key file):
- raw: 64 hex characters;
- wrapped: ``estafette-wrapped-v1$<salt b64>$<nonce b64>$<ciphertext b64>``.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
import sys
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any

from app.errors import (
    InvalidInputError,
    KeyringUnavailableError,
    PassphraseRequiredError,
    StoreKeyError,
    WrongPassphraseError,
)
from app.store.durable_files import write_atomically

KEY_BYTES = 32
KEYRING_SERVICE = "estafette"
_WRAPPED_PREFIX = "estafette-wrapped-v1"
_SCRYPT_N = 2**15
_SCRYPT_R = 8
_SCRYPT_P = 1


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


# --- keyring backend vetting -------------------------------------------------------------------


def _is_refused_backend(backend: Any) -> bool:
    """Backends that do not really protect a secret: fail, null, and keyrings.alt (plaintext)."""
    from keyring.backends import fail, null

    if isinstance(backend, fail.Keyring | null.Keyring):
        return True
    module = type(backend).__module__
    if module.startswith(("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")):
        return True
    priority = getattr(backend, "priority", 0)
    try:
        return float(priority) <= 0
    except (TypeError, ValueError):
        return True


def vetted_keyring(backend: Any | None = None) -> Any:
    """The keyring backend to trust with the store key, or KeyringUnavailableError.

    A chainer is unwrapped to its best acceptable backend, so that a failure of the real keyring can
    never fall through to a plaintext file.
    """
    if backend is None:
        import keyring

        backend = keyring.get_keyring()
    from keyring.backends.chainer import ChainerBackend

    if isinstance(backend, ChainerBackend):
        candidates = [b for b in getattr(backend, "backends", []) if not _is_refused_backend(b)]
        if not candidates:
            raise KeyringUnavailableError()
        return max(candidates, key=lambda b: float(getattr(b, "priority", 0)))
    if _is_refused_backend(backend):
        raise KeyringUnavailableError()
    return backend


# --- providers ---------------------------------------------------------------------------------


class KeyProvider(ABC):
    """Loads or creates the store key of one profile."""

    @abstractmethod
    def read_text(self) -> str | None:
        """The stored key text, or None when nothing is stored yet."""

    @abstractmethod
    def write_text(self, text: str) -> None:
        """Persist the key text (first creation only)."""

    @abstractmethod
    def replace_text(self, text: str) -> None:
        """Replace the stored key text at once: a crash leaves the old text or the new one,
        never a mix nor nothing (a passphrase added, changed or removed)."""

    def load_key(self) -> bytes | None:
        """The raw store key, or None when none exists yet."""
        text = self.read_text()
        if text is None:
            return None
        text = text.strip()
        if text.startswith(_WRAPPED_PREFIX):
            raise PassphraseRequiredError()
        return decode_raw_key(text)

    def create_key(self) -> bytes:
        """Generate a fresh key, persist it and return it."""
        key = new_key()
        self.write_text(key.hex())
        return key


def decode_raw_key(text: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise StoreKeyError(
            "La clé du profil n'a pas le bon format (64 caractères hexadécimaux attendus).",
            message_en="The profile key is malformed (64 hexadecimal characters expected).",
        )
    return key


class KeyringKeyProvider(KeyProvider):
    """The key lives in the OS keyring: service "estafette", username = the profile id."""

    def __init__(self, profile_id: str, *, backend: Any | None = None) -> None:
        self._profile_id = profile_id
        self._backend = backend

    def _keyring(self) -> Any:
        if self._backend is None:
            self._backend = vetted_keyring()
        return self._backend

    def read_text(self) -> str | None:
        backend = self._keyring()
        try:
            value = backend.get_password(KEYRING_SERVICE, self._profile_id)
        except Exception as exc:  # keyring raises many things when the service is locked/absent
            raise KeyringUnavailableError() from exc
        return value if isinstance(value, str) else None

    def write_text(self, text: str) -> None:
        backend = self._keyring()
        try:
            backend.set_password(KEYRING_SERVICE, self._profile_id, text)
        except Exception as exc:
            raise KeyringUnavailableError() from exc

    def replace_text(self, text: str) -> None:
        # The Secret Service, Keychain and Credential Locker replace an item in one step.
        self.write_text(text)


def check_private_file(path: Path) -> None:
    """Refuse a key file that other users could read or change (POSIX permissions)."""
    if sys.platform == "win32":
        return  # NTFS ACLs are not mode bits; the per-user profile directory protects the file.
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InvalidInputError(
            f"Le fichier de clé {path} est accessible à d'autres utilisateurs "
            f"(droits {stat.filemode(mode)}) ; il est refusé.",
            message_en=f"The key file {path} is accessible to other users "
            f"(mode {stat.filemode(mode)}); it is refused.",
            hint="Restreignez ses droits : chmod 600 FICHIER.",
            hint_en="Restrict its permissions: chmod 600 FILE.",
        )


class KeyFileKeyProvider(KeyProvider):
    """The key lives in a file readable by its owner only (servers, scripts, tests)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read_text(self) -> str | None:
        if not self.path.exists():
            return None
        if not self.path.is_file():
            raise InvalidInputError(
                f"« {self.path} » n'est pas un fichier de clé.",
                message_en=f"“{self.path}” is not a key file.",
            )
        check_private_file(self.path)
        try:
            return self.path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreKeyError(
                f"Le fichier de clé {self.path} ne peut pas être lu.",
                message_en=f"The key file {self.path} cannot be read.",
            ) from exc

    def write_text(self, text: str) -> None:
        if not self.path.parent.is_dir():
            raise InvalidInputError(
                f"Le dossier du fichier de clé {self.path.parent} n'existe pas.",
                message_en=f"The key file's folder {self.path.parent} does not exist.",
            )
        # O_EXCL: never overwrite an existing key; 0600 from creation, not chmod after the fact.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def replace_text(self, text: str) -> None:
        """A new file beside the key file renamed over it, the folder synced
        (``write_atomically``): the old key file stays whole until the new one is on disk."""
        if self.read_text() is None:
            raise StoreKeyError(
                f"Le fichier de clé {self.path} est introuvable.",
                message_en=f"The key file {self.path} cannot be found.",
            )
        write_atomically(self.path, (text + "\n").encode("ascii"))


class PassphraseWrappedKeyProvider(KeyProvider):
    """Wraps the key held by ``inner`` with a passphrase (scrypt + AES-256-GCM)."""

    def __init__(self, inner: KeyProvider, passphrase: str) -> None:
        if not passphrase:
            raise InvalidInputError(
                "La phrase de passe ne peut pas être vide.",
                message_en="The passphrase cannot be empty.",
            )
        self._inner = inner
        self._passphrase = passphrase

    def read_text(self) -> str | None:
        return self._inner.read_text()

    def write_text(self, text: str) -> None:
        self._inner.write_text(text)

    def replace_text(self, text: str) -> None:
        self._inner.replace_text(text)

    def load_key(self) -> bytes | None:
        text = self.read_text()
        if text is None:
            return None
        text = text.strip()
        if not text.startswith(_WRAPPED_PREFIX):
            # Stored unwrapped: the passphrase adds nothing but the key still opens the store.
            return decode_raw_key(text)
        return unwrap_key(text, self._passphrase)

    def create_key(self) -> bytes:
        key = new_key()
        self.write_text(wrap_key(key, self._passphrase))
        return key


def _kek(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    return kdf.derive(passphrase.encode("utf-8"))


def wrap_key(key: bytes, passphrase: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(_kek(passphrase, salt)).encrypt(nonce, key, _WRAPPED_PREFIX.encode())
    parts = [base64.b64encode(p).decode("ascii") for p in (salt, nonce, sealed)]
    return "$".join([_WRAPPED_PREFIX, *parts])


def unwrap_key(text: str, passphrase: str) -> bytes:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        _, salt_b, nonce_b, sealed_b = text.split("$")
        salt, nonce, sealed = (
            base64.b64decode(p, validate=True) for p in (salt_b, nonce_b, sealed_b)
        )
    except (ValueError, binascii.Error) as exc:
        raise StoreKeyError(
            "La clé protégée du profil est illisible.",
            message_en="The profile's protected key is unreadable.",
        ) from exc
    try:
        key = AESGCM(_kek(passphrase, salt)).decrypt(nonce, sealed, _WRAPPED_PREFIX.encode())
    except InvalidTag as exc:
        raise WrongPassphraseError() from exc
    return decode_raw_key(key.hex())


def is_wrapped(text: str | None) -> bool:
    """Whether a stored key text is protected by a passphrase."""
    return text is not None and text.strip().startswith(_WRAPPED_PREFIX)


def change_passphrase(provider: KeyProvider, *, current: str | None, new: str | None) -> None:
    """Wrap the store key of ``provider`` anew: under ``new``, or not at all when ``new`` is
    None (the passphrase removed). ``current`` opens a wrapped key (ignored for a raw one).

    Only the wrapping changes: the store key itself, so the database and the packs, stay as they
    are. The new text is read back and checked before this returns; a wrong ``current`` raises
    WrongPassphraseError with nothing written.
    """
    if new is not None and not new:
        raise InvalidInputError(
            "La phrase de passe ne peut pas être vide.",
            message_en="The passphrase cannot be empty.",
        )
    text = provider.read_text()
    if text is None:
        raise StoreKeyError(
            "La clé de ce profil est introuvable.",
            message_en="This profile's key cannot be found.",
        )
    text = text.strip()
    if text.startswith(_WRAPPED_PREFIX):
        if not current:
            raise PassphraseRequiredError()
        key = unwrap_key(text, current)
    else:
        key = decode_raw_key(text)
    replacement = wrap_key(key, new) if new is not None else key.hex()
    provider.replace_text(replacement)
    written = (provider.read_text() or "").strip()
    again = unwrap_key(written, new) if new is not None else decode_raw_key(written)
    if again != key:  # cannot happen unless the storage lies: say so rather than go on
        raise StoreKeyError(
            "La nouvelle clé protégée du profil ne se relit pas.",
            message_en="The profile's newly protected key does not read back.",
        )
