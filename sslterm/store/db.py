"""Open the SQLite database: location, file modes, pragmas, binding and migrations."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs
from peewee import DatabaseError, OperationalError, SqliteDatabase

from sslterm.core.errors import StoreError
from sslterm.core.files import ensure_private_dir
from sslterm.store.migrations import migrate
from sslterm.store.models import MODELS

BUSY_TIMEOUT_MS = 10_000
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "secure_delete": 1,
    "synchronous": "normal",
}


class StoreDatabase(SqliteDatabase):
    """SQLite as the store uses it: a failed write's own error is the one reported.

    After SQLITE_FULL or an I/O error SQLite has already rolled the transaction
    back, and peewee's rollback then fails with "cannot rollback - no transaction
    is active", which replaced the real cause ("database or disk is full").
    """

    def rollback(self) -> None:  # type: ignore[override]
        try:
            super().rollback()
        except OperationalError as exc:
            if "no transaction is active" not in str(exc):
                raise


_FAILURES = (
    ("database or disk is full", "no space left on device while writing {path}; nothing was half-written: free some space and run it again"),
    ("disk i/o error", "an I/O error while writing {path}; nothing was half-written: check the disk (dmesg) and run it again"),
    ("attempt to write a readonly database", "{path} is read-only for this user; nothing was written"),
    ("database is locked", "{path} stayed locked by another sslterm for 10 s; nothing was written: run it again"),
)


def database_failure(exc: BaseException, path: Path) -> str | None:
    """A sentence for a database failure anywhere in ``exc``'s chain, or None when it is not one."""
    seen: BaseException | None = exc
    while seen is not None:
        text = str(seen).lower()
        for needle, sentence in _FAILURES:
            if needle in text:
                return sentence.format(path=path)
        if isinstance(seen, OSError) and seen.errno == 28:
            return _FAILURES[0][1].format(path=path)
        seen = seen.__cause__ or seen.__context__
    return None


def default_db_path() -> Path:
    """``$SSLTERM_DB`` if set, else ``sslterm.db`` in the user's data directory."""
    env = os.environ.get("SSLTERM_DB")
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("sslterm", appauthor=False)) / "sslterm.db"


def open_database(path: Path, create: bool = True) -> SqliteDatabase:
    """Create (0600, directories 0700) or open the database, set and check pragmas, migrate.

    With ``create`` false a missing database is an error rather than a new, empty one:
    a mistyped ``--db`` must not make ``check`` report "all fine" about nothing.
    Every transaction is ``BEGIN IMMEDIATE``: a deferred transaction that reads
    then writes fails with "database is locked" when another process writes.
    """
    path = path.expanduser()
    if not create and not path.is_file():
        raise StoreError(f"no database at {path}: run 'sslterm init' to create one, or check --db / $SSLTERM_DB")
    ensure_private_dir(path.parent)
    _touch_private(path)
    db = StoreDatabase(str(path), pragmas=PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False)
    db.bind(MODELS, bind_refs=False, bind_backrefs=False)
    try:
        db.connect(reuse_if_open=True)
        _check_pragmas(db)
        migrate(db)
    except (DatabaseError, OperationalError) as exc:
        db.close()
        raise StoreError(f"cannot open database {path}: {exc}") from None
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            os.chmod(sidecar, 0o600)
    return db


def _touch_private(path: Path) -> None:
    """Create the file 0600 before SQLite does, so it never exists with a wider mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror or exc}") from None
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _check_pragmas(db: SqliteDatabase) -> None:
    mode = db.execute_sql("PRAGMA journal_mode").fetchone()[0]
    fk = db.execute_sql("PRAGMA foreign_keys").fetchone()[0]
    busy = db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
    secure = db.execute_sql("PRAGMA secure_delete").fetchone()[0]
    if mode.lower() != "wal" or fk != 1 or busy < 5000 or secure != 1:
        raise StoreError(
            f"database pragmas not in force (journal_mode={mode}, foreign_keys={fk}, "
            f"busy_timeout={busy}, secure_delete={secure}): is the file on a network filesystem?"
        )
