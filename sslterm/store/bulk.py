"""Bulk import: many certificates in one IMMEDIATE transaction, with batched SQL.

The per-certificate path (:meth:`Store.add_certificate`) builds a dozen ORM
queries per certificate; importing a fleet must not. New certificates are
inserted with ``executemany``; anything unusual (already present, completing a
pending request, carrying a key to add) goes through the per-certificate path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from json.encoder import encode_basestring_ascii
from typing import Iterable, Iterator, Protocol

from cryptography import x509

from sslterm.core.certinfo import CertSummary
from sslterm.core.discover import Candidate, Scan
from sslterm.core.errors import SslTermError
from sslterm.core.lineage import certbot_place, names_key
from sslterm.core.parse import PrivateKey, pkcs8_der
from sslterm.core.validate import require_key_match
from sslterm.store.audit import append_events
from sslterm.store.models import Owner
from sslterm.store.rows import new_uid, pem_text, search_text
from sslterm.store.store import Store

CHUNK = 400  # stays under SQLite's 999 bound parameters for IN (...) lists
TRANSACTION = 10000  # certificates per IMMEDIATE transaction: each commit rewrites the index pages it touched, so fewer is faster; ~1 s of write lock at most
FIRST_TRANSACTIONS = (250, 500, 1000, 2000, 4000)  # start storing as soon as the first files are parsed


class BulkItem(Protocol):
    """A certificate to import: :class:`sslterm.core.discover.Candidate` is one."""

    @property
    def certificate(self) -> x509.Certificate: ...

    chain: list[x509.Certificate]
    key: PrivateKey | None
    source: str
    summary: CertSummary
    pem: str


@dataclass(frozen=True)
class BulkOutcome:
    """Per item: (outcome, id, domain, has_key, the certificate it supersedes or joins) or an error message."""

    item: "BulkItem"
    outcome: str | None
    cert_id: int | None = None
    domain: str = ""
    has_key: bool = False
    error: str | None = None
    other_id: int | None = None


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@dataclass(frozen=True)
class Import:
    """What every item of one import shares."""

    owner: str
    owner_id: int
    now: datetime
    type: str = "existing"
    name: str | None = None
    supersede: bool = True  # apply the lineage rule (sslterm import --no-supersede turns it off)


def import_many(store: Store, items: Iterable[BulkItem], *, owner: str, now: datetime, type: str = "existing", name: str | None = None,
                supersede: bool = True) -> list[BulkOutcome]:
    """Store many certificates at once; same outcomes as :meth:`Store.add_certificate`."""
    outcomes: list[BulkOutcome] = []
    batch = list(items)
    with _bulk_session(store):
        run = Import(owner, _owner_id(owner), now, type, name, supersede)
        for start in range(0, len(batch), TRANSACTION):
            with store.db.atomic():
                for chunk_start in range(start, min(start + TRANSACTION, len(batch)), CHUNK):
                    outcomes += _chunk(store, batch[chunk_start : chunk_start + CHUNK], run)
    return outcomes


def import_scan(store: Store, scan: Scan, *, owner: str, now: datetime, type: str = "existing", supersede: bool = True) -> list[BulkOutcome]:
    """Store every certificate a :class:`Scan` finds, while it is still reading files.

    New certificates are inserted as soon as they are parsed, without key or chain
    (those may be in files not read yet); once the scan is done, keys and chains
    are added to the rows that have them, and anything unusual (already present,
    completing a pending request) goes through the per-certificate path.
    Outcomes are the same as :func:`import_many` over ``discover``'s candidates.
    """
    items: list[Candidate] = []
    outcomes: dict[int, BulkOutcome] = {}
    deferred: list[int] = []  # present, completing a request or continuing a lineage: stored once keys are known
    bare: dict[int, str] = {}  # stored without key or chain yet: position -> uid
    with _bulk_session(store):
        run = Import(owner, _owner_id(owner), now, type, None, supersede)
        stream = iter(scan.candidates())
        sizes = itertools.chain(FIRST_TRANSACTIONS, itertools.repeat(TRANSACTION))
        while batch := list(itertools.islice(stream, next(sizes))):
            first = len(items)
            items += batch
            with store.db.atomic():
                for start in range(first, len(items), CHUNK):
                    positions = range(start, min(start + CHUNK, len(items)))
                    fresh, unusual = _split(store, [items[i] for i in positions], run)
                    deferred += [positions[i] for i in unusual]
                    rows = [(positions[i], items[positions[i]], items[positions[i]].summary, new_uid()) for i in fresh]
                    if rows:
                        _insert_fresh(store, rows, run, outcomes)
                        bare.update((index, uid) for index, _, _, uid in rows)
        _add_keys_and_chains(store, scan, items, bare, outcomes)
        for start in range(0, len(deferred), CHUNK):
            positions = deferred[start : start + CHUNK]
            with store.db.atomic():
                done = _chunk(store, [scan.pair(items[i]) for i in positions], run)
            outcomes.update(zip(positions, done))
    return [outcomes[i] for i in range(len(items))]


def _add_keys_and_chains(store: Store, scan: Scan, items: list[Candidate], bare: dict[int, str], outcomes: dict[int, BulkOutcome]) -> None:
    """The second half of :func:`import_scan`: keys and chains for the rows stored bare."""
    updates = []
    for index, uid in bare.items():
        item = scan.pair(items[index])
        if item.key is None and not item.chain:
            continue
        outcome = outcomes[index]
        blob = store.vault.encrypt(pkcs8_der(item.key), uid) if item.key is not None else None
        outcomes[index] = dataclasses.replace(outcome, has_key=item.key is not None)
        updates.append((blob, "".join(pem_text(c) for c in item.chain), outcome.cert_id))
    for start in range(0, len(updates), TRANSACTION):
        with store.db.atomic():
            store.db.cursor().executemany("UPDATE certificate SET key_blob = ?, chain_pem = ? WHERE id = ?", updates[start : start + TRANSACTION])
            store._persist_check_blob()


@contextlib.contextmanager
def _bulk_session(store: Store) -> Iterator[None]:
    """A bigger page cache while importing: the unique and name indexes are written at random places.

    The garbage collector is paused too: an import allocates many long-lived
    objects, and each full collection walks all of them.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        with store.engine.bulk_session():
            yield
    finally:
        if collecting:
            gc.enable()


def _owner_id(owner: str) -> int:
    return Owner.get_or_create(name=" ".join(owner.split()))[0].id


def _split(store: Store, items: list[BulkItem], run: Import) -> tuple[list[int], list[int]]:
    """Positions of new certificates, and of the unusual ones: already present, completing a
    pending request, or (with the lineage rule) continuing a lineage stored or in this chunk."""
    db = store.db
    fingerprints = [item.summary.sha256 for item in items]
    spkis = [item.summary.public_key_sha256 for item in items]
    present = {row[0] for row in db.execute_sql(
        f"SELECT fingerprint_sha256 FROM certificate WHERE fingerprint_sha256 IN ({','.join('?' * len(fingerprints))})", fingerprints)}
    pending = {row[0] for row in db.execute_sql(
        f"SELECT public_key_sha256 FROM certificate WHERE type = 'request' AND cert_pem IS NULL AND archived = 0 AND public_key_sha256 IN ({','.join('?' * len(spkis))})", spkis)}
    continuing = _continuing(db, items, run) if run.supersede else set()
    fresh, unusual = [], []
    for position, item in enumerate(items):
        usual = item.summary.sha256 not in present and item.summary.public_key_sha256 not in pending and position not in continuing
        (fresh if usual else unusual).append(position)
    return fresh, unusual


def _lineage_keys(item: BulkItem) -> tuple[tuple[str, str], ...]:
    """What may tie an item to a lineage: its names, and certbot's lineage name when it has one (a CA: nothing)."""
    s = item.summary
    if s.is_ca:
        return ()
    keys = (("names", names_key(s.all_names or (s.primary_name.lower(),))),)
    certbot = certbot_place(item.source)
    return keys + ((("certbot", certbot.name),) if certbot else ())


def _continuing(db, items: list[BulkItem], run: Import) -> set[int]:  # type: ignore[no-untyped-def]
    """Positions of items that share a lineage key with a live lineage of the owner, or with another item here."""
    keys = [_lineage_keys(item) for item in items]
    seen = Counter(key for item_keys in keys for key in set(item_keys))
    stored: set[tuple[str, str]] = set()
    for column, kind in (("names_key", "names"), ("certbot_name", "certbot")):
        values = sorted({value for item_keys in keys for k, value in item_keys if k == kind})
        if values:
            stored |= {(kind, row[0]) for row in db.execute_sql(
                f"SELECT lineage.{column} FROM lineage WHERE lineage.owner_id = ? AND lineage.{column} IN ({','.join('?' * len(values))}) "
                "AND EXISTS (SELECT 1 FROM certificate WHERE certificate.lineage_id = lineage.id AND certificate.archived = 0 "
                "AND certificate.cert_pem IS NOT NULL)", [run.owner_id, *values])}
    return {position for position, item_keys in enumerate(keys) if any(seen[k] > 1 or k in stored for k in item_keys)}


def _chunk(store: Store, items: list[BulkItem], run: Import) -> list[BulkOutcome]:
    outcomes: dict[int, BulkOutcome] = {}
    matched: list[int] = []
    for index, item in enumerate(items):
        try:
            if item.key is not None:
                require_key_match(item.certificate, item.key)
            matched.append(index)
        except SslTermError as exc:
            outcomes[index] = BulkOutcome(item, None, error=str(exc))
    fresh_positions, unusual_positions = _split(store, [items[i] for i in matched], run) if matched else ([], [])
    unusual = {matched[p] for p in unusual_positions}
    fresh: list[tuple[int, BulkItem, CertSummary, str]] = []
    later: list[int] = []  # present, completing a request, continuing a lineage, or a repeat within this import
    seen: set[str] = set()
    for index in matched:
        summary = items[index].summary
        if index in unusual or summary.sha256 in seen:
            later.append(index)
            continue
        seen.add(summary.sha256)
        fresh.append((index, items[index], summary, new_uid()))
    if fresh:
        _insert_fresh(store, fresh, run, outcomes)
    # Oldest first, so that each version of a lineage supersedes the one before it.
    for index in sorted(later, key=lambda i: (items[i].summary.not_before, items[i].summary.not_after, i)):
        item = items[index]
        is_ca = item.summary.is_ca  # CA certificates are their own lineages: a cross-sign does not replace a root
        result = store.add_certificate(item.certificate, item.chain, item.key, type="ca" if is_ca else run.type, owner=run.owner,
                                       now=run.now, name=run.name, supersede=run.supersede and not is_ca, source=item.source)
        outcomes[index] = BulkOutcome(item, result.outcome, result.record.id, result.record.domain, result.record.has_key, other_id=result.other_id)
    return [outcomes[i] for i in range(len(items))]


def _insert_fresh(store: Store, fresh: list[tuple[int, BulkItem, CertSummary, str]], run: Import, outcomes: dict[int, BulkOutcome]) -> None:
    """Insert certificates known to be new, each the first version of a lineage of its own, with
    explicit ids (the write lock is held, so max(id) is ours)."""
    db, vault, at, type, name = store.db, store.vault, _epoch(run.now), run.type, run.name
    first_id = db.execute_sql("SELECT COALESCE(MAX(id), 0) + 1 FROM certificate").fetchone()[0]
    first_lineage = db.execute_sql("SELECT COALESCE(MAX(id), 0) + 1 FROM lineage").fetchone()[0]
    rows, name_rows, search_rows, event_rows, lineage_rows, primaries = [], [], [], [], [], {}
    kind = "imported" if type != "self-signed" else "created"
    user = store.user
    for offset, (_, item, s, uid) in enumerate(fresh):
        cert_id, lineage_id = first_id + offset, first_lineage + offset
        names = s.all_names or (s.primary_name.lower(),)
        domain = s.primary_name.lower()
        search = search_text(names)
        blob = vault.encrypt(pkcs8_der(item.key), uid) if item.key is not None else None
        certbot = certbot_place(item.source) if run.supersede else None
        lineage_rows.append((lineage_id, run.owner_id, names_key(names), certbot.name if certbot else None))
        rows.append((
            cert_id, uid, name or s.primary_name, domain, run.owner_id, "ca" if s.is_ca else type, _epoch(s.not_before), _epoch(s.not_after),
            at, at, s.issuer_text, s.subject_text, s.serial_hex, s.sha256, s.public_key_sha256, s.key_description,
            _json_strings(s.hostnames), search, item.pem, "".join(pem_text(c) for c in item.chain), blob, lineage_id, at,
        ))
        name_rows += [(cert_id, n) for n in names]
        search_rows.append((cert_id, search))
        event_rows.append((at, kind, cert_id, None, user, f"{s.primary_name}, expires {s.not_after.date().isoformat()}"))
        if not domain.startswith("*") and " " not in domain and not s.is_ca:  # a CA serves no web-domain
            primaries.setdefault(domain, cert_id)
    cursor = db.cursor()
    cursor.executemany("INSERT INTO lineage (id, owner_id, names_key, certbot_name) VALUES (?, ?, ?, ?)", lineage_rows)
    cursor.executemany(
        'INSERT INTO certificate (id, uid, name, domain, owner_id, type, not_before, not_after, created_at, updated_at, issuer, subject, '
        'serial, fingerprint_sha256, public_key_sha256, key_description, sans_json, search, cert_pem, chain_pem, key_blob, lineage_id, '
        'added_at, archived, renewal_failures, version) '
        'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 1)', rows)
    store._persist_check_blob()
    store.engine.ids_taken("lineage", "certificate")
    cursor.executemany(store.engine.insert_ignore("certificatename", "certificate_id, name", "?, ?"), name_rows)
    store.engine.index_search(search_rows)
    _serve_primaries(store, primaries, at, event_rows)
    append_events(db, event_rows)
    for cert_id, (index, item, s, _) in enumerate(fresh, start=first_id):
        outcomes[index] = BulkOutcome(item, "imported", cert_id, s.primary_name.lower(), item.key is not None)


def _json_strings(values: tuple[str, ...]) -> str:
    """``json.dumps(list(values))`` for strings, without the encoder's per-call setup (~3 us a certificate)."""
    return "[" + ", ".join(map(encode_basestring_ascii, values)) + "]"


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
