"""Key slots: a shared store's data key, unwrapped by any one operator's secret (as LUKS does).

Each slot is an X25519 key pair. Its private half is wrapped with the operator's
secret: a passphrase (scrypt) or a key file (HKDF over the file's bytes). The
data key is sealed to each slot's public half (X25519 with an ephemeral key,
HKDF, AES-256-GCM). So:

- any slot's secret opens the data key; the database alone opens nothing;
- a new data key (rotation) is sealed to every remaining slot without their
  secrets, and a removed slot's old copy opens only the old, retired key.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sslterm.core.errors import InputError, PasswordError, StoreError
from sslterm.store.vault import (
    NONCE_BYTES,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    DataKeyVault,
    check_blob_for,
    verify_check_blob,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PASSPHRASE, KEY_FILE = "passphrase", "key-file"
MIN_KEY_FILE_BYTES = 32
_SEAL_INFO = b"sslterm:keyslot:seal:v1:"
_WRAP_AAD = b"sslterm:keyslot:private:v1:"


@dataclass(frozen=True)
class Secret:
    """What an operator unlocks with: a passphrase, a key file's bytes, or both."""

    passphrase: str | None = None
    key_file: Path | None = None

    def key_file_bytes(self) -> bytes | None:
        if self.key_file is None:
            return None
        try:
            data = self.key_file.expanduser().read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read the key file {self.key_file}: {exc.strerror or exc}") from None
        if len(data) < MIN_KEY_FILE_BYTES:
            raise InputError(f"the key file {self.key_file} holds {len(data)} bytes, fewer than {MIN_KEY_FILE_BYTES}: "
                             "make one with 'head -c 64 /dev/urandom > FILE'")
        return data

    @property
    def given(self) -> bool:
        return bool(self.passphrase) or self.key_file is not None


@dataclass(frozen=True)
class SlotRecord:
    uid: str
    label: str
    kind: str
    created_at: datetime
    created_by: str


def new_key_file(path: Path) -> None:
    """Write a fresh 64-byte key file, 0600, refusing to replace one."""
    from sslterm.core.files import create_private_file

    try:
        create_private_file(path, os.urandom(64))
    except FileExistsError:
        raise InputError(f"{path} already exists: give another path, or use it as it is without --new") from None
    except OSError as exc:
        raise InputError(f"cannot write the key file {path}: {exc.strerror or exc}") from None


# ----------------------------------------------------------------- crypto

def _kek(kind: str, secret: bytes | str, salt: bytes) -> bytes:
    if kind == PASSPHRASE:
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        assert isinstance(secret, str)
        return Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(secret.encode())
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    assert isinstance(secret, bytes)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"sslterm:keyslot:key-file:v1").derive(secret)


def make_slot(uid: str, kind: str, secret: bytes | str, data_key: bytes) -> tuple[bytes, bytes, bytes]:
    """(public key, wrapped private key, sealed data key) of a new slot."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
    )

    private = X25519PrivateKey.generate()
    raw = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    salt, nonce = os.urandom(16), os.urandom(NONCE_BYTES)
    wrapped = salt + nonce + AESGCM(_kek(kind, secret, salt)).encrypt(nonce, raw, _WRAP_AAD + uid.encode())
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return public, wrapped, seal(uid, public, data_key)


def seal(uid: str, public: bytes, data_key: bytes) -> bytes:
    """``data_key`` sealed to a slot's public key: ephemeral public || nonce || ciphertext."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    ephemeral = X25519PrivateKey.generate()
    key = _seal_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(public)), uid)
    nonce = os.urandom(NONCE_BYTES)
    epub = ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return epub + nonce + AESGCM(key).encrypt(nonce, data_key, _SEAL_INFO + uid.encode())


def open_slot(uid: str, kind: str, secret: bytes | str, wrapped: bytes, sealed: bytes) -> bytes | None:
    """The data key from a slot, or None when ``secret`` is not this slot's."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.asymmetric.x25519 import (
        X25519PrivateKey,
        X25519PublicKey,
    )
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce, body = wrapped[:16], wrapped[16:16 + NONCE_BYTES], wrapped[16 + NONCE_BYTES:]
    try:
        raw = AESGCM(_kek(kind, secret, salt)).decrypt(nonce, body, _WRAP_AAD + uid.encode())
    except InvalidTag:
        return None
    private = X25519PrivateKey.from_private_bytes(raw)
    epub, nonce, body = sealed[:32], sealed[32:32 + NONCE_BYTES], sealed[32 + NONCE_BYTES:]
    key = _seal_key(private.exchange(X25519PublicKey.from_public_bytes(epub)), uid)
    try:
        return AESGCM(key).decrypt(nonce, body, _SEAL_INFO + uid.encode())
    except InvalidTag:
        raise StoreError(f"key slot {uid} is damaged: its sealed data key does not open with its own private key") from None


def _seal_key(shared: bytes, uid: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_SEAL_INFO + uid.encode()).derive(shared)


# ----------------------------------------------------------------- the vault

class SlotVault(DataKeyVault):
    """A PostgreSQL store's vault: the data key comes from a key slot (the same interface as KeyVault).

    Opening needs one slot's secret; browsing never does. The first key stored
    creates the data key and the first slot, from whatever secret is given.
    """

    key_path = None

    def __init__(self, db: Any, passphrase: str | None, key_file: Path | None, check_blob: bytes | None, user: str) -> None:
        super().__init__(check_blob)
        self.db = db
        self.secret = Secret(passphrase or None, key_file)
        self.user = user

    @property
    def wrapped(self) -> bool:
        return True

    def rewrap(self, passphrase: str | None) -> None:
        raise InputError("a PostgreSQL store keeps its data key in key slots: use 'sslterm access add' and 'sslterm access remove'")

    def _unlock(self) -> AESGCM:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._aead is None:
            self._data_key = self._open() or self._create()
            self._aead = AESGCM(self._data_key)
        return self._aead

    def _rows(self) -> list[tuple[str, str, bytes, bytes]]:
        cursor = self.db.execute_sql('SELECT uid, kind, wrapped_private, sealed_key FROM "keyslot" ORDER BY id')
        return [(uid, kind, bytes(wrapped), bytes(sealed)) for uid, kind, wrapped, sealed in cursor]

    def _open(self) -> bytes | None:
        rows = self._rows()
        if not rows:
            if self._check_blob is not None:
                raise StoreError("the store holds encrypted keys but no key slot: restore the keyslot table from a backup")
            return None
        if not self.secret.given:
            raise PasswordError("the stored keys are in key slots: set SSLTERM_PASSPHRASE or SSLTERM_KEY_FILE to your slot's secret")
        data_key = self.try_secret(rows)
        if data_key is None:
            raise PasswordError("neither SSLTERM_PASSPHRASE nor SSLTERM_KEY_FILE opens a key slot of this store: "
                                "ask an operator who has one to run 'sslterm access add' for you")
        if self._check_blob is not None and not verify_check_blob(data_key, self._check_blob):
            raise StoreError("the key slots do not match this store's keys (the data-key check fails)")
        return data_key

    def try_secret(self, rows: list[tuple[str, str, bytes, bytes]]) -> bytes | None:
        file_bytes = self.secret.key_file_bytes()
        for uid, kind, wrapped, sealed in rows:
            secret: bytes | str | None = self.secret.passphrase if kind == PASSPHRASE else file_bytes
            if secret:
                data_key = open_slot(uid, kind, secret, wrapped, sealed)
                if data_key is not None:
                    return data_key
        return None

    def _create(self) -> bytes:
        """The first key: a new data key, sealed into a first slot of the caller's secret (under the slots lock)."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if not self.secret.given:
            raise PasswordError("a PostgreSQL store keeps its keys only under key slots: set SSLTERM_PASSPHRASE "
                                "(or SSLTERM_KEY_FILE) to create the first one")
        with self.db.atomic():
            self.db.engine.decide("keyslots")
            if self._rows():  # another operator created the first slot meanwhile
                self._check_blob = self._stored_check()
                opened = self._open()
                assert opened is not None
                return opened
            data_key = AESGCM.generate_key(bit_length=256)
            kind, secret = (PASSPHRASE, self.secret.passphrase) if self.secret.passphrase else (KEY_FILE, self.secret.key_file_bytes())
            assert secret
            insert_slot(self.db, f"{self.user} ({kind})", kind, secret, data_key, self.user)
            self.new_check_blob = check_blob_for(data_key)
        return data_key

    def _stored_check(self) -> bytes | None:
        row = self.db.execute_sql("SELECT value FROM setting WHERE key = 'key_check'").fetchone()
        return bytes.fromhex(row[0]) if row else None


def insert_slot(db: Any, label: str, kind: str, secret: bytes | str, data_key: bytes, user: str, at: datetime | None = None) -> str:
    uid = str(uuid.uuid4())
    at = at or datetime.now(UTC)
    public, wrapped, sealed = make_slot(uid, kind, secret, data_key)
    db.execute_sql('INSERT INTO "keyslot" (uid, label, kind, public_key, wrapped_private, sealed_key, created_at, created_by) '
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [uid, label, kind, public, wrapped, sealed, int(at.timestamp()), user])
    return uid
