"""The read side: list queries with filters, sort and paging, counts per bucket.

Everything is decided in SQL on indexed columns so that a page, a search and
the counts cost about the same at 1,000 or 500,000 certificates:

* the default order reads ``(archived, expiry_order, id)`` in index order;
* a search term of three characters or more goes through the FTS5 trigram index;
* unfiltered counts are index range counts, not a scan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from peewee import JOIN, SQL, Case, Column, Expression, fn

from sslterm.core.names import to_ascii_query
from sslterm.core.search import SearchSpec, covering_wildcard, parse_search
from sslterm.core.status import Bucket
from sslterm.store.models import Certificate, CertificateName, Owner

SORTS = ("urgency", "domain", "name", "created_at", "updated_at", "not_after", "type", "owner", "status")
EXPIRY_ORDER = Column(Certificate, "expiry_order")  # generated column: COALESCE(not_after, year 9999)
BROAD_TERM = 5000  # index hits from which a term counts as broad
BROAD_MEMO_SECONDS = 60.0  # how long a broad term is known as broad: it only chooses the plan, never the rows


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: a status bucket, a search, an owner, a sort."""

    bucket: Bucket = Bucket.ALL
    search: str = ""
    owner: str | None = None
    sort: str = "urgency"
    descending: bool = False
    all_versions: bool = False  # archived versions too (sslterm list --all-versions)

    def with_(self, **changes: object) -> ListQuery:
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def filtered(self) -> bool:
        return bool(self.search.strip() or self.owner)

    @property
    def spec(self) -> SearchSpec:
        return parse_search(self.search)


def bucket_condition(bucket: Bucket, now: datetime) -> Expression | None:
    """SQL for :func:`sslterm.core.status.in_bucket` on the certificate table.

    The expiry bound is written on ``expiry_order`` (not_after, or year 9999 for a
    pending request, whose NULL not_before keeps it out of every bucket but All), so
    one index serves both the range and the default order: no sort of the bucket.
    """
    epoch = int(now.timestamp())
    if bucket is Bucket.ALL:
        return None
    if bucket is Bucket.EXPIRED:
        return EXPIRY_ORDER <= epoch
    valid = (Certificate.not_before <= now) & (EXPIRY_ORDER > epoch)
    if bucket is Bucket.VALID:
        return valid
    assert bucket.days is not None
    return valid & (EXPIRY_ORDER <= epoch + bucket.days * 86400)


def search_terms(text: str) -> list[tuple[str, str]]:
    """Each name fragment (qualifiers left out) as (lower-case, punycode lower-case)."""
    return [(term, to_ascii_query(term).lower()) for term in parse_search(text).terms]


def _indexed(term: str, ascii_term: str) -> tuple[str, list[object]] | None:
    """A query of the ids the search index finds for a term (either form), or None for a broad or short one."""
    forms = list(dict.fromkeys((term, ascii_term)))
    engine = Certificate._meta.database.engine
    if not all(len(f) >= engine.shortest_indexed_term for f in forms):
        return None
    # A term's breadth is remembered for a while: a keystroke's page and its counts both ask,
    # and a stale answer only costs a slower plan, never other rows.
    memo, key, now = engine.term_breadth, (tuple(forms), BROAD_TERM), time.monotonic()
    known = memo.get(key)
    if known is not None and now - known < BROAD_MEMO_SECONDS:
        return None
    if len(memo) > 1024:
        memo.clear()
    found = engine.search_hits(forms, BROAD_TERM)
    if found is None:
        memo[key] = now
    return found


def _term_condition(term: str, ascii_term: str) -> tuple[Expression, bool]:
    """(condition, answered by the index): a selective term goes through the trigram index,
    a broad one is matched in page order.

    An IN list built from the index costs time in proportion to its hits, so for a
    term most certificates match (or one too short for trigrams) scanning in the
    list's own order finds a screenful sooner.
    """
    indexed = _indexed(term, ascii_term)
    wildcard = covering_wildcard(ascii_term)
    if indexed is not None:
        return Certificate.id.in_(_matching_ids(indexed, wildcard)), True
    forms = list(dict.fromkeys((term, ascii_term)))
    condition = fn.instr(Certificate.search, forms[0]) > 0
    for form in forms[1:]:
        condition |= fn.instr(Certificate.search, form) > 0
    return _or_covered(condition, wildcard), False


def _matching_ids(indexed: tuple[str, list[object]], wildcard: str | None) -> SQL:
    """The ids the search index found, and those whose wildcard covers the host, as one set.

    One set, so the planner fetches the matches by id: with two sets ORed,
    PostgreSQL tested every certificate against both (220 ms at 100k, for none).
    """
    sql, params = indexed
    if wildcard is not None:
        param = Certificate._meta.database.param
        sql, params = f'{sql} UNION SELECT "certificate_id" FROM "certificatename" WHERE "name" = {param}', [*params, wildcard]
    return SQL(f"({sql})", params)


def _or_covered(condition: Expression, wildcard: str | None) -> Expression:
    """A host name also finds the certificates whose wildcard covers it (one lookup in the names index)."""
    if wildcard is None:
        return condition
    return condition | Certificate.id.in_(CertificateName.select(CertificateName.certificate).where(CertificateName.name == wildcard))


def base_query(query: ListQuery, now: datetime, include_bucket: bool = True):  # type: ignore[no-untyped-def]
    """Live (non-archived) certificates matching the query's search, owner and bucket."""
    return _filtered(query, now, include_bucket)[0]


def list_query(query: ListQuery, now: datetime):  # type: ignore[no-untyped-def]
    """:func:`base_query` in the query's sort order: what a page of the list reads."""
    select, indexed = _filtered(query, now, include_bucket=True)
    return _ordered(select, query, indexed)


def _filtered(query: ListQuery, now: datetime, include_bucket: bool):  # type: ignore[no-untyped-def]
    """(select, whether a search term went through the trigram index)."""
    terms = [_term_condition(term, ascii_term) for term, ascii_term in search_terms(query.search)]
    indexed = any(by_index for _, by_index in terms)
    # With few index matches, fetching them by id must be SQLite's plan: "+archived" keeps
    # the (archived, ...) sort indexes from looking like a narrower way in.
    engine = Certificate._meta.database.engine
    live = (engine.unindexed(Certificate.archived) if indexed else Certificate.archived) == False  # noqa: E712
    if query.all_versions:
        live = Certificate.archived.in_((False, True))
    if query.sort == "owner" and not indexed:
        # Owners first (CROSS JOIN keeps that loop order): walking them by name and each
        # one's certificates by the (owner_id, archived) index gives the order with no sort.
        select = (Certificate.select(Certificate, Owner).from_(Owner).join(Certificate, JOIN.CROSS)
                  .where((Certificate.owner == Owner.id) & live))
    else:
        select = Certificate.select(Certificate, Owner).join(Owner, JOIN.INNER, on=(Certificate.owner == Owner.id)).where(live)
    for condition, _ in terms:
        select = select.where(condition)
    spec = parse_search(query.search)
    owner = query.owner or spec.owner
    if owner:
        # By id, and nothing at once for a name no owner has ("owner:b" while typing "owner:bob"):
        # filtering on the joined name made PostgreSQL read every certificate to find none (220 ms at 100k).
        owner_id = Owner.select(Owner.id).where(Owner.name == owner).scalar()
        select = select.where(SQL("1 = 0") if owner_id is None else Certificate.owner == owner_id)
    if spec.type:
        select = select.where(Certificate.type == spec.type)
    elif spec.unknown_type:  # "type:a" while typing "type:auto": nothing, known at once (a false condition scans nothing)
        select = select.where(SQL("1 = 0"))
    for fragment in spec.issuer:
        select = select.where(fn.instr(fn.lower(Certificate.issuer), fragment) > 0)
    if include_bucket:
        condition = bucket_condition(query.bucket, now)
        if condition is not None:
            select = select.where(condition)
    return select, indexed


def _ordered(select, query: ListQuery, indexed: bool):  # type: ignore[no-untyped-def]
    """Apply the query's sort; ``id`` breaks ties so paging is stable.

    When a search term went through the trigram index, the matches (fewer than
    BROAD_TERM) are few: the sort keys are wrapped so SQLite cannot walk a sort
    index in order and test every row against the matches, and instead fetches
    the matches by id and sorts them (at 500k rows: ~60 ms down to ~1 ms).
    """
    columns = {
        "domain": Certificate.domain,
        "name": Certificate.name,
        "created_at": Certificate.created_at,
        "updated_at": Certificate.updated_at,
        "type": Certificate.type,
        "owner": Owner.name,
    }
    column = columns.get(query.sort, EXPIRY_ORDER)  # urgency, status, not_after
    tie = Certificate.id
    if indexed:
        engine = Certificate._meta.database.engine
        column, tie = engine.unindexed(column), engine.unindexed(tie)  # same order, no index
    if query.descending:
        return select.order_by(column.desc(), tie.desc())
    return select.order_by(column.asc(), tie.asc())


def bucket_counts(query: ListQuery, now: datetime) -> dict[Bucket, int]:
    """How many certificates each bucket holds under the query's search and owner."""
    if not query.filtered:
        return _index_counts(now)

    def total(condition: Expression | None) -> object:
        if condition is None:
            return fn.COUNT(Certificate.id)
        return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)

    buckets = list(Bucket)
    columns = [total(bucket_condition(b, now)).alias(b.name) for b in buckets]
    row = base_query(query, now, include_bucket=False).select(*columns).dicts().get()
    return {b: int(row[b.name] or 0) for b in buckets}


def _index_counts(now: datetime) -> dict[Bucket, int]:
    """Counts for the whole inventory from covering-index range counts (no table scan).

    All live rows = every row less the archived ones: SQLite counts a whole table
    from its b-tree pages without reading each entry (~1 ms at 500k rows), where
    counting ``archived = 0`` visits every live index entry (~25 ms). valid = live
    less expired, pending and not-yet-valid; the 7- and 30-day buckets are short
    ranges of the (archived, not_after, not_before) index. Pending requests have
    no not_after and fall outside every range.
    """
    db = Certificate._meta.database
    live = Certificate.select().where(Certificate.archived == False)  # noqa: E712
    week, month = now + timedelta(days=7), now + timedelta(days=30)

    def valid_until(hi: datetime) -> int:  # one range of certificate_window (archived, not_after, not_before)
        return live.where((Certificate.not_after > now) & (Certificate.not_after <= hi) & (Certificate.not_before <= now)).count()

    rows = db.execute_sql('SELECT COUNT(*) FROM "certificate"').fetchone()[0]
    archived = Certificate.select().where(Certificate.archived == True).count()  # noqa: E712
    expired = live.where(Certificate.not_after <= now).count()
    pending = live.where(Certificate.not_after.is_null()).count()
    total = rows - archived
    after = total - expired - pending
    return {
        Bucket.ALL: total,
        Bucket.EXPIRED: expired,
        Bucket.VALID: after - live.where(Certificate.not_before > now).count(),
        Bucket.DAYS_7: valid_until(week),
        Bucket.DAYS_30: valid_until(month),
    }
