"""Numbered schema migrations, from the first schema on.

Each migration runs once, inside an IMMEDIATE transaction, and bumps
``schema_version``. Add new ones at the end; never edit a released one.
"""

from __future__ import annotations

from typing import Callable

from peewee import SqliteDatabase

from sslterm.store.models import MODELS, Setting


def _m001_initial(db: SqliteDatabase) -> None:
    db.create_tables(MODELS)
    db.execute_sql(
        "CREATE INDEX certificate_list ON certificate (archived, not_after, id)"
    )
    db.execute_sql("CREATE INDEX certificate_owner ON certificate (owner_id, archived)")
    db.execute_sql("CREATE INDEX certificate_updated ON certificate (archived, updated_at, id)")
    db.execute_sql("CREATE UNIQUE INDEX certificatename_unique ON certificatename (certificate_id, name)")
    db.execute_sql("CREATE INDEX event_certificate ON event (certificate_id, id)")


MIGRATIONS: list[Callable[[SqliteDatabase], None]] = [_m001_initial]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(db: SqliteDatabase) -> int:
    if not db.table_exists("setting"):
        return 0
    row = Setting.get_or_none(Setting.key == "schema_version")
    return int(row.value) if row else 0


def migrate(db: SqliteDatabase) -> int:
    """Bring the schema up to date; returns the version reached."""
    with db.atomic():
        version = current_version(db)
        if version > SCHEMA_VERSION:
            from sslterm.core.errors import StoreError

            raise StoreError(
                f"the database has schema version {version}, newer than this sslterm ({SCHEMA_VERSION}): upgrade sslterm"
            )
        for number in range(version, SCHEMA_VERSION):
            MIGRATIONS[number](db)
            Setting.replace(key="schema_version", value=str(number + 1)).execute()
    return SCHEMA_VERSION
