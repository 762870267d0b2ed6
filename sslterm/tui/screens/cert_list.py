"""The home screen: every certificate, most urgent first, filtered as you type."""

from __future__ import annotations

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import Input, Static

from sslterm.core.records import CertificateRecord
from sslterm.core.search import host_term
from sslterm.core.status import Bucket
from sslterm.store import ListQuery
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.screens.list_loading import Ahead, Counts, ListLoading, Page, Reading
from sslterm.tui.widgets.cert_table import COLUMNS, CertificateTable
from sslterm.tui.widgets.filter_bar import FilterBar
from sslterm.tui.widgets.key_footer import KeyFooter
from sslterm.tui.widgets.status_line import StatusLine

SORT_CYCLE = ["urgency", "domain", "name", "owner", "type", "created_at", "updated_at"]
SEARCH_DEBOUNCE = 0.02  # short: an indexed search costs milliseconds, and typing feels live
LIVE_POLL = 2.0  # seconds between looks at PRAGMA data_version


class CertificateListScreen(ListLoading, SslTermScreen):
    """Certificates paged from SQLite; the table never holds more than a screenful."""

    CSS_PATH = "../styles/cert_list.tcss"
    HELP_TITLE = "Certificate list"
    AUTO_FOCUS = "#certificates"  # the table from the start: the footer's first keys are the list's, not the search box's
    HELP_NOTES = ("Search: part of any name; a host also finds its wildcard (⊇). owner:NAME type:auto|upload|"
                  "self-signed|request|ca issuer:TEXT narrow it. ←/→ scroll columns (the domain stays).")
    BINDINGS = [
        Binding("enter", "open", "Detail", show=False),
        Binding("slash", "search", "Search", key_display="/"),
        Binding("h", "history", "History"),
        Binding("a", "add", "Add"),
        Binding("c", "change", "Change"),
        Binding("d", "delete", "Delete"),
        Binding("P", "purge", "Delete and destroy the key", show=False),
        Binding("x", "download", "Download"),
        Binding("i", "attach", "Attach issued", show=False),
        Binding("p", "problems", "Problems"),
        Binding("r", "refresh", "Refresh"),
        Binding("s", "sort", "Sort"),
        Binding("w", "wide", "Wide domains", show=False),
        Binding("S", "reverse", "Reverse sort", show=False),
        Binding("1", "bucket('all')", "All", show=False),
        Binding("2", "bucket('expired')", "Expired", show=False),
        Binding("3", "bucket('valid')", "Valid", show=False),
        Binding("4", "bucket('7d')", "7 days", show=False),
        Binding("5", "bucket('30d')", "30 days", show=False),
        Binding("D", "demo", "Load demo data", show=False),
        Binding("escape", "clear_search", "Clear search", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "app.quit", "Quit"),
    ]

    table = getters.query_one(CertificateTable)
    search = getters.query_one("#search", Input)
    filter_bar = getters.query_one(FilterBar)
    status_line = getters.query_one("#status-line", StatusLine)
    empty = getters.query_one("#empty", Static)

    def __init__(self, services) -> None:  # type: ignore[no-untyped-def]
        super().__init__(services)
        self.query_state = ListQuery()
        self.page: Page | None = None
        self.counts: Counts | None = None
        self._debounce: Timer | None = None
        self._ahead: Ahead | None = None
        self._reading: Reading | None = None
        self._waiting: CertificateTable.PageRequested | None = None  # a page the read under way will hold
        self._loads = 0  # counts reloads: rows read ahead before the latest one are stale
        self.last_check: str = ""
        self._data_version = 0
        self._keep_id: int | None = None  # the certificate the cursor stays on across a live refresh
        self.last_check_detail: str = ""  # what the last pass found, dropped first when the line is short
        self.problems: dict[str, int] = {}  # open findings per severity
        self._shown_once = False  # the first resume is the first showing, already loaded by on_mount
        self._under_dialog = False  # what covered the list last was a dialog (its callback reloads)

    def compose(self) -> ComposeResult:
        yield FilterBar()
        yield Input(placeholder="/ search names (a host finds its wildcard), owner:, type:, issuer: (? help)", id="search")
        with Vertical(id="body"):
            yield CertificateTable(id="certificates")
            yield Static(empty_text(self.services.store.location), id="empty")
        yield StatusLine(id="status-line")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()  # now, not after the first layout: the rows arrive with the first frame
        self._count_problems()  # here and when the data changes, not on every keystroke's reload
        self._data_version = self.services.store.data_version()
        self.set_interval(LIVE_POLL, self._poll_changes)

    def _poll_changes(self) -> None:
        """Another process (a cron check, an import) wrote: show it, the cursor on the same certificate."""
        version = self.services.store.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        if self.app.screen is self and (selected := self.table.selected) is not None:
            self._keep_id = selected.id
        if self.app.screen is self:
            self.reload(self.table.absolute_cursor)
        self._count_problems()

    def on_screen_suspend(self) -> None:
        from textual.screen import ModalScreen

        # A dialog's own callback reloads after what it did (a delete, a download); a reload here
        # as well would race that worker and could show the list as it was before.
        self._under_dialog = isinstance(self.app.screen, ModalScreen)

    def on_screen_resume(self) -> None:
        """Back from another screen (however it was left): what it changed shows, the cursor stays."""
        if self._shown_once and not self._under_dialog:
            self.reload(self.table.absolute_cursor)
            self._count_problems()  # an acknowledgement or a pass on the screen just left
        self._shown_once = True

    # ------------------------------------------------------------- loading (and see ListLoading)

    def _count_problems(self) -> None:
        """The open findings for the status line (a pass from cron counts too)."""
        from sslterm.store.alerting import AlertStore

        store = self.services.store
        self.job("problem-count", lambda: AlertStore(store).open_counts(), self._problems_counted)

    def _problems_counted(self, counts: dict[str, int]) -> None:
        self.problems = counts
        self._update_status()

    def _show(self, page: Page) -> None:
        if page.query != self.query_state:
            return  # a newer query is on its way
        self.page = page
        self.table.covers = host_term(page.query.search)
        cursor, keep, self._keep_id = page.cursor, self._keep_id, None
        if keep is not None:  # a live refresh: the cursor follows its certificate if it is still on the page
            cursor = next((page.offset + i for i, r in enumerate(page.rows) if r.id == keep), cursor)
        self.table.show_page(page.offset, page.rows, page.total, cursor, page.now)
        known = self._known_counts(page.query)
        if known is not None:
            self._show_counts(known)
        self._update_status()

    def _show_counts(self, counts: Counts) -> None:
        if (counts.search, counts.owner) != (self.query_state.search, self.query_state.owner):
            return
        self.counts = counts
        self.filter_bar.show(counts.counts, self.query_state.bucket)
        self.table.total = counts.counts[self.query_state.bucket]
        self.table.display = not counts.inventory_empty
        self.empty.display = counts.inventory_empty
        self._update_status()

    def _update_status(self) -> None:
        page = self.page
        if page is None:
            return
        q = page.query
        total = f"{self.table.total:,}" if self._known_counts(q) is not None else "…"
        where = f"row {self.table.absolute_cursor + 1:,} of {total}" if self.table.total else "no certificate matches"
        label = next((c[1] for c in COLUMNS if c[3] == q.sort), "urgency") if q.sort != "urgency" else "urgency"
        parts: list[tuple[int, Text]] = [(0, Text(f" {where}"))]  # (priority: 0 kept first, Text) in display order
        parts.append((5, Text(f" · sort: {label} {'↓' if q.descending else '↑'}")))
        if q.search:
            parts.append((3, Text.assemble(" · search: ", (q.search, "bold"))))
        if self.table.covers and any(cells[0].plain.endswith(" ⊇") for cells in self.table.cells):
            parts.append((1, Text(" · ⊇ covered by a wildcard")))
        open_problems = sum(self.problems.values())
        if open_problems:
            critical = self.problems.get("CRITICAL", 0)
            parts.append((1, Text(f" · {open_problems} problem{'s' if open_problems != 1 else ''} (p)",
                                  style="bold red" if critical else "bold #ffaf00")))
        if self.last_check:
            parts.append((3, Text(f" · {self.last_check}", style="dim")))
        if self.last_check_detail:
            parts.append((4, Text(f" {self.last_check_detail}", style="dim")))
        parts.append((6, Text(f" · {self.services.store.location.short}", style="dim")))  # which store: dropped first
        self.status_line.show_parts(parts)

    def checks_completed(self, digest) -> None:  # type: ignore[no-untyped-def]
        """Show a finished checker pass (its PassDigest) in the status line and refresh the rows."""
        parts = [f"{n} {k}" for k, n in digest.kind_counts.items() if n]
        if digest.renewed:
            parts.append(f"{digest.renewed} renewed")
        self.last_check = f"checked {digest.at:%H:%M} UTC: {digest.status}"
        self.last_check_detail = f"({', '.join(parts)})" if parts else ""
        self.reload(self.table.absolute_cursor)
        self._count_problems()

    def set_query(self, query: ListQuery) -> None:
        """Show another query from its first row; counts are reused when only the bucket changed."""
        recount = (query.search, query.owner) != (self.query_state.search, self.query_state.owner)
        self.query_state = query
        self.reload(0, recount=recount)

    @on(CertificateTable.PageRequested)
    def _page_requested(self, event: CertificateTable.PageRequested) -> None:
        self.show_window(event)

    @on(CertificateTable.CursorMoved)
    def _cursor_moved(self) -> None:
        self._update_status()

    @on(CertificateTable.SortRequested)
    def _sort_requested(self, event: CertificateTable.SortRequested) -> None:
        sort = next((c[3] for c in COLUMNS if c[0] == event.column), "urgency")
        same = self.query_state.sort == sort
        self.set_query(self.query_state.with_(sort=sort, descending=not self.query_state.descending if same else False))

    # ------------------------------------------------------------- search

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        value = event.value
        self._debounce = self.set_timer(SEARCH_DEBOUNCE, lambda: self.set_query(self.query_state.with_(search=value)))

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.table.focus()

    def action_search(self) -> None:
        self.search.focus()

    def action_clear_search(self) -> None:
        if self.search.value or self.query_state.search:
            self.search.value = ""
            if self._debounce is not None:
                self._debounce.stop()
            self.set_query(self.query_state.with_(search=""))
        self.table.focus()

    # ------------------------------------------------------------- filters and sort

    def action_bucket(self, value: str) -> None:
        self.set_query(self.query_state.with_(bucket=Bucket(value)))

    def action_sort(self) -> None:
        index = SORT_CYCLE.index(self.query_state.sort) if self.query_state.sort in SORT_CYCLE else 0
        self.set_query(self.query_state.with_(sort=SORT_CYCLE[(index + 1) % len(SORT_CYCLE)], descending=False))

    def action_reverse(self) -> None:
        self.set_query(self.query_state.with_(descending=not self.query_state.descending))

    def action_refresh(self) -> None:
        self.reload(self.table.absolute_cursor)
        refresh = getattr(self.app, "run_checks_now", None)
        if refresh is not None:
            refresh()

    # ------------------------------------------------------------- actions on the selection

    def _selected(self) -> CertificateRecord | None:
        record = self.table.selected
        if record is None:
            self.notify("No certificate selected.", severity="warning")
        return record

    @on(CertificateTable.CertificateChosen)
    def _chosen(self, event: CertificateTable.CertificateChosen) -> None:
        self.open_detail(event.record)

    def action_open(self) -> None:
        if (record := self._selected()) is not None:
            self.open_detail(record)

    def open_detail(self, record: CertificateRecord) -> None:
        self.open_detail_id(record.id)

    def open_detail_id(self, cert_id: int) -> None:
        from sslterm.tui.screens.detail import DetailScreen

        self.app.push_screen(DetailScreen(self.services, cert_id))

    def action_wide(self) -> None:
        """Whole domain names (up to 64 cells) instead of names cut in the middle."""
        self.table.toggle_wide()

    def action_problems(self) -> None:
        from sslterm.tui.screens.problems import ProblemsScreen

        self.app.push_screen(ProblemsScreen(self.services))

    def action_history(self) -> None:
        from sslterm.tui.screens.history import HistoryScreen

        if (record := self._selected()) is not None:
            self.app.push_screen(HistoryScreen(self.services, record.domain))

    def action_change(self) -> None:
        from sslterm.tui.screens.change import ChangeScreen

        if (record := self._selected()) is not None:
            self.app.push_screen(ChangeScreen(self.services, record.id))

    def action_delete(self) -> None:
        from sslterm.tui.screens.actions import confirm_delete

        if (record := self._selected()) is not None:
            confirm_delete(self, record, lambda: self.reload(self.table.absolute_cursor))

    def action_purge(self) -> None:
        from sslterm.tui.screens.actions import confirm_purge

        if (record := self._selected()) is not None:
            confirm_purge(self, record, lambda: self.reload(self.table.absolute_cursor))

    def action_download(self) -> None:
        from sslterm.tui.screens.actions import start_download

        if (record := self._selected()) is not None:
            start_download(self, record)

    def action_add(self) -> None:
        from sslterm.tui.screens.wizard import WizardScreen

        def created(cert_id: int | None) -> None:
            self.reload(self.table.absolute_cursor)
            if cert_id is not None:
                self.open_detail_id(cert_id)

        self.app.push_screen(WizardScreen(self.services), created)

    def action_attach(self) -> None:
        from sslterm.tui.screens.attach import start_attach

        if (record := self._selected()) is not None:
            start_attach(self, record, lambda: self.reload(self.table.absolute_cursor))


    def action_demo(self) -> None:
        if self.counts is None or not self.counts.inventory_empty:
            self.notify("Demo data loads only into an empty inventory.", severity="warning")
            return
        from sslterm.store.demo import load_demo

        store, now = self.services.store, self.services.now()
        self.notify("Loading demo data…")
        self.job("demo", lambda: load_demo(store, now), lambda count: (self.notify(f"Loaded {count} demo certificates."), self.reload()))


def empty_text(db_path: object) -> Text:
    """What the list shows before the first certificate, the database's path included."""
    return Text.assemble(
        ("No certificates yet.\n\n", "bold"),
        "  a   add a certificate (self-signed, request, existing, from a live server)\n",
        "  D   load demo data to look around\n\n",
        "From a shell:\n",
        "  sslterm import /etc/letsencrypt/live    import a folder\n",
        "  sslterm discover nginx --dry-run        find what nginx serves\n",
        "  sslterm new self-signed --domain example.com\n\n",
        "The inventory is kept in\n  ", (str(db_path), "bold"), "\n(--db PATH or $SSLTERM_DB opens another).\n",
    )

