"""The store's reads for the list and the history: pages, counts, abandoning a stale query, events.

A mixin of :class:`sslterm.store.store.Store`, kept apart so the store's file stays about writing certificates.
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Callable, Iterator

from sslterm.core.records import CertificateRecord, HistoryEvent
from sslterm.core.status import Bucket
from sslterm.store import history
from sslterm.store.audit import ChainCheck, verify_chain
from sslterm.store.models import WebDomain
from sslterm.store.queries import ListQuery, base_query, bucket_counts, list_query
from sslterm.store.rows import LIST_COLUMNS, list_records


class ListingOperations:
    """Needs the store's ``db``, ``engine`` and ``get``."""

    def list(self, query: ListQuery, now: datetime, limit: int | None = None, offset: int = 0, total: int | None = None) -> list[CertificateRecord]:
        """A page of the list, filtered and sorted in SQL.

        Give ``total`` (the query's row count) and a page past the middle is read
        from the other end, in reverse order: SQLite steps over every row before
        an OFFSET, so the last page of 500k rows (End) would otherwise walk them all.
        """
        if limit is not None and total is not None and offset > total // 2:
            count = max(0, min(limit, total - offset))
            reverse = query.with_(descending=not query.descending)
            return self.list(reverse, now, limit=count, offset=total - offset - count)[::-1] if count else []
        select = list_query(query, now).select(*LIST_COLUMNS)  # no PEM, chain or key blobs
        if limit is not None:
            select = select.limit(limit).offset(offset)
        rows = list(select.tuples())
        webs: dict[int, list[str]] = {}
        ids = [row[0] for row in rows]
        for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 900]
            for name, cert_id in WebDomain.select(WebDomain.name, WebDomain.certificate).where(WebDomain.certificate.in_(chunk)).order_by(WebDomain.name).tuples():
                webs.setdefault(cert_id, []).append(name)
        return list(list_records(rows, webs))

    @contextlib.contextmanager
    def abandon_when(self, stop: Callable[[], bool]) -> Iterator[None]:
        """Stop this thread's query as soon as ``stop()`` is true, raising :class:`Abandoned`.

        A count over a broad search reads every row (about a second at 500k); when
        the user has typed on, its answer is stale, and it must not keep a worker
        thread (and a core) busy while the newer query waits.
        """
        with self.engine.abandon_when(stop):
            yield

    def count(self, query: ListQuery, now: datetime) -> int:
        return base_query(query, now).count()

    def counts(self, query: ListQuery, now: datetime) -> dict[Bucket, int]:
        """Per-bucket counts under the query's search and owner (one SQL statement)."""
        return bucket_counts(query, now)

    def history(self, domain: str, limit: int | None = None) -> list[HistoryEvent]:
        """Every event for a domain's certificates and for the domain itself, newest first."""
        return history.domain_events(domain, self.get, limit)

    def versions(self, domain: str) -> list[CertificateRecord]:
        """Every version of every lineage that has held ``domain``: the serving lineage first, newest version first."""
        return history.domain_versions(domain)

    def verify_history(self) -> ChainCheck:
        """Check the hash chain of every event (see :mod:`sslterm.store.audit`)."""
        return verify_chain(self.db)

    def events_for(self, cert_id: int, limit: int = 10) -> list[HistoryEvent]:
        """The latest events of one certificate."""
        return history.certificate_events(cert_id, limit)
