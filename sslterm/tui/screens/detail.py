"""Certificate information: everything inspected and validated, read-only."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from rich.text import Text
from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from sslterm.core.deploy import DeployTargetRecord, describe_target
from sslterm.core.describe import Section, describe, record_sections, sections
from sslterm.core.records import CertificateRecord, HistoryEvent, iso
from sslterm.store.deploy_targets import DeployStore
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.services import Services
from sslterm.tui.text import STATUS_STYLE, plain
from sslterm.tui.widgets.key_footer import KeyFooter
from sslterm.tui.widgets.sections import Sections

NAMES_SHOWN = 50


@dataclass(frozen=True)
class DetailData:
    record: CertificateRecord
    sections: list[Section]
    events: list[HistoryEvent]
    pem: str
    targets: list[DeployTargetRecord]


class DetailScreen(SslTermScreen):
    """Read-only 'Certificate information'; the private key is never shown here."""

    CSS_PATH = "../styles/detail.tcss"
    HELP_TITLE = "Certificate information"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("p", "toggle_pem", "PEM"),
        Binding("y", "copy_pem", "Copy PEM"),
        Binding("h", "history", "History"),
        Binding("c", "change", "Change"),
        Binding("x", "download", "Download"),
        Binding("d", "delete", "Delete"),
        Binding("i", "attach", "Attach issued"),
        Binding("n", "all_names", "All names", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    body = getters.query_one("#detail-body", VerticalScroll)
    pem_view = getters.query_one("#pem", Static)

    def __init__(self, services: Services, cert_id: int) -> None:
        super().__init__(services)
        self.cert_id = cert_id
        self.data: DetailData | None = None
        self.names_limit: int | None = NAMES_SHOWN  # n shows every name of a certificate with very many

    def compose(self) -> ComposeResult:
        yield Static(id="detail-title")
        with VerticalScroll(id="detail-body"):
            yield Sections(id="sections")
            yield Static(id="pem")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.pem_view.display = False
        self.body.focus()
        self.load()

    def on_screen_resume(self) -> None:
        """Back from Change or a dialog: show what it changed."""
        if self.data is not None:
            self.load()

    def load(self) -> None:
        store, now, cert_id, limit = self.services.store, self.services.now(), self.cert_id, self.names_limit

        def work() -> DetailData:
            record = store.get(cert_id)
            targets = DeployStore(store).targets(record.lineage_id) if record.lineage_id else []
            events = store.events_for(cert_id, 8)
            if self.data is None:  # the first showing: what the row says now, the inspection once it is painted
                quick, painted = DetailData(record, record_sections(record, now, limit), events, "", targets), threading.Event()
                self.app.call_from_thread(lambda: (self._show(quick), self.call_after_refresh(painted.set)))
                painted.wait(0.5)  # inspecting 10,000 names beside the paint (one GIL) doubled its time
            material = store.material(cert_id)
            description = describe(record, material.certificate, material.chain, now)
            if material.certificate is not None:
                pem = "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in [material.certificate, *material.chain])
            else:
                pem = material.request.public_bytes(serialization.Encoding.PEM).decode() if material.request else ""
            return DetailData(record, sections(description, now, limit), events, pem, targets)

        self.job("detail", work, self._show)

    def _show(self, data: DetailData) -> None:
        self.data = data
        now = self.services.now()
        record = data.record
        title = Text.assemble(("Certificate information: ", "bold"), plain(record.name), "  ", plain(record.status(now).label, STATUS_STYLE[record.status(now)]))
        self.query_one("#detail-title", Static).update(title)
        shown = list(data.sections)
        events = [(iso(e.at) or "", f"{e.kind} by {e.user}" + (f" ({e.domain})" if e.domain else "") + (f": {e.detail}" if e.detail else "")) for e in data.events]
        deploys = [(f"target {t.id}", describe_target(t)) for t in data.targets]
        shown.append(("Deploy targets", deploys or [("", "none: add one on the Change screen (c), key t")]))
        shown.append(("Latest history", events or [("", "no events")]))
        self.query_one("#sections", Sections).show(shown)
        if self.pem_view.display:  # else laid out only when p asks for it (a certificate can be 300 KB of PEM)
            self.pem_view.update(Text(data.pem))

    def action_all_names(self) -> None:
        self.names_limit = None if self.names_limit is not None else NAMES_SHOWN
        self.load()

    def action_toggle_pem(self) -> None:
        self.pem_view.display = not self.pem_view.display
        if self.pem_view.display:
            self.pem_view.update(Text(self.data.pem if self.data else ""))
            self.body.scroll_to_widget(self.pem_view)

    def action_copy_pem(self) -> None:
        if self.data is None or not self.data.pem:
            return
        self.app.copy_to_clipboard(self.data.pem)
        what = "request" if self.data.record.not_after is None else "certificate and chain"
        self.notify(f"PEM of the {what} copied to the clipboard (OSC 52).")

    def action_history(self) -> None:
        from sslterm.tui.screens.history import HistoryScreen

        if self.data:
            self.app.push_screen(HistoryScreen(self.services, self.data.record.domain))

    def action_change(self) -> None:
        from sslterm.tui.screens.change import ChangeScreen

        if self.data:
            self.app.push_screen(ChangeScreen(self.services, self.cert_id))

    def action_download(self) -> None:
        from sslterm.tui.screens.actions import start_download

        if self.data:
            start_download(self, self.data.record)

    def action_delete(self) -> None:
        from sslterm.tui.screens.actions import confirm_delete

        if self.data and not self.data.record.archived:
            confirm_delete(self, self.data.record, lambda: self.app.pop_screen())

    def action_attach(self) -> None:
        from sslterm.tui.screens.attach import start_attach

        if self.data:
            start_attach(self, self.data.record, self.load)
