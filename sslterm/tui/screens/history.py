"""Per-domain history (seed 004's 'View'): the versions of the domain's certificates, then every event."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static

from sslterm.core.names import to_unicode
from sslterm.core.records import CertificateRecord, HistoryEvent
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.services import Services
from sslterm.tui.text import date, plain, status_text
from sslterm.tui.widgets.key_footer import KeyFooter
from sslterm.core.display import openssl_serial

VERSION_COLUMNS = ["Ver", "ID", "Create At", "Expired Date", "Status", "Type", "Serial"]
EVENT_COLUMNS = ["At", "Event", "Ver", "Certificate", "User", "Detail"]


@dataclass(frozen=True)
class DomainHistory:
    versions: list[CertificateRecord]
    events: list[HistoryEvent]


class HistoryScreen(SslTermScreen):
    """A domain's versions, each downloadable, and the events below them (Tab moves between)."""

    CSS_PATH = "../styles/history.tcss"
    HELP_TITLE = "History"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("x", "download", "Download"),
        Binding("o", "open", "Open certificate"),
        Binding("tab", "app.focus_next", "Versions/Events", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    versions_table = getters.query_one("#versions", DataTable)
    table = getters.query_one("#history", DataTable)

    def __init__(self, services: Services, domain: str) -> None:
        super().__init__(services)
        self.domain = domain
        self.versions: list[CertificateRecord] = []
        self.events: list[HistoryEvent] = []

    def compose(self) -> ComposeResult:
        yield Static(Text.assemble(("History of ", "bold"), plain(to_unicode(self.domain))), id="history-title")
        yield Label("Versions, newest first (Enter or x: download, o: open)", classes="history-label")
        yield DataTable(id="versions", cursor_type="row", zebra_stripes=True)
        yield Label("Events, newest first (Tab to move here)", classes="history-label")
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.versions_table.add_columns(*VERSION_COLUMNS)
        self.table.add_columns(*EVENT_COLUMNS)
        self.versions_table.focus()
        self.load()

    def load(self) -> None:
        store, domain = self.services.store, self.domain
        self.job("history", lambda: DomainHistory(store.versions(domain), store.history(domain, limit=1000)), self._show)

    def _show(self, data: DomainHistory) -> None:
        now = self.services.now()
        self.versions, self.events = data.versions, data.events
        self.versions_table.clear()
        for v in data.versions:
            self.versions_table.add_row(
                plain(v.version_label), plain(v.id), date(v.added_at or v.created_at),
                date(v.not_after), status_text(v, now), plain(v.type_label), plain(openssl_serial(v.serial)),
            )
        self.table.clear()
        for event in data.events:
            c = event.certificate
            self.table.add_row(
                plain(event.at.strftime("%Y-%m-%d %H:%M")), plain(event.kind.replace("_", " ")),
                plain(c.version_label if c else ""), plain(f"#{c.id} {c.name}" if c else event.domain or ""),
                plain(event.user), plain(event.detail),
            )
        if not data.events and not data.versions:
            self.notify("No history for this domain.", severity="information")

    def _selected(self) -> CertificateRecord | None:
        """The version under the cursor, or the certificate of the event under it."""
        if self.table.has_focus:
            row = self.table.cursor_row
            return self.events[row].certificate if 0 <= row < len(self.events) else None
        row = self.versions_table.cursor_row
        return self.versions[row] if 0 <= row < len(self.versions) else None

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_download()

    def action_download(self) -> None:
        from sslterm.tui.screens.actions import start_download

        record = self._selected()
        if record is None:
            self.notify("This event has no certificate to download.", severity="warning")
            return
        start_download(self, record, versioned=True)

    def action_open(self) -> None:
        from sslterm.tui.screens.detail import DetailScreen

        record = self._selected()
        if record is not None:
            self.app.push_screen(DetailScreen(self.services, record.id))
