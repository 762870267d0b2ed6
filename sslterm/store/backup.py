"""Backups: a consistent copy of a live store (SQLite's online backup API) with its data key; restore.

The copy is taken page by page inside SQLite, so it is consistent while the TUI,
a checker and an import keep writing (``cp`` of a live database misses what is
still in the WAL). The data key goes beside the copy: as it is, or wrapped with a
passphrase given for the backup, so the copy can be kept where the key file is not.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sslterm.core.errors import StoreError
from sslterm.core.files import create_private_file, ensure_private_dir
from sslterm.store.vault import KeyVault, key_file_for, wrap_data_key


@dataclass(frozen=True)
class BackupCheck:
    """What a verified copy holds."""

    certificates: int
    keys: int
    events: int


def backup(store_db: sqlite3.Connection, db_path: Path, vault: KeyVault, target: Path, passphrase: str | None = None,
           force: bool = False) -> Path:
    """Copy the open store into ``target`` (0600) and its data key into ``target``.key (0600)."""
    target = target.expanduser()
    key_target = key_file_for(target)
    for path in (target, key_target):
        if path.is_symlink() or (path.exists() and not force):
            raise StoreError(f"{path} already exists: choose another name, or --force to replace it")
    ensure_private_dir(target.parent)
    temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
    create_private_file(temp, b"")
    try:
        copy = sqlite3.connect(temp)
        try:
            store_db.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        key_content = _key_content(db_path, vault, passphrase)
        if key_content is not None:
            key_temp = key_target.with_name(f".{key_target.name}.{secrets.token_hex(4)}.tmp")
            create_private_file(key_temp, key_content)
            os.replace(key_temp, key_target)
        os.replace(temp, target)
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"backup to {target} failed, nothing kept: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        if temp.exists():
            temp.unlink()
    return target


def _key_content(db_path: Path, vault: KeyVault, passphrase: str | None) -> bytes | None:
    key_file = key_file_for(db_path)
    if not key_file.exists():
        return None  # no key stored yet: nothing to copy
    if passphrase:
        return json.dumps(wrap_data_key(vault.data_key(), passphrase)).encode()
    return key_file.read_bytes()


def restore(source: Path, into: sqlite3.Connection, into_path: Path, force: bool = False) -> None:
    """Copy a backup into the store at ``into_path`` (through its open connection, so its WAL stays consistent)."""
    source = source.expanduser()
    if not source.is_file():
        raise StoreError(f"no backup at {source}")
    backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    key_temp: Path | None = None
    try:
        newer = _last_event(into) > _last_event(backup_db)
        if newer and not force:
            raise StoreError(f"the store at {into_path} has history newer than the backup {source}: pass --force to overwrite it")
        key_source = key_file_for(source)
        if key_source.exists():  # ready beside the store before the pages are copied, renamed right after
            key_temp = key_file_for(into_path).with_name(f".{into_path.name}.key.{secrets.token_hex(4)}.tmp")
            create_private_file(key_temp, key_source.read_bytes())
        backup_db.backup(into)
        if key_temp is not None:
            os.replace(key_temp, key_file_for(into_path))
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot restore from {source}: {getattr(exc, 'strerror', None) or exc}") from None
    finally:
        backup_db.close()
        if key_temp is not None and key_temp.exists():
            key_temp.unlink()


def _last_event(db: sqlite3.Connection) -> int:
    try:
        row = db.execute("SELECT MAX(at) FROM event").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0)


def verify_copy(path: Path, passphrase: str | None) -> BackupCheck:
    """Open a backup as a store: integrity, every private key decrypted, the history chain unbroken."""
    from sslterm.store.store import Store

    copy = Store.open(path, user="backup-check", passphrase=passphrase, create=False)
    try:
        result = copy.db.execute_sql("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise StoreError(f"the backup {path} is damaged: {result}")
        keys = copy.decrypt_every_key()
        chain = copy.verify_history()
        if chain.broken_id is not None:
            raise StoreError(f"the backup's history is broken at event {chain.broken_id}")
        certificates = copy.db.execute_sql("SELECT COUNT(*) FROM certificate").fetchone()[0]
        return BackupCheck(certificates, keys, chain.checked)
    finally:
        copy.close()
