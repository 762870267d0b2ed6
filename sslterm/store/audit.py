"""The history as a hash chain: each event's hash covers its fields and the previous event's hash.

An event edited, inserted or removed in the database afterwards (with sqlite3, say)
breaks the chain at that point, and :func:`verify_chain` names the first broken link.
Removing the newest events leaves no trace in the chain itself: keep backups
(``sslterm backup``) to compare against.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
from dataclasses import dataclass
from typing import Iterable, Sequence

from peewee import Database

GENESIS = "0" * 64
EventRow = Sequence[object]  # (at, kind, certificate_id, domain, user, detail)


def os_user() -> str:
    """The user the process really runs as (its real uid), not ``$USER``, which anyone can set."""
    uid = os.getuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def event_hash(previous: str, event_id: int, at: int, kind: str, certificate_id: int | None, domain: str | None, user: str, detail: str) -> str:
    fields = json.dumps([previous, event_id, at, kind, certificate_id, domain, user, detail], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(fields.encode()).hexdigest()


def append_events(db: Database, rows: Iterable[EventRow]) -> None:
    """Insert events with explicit ids and chained hashes (the caller holds the write transaction)."""
    rows = list(rows)
    if not rows:
        return
    db.engine.decide("history")  # type: ignore[attr-defined]  # the chain is one line: one writer at a time extends it
    last = db.execute_sql('SELECT id, hash FROM event ORDER BY id DESC LIMIT 1').fetchone()
    next_id, previous = (last[0] + 1, last[1] or GENESIS) if last else (1, GENESIS)
    chained = []
    for offset, (at, kind, certificate_id, domain, user, detail) in enumerate(rows):
        event_id = next_id + offset
        previous = event_hash(previous, event_id, int(at), str(kind), certificate_id, domain, str(user), str(detail))  # type: ignore[arg-type]
        chained.append((event_id, at, kind, certificate_id, domain, user, detail, previous))
    db.cursor().executemany('INSERT INTO event (id, at, kind, certificate_id, domain, "user", detail, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', chained)
    db.engine.ids_taken("event")  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ChainCheck:
    """How many events were checked, and the first that does not continue the chain (None: intact)."""

    checked: int
    broken_id: int | None = None
    reason: str = ""
    broken_at: int | None = None  # the broken event as stored: when, what, which certificate
    broken_kind: str = ""
    broken_certificate: int | None = None


def verify_chain(db: Database) -> ChainCheck:
    previous, checked = GENESIS, 0
    cursor = db.execute_sql('SELECT id, at, kind, certificate_id, domain, "user", detail, hash FROM event ORDER BY id')
    for event_id, at, kind, certificate_id, domain, user, detail, stored in cursor:
        expected = event_hash(previous, event_id, at, kind, certificate_id, domain, user, detail)
        if stored != expected:
            return ChainCheck(checked, event_id, "its fields were edited, or an event before it was removed or inserted",
                              at, kind, certificate_id)
        previous, checked = stored, checked + 1
    return ChainCheck(checked)


def chain_existing(db: Database) -> None:
    """Schema 8: hash the events an earlier sslterm wrote, in id order (frozen: raw SQL)."""
    previous = GENESIS
    rows = db.execute_sql('SELECT id, at, kind, certificate_id, domain, "user", detail FROM event ORDER BY id').fetchall()
    updates = []
    for event_id, at, kind, certificate_id, domain, user, detail in rows:
        previous = event_hash(previous, event_id, at, kind, certificate_id, domain, user, detail)
        updates.append((previous, event_id))
    db.cursor().executemany("UPDATE event SET hash = ? WHERE id = ?", updates)
