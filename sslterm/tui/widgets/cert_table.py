"""A certificate table that holds and paints only the visible window of a list of any size.

It is a Line-API widget: each visible row is rendered once into a strip when its
page arrives, and painting is a lookup. (Textual's DataTable re-renders every
cell on a page change, about 40-70 ms for a screenful, which would dominate the
latency of paging and searching.) Moving past the window posts
:class:`CertificateTable.PageRequested`; the screen fetches that page from
SQLite and hands it back with :meth:`CertificateTable.show_page`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.cells import cell_len, set_cell_size
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from sslterm.core.names import to_unicode
from sslterm.core.records import CertificateRecord
from sslterm.tui.text import date, expire_day_text, plain, same_text, status_text

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
GAP = 2  # spaces between columns
# Which columns a narrow terminal keeps, most wanted first (the SSL domain is always there, frozen on the left).
PRIORITY = ["domain", "expire_day", "status", "expired_date", "type", "owner", "name", "created_at", "updated_at"]
DOMAIN_MIN, DOMAIN_MAX, DOMAIN_WIDE = 20, 40, 64


def layout(width: int, offset: int = 0, wide: bool = False, longest_domain: int = 0) -> list[tuple[int, int]]:
    """The columns that fit ``width`` as (index into COLUMNS, cell width), in COLUMNS order.

    The domain is always first. Unscrolled, the others are kept by PRIORITY while they
    fit; scrolled right by ``offset``, the columns after the first ``offset`` follow the
    domain in order. Space left over widens the domain (to DOMAIN_WIDE when ``wide``).
    """
    available = width - 1  # a leading space
    domain = min(DOMAIN_MIN, max(8, available // 3))
    if wide:  # the whole names first, the other columns in what is left
        domain = max(domain, min(longest_domain, DOMAIN_WIDE, available - GAP))
    used = domain + GAP
    chosen: list[int] = []
    candidates = [c[0] for c in COLUMNS[1 + offset:]] if offset else PRIORITY[1:]
    for key in candidates:
        index = next(i for i, c in enumerate(COLUMNS) if c[0] == key)
        need = COLUMNS[index][2] + GAP
        if used + need > available:
            if offset:
                break  # scrolled: columns stay contiguous
            continue
        chosen.append(index)
        used += need
    grow = 0 if wide else max(0, min(available - used, DOMAIN_MAX - domain))
    return [(0, domain + grow)] + [(i, COLUMNS[i][2]) for i in sorted(chosen)]


def middle_truncate(text: str, width: int) -> str:
    """``legacy-p…example.com``: a long name cut in the middle, keeping its last two labels (the TLD never goes)."""
    if cell_len(text) <= width:
        return text
    labels = text.split(".")
    tail = ".".join(labels[-2:]) if len(labels) > 2 else ""
    if tail and cell_len(tail) + 2 <= width:
        return set_cell_size(text, width - cell_len(tail) - 1) + "…" + tail
    return set_cell_size(text, width - 1) + "…"


def row_cells(record: CertificateRecord, now: datetime, covers: str | None = None) -> list[Text]:
    """The cells of one row, every one a literal ``Text``; a row found by its wildcard covering ``covers`` says so."""
    domain = plain(to_unicode(record.domain))
    if covers is not None and _covered_only(record, covers):
        domain = Text.assemble(domain, (" ⊇", "bold"), no_wrap=True, overflow="ellipsis")
    return [
        domain,
        expire_day_text(record, now),
        status_text(record, now),
        date(record.not_after),
        plain(record.type_label),
        plain(record.owner),
        plain(to_unicode(record.name)),  # Unicode as the domain column; the ASCII form is in the detail view
        date(record.created_at),
        date(record.updated_at),
    ]


def _covered_only(record: CertificateRecord, host: str) -> bool:
    names = {n.lower() for n in record.sans}
    return host not in names and "*." + host.split(".", 1)[-1] in names


def _cell_segments(cell: Text, width: int, console: Console, middle: bool = False) -> list[Segment]:
    """``cell`` cut to ``width`` cells with an ellipsis (in the middle for a domain), or padded to it, as segments."""
    text, spans = cell.plain, cell.spans
    if middle and not spans and not cell.style:
        text = middle_truncate(text, width)
    if len(spans) > 1 or (spans and (spans[0].start != 0 or spans[0].end < len(text))) or cell.style:
        part = cell.copy()  # partly styled: let rich cut it
        part.truncate(width, overflow="ellipsis", pad=True)
        return list(part.render(console, end=""))
    if cell_len(text) > width:
        text = set_cell_size(text, width - 1) + "…"
    length = cell_len(text)
    style = _span_style(spans[0].style, console) if spans else None
    segments = [Segment(text, style)]
    if length < width:
        segments.append(Segment(" " * (width - length)))
    return segments


_SPAN_STYLES: dict[str, Style] = {}


def _span_style(style: str | Style, console: Console) -> Style:
    if isinstance(style, Style):
        return style
    known = _SPAN_STYLES.get(style)
    if known is None:
        known = _SPAN_STYLES[style] = console.get_style(style)
    return known


class CertificateTable(Widget, can_focus=True):
    """Shows rows ``window_start .. window_start + len(page)`` of ``total``; the cursor is absolute."""

    COMPONENT_CLASSES = {"certificate-table--header", "certificate-table--cursor", "certificate-table--odd"}
    DEFAULT_CSS = """
    CertificateTable { height: 1fr; }
    CertificateTable > .certificate-table--header { text-style: bold; background: $panel; }
    CertificateTable > .certificate-table--odd { background: $surface-lighten-1 30%; }
    CertificateTable > .certificate-table--cursor { background: $secondary 40%; text-style: bold; }
    CertificateTable:focus > .certificate-table--cursor { background: $primary; color: $text; text-style: bold; }
    """
    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home,ctrl+home", "first", "First", show=False),
        Binding("end,ctrl+end", "last", "Last", show=False),
        Binding("left", "scroll_columns(-1)", "Columns left", show=False),
        Binding("right", "scroll_columns(1)", "Columns right", show=False),
        Binding("enter", "choose", "Open", show=False),
    ]

    @dataclass
    class TableMessage(Message):
        """Base of the table's messages: they carry the table as their control."""

        table: CertificateTable

        @property
        def control(self) -> CertificateTable:
            return self.table

    @dataclass
    class PageRequested(TableMessage):
        """The window must move: fetch ``limit`` rows from ``offset`` and place the cursor at ``cursor``."""

        offset: int
        limit: int
        cursor: int

    @dataclass
    class CertificateChosen(TableMessage):
        """Enter (or a second click) on a certificate."""

        record: CertificateRecord

    @dataclass
    class CursorMoved(TableMessage):
        """The cursor is on another row."""

    @dataclass
    class SortRequested(TableMessage):
        """A column header was clicked."""

        column: str

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.total = 0
        self.window_start = 0
        self.page: list[CertificateRecord] = []
        self.cells: list[list[Text]] = []
        self.cursor_row = 0
        self.column_offset = 0
        self.wide = False
        self.covers: str | None = None  # a host searched for: rows found by a wildcard covering it are marked  # the domain as wide as its longest name on the page (up to DOMAIN_WIDE)
        self._columns: list[tuple[int, int]] = layout(80)
        self._strips: dict[int, Strip] = {}
        self._styles: dict[tuple[str | None, bool], Style] = {}

    # ------------------------------------------------------------ state

    @property
    def page_size(self) -> int:
        """Rows that fit: the height less the header line (at least one)."""
        return max(1, self.size.height - 1)

    @property
    def row_count(self) -> int:
        return len(self.page)

    @property
    def absolute_cursor(self) -> int:
        return self.window_start + self.cursor_row

    @property
    def selected(self) -> CertificateRecord | None:
        return self.page[self.cursor_row] if 0 <= self.cursor_row < len(self.page) else None

    def cell(self, row: int, column: str) -> Text:
        """The cell of page row ``row`` in column ``column`` (a COLUMNS key)."""
        return self.cells[row][[c[0] for c in COLUMNS].index(column)]

    def show_page(self, offset: int, page: list[CertificateRecord], total: int, cursor: int, now: datetime) -> None:
        """Replace the window with ``page`` (rows from ``offset``) and put the cursor at ``cursor``."""
        if self.size.height:
            page = page[: self.page_size]  # a page fetched before layout may be taller than the table
        cells = [row_cells(record, now, self.covers) for record in page]
        cursor_row = min(max(cursor - offset, 0), max(len(page) - 1, 0))
        unchanged = (offset, cursor_row, page) == (self.window_start, self.cursor_row, self.page) and self._same_cells(cells)
        self.total = total  # not drawn: only where the cursor may go
        if unchanged:
            return  # a live refresh that changed nothing on screen: no repaint
        self.window_start, self.page = offset, page
        self.cells, self.cursor_row = cells, cursor_row
        self._relayout()
        self.refresh()
        self.post_message(self.CursorMoved(self))

    def _same_cells(self, cells: list[list[Text]]) -> bool:
        return len(cells) == len(self.cells) and all(
            len(new) == len(old) and all(same_text(a, b) for a, b in zip(new, old)) for new, old in zip(cells, self.cells))

    # ------------------------------------------------------------ movement

    def goto(self, index: int) -> None:
        """Put the cursor on absolute row ``index``, asking for a new window when needed."""
        if self.total == 0:
            return
        index = min(max(index, 0), self.total - 1)
        if self.window_start <= index < self.window_start + len(self.page):
            self._move_to(index - self.window_start)
            return
        size = self.page_size
        # Moving down keeps the cursor on the bottom line, moving up on the top line.
        offset = index - size + 1 if index >= self.window_start + len(self.page) else index
        offset = min(max(offset, 0), max(0, self.total - size))
        self.post_message(self.PageRequested(self, offset, size, index))

    def _move_to(self, row: int) -> None:
        if row != self.cursor_row:
            old, self.cursor_row = self.cursor_row, row
            width = self.size.width
            self.refresh(Region(0, old + 1, width, 1), Region(0, row + 1, width, 1))
            self.post_message(self.CursorMoved(self))

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

    def action_scroll_columns(self, delta: int) -> None:
        """Scroll the columns right of the domain (which stays); stop once the last column is in view."""
        last = len(COLUMNS) - 1
        if delta > 0 and self._columns[-1][0] == last:
            return
        self.column_offset = min(max(self.column_offset + delta, 0), len(COLUMNS) - 2)
        self._relayout()

    def toggle_wide(self) -> None:
        self.wide = not self.wide
        self._relayout()

    @property
    def shown_columns(self) -> list[str]:
        """The keys of the columns on screen, in order."""
        return [COLUMNS[i][0] for i, _ in self._columns]

    def _relayout(self) -> None:
        longest = max((cell_len(cells[0].plain) for cells in self.cells), default=0)
        self._columns = layout(self.size.width or 80, self.column_offset, self.wide, longest)
        self._strips.clear()
        self.refresh()

    def action_choose(self) -> None:
        if self.selected is not None:
            self.post_message(self.CertificateChosen(self, self.selected))

    # ------------------------------------------------------------ mouse

    def on_resize(self) -> None:
        # The window follows the height: ask for a page that fills it exactly.
        size = self.page_size
        self._relayout()
        if len(self.page) != size and (self.total > len(self.page) or len(self.page) > size):
            start = min(self.window_start, max(0, self.total - size))
            self.post_message(self.PageRequested(self, start, size, self.absolute_cursor))

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        event.stop()
        self.goto(self.absolute_cursor + 3)

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        event.stop()
        self.goto(self.absolute_cursor - 3)

    def on_click(self, event: events.Click) -> None:
        event.stop()
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None:
                self.post_message(self.SortRequested(self, column))
            return
        row = event.y - 1
        if 0 <= row < len(self.page):
            if row == self.cursor_row or event.chain > 1:
                self._move_to(row)
                self.action_choose()
            else:
                self._move_to(row)

    def _column_at(self, x: int) -> str | None:
        position = 1
        for index, width in self._columns:
            if position <= x < position + width + GAP:
                return COLUMNS[index][0]
            position += width + GAP
        return None

    # ------------------------------------------------------------ painting

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return self.page_size + 1

    def _line_segments(self, cells: list[Text]) -> list[Segment]:
        """One row as segments: each cell cut or padded to its column, an ellipsis where cut.

        The same result as truncating each ``Text`` and rendering it through the
        console, built directly (rendering through the console cost ~0.7 ms a row,
        most of a page-down).
        """
        console = self.app.console
        segments = [Segment(" ")]
        for index, width in self._columns:
            segments += _cell_segments(cells[index], width, console, middle=index == 0)
            segments.append(Segment(" " * GAP))
        return segments

    def _strip(self, segments: list[Segment], style: Style) -> Strip:
        """A line of ``_line_segments`` in ``style``, padded or cut to the widget's width.

        The same strip as ``Strip(segments).crop_extend(...).apply_style(style)``,
        built in one pass with the length known from the columns: three strips a
        line cost two thirds of painting the table.
        """
        width = self.size.width
        length = 1 + sum(w + GAP for _, w in self._columns)  # what _line_segments fills
        line = [Segment(text, style + part if part is not None else style) for text, part, _ in segments]
        if length < width:
            line.append(Segment(" " * (width - length), style))
            length = width
        strip = Strip(line, length)
        return strip if length == width else strip.crop(0, width)

    def _style(self, component: str | None) -> Style:
        """The widget's style plus a component's, remembered until the CSS or focus changes."""
        key = (component, self.has_focus)
        style = self._styles.get(key)
        if style is None:
            base = self.rich_style
            style = self._styles[key] = base + self.get_component_rich_style(component) if component else base
        return style

    def notify_style_update(self) -> None:
        self._styles.clear()
        self._strips.clear()
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        if y == 0:
            header = self._line_segments([Text(label) for _, label, _, _ in COLUMNS])
            return self._strip(header, self._style("certificate-table--header"))
        row = y - 1
        if row >= len(self.cells):
            return Strip.blank(self.size.width, self._style(None))
        if row == self.cursor_row:
            return self._strip(self._line_segments(self.cells[row]), self._style("certificate-table--cursor"))
        strip = self._strips.get(row)
        if strip is None:
            style = self._style("certificate-table--odd" if row % 2 else None)
            strip = self._strips[row] = self._strip(self._line_segments(self.cells[row]), style)
        return strip
