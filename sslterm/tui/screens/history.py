"""Per-domain history ('View'): every certificate event for one domain, newest first."""

from __future__ import annotations

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static
from rich.text import Text

from sslterm.core.names import to_unicode
from sslterm.core.records import HistoryEvent
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.services import Services
from sslterm.tui.text import date, plain, status_text
from sslterm.tui.widgets.key_footer import KeyFooter

COLUMNS = ["At", "Event", "Certificate", "Create At", "Update At", "Expired Date", "Status", "Type", "Detail"]


class HistoryScreen(SslTermScreen):
    """Events for a domain; each row can be downloaded."""

    CSS_PATH = "../styles/history.tcss"
    HELP_TITLE = "History"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("x", "download", "Download"),
        Binding("o", "open", "Open certificate"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    table = getters.query_one("#history", DataTable)

    def __init__(self, services: Services, domain: str) -> None:
        super().__init__(services)
        self.domain = domain
        self.events: list[HistoryEvent] = []

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("History of ", "bold"), plain(to_unicode(self.domain))), id="history-title")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.table.add_columns(*COLUMNS)
        self.table.focus()
        self.load()

    def load(self) -> None:
        store, domain = self.services.store, self.domain
        self.job("history", lambda: store.history(domain, limit=1000), self._show)

    def _show(self, events: list[HistoryEvent]) -> None:
        now = self.services.now()
        self.events = events
        self.table.clear()
        for event in events:
            c = event.certificate
            self.table.add_row(
                plain(event.at.strftime("%Y-%m-%d %H:%M")), plain(event.kind.replace("_", " ")),
                plain(f"#{c.id} {c.name}" if c else event.domain or ""), date(c.created_at if c else None),
                date(c.updated_at if c else None), date(c.not_after if c else None),
                status_text(c, now) if c else plain(""), plain(c.type_label if c else ""), plain(event.detail),
            )
        if not events:
            self.notify("No history for this domain.", severity="information")

    def _selected(self) -> HistoryEvent | None:
        row = self.table.cursor_row
        return self.events[row] if 0 <= row < len(self.events) else None

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_download()

    def action_download(self) -> None:
        from sslterm.tui.screens.actions import start_download

        event = self._selected()
        if event is None or event.certificate is None:
            self.notify("This event has no certificate to download.", severity="warning")
            return
        start_download(self, event.certificate)

    def action_open(self) -> None:
        from sslterm.tui.screens.detail import DetailScreen

        event = self._selected()
        if event is not None and event.certificate is not None:
            self.app.push_screen(DetailScreen(self.services, event.certificate.id))
