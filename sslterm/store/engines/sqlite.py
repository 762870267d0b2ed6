"""SQLite, the embedded default: one file, WAL, ``BEGIN IMMEDIATE``, FTS5 trigram search."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterator

from peewee import DatabaseError, OperationalError, SqliteDatabase

from sslterm.core.errors import Abandoned, StoreError
from sslterm.core.files import ensure_private_dir
from sslterm.store.engines import Engine, Location
from sslterm.store.models import MODELS

BUSY_TIMEOUT_MS = 10_000
PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": BUSY_TIMEOUT_MS,
    "secure_delete": 1,
    "synchronous": "normal",
}
ABANDON_CHECK_STEPS = 20_000  # SQLite VM steps between checks (~1 ms of work)
BULK_CACHE_KIB = 65_536  # PRAGMA cache_size while importing (64 MiB), against SQLite's 2 MiB default: the unique and name indexes are written at random places


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


class SqliteEngine(Engine):
    """One SQLite file (0600, in a 0700 directory), its pragmas checked, migrated."""

    name = "sqlite"
    shortest_indexed_term = 3  # FTS5's trigram tokenizer finds nothing shorter

    @classmethod
    def open(cls, location: Location, create: bool = True) -> SqliteEngine:
        """Create (0600, directories 0700) or open the database, set and check pragmas, migrate.

        With ``create`` false a missing database is an error rather than a new, empty one:
        a mistyped ``--db`` must not make ``check`` report "all fine" about nothing.
        Every transaction is ``BEGIN IMMEDIATE``: a deferred transaction that reads
        then writes fails with "database is locked" when another process writes.
        """
        from sslterm.store.migrations import migrate

        assert location.path is not None
        path = location.path.expanduser()
        if not create and not path.is_file():
            raise StoreError(f"no database at {path}: run 'sslterm init' to create one, or check --db / $SSLTERM_DB")
        ensure_private_dir(path.parent)
        _touch_private(path)
        db = StoreDatabase(str(path), pragmas=PRAGMAS, lock_type="IMMEDIATE", check_same_thread=False)
        db.bind(MODELS, bind_refs=False, bind_backrefs=False)
        engine = cls(db, Location("sqlite", path=path))
        try:
            db.connect(reuse_if_open=True)
            _check_pragmas(db)
            migrate(engine)
        except (DatabaseError, OperationalError) as exc:
            db.close()
            raise StoreError(f"cannot open database {path}: {exc}") from None
        for suffix in ("-wal", "-shm"):
            sidecar = path.with_name(path.name + suffix)
            if sidecar.exists():
                os.chmod(sidecar, 0o600)
        return engine

    # ------------------------------------------------------------ the dialect

    def migrations(self) -> list[list[object]]:
        from sslterm.store.migrations import MIGRATIONS

        return MIGRATIONS  # type: ignore[return-value]

    def insert_ignore(self, table: str, columns: str, values: str) -> str:
        return f"INSERT OR IGNORE INTO {table} ({columns}) VALUES ({values})"

    def ids_taken(self, *tables: str) -> None:
        """Rows were inserted with explicit ids: nothing to do, SQLite's rowid follows max(id)."""

    # ------------------------------------------------------------ search

    def least(self, *nodes):  # type: ignore[no-untyped-def]
        """The smallest of the values (SQLite's scalar min)."""
        from peewee import fn

        return fn.MIN(*nodes)

    def unindexed(self, node):  # type: ignore[no-untyped-def]
        """``+x``: the same value, which SQLite's planner will not read from an index (a plan hint)."""
        from peewee import SQL, NodeList

        return NodeList((SQL("+"), node), glue="")

    def search_hits(self, forms: list[str], limit: int) -> tuple[str, list[object]] | None:
        """A query of the ids whose names contain any of ``forms`` (to be a subquery) and its parameters,
        or None when the trigram index finds ``limit`` or more (a broad term)."""
        match = _match(forms)
        probe = "SELECT COUNT(*) FROM (SELECT rowid FROM certificate_fts WHERE certificate_fts MATCH ? LIMIT ?)"
        if int(self.db.execute_sql(probe, [match, limit]).fetchone()[0]) >= limit:
            return None
        return "SELECT rowid FROM certificate_fts WHERE certificate_fts MATCH ?", [match]

    def index_search(self, rows: list[tuple[int, str]]) -> None:
        """Add new rows to the trigram index (updates and deletes are kept by triggers)."""
        self.db.cursor().executemany("INSERT INTO certificate_fts(rowid, search) VALUES (?, ?)", rows)

    # ------------------------------------------------------------ concurrency

    def data_version(self) -> int:
        """SQLite's count of commits by other connections (another process, a worker): cheap to poll."""
        return int(self.db.execute_sql("PRAGMA data_version").fetchone()[0])

    @contextlib.contextmanager
    def abandon_when(self, stop: Callable[[], bool]) -> Iterator[None]:
        connection = self.db.connection()
        connection.set_progress_handler(lambda: 1 if stop() else 0, ABANDON_CHECK_STEPS)
        try:
            yield
        except OperationalError as exc:
            if "interrupted" in str(exc) and stop():
                raise Abandoned("query abandoned: a newer one replaced it") from None
            raise
        finally:
            connection.set_progress_handler(None, 0)

    def lock_rows(self, table: str, ids: list[int]) -> list[int]:
        """Inside a write transaction: ``ids`` as they are (BEGIN IMMEDIATE holds the whole file already)."""
        return list(ids)

    def decide(self, name: str) -> None:
        """Inside a write transaction: one process at a time decides ``name``. BEGIN IMMEDIATE already holds the write lock."""

    def shared(self) -> bool:
        """Can checkers on other hosts share this store? No: a SQLite file is one host's."""
        return False

    @contextlib.contextmanager
    def bulk_session(self) -> Iterator[None]:
        before = self.db.execute_sql("PRAGMA cache_size").fetchone()[0]
        self.db.execute_sql(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
        try:
            yield
        finally:
            self.db.execute_sql(f"PRAGMA cache_size = {int(before)}")

    # ------------------------------------------------------------ keys

    def wipe_key(self, cert_id: int) -> None:
        """Overwrite a key blob, then clear it (``secure_delete`` zeroes the freed pages)."""
        self.db.execute_sql("UPDATE certificate SET key_blob = zeroblob(length(key_blob)) WHERE id = ?", [cert_id])
        self.db.execute_sql("UPDATE certificate SET key_blob = NULL WHERE id = ?", [cert_id])

    def flush_wiped(self) -> bool:
        """Empty the WAL, where the old pages may remain; False when another reader keeps it."""
        busy = self.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        return not busy

    # ------------------------------------------------------------ errors

    def failure(self, exc: BaseException) -> str | None:
        """A sentence for a database failure anywhere in ``exc``'s chain, or None when it is not one."""
        return database_failure(exc, self.location.path)

    def release_thread(self) -> None:
        """Nothing: a SQLite connection is a file handle, and the thread's goes with the thread."""

    def close(self) -> None:
        self.db.close()


def _match(forms: list[str]) -> str:
    return " OR ".join('"' + form.replace('"', '""') + '"' for form in forms)


def database_failure(exc: BaseException, path: Path | None) -> str | None:
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
