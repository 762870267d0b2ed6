"""How the certificate list gets its rows: windows fetched in workers, the counts after them, and
rows read ahead while paging, so the table never holds more than a screenful.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from textual.worker import Worker, get_current_worker

from sslterm.core.errors import Abandoned
from sslterm.core.records import CertificateRecord
from sslterm.core.status import Bucket
from sslterm.store import ListQuery
from sslterm.tui.widgets.cert_table import CertificateTable

COUNT_SETTLE = 0.12  # seconds a search's counts wait for the next keystroke before counting
READ_AHEAD_TTL_S = 10.0  # rows read ahead are shown for this long; after that paging reads afresh


@dataclass(frozen=True)
class Page:
    """One fetched window of the list."""

    query: ListQuery
    offset: int
    rows: list[CertificateRecord]
    cursor: int
    now: datetime
    total: int  # exact when the counts are known, else a lower bound that lets paging go on


@dataclass(frozen=True)
class Ahead:
    """A run of rows around the window on screen, read while it was shown.

    Holds the window and the rows beyond it in the direction of travel, so the
    next page-down, page-up or arrow past the edge paints without a query.
    """

    query: ListQuery
    offset: int
    rows: list[CertificateRecord]
    now: datetime
    read_at: float  # time.monotonic()
    loads: int  # the screen's reload count when the read began

    def window(self, query: ListQuery, offset: int, limit: int, total: int) -> list[CertificateRecord] | None:
        """Rows ``offset`` to ``offset + limit`` (fewer at the end of the list), if all are held."""
        end = min(offset + limit, total)
        if query != self.query or offset < self.offset or end > self.offset + len(self.rows) or end <= offset:
            return None
        if time.monotonic() - self.read_at > READ_AHEAD_TTL_S:
            return None
        return self.rows[offset - self.offset : end - self.offset]


@dataclass(frozen=True)
class Reading:
    """A read ahead under way: rows ``start`` to ``end`` of ``query``."""

    query: ListQuery
    start: int
    end: int
    loads: int

    def holds(self, query: ListQuery, offset: int, limit: int, total: int, loads: int) -> bool:
        return (query, loads) == (self.query, self.loads) and self.start <= offset < min(offset + limit, total) <= self.end


@dataclass(frozen=True)
class Counts:
    """Per-bucket counts for a search and owner (they do not depend on the bucket shown)."""

    search: str
    owner: str | None
    counts: dict[Bucket, int]
    inventory_empty: bool


class ListLoading:
    """The list screen's loading. Needs the screen's ``services``, ``table``, ``query_state``, ``page``,
    ``counts``, ``_ahead``, ``_reading``, ``_waiting``, ``_loads``, ``_show``, ``_show_counts``, ``job`` and ``app``."""

    def reload(self, cursor: int = 0, recount: bool = True) -> None:
        """Fetch the window holding ``cursor`` (and, unless only the bucket changed, the counts)."""
        # Before the first layout the table has no height yet: ask for a terminal's worth
        # of rows, which show_page trims to the table once it is laid out.
        query = self.query_state
        self._ahead, self._loads = None, self._loads + 1  # the data, the query or the time moved on
        self._reading = self._waiting = None
        size = self.table.page_size if self.table.size.height else max(1, self.app.size.height)
        offset = max(0, cursor - size + 1) if cursor >= size else 0
        self._fetch(query, offset, size, cursor, recount)

    def _known_counts(self, query: ListQuery) -> Counts | None:
        counts = self.counts
        return counts if counts is not None and (counts.search, counts.owner) == (query.search, query.owner) else None

    def _fetch(self, query: ListQuery, offset: int, limit: int, cursor: int, recount: bool = False, ahead: int = 0) -> None:
        """Fetch a window in a worker: the rows are shown first, the counts follow.

        Counting a broad search over a large inventory costs more than the page
        itself, so the list repaints as soon as its rows arrive, and a search's
        counts wait COUNT_SETTLE for the next keystroke: typing "shop12" counts
        once, and no count of "s" competes with the page of "sh". With ``ahead``
        (+1 paging down, -1 up) the next window in that direction is read last.
        """
        store, now, loads = self.services.store, self.services.now(), self._loads
        known = None if recount else self._known_counts(query)

        def work() -> Counts | None:
            worker = get_current_worker()
            try:
                with store.abandon_when(lambda: worker.is_cancelled):  # a newer query replaced this one
                    return fetch(worker)
            except Abandoned:
                return None

        def fetch(worker: Worker[Any]) -> Counts | None:
            total = None if known is None else known.counts[query.bucket]
            start = offset if total is None else min(offset, max(0, total - limit))
            rows = store.list(query, now, limit=limit, offset=start, total=total)  # End reads from the end
            if not rows and start > 0 and known is None:
                counts = self._count(store, query, now)
                start = max(0, counts.counts[query.bucket] - limit)
                rows = store.list(query, now, limit=limit, offset=start, total=counts.counts[query.bucket])
                self.app.call_from_thread(self._show_counts, counts)
            if total is None:
                total = start + len(rows) + (1 if len(rows) == limit else 0)
            page = Page(query, start, rows, min(cursor, max(total - 1, 0)), now, total)
            self.app.call_from_thread(self._show, page)
            if known is None and query.search and replaced_within(worker, COUNT_SETTLE):
                return None
            counts = None if known is not None else self._count(store, query, now)
            if ahead and known is not None:
                self.app.call_from_thread(self._read_ahead_later, page, limit, ahead, loads)
            return counts

        self.job("list-page", work, lambda counts: self._show_counts(counts) if counts is not None else None)

    def _read_ahead_later(self, page: Page, limit: int, direction: int, loads: int) -> None:
        """Once ``page`` is painted, read the next window in ``direction`` (a worker's query slows the paint)."""
        if direction > 0:
            start, end = page.offset, min(page.offset + len(page.rows) + limit, page.total)
        else:
            start, end = max(0, page.offset - limit), page.offset + len(page.rows)
        if start == page.offset and end <= page.offset + len(page.rows):
            return  # at the end the list is going towards: nothing more to read
        reading = self._reading = Reading(page.query, start, end, loads)
        store = self.services.store
        # Not exclusive: the read that hands over a waiting page is still running when it starts the next.
        self.call_after_refresh(self.job, "list-ahead", lambda: self._read_ahead(store, page, reading), None, False)

    def _read_ahead(self, store, page: Page, reading: Reading) -> None:  # type: ignore[no-untyped-def]
        """In a worker: read ``reading``'s rows around ``page``; whatever happens, hand over the result."""
        ahead = None
        try:
            if reading.start == page.offset:  # down: the window after the page
                after = page.offset + len(page.rows)
                rows = page.rows + store.list(page.query, page.now, limit=reading.end - after, offset=after, total=page.total)
            else:  # up: the window before it
                rows = store.list(page.query, page.now, limit=page.offset - reading.start, offset=reading.start, total=page.total) + page.rows
            ahead = Ahead(page.query, reading.start, rows, page.now, time.monotonic(), reading.loads)
        finally:
            self.app.call_from_thread(self._keep_ahead, reading, ahead)

    def _keep_ahead(self, reading: Reading, ahead: Ahead | None) -> None:
        if ahead is not None and ahead.query == self.query_state and ahead.loads == self._loads:
            self._ahead = ahead
        if self._reading is reading:
            self._reading = None
            waiting, self._waiting = self._waiting, None
            if waiting is not None:  # a page was asked for while this read was under way
                self.show_window(waiting)

    @staticmethod
    def _count(store, query: ListQuery, now: datetime) -> Counts:  # type: ignore[no-untyped-def]
        counts = store.counts(query, now)
        empty = counts[Bucket.ALL] == 0 and (not query.filtered or store.count(ListQuery(), now) == 0)
        return Counts(query.search, query.owner, counts, empty)

    def show_window(self, event: CertificateTable.PageRequested) -> None:
        """Show the window from the rows read ahead when they hold it, else fetch it; then read on."""
        query, known = self.query_state, self._known_counts(self.query_state)
        direction = 1 if self.page is None or event.offset >= self.page.offset else -1
        self._waiting = None
        if known is not None:
            total = known.counts[query.bucket]
            ahead = self._ahead
            if ahead is not None and (rows := ahead.window(query, event.offset, event.limit, total)) is not None:
                page = Page(query, event.offset, rows, min(event.cursor, max(total - 1, 0)), ahead.now, total)
                self._show(page)
                self._read_ahead_later(page, event.limit, direction, self._loads)
                return
            reading = self._reading
            if reading is not None and reading.holds(query, event.offset, event.limit, total, self._loads):
                self._waiting = event  # a key held down: the read under way brings this window
                return
        self._fetch(query, event.offset, event.limit, event.cursor, ahead=direction)


def replaced_within(worker: Worker[Any], seconds: float) -> bool:
    """Wait up to ``seconds`` in a worker thread; True as soon as a newer job cancels ``worker``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if worker.is_cancelled:
            return True
        time.sleep(0.01)
    return worker.is_cancelled
