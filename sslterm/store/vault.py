"""Private keys at rest: AES-256-GCM under a per-database data key.

The data key lives in a 0600 key file beside the database (``<db>.key``). When
``SSLTERM_PASSPHRASE`` is set as the file is created, the data key is wrapped
with a key derived from the passphrase by scrypt, and the file alone is not
enough. Each blob is bound to its row by its associated data (the row's uid), so
a blob copied to another row fails to decrypt. The database alone reveals no key.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sslterm.core.errors import PasswordError, StoreError
from sslterm.core.files import create_private_file

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# cryptography's AEAD and KDF are imported when a key is first encrypted or
# decrypted: browsing the list never needs them, and its first paint should not
# pay for loading them.

NONCE_BYTES = 12
_CHECK_PLAINTEXT = b"sslterm data key check v1"
_CHECK_AAD = b"sslterm:key-check"
_WRAP_AAD = b"sslterm:data-key:v1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def key_file_for(db_path: Path) -> Path:
    """Where the data key of ``db_path`` lives."""
    return db_path.with_name(db_path.name + ".key")


class DataKeyVault:
    """Encrypts and decrypts blobs under a data key, unlocked on first use only (by ``_unlock``).

    Listing and showing certificates never need the data key, so a protected
    store can be browsed without its secret. Where the data key comes from is
    the subclass's: a key file (:class:`KeyVault`) or key slots (``SlotVault``).
    """

    def __init__(self, check_blob: bytes | None) -> None:
        self._check_blob = check_blob
        self._aead: AESGCM | None = None
        self._data_key: bytes | None = None
        self.new_check_blob: bytes | None = None

    def data_key(self) -> bytes:
        """The unwrapped data key (for a backup's key file or a new wrapping); unlocks the vault."""
        self._unlock()
        assert self._data_key is not None
        return self._data_key

    def encrypt(self, plaintext: bytes, binding: str) -> bytes:
        """``nonce || ciphertext`` for ``plaintext`` bound to ``binding`` (the row uid)."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._unlock().encrypt(nonce, plaintext, aad(binding))

    def decrypt(self, blob: bytes, binding: str) -> bytes:
        """Plaintext of a blob made by :meth:`encrypt` for the same ``binding``."""
        from cryptography.exceptions import InvalidTag

        try:
            return self._unlock().decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad(binding))
        except InvalidTag:
            raise StoreError("a stored private key failed to decrypt: it does not belong to this row or was altered") from None

    def adopt(self, data_key: bytes, check_blob: bytes | None) -> None:
        """Use ``data_key`` from now on (a rotation's new key, or one held already)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._data_key, self._aead, self._check_blob = data_key, AESGCM(data_key), check_blob

    def _unlock(self) -> AESGCM:
        """The cipher of the data key; a subclass finds the key the first time (this base only holds an adopted one)."""
        if self._aead is None:
            raise StoreError("no data key is held")
        return self._aead


def holding(data_key: bytes) -> DataKeyVault:
    """A vault around ``data_key`` as it is (rotation encrypts with the new key before any slot holds it)."""
    vault = DataKeyVault(None)
    vault.adopt(data_key, None)
    return vault


class KeyVault(DataKeyVault):
    """The data key in a 0600 key file beside a SQLite database, wrapped with a passphrase if one is set."""

    def __init__(self, key_path: Path, passphrase: str | None, check_blob: bytes | None) -> None:
        super().__init__(check_blob)
        self.key_path = key_path
        self._passphrase = passphrase

    @property
    def wrapped(self) -> bool:
        """Is the key file wrapped with a passphrase?"""
        try:
            return json.loads(self.key_path.read_text()).get("kind") == "scrypt"
        except (OSError, ValueError):
            return False

    def rewrap(self, passphrase: str | None) -> None:
        """Write the key file again around the same data key: wrapped with ``passphrase``, or plain for None."""
        write_key_file(self.key_path, self.data_key(), passphrase)
        self._passphrase = passphrase

    def _unlock(self) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._aead is None:
            self._data_key = self._load_or_create()
            self._aead = AESGCM(self._data_key)
            self._verify()
        return self._aead

    def _load_or_create(self) -> bytes:
        if self.key_path.is_symlink():
            raise StoreError(f"key file {self.key_path} is a symbolic link: refusing to use it")
        if not self.key_path.exists():
            if self._check_blob is not None:
                raise StoreError(f"key file {self.key_path} is missing: restore it to read the stored private keys")
            return self._create()
        try:
            content = json.loads(self.key_path.read_text())
        except (OSError, ValueError) as exc:
            raise StoreError(f"key file {self.key_path} is unreadable ({exc})") from None
        if content.get("kind") == "scrypt":
            return self._unwrap(content)
        return _unb64(content["key"])

    def _create(self) -> bytes:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        data_key = AESGCM.generate_key(bit_length=256)
        if self._passphrase:
            content = wrap_data_key(data_key, self._passphrase)
        else:
            content = {"version": 1, "kind": "raw", "key": _b64(data_key)}
        try:
            create_private_file(self.key_path, json.dumps(content).encode())
        except FileExistsError:
            return self._load_or_create()  # another process created it first
        except OSError as exc:
            raise StoreError(f"cannot create key file {self.key_path}: {exc.strerror or exc}") from None
        self.new_check_blob = check_blob_for(data_key)
        return data_key

    def _unwrap(self, content: dict[str, object]) -> bytes:
        if not self._passphrase:
            raise PasswordError("the stored keys are passphrase-protected: set SSLTERM_PASSPHRASE")
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt, nonce, wrapped = (_unb64(str(content[k])) for k in ("salt", "nonce", "wrapped"))
        try:
            return AESGCM(_kek(self._passphrase, salt, int(content["n"]), int(content["r"]), int(content["p"]))).decrypt(nonce, wrapped, _WRAP_AAD)  # type: ignore[call-overload]
        except InvalidTag:
            raise PasswordError("wrong SSLTERM_PASSPHRASE for the stored keys") from None

    def _verify(self) -> None:
        from cryptography.exceptions import InvalidTag

        assert self._aead is not None
        if self._check_blob is None:
            return
        try:
            self._aead.decrypt(self._check_blob[:NONCE_BYTES], self._check_blob[NONCE_BYTES:], _CHECK_AAD)
        except InvalidTag:
            self._aead = None
            raise StoreError(f"key file {self.key_path} does not belong to this database") from None


def write_key_file(path: Path, data_key: bytes, passphrase: str | None) -> None:
    """Write (or replace, atomically) a 0600 key file holding ``data_key``, wrapped with ``passphrase`` if given."""
    content = wrap_data_key(data_key, passphrase) if passphrase else {"version": 1, "kind": "raw", "key": _b64(data_key)}
    temp = path.with_name(f".{path.name}.{os.urandom(4).hex()}.tmp")
    try:
        create_private_file(temp, json.dumps(content).encode())
        os.replace(temp, path)
    except OSError as exc:
        raise StoreError(f"cannot write key file {path}: {exc.strerror or exc}") from None
    finally:
        if temp.exists():
            temp.unlink()


def wrap_data_key(data_key: bytes, passphrase: str) -> dict[str, object]:
    """A key file's content holding ``data_key`` wrapped with a key derived from ``passphrase`` (scrypt)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(16), os.urandom(NONCE_BYTES)
    wrapped = AESGCM(_kek(passphrase, salt)).encrypt(nonce, data_key, _WRAP_AAD)
    return {"version": 1, "kind": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P,
            "salt": _b64(salt), "nonce": _b64(nonce), "wrapped": _b64(wrapped)}


def check_blob_for(data_key: bytes) -> bytes:
    """What the database keeps to tell that a data key is its own."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(data_key).encrypt(nonce, _CHECK_PLAINTEXT, _CHECK_AAD)


def verify_check_blob(data_key: bytes, check_blob: bytes) -> bool:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        AESGCM(data_key).decrypt(check_blob[:NONCE_BYTES], check_blob[NONCE_BYTES:], _CHECK_AAD)
    except InvalidTag:
        return False
    return True


def aad(binding: str) -> bytes:
    return b"sslterm:private-key:v1:" + binding.encode()


def _kek(passphrase: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode())
