"""Schema 6: group a store's existing certificates into lineages (frozen: raw SQL, no models).

The grouping follows the lineage rule: renewal links already stored first, then
the same names (CN + SANs) and owner. In each group the newest live certificate
is current; any other live one is archived as an older version (with its
web-domains moved to the current one and a history event saying why).
"""

from __future__ import annotations

import time
from collections import defaultdict

from peewee import Database

from sslterm.core.lineage import names_key

UPGRADE_USER = "sslterm (upgrade)"


def group_into_lineages(db: Database) -> None:
    rows = db.execute_sql(
        'SELECT id, owner_id, previous_id, not_before, not_after, created_at, archived, cert_pem IS NOT NULL FROM certificate ORDER BY id'
    ).fetchall()
    names: dict[int, list[str]] = defaultdict(list)
    for cert_id, name in db.execute_sql("SELECT certificate_id, name FROM certificatename"):
        names[cert_id].append(name)
    groups = _groups(rows, names)
    at = int(time.time())
    by_id = {row[0]: row for row in rows}
    for members in groups:
        _store_group(db, [by_id[m] for m in members], names, at)


def _groups(rows: list[tuple], names: dict[int, list[str]]) -> list[list[int]]:
    parent = {row[0]: row[0] for row in rows}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        parent[find(a)] = find(b)

    for cert_id, _, previous, *_ in rows:
        if previous is not None and previous in parent:
            union(cert_id, previous)
    first: dict[tuple[int, str], int] = {}
    for cert_id, owner, _, _, _, _, _, has_cert in rows:
        if not has_cert:
            continue  # a pending request is a lineage of its own until its certificate arrives
        key = (owner, names_key(names[cert_id]))
        if key in first:
            union(cert_id, first[key])
        else:
            first[key] = cert_id
    grouped: dict[int, list[int]] = defaultdict(list)
    for row in rows:
        grouped[find(row[0])].append(row[0])
    return list(grouped.values())


def _store_group(db: Database, members: list[tuple], names: dict[int, list[str]], at: int) -> None:
    # (not_before, not_after, id): the order versions were issued; a request has no dates yet.
    members.sort(key=lambda r: (r[3] if r[3] is not None else r[5], r[4] or 0, r[0]))
    live = [r for r in members if not r[6]]
    current = live[-1] if live else members[-1]
    db.execute_sql('INSERT INTO lineage (owner_id, names_key) VALUES (?, ?)', [current[1], names_key(names[current[0]])])
    lineage_id = db.execute_sql("SELECT last_insert_rowid()").fetchone()[0]
    first_created = min(r[5] for r in members)
    for version, row in enumerate(members, start=1):
        db.execute_sql('UPDATE certificate SET lineage_id = ?, version = ?, added_at = created_at, created_at = ? WHERE id = ?',
                       [lineage_id, version, first_created, row[0]])
    if len(members) > 1:
        db.execute_sql("UPDATE certificate SET updated_at = added_at WHERE id = ?", [current[0]])
    for row in live[:-1]:
        db.execute_sql("UPDATE certificate SET archived = 1, archived_at = ? WHERE id = ?", [at, row[0]])
        db.execute_sql("UPDATE webdomain SET certificate_id = ? WHERE certificate_id = ?", [current[0], row[0]])
        db.execute_sql('INSERT INTO event (at, kind, certificate_id, domain, "user", detail) VALUES (?, ?, ?, NULL, ?, ?)',
                       [at, "renewed", row[0], UPGRADE_USER, f"superseded by certificate {current[0]} (same names and owner) when versions were grouped into lineages"])
