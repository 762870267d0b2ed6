"""Moving a whole store to another engine (or another database of the same one), then proving the copy.

Everything is copied as stored: certificates with their encrypted keys, history
with its hash chain, endpoints, targets, channels, findings and the outbox. The
encrypted blobs move as they are, so the data key moves with them: into a
first key slot of the operator's secret on PostgreSQL, into a key file beside
a SQLite file. The copy is one transaction; then every table is compared row by
row with the source and every key is decrypted from the copy.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sslterm.core.errors import InputError, StoreError
from sslterm.store.engines import Location, open_engine

# In foreign-key order; leases are a checker's working state, not inventory, and stay behind.
TABLES = ("owner", "lineage", "certificate", "certificatename", "webdomain", "endpoint", "event", "acmeaccount", "acmesetting",
          "deploytarget", "channel", "finding", "outbox", "setting")
GENERATED = {"certificate": {"expiry_order"}}
KEPT_SETTINGS = ("schema_version",)  # the copy has its own (the same: both were migrated to this sslterm's)
CHUNK = 2000


@dataclass(frozen=True)
class MoveReport:
    target: Location
    rows: dict[str, int]
    keys: int  # private keys and secrets decrypted from the copy


def _columns(db: Any, table: str) -> list[str]:
    cursor = db.execute_sql(f'SELECT * FROM "{table}" LIMIT 0')
    return [c[0] for c in cursor.description if c[0] not in GENERATED.get(table, set())]


def _order(table: str) -> str:
    return '"key"' if table == "setting" else '"id"'


def _normal(value: Any) -> Any:
    if isinstance(value, memoryview):
        return bytes(value)
    if value is True or value is False:
        return int(value)
    return value


def _rows(db: Any, table: str, columns: list[str]):  # type: ignore[no-untyped-def]
    where = " WHERE \"key\" NOT IN ('schema_version')" if table == "setting" else ""
    cursor = db.execute_sql(f'SELECT {", ".join(f"{chr(34)}{c}{chr(34)}" for c in columns)} FROM "{table}"{where} ORDER BY {_order(table)}')
    for row in cursor:
        yield tuple(_normal(v) for v in row)


def _digest(db: Any, table: str, columns: list[str]) -> tuple[int, str]:
    digest, count = hashlib.sha256(), 0
    for row in _rows(db, table, columns):
        digest.update(repr(row).encode())
        count += 1
    return count, digest.hexdigest()


def move(source: Any, target: Location, user: str, passphrase: str | None, key_file: Any, now: datetime) -> MoveReport:
    """Copy the open store ``source`` into the empty store at ``target``; verify; return what was copied.

    ``passphrase`` / ``key_file``: the operator's secret, which wraps the data key at the target
    (a PostgreSQL target's first slot needs one; a SQLite target's key file is wrapped if a passphrase is given).
    """
    if target == source.location:
        raise InputError(f"{target} is the store being moved: give another --to")
    data_key = source.vault.data_key() if _holds_secrets(source.db) else None
    check = source.db.execute_sql("SELECT value FROM setting WHERE key = 'key_check'").fetchone()
    if target.is_sqlite:
        assert target.path is not None
        if target.path.exists():
            raise InputError(f"{target.path} already exists: migrate into a new file (nothing was written)")
    elif not target.is_sqlite:
        from sslterm.store.engines.postgres import store_exists

        if store_exists(target):
            _refuse_filled(target)
        if data_key is not None and not (passphrase or key_file):
            raise InputError("a PostgreSQL store keeps its keys under key slots: set SSLTERM_PASSPHRASE (or SSLTERM_KEY_FILE) "
                             "for your first slot (nothing was written)")
    engine = open_engine(target, create=True)
    try:
        rows = _copy(source.db, engine, data_key, user, passphrase, key_file, now)
        keys = _verify(source, engine, user, passphrase, key_file, check)
    except BaseException:
        engine.close()
        if target.is_sqlite and target.path is not None:
            _remove_sqlite(target)
        raise
    engine.close()
    source.use()
    return MoveReport(target, rows, keys)


def _holds_secrets(db: Any) -> bool:
    for sql in ('SELECT 1 FROM "certificate" WHERE key_blob IS NOT NULL LIMIT 1', 'SELECT 1 FROM "acmeaccount" LIMIT 1',
                'SELECT 1 FROM "channel" LIMIT 1', 'SELECT 1 FROM "deploytarget" WHERE pfx_password_blob IS NOT NULL LIMIT 1'):
        if db.execute_sql(sql).fetchone():
            return True
    return False


def _refuse_filled(target: Location) -> None:
    engine = open_engine(target, create=False)
    try:
        count = engine.db.execute_sql('SELECT COUNT(*) FROM "certificate"').fetchone()[0]
        events = engine.db.execute_sql('SELECT COUNT(*) FROM "event"').fetchone()[0]
    finally:
        engine.close()
    if count or events:
        raise InputError(f"{target} already holds an sslterm store ({count} certificates): migrate into an empty database (nothing was written)")


def _copy(src: Any, engine: Any, data_key: bytes | None, user: str, passphrase: str | None, key_file: Any, now: datetime) -> dict[str, int]:
    dst = engine.db
    counts: dict[str, int] = {}
    with dst.atomic():
        engine.decide("migrate")
        for table in TABLES:
            columns = _columns(src, table)
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" for _ in columns)
            previous = columns.index("previous_id") if table == "certificate" else None
            sql = f'INSERT INTO "{table}" ({names}) VALUES ({marks})'
            if table == "setting":
                sql += ' ON CONFLICT ("key") DO UPDATE SET "value" = excluded."value"'
            links, batch, count = [], [], 0
            for row in _rows(src, table, columns):
                if previous is not None and row[previous] is not None:  # a link may point at a later row: set afterwards
                    links.append((row[previous], row[0]))
                    row = row[:previous] + (None,) + row[previous + 1:]
                batch.append(row)
                if len(batch) >= CHUNK:
                    dst.cursor().executemany(sql, batch)
                    count, batch = count + len(batch), []
            if batch:
                dst.cursor().executemany(sql, batch)
                count += len(batch)
            if links:
                dst.cursor().executemany('UPDATE "certificate" SET "previous_id" = ? WHERE "id" = ?', links)
            if table != "setting":
                engine.ids_taken(table)
            counts[table] = count
        if counts.get("certificate"):
            engine.index_search([tuple(r) for r in src.execute_sql('SELECT id, search FROM "certificate" ORDER BY id')])
        if data_key is not None:
            _place_data_key(engine, data_key, user, passphrase, key_file, now)
    return counts


def _place_data_key(engine: Any, data_key: bytes, user: str, passphrase: str | None, key_file: Any, now: datetime) -> None:
    if engine.location.is_sqlite:
        from sslterm.store.vault import key_file_for, write_key_file

        write_key_file(key_file_for(engine.location.path), data_key, passphrase)
        return
    from sslterm.store.keyslots import KEY_FILE, PASSPHRASE, Secret, insert_slot

    secret = Secret(passphrase, key_file)
    kind, value = (PASSPHRASE, passphrase) if passphrase else (KEY_FILE, secret.key_file_bytes())
    insert_slot(engine.db, f"{user} ({kind})", kind, value, data_key, user, now)


def _verify(source: Any, engine: Any, user: str, passphrase: str | None, key_file: Any, check: Any) -> int:
    """Every table equal, row by row; every key and secret decrypts from the copy. Raises StoreError otherwise."""
    for table in TABLES:
        columns = _columns(source.db, table)
        if _digest(source.db, table, columns) != _digest(engine.db, table, columns):
            raise StoreError(f"the copy's {table} table differs from the source's: nothing was kept, the source is unchanged")
    from sslterm.store.store import Store

    copy = Store(engine, user, passphrase, key_file)
    copy.use()
    return copy.decrypt_every_key()


def _remove_sqlite(target: Location) -> None:
    assert target.path is not None
    for suffix in ("", "-wal", "-shm", ".key"):
        path = target.path.with_name(target.path.name + suffix)
        if path.exists():
            path.unlink()
