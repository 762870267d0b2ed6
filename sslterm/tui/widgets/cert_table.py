"""A certificate table that holds only the visible window of a list of any size.

The table never holds more rows than fit on screen. Moving past the window
posts :class:`CertificateTable.PageRequested`; the screen fetches that page
from SQLite and hands it back with :meth:`CertificateTable.show_page`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable

from sslterm.core.names import to_unicode
from sslterm.core.records import CertificateRecord
from sslterm.tui.text import date, expire_day_text, plain, status_text

# (key, label, width, sort key)
COLUMNS = [
    ("domain", "SSL domain", 24, "domain"),
    ("expire_day", "Expire Day", 10, "not_after"),
    ("status", "Status", 13, "status"),
    ("expired_date", "Expired Date", 12, "not_after"),
    ("type", "Type", 11, "type"),
    ("owner", "Owner", 10, "owner"),
    ("name", "Name", 22, "name"),
    ("created_at", "Create At", 10, "created_at"),
    ("updated_at", "Update At", 10, "updated_at"),
]


def row_cells(record: CertificateRecord, now: datetime) -> list[Text]:
    """The cells of one row, every one a literal ``Text``."""
    return [
        plain(to_unicode(record.domain)),
        expire_day_text(record, now),
        status_text(record, now),
        date(record.not_after),
        plain(record.type_label),
        plain(record.owner),
        plain(record.name),
        date(record.created_at),
        date(record.updated_at),
    ]


class CertificateTable(DataTable[Text]):
    """Shows rows ``offset .. offset + len(page)`` of ``total``; the cursor is absolute."""

    BINDINGS = [
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("ctrl+home", "first", "First", show=False),
        Binding("ctrl+end", "last", "Last", show=False),
    ]

    @dataclass
    class PageRequested(Message):
        """The window must move: fetch ``limit`` rows from ``offset`` and place the cursor at ``cursor``."""

        table: CertificateTable
        offset: int
        limit: int
        cursor: int

        @property
        def control(self) -> CertificateTable:
            return self.table

    @dataclass
    class CertificateChosen(Message):
        """Enter was pressed on a certificate."""

        table: CertificateTable
        record: CertificateRecord

        @property
        def control(self) -> CertificateTable:
            return self.table

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.total = 0
        self.window_start = 0
        self.page: list[CertificateRecord] = []

    def on_mount(self) -> None:
        for key, label, width, _ in COLUMNS:
            self.add_column(label, key=key, width=width)

    @property
    def page_size(self) -> int:
        """Rows that fit: the height less the header line (at least one)."""
        return max(1, self.size.height - 1 - (1 if self.show_horizontal_scrollbar else 0))

    @property
    def absolute_cursor(self) -> int:
        return self.window_start + self.cursor_row

    @property
    def selected(self) -> CertificateRecord | None:
        if 0 <= self.cursor_row < len(self.page):
            return self.page[self.cursor_row]
        return None

    def show_page(self, offset: int, page: list[CertificateRecord], total: int, cursor: int, now: datetime) -> None:
        """Replace the window with ``page`` (rows from ``offset``) and put the cursor at ``cursor``."""
        self.total, self.window_start, self.page = total, offset, page
        self.clear()
        for record in page:
            self.add_row(*row_cells(record, now), key=str(record.id))
        if page:
            self.move_cursor(row=min(max(cursor - offset, 0), len(page) - 1), animate=False, scroll=False)

    def goto(self, index: int) -> None:
        """Put the cursor on absolute row ``index``, asking for a new window when needed."""
        if self.total == 0:
            return
        index = min(max(index, 0), self.total - 1)
        if self.window_start <= index < self.window_start + len(self.page):
            self.move_cursor(row=index - self.window_start, animate=False)
            return
        size = self.page_size
        # Moving down keeps the cursor on the bottom line, moving up on the top line.
        offset = index - size + 1 if index >= self.window_start + len(self.page) else index
        offset = min(max(offset, 0), max(0, self.total - size))
        self.post_message(self.PageRequested(self, offset, size, index))

    def action_cursor_down(self) -> None:
        self.goto(self.absolute_cursor + 1)

    def action_cursor_up(self) -> None:
        self.goto(self.absolute_cursor - 1)

    def action_page_down(self) -> None:
        self.goto(self.absolute_cursor + self.page_size)

    def action_page_up(self) -> None:
        self.goto(self.absolute_cursor - self.page_size)

    def action_first(self) -> None:
        self.goto(0)

    def action_last(self) -> None:
        self.goto(self.total - 1)

    def action_select_cursor(self) -> None:
        if self.selected is not None:
            self.post_message(self.CertificateChosen(self, self.selected))

    def on_resize(self) -> None:
        # The window follows the height: ask for a page that fills it exactly.
        size = self.page_size
        if len(self.page) != size and (self.total > len(self.page) or len(self.page) > size):
            start = min(self.window_start, max(0, self.total - size))
            self.post_message(self.PageRequested(self, start, size, self.absolute_cursor))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.goto(self.absolute_cursor + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.goto(self.absolute_cursor - 3)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        # A mouse click on a row: choosing it is the same as Enter.
        event.stop()
        if self.selected is not None:
            self.post_message(self.CertificateChosen(self, self.selected))
