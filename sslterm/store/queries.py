"""The read side: list queries with filters, sort and paging, counts per bucket, history.

All filtering, ordering and counting happens in SQL on indexed columns, so the
cost of a page does not grow with the size of the inventory.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from peewee import JOIN, Case, Expression, fn

from sslterm.core.names import to_ascii_query
from sslterm.core.status import Bucket
from sslterm.store.models import Certificate, Owner

SORTS = ("urgency", "domain", "name", "created_at", "updated_at", "not_after", "type", "owner", "status")


@dataclass(frozen=True)
class ListQuery:
    """What the list shows: a status bucket, a search, an owner, a sort."""

    bucket: Bucket = Bucket.ALL
    search: str = ""
    owner: str | None = None
    sort: str = "urgency"
    descending: bool = False

    def with_(self, **changes: object) -> ListQuery:
        return replace(self, **changes)  # type: ignore[arg-type]


def bucket_condition(bucket: Bucket, now: datetime) -> Expression | None:
    """SQL for :func:`sslterm.core.status.in_bucket` on the certificate table."""
    n = now
    expired = Certificate.not_after <= n
    valid = (Certificate.not_before <= n) & (Certificate.not_after > n)
    if bucket is Bucket.ALL:
        return None
    if bucket is Bucket.EXPIRED:
        return expired
    if bucket is Bucket.VALID:
        return valid
    assert bucket.days is not None
    return valid & (Certificate.not_after <= now + timedelta(days=bucket.days))


def search_terms(text: str) -> list[tuple[str, str]]:
    """Each whitespace-separated term as (lower-case, punycode lower-case)."""
    return [(term, to_ascii_query(term).lower()) for term in text.lower().split()]


def base_query(query: ListQuery, now: datetime, include_bucket: bool = True):  # type: ignore[no-untyped-def]
    """Live (non-archived) certificates matching the query's search, owner and bucket."""
    select = (
        Certificate.select(Certificate, Owner)
        .join(Owner, JOIN.INNER, on=(Certificate.owner == Owner.id))
        .where(Certificate.archived == False)  # noqa: E712 - peewee expression
    )
    for term, ascii_term in search_terms(query.search):
        condition = fn.instr(Certificate.search, term) > 0
        if ascii_term != term:
            condition |= fn.instr(Certificate.search, ascii_term) > 0
        select = select.where(condition)
    if query.owner:
        select = select.where(Owner.name == query.owner)
    if include_bucket:
        condition = bucket_condition(query.bucket, now)
        if condition is not None:
            select = select.where(condition)
    return select


def ordered(select, query: ListQuery):  # type: ignore[no-untyped-def]
    """Apply the query's sort; ``id`` breaks ties so paging is stable."""
    columns = {
        "urgency": Certificate.not_after,
        "status": Certificate.not_after,
        "not_after": Certificate.not_after,
        "domain": Certificate.domain,
        "name": Certificate.name,
        "created_at": Certificate.created_at,
        "updated_at": Certificate.updated_at,
        "type": Certificate.type,
        "owner": Owner.name,
    }
    column = columns.get(query.sort, Certificate.not_after)
    if query.descending:
        return select.order_by(column.desc(nulls="LAST"), Certificate.id.desc())
    return select.order_by(column.asc(nulls="LAST"), Certificate.id.asc())


def bucket_counts(query: ListQuery, now: datetime) -> dict[Bucket, int]:
    """How many certificates each bucket holds under the query's search and owner."""
    def total(condition: Expression | None) -> object:
        if condition is None:
            return fn.COUNT(Certificate.id)
        return fn.COALESCE(fn.SUM(Case(None, [(condition, 1)], 0)), 0)

    buckets = list(Bucket)
    columns = [total(bucket_condition(b, now)).alias(b.name) for b in buckets]
    select = base_query(query, now, include_bucket=False).select(*columns)
    row = select.dicts().get()
    return {b: int(row[b.name] or 0) for b in buckets}
