"""A database of an earlier schema version, made from the frozen migrations, holding real rows.

Rows are written by today's store into a scratch database, then copied column by
column into a database built only from migrations 1..N (and the key file beside
it), which is what an older sslterm left on disk.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sslterm.store.migrations import MIGRATIONS
from sslterm.store.vault import key_file_for

TABLES = ("owner", "certificate", "certificatename", "webdomain", "endpoint", "event", "acmeaccount", "acmesetting")


def old_database(scratch: Path, target: Path, version: int) -> Path:
    """Copy the store at ``scratch`` into a new database of schema ``version`` at ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    old = sqlite3.connect(target)
    for steps in MIGRATIONS[:version]:
        for step in steps:
            if isinstance(step, str):
                old.execute(step)
            else:
                step(_Raw(old))  # a frozen function of raw SQL: on an empty database it has nothing to do
    old.execute("CREATE TABLE IF NOT EXISTS setting (key VARCHAR(255) NOT NULL PRIMARY KEY, value TEXT NOT NULL)")
    old.execute("INSERT INTO setting VALUES ('schema_version', ?)", [str(version)])
    new = sqlite3.connect(scratch)
    for table in TABLES:
        if not _columns(old, table):
            continue
        shared = [c for c in _columns(old, table) if c in _columns(new, table) and c != "expiry_order"]
        names = ", ".join(f'"{c}"' for c in shared)
        rows = new.execute(f'SELECT {names} FROM "{table}"').fetchall()
        old.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(shared))})', rows)
    if version >= 3:
        old.execute("INSERT INTO certificate_fts(rowid, search) SELECT id, search FROM certificate")
    for key, value in new.execute("SELECT key, value FROM setting WHERE key != 'schema_version'"):
        old.execute("INSERT INTO setting VALUES (?, ?)", [key, value])
    old.commit()
    old.close()
    new.close()
    if key_file_for(scratch).exists():
        shutil.copy(key_file_for(scratch), key_file_for(target))
    return target


class _Raw:
    """What a frozen migration function uses of peewee's database, on a plain sqlite3 connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute_sql(self, sql: str, params: object = ()) -> sqlite3.Cursor:
        return self.connection.execute(sql, params)  # type: ignore[arg-type]

    def cursor(self) -> sqlite3.Cursor:
        return self.connection.cursor()


def _columns(db: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in db.execute(f'PRAGMA table_xinfo("{table}")')]
