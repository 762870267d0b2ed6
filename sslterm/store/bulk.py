"""Bulk import: many certificates in one IMMEDIATE transaction, with batched SQL.

The per-certificate path (:meth:`Store.add_certificate`) builds a dozen ORM
queries per certificate; importing a fleet must not. New certificates are
inserted with ``executemany``; anything unusual (already present, completing a
pending request, carrying a key to add) goes through the per-certificate path.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Iterable, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sslterm.core.certinfo import CertSummary
from sslterm.core.errors import SslTermError
from sslterm.core.parse import PrivateKey
from sslterm.core.validate import require_key_match
from sslterm.store.models import Owner, Setting
from sslterm.store.store import Store, _search_text

CHUNK = 400  # stays under SQLite's 999 bound parameters for IN (...) lists
TRANSACTION = 4000  # certificates per IMMEDIATE transaction: few commits, short enough not to starve the TUI


class BulkItem(Protocol):
    """A certificate to import: :class:`sslterm.core.discover.Candidate` is one."""

    @property
    def certificate(self) -> x509.Certificate: ...

    chain: list[x509.Certificate]
    key: PrivateKey | None
    source: Path
    summary: CertSummary
    pem: str


@dataclass(frozen=True)
class BulkOutcome:
    """Per item: (outcome, id, domain, has_key) or an error message."""

    item: "BulkItem"
    outcome: str | None
    cert_id: int | None = None
    domain: str = ""
    has_key: bool = False
    error: str | None = None


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def import_many(store: Store, items: Iterable[BulkItem], *, owner: str, now: datetime, type: str = "existing", name: str | None = None) -> list[BulkOutcome]:
    """Store many certificates at once; same outcomes as :meth:`Store.add_certificate`."""
    outcomes: list[BulkOutcome] = []
    batch = list(items)
    for start in range(0, len(batch), TRANSACTION):
        with store.db.atomic():
            for chunk_start in range(start, min(start + TRANSACTION, len(batch)), CHUNK):
                outcomes += _chunk(store, batch[chunk_start : chunk_start + CHUNK], owner, now, type, name)
    return outcomes


def _chunk(store: Store, items: list[BulkItem], owner: str, now: datetime, type: str, name: str | None) -> list[BulkOutcome]:
    db = store.db
    summaries: list[CertSummary | None] = []
    outcomes: dict[int, BulkOutcome] = {}
    for index, item in enumerate(items):
        try:
            if item.key is not None:
                require_key_match(item.certificate, item.key)
            summaries.append(item.summary)
        except SslTermError as exc:
            summaries.append(None)
            outcomes[index] = BulkOutcome(item, None, error=str(exc))
    fingerprints = [s.sha256 for s in summaries if s is not None]
    spkis = [s.public_key_sha256 for s in summaries if s is not None]
    marks = ",".join("?" * len(fingerprints))
    present = {row[0] for row in db.execute_sql(f"SELECT fingerprint_sha256 FROM certificate WHERE fingerprint_sha256 IN ({marks})", fingerprints)} if fingerprints else set()
    pending = {row[0] for row in db.execute_sql(
        f"SELECT public_key_sha256 FROM certificate WHERE type = 'request' AND cert_pem IS NULL AND archived = 0 AND public_key_sha256 IN ({','.join('?' * len(spkis))})", spkis)} if spkis else set()
    owner_id = Owner.get_or_create(name=" ".join(owner.split()))[0].id
    fresh: list[tuple[int, BulkItem, CertSummary, str]] = []
    seen: set[str] = set()
    for index, (item, summary) in enumerate(zip(items, summaries)):
        if summary is None:
            continue
        if summary.sha256 in present or summary.public_key_sha256 in pending or summary.sha256 in seen:
            result = store.add_certificate(item.certificate, item.chain, item.key, type=type, owner=owner, now=now, name=name)
            outcomes[index] = BulkOutcome(item, result.outcome, result.record.id, result.record.domain, result.record.has_key)
            continue
        seen.add(summary.sha256)
        fresh.append((index, item, summary, uuid.uuid4().hex))
    if fresh:
        _insert_fresh(store, fresh, owner_id, now, type, name, outcomes)
    return [outcomes[i] for i in range(len(items))]


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _insert_fresh(store: Store, fresh: list[tuple[int, BulkItem, CertSummary, str]], owner_id: int, now: datetime, type: str, name: str | None, outcomes: dict[int, BulkOutcome]) -> None:
    db, vault, at = store.db, store.vault, _epoch(now)
    rows = []
    for _, item, s, uid in fresh:
        names = s.all_names or (s.primary_name.lower(),)
        blob = None
        if item.key is not None:
            der = item.key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
            blob = vault.encrypt(der, uid)
        rows.append((
            uid, name or s.primary_name, s.primary_name.lower(), owner_id, type, _epoch(s.not_before), _epoch(s.not_after),
            at, at, s.issuer_text, s.subject_text, s.serial_hex, s.sha256, s.public_key_sha256, s.key_description,
            json.dumps(list(s.hostnames)), _search_text(names), item.pem, "".join(_pem(c) for c in item.chain), blob,
        ))
    cursor = db.cursor()
    cursor.executemany(
        'INSERT INTO certificate (uid, name, domain, owner_id, type, not_before, not_after, created_at, updated_at, issuer, subject, '
        'serial, fingerprint_sha256, public_key_sha256, key_description, sans_json, search, cert_pem, chain_pem, key_blob, archived, renewal_failures) '
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)', rows)
    if vault.new_check_blob is not None:
        Setting.replace(key="key_check", value=vault.new_check_blob.hex()).execute()
        vault.new_check_blob = None
    uids = [uid for _, _, _, uid in fresh]
    ids = dict(db.execute_sql(f"SELECT uid, id FROM certificate WHERE uid IN ({','.join('?' * len(uids))})", uids).fetchall())
    name_rows, event_rows, primaries = [], [], {}
    for _, item, s, uid in fresh:
        cert_id = ids[uid]
        name_rows += [(cert_id, n) for n in (s.all_names or (s.primary_name.lower(),))]
        event_rows.append((at, "imported" if type != "self-signed" else "created", cert_id, None, store.user, f"{s.primary_name}, expires {s.not_after:%Y-%m-%d}"))
        domain = s.primary_name.lower()
        if not domain.startswith("*") and " " not in domain:
            primaries.setdefault(domain, cert_id)
    cursor.executemany("INSERT OR IGNORE INTO certificatename (certificate_id, name) VALUES (?, ?)", name_rows)
    cursor.executemany("INSERT INTO certificate_fts (rowid, search) VALUES (?, ?)", [(ids[row[0]], row[16]) for row in rows])
    _serve_primaries(store, primaries, at, event_rows)
    cursor.executemany('INSERT INTO event (at, kind, certificate_id, domain, "user", detail) VALUES (?, ?, ?, ?, ?, ?)', event_rows)
    for index, item, s, uid in fresh:
        outcomes[index] = BulkOutcome(item, "imported", ids[uid], s.primary_name.lower(), item.key is not None)


def _serve_primaries(store: Store, primaries: dict[str, int], at: int, event_rows: list[tuple[object, ...]]) -> None:
    """Each new certificate serves its primary domain as a web-domain if nothing else does."""
    if not primaries:
        return
    db = store.db
    names = list(primaries)
    taken = {row[0]: row[1] for row in db.execute_sql(
        f"SELECT name, certificate_id FROM webdomain WHERE name IN ({','.join('?' * len(names))})", names)}
    inserts = [(n, primaries[n]) for n in names if n not in taken]
    updates = [(primaries[n], n) for n in names if n in taken and taken[n] is None]
    db.cursor().executemany("INSERT INTO webdomain (name, certificate_id) VALUES (?, ?)", inserts)
    db.cursor().executemany("UPDATE webdomain SET certificate_id = ? WHERE name = ? AND certificate_id IS NULL", updates)
    for name, cert_id in inserts + [(n, c) for c, n in updates]:
        event_rows.append((at, "domain_attached", cert_id, name, store.user, ""))
