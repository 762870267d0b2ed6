"""Leases: what one checker has claimed (a lineage to renew, an endpoint to probe), and until when.

Several ``sslterm check --watch`` processes can share one store. Before renewing
a lineage or probing an endpoint a checker claims it: the items' rows are locked
without waiting for ones another checker is claiming (``FOR UPDATE SKIP LOCKED``
on PostgreSQL; SQLite's write lock serialises claims anyway), and a lease row
says who holds each one until when. An item with another holder's unexpired
lease is left to that holder; a checker that dies holds nothing once its
leases run out, and the next pass takes its items over.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:
    from sslterm.store.store import Store

DEFAULT_LEASE = timedelta(minutes=10)
RENEW, PROBE, DEPLOY = "renew", "probe", "deploy"
TABLES = {RENEW: "lineage", PROBE: "endpoint", DEPLOY: "deploytarget"}
CHUNK = 500


def default_holder() -> str:
    """This checker, as its leases name it: host, process and a nonce (a restarted process is another holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Claims:
    def __init__(self, store: Store, holder: str | None = None, lease: timedelta = DEFAULT_LEASE) -> None:
        self.store = store
        self.holder = holder or default_holder()
        self.lease = lease

    def claim(self, kind: str, ids: Iterable[int], now: datetime) -> set[int]:
        """Of ``ids``, those this checker holds now (newly claimed, or already its own); the lease runs from ``now``."""
        wanted = sorted(set(ids))
        held: set[int] = set()
        epoch, until = int(now.timestamp()), int((now + self.lease).timestamp())
        engine, db = self.store.engine, self.store.db
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            with db.atomic():
                free = engine.lock_rows(TABLES[kind], chunk)
                if not free:
                    continue
                values = ", ".join("(?, ?, ?, ?)" for _ in free)
                params: list[object] = [v for item in free for v in (kind, item, self.holder, until)]
                cursor = db.execute_sql(
                    f'INSERT INTO "lease" ("kind", "item_id", "holder", "until") VALUES {values} '
                    'ON CONFLICT ("kind", "item_id") DO UPDATE SET "holder" = excluded."holder", "until" = excluded."until" '
                    'WHERE "lease"."until" <= ? OR "lease"."holder" = excluded."holder" RETURNING "item_id"', [*params, epoch])
                held |= {row[0] for row in cursor.fetchall()}
        return held

    def release(self, kind: str, ids: Iterable[int]) -> None:
        """Give up this checker's leases on ``ids`` (the work is done and committed)."""
        items = sorted(set(ids))
        for start in range(0, len(items), CHUNK):
            chunk = items[start:start + CHUNK]
            with self.store.db.atomic():
                self.store.db.execute_sql(
                    f'DELETE FROM "lease" WHERE "kind" = ? AND "holder" = ? AND "item_id" IN ({", ".join("?" for _ in chunk)})',
                    [kind, self.holder, *chunk])

    def busy_certificates(self, now: datetime) -> set[int]:
        """Live certificates whose lineage another checker is renewing right now: their state is about to change."""
        cursor = self.store.db.execute_sql(
            'SELECT c."id" FROM "certificate" c JOIN "lease" l ON l."kind" = ? AND l."item_id" = c."lineage_id" '
            'WHERE l."until" > ? AND l."holder" <> ? AND c."archived" = 0', [RENEW, int(now.timestamp()), self.holder])
        return {row[0] for row in cursor.fetchall()}

    def holders(self, kind: str, now: datetime) -> dict[int, str]:
        """Unexpired leases of ``kind``: item id -> holder."""
        cursor = self.store.db.execute_sql('SELECT "item_id", "holder" FROM "lease" WHERE "kind" = ? AND "until" > ?',
                                           [kind, int(now.timestamp())])
        return dict(cursor.fetchall())
