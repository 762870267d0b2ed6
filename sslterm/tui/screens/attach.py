"""Attach the certificate a CA returned to a pending request."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static, TextArea

from sslterm.core.errors import SslTermError
from sslterm.core.parse import read_bundle, read_file
from sslterm.core.records import CertificateRecord
from sslterm.core.validate import order_chain, pick_leaf
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.text import plain
from sslterm.tui.widgets.form_field import FormField


class AttachDialog(ModalScreen["tuple[str, str] | None"]):
    """Paste the issued certificate (and chain) or give its file; returns (text, path)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, record: CertificateRecord) -> None:
        super().__init__(classes="dialog-screen")
        self.record = record

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text.assemble("Attach the issued certificate to request ", f"#{self.record.id} ", plain(self.record.name)))
            yield Label("Paste the certificate and chain the CA returned:", classes="field-label")
            yield TextArea(id="issued-text", classes="pem")
            yield FormField("or its file", id="issued-file")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Attach", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        self.dismiss((self.query_one("#issued-text", TextArea).text, self.query_one("#issued-file-field", FormField).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def start_attach(screen: SslTermScreen, record: CertificateRecord, after: Callable[[], Any]) -> None:
    """Ask for the issued certificate, check it against the request's key, and attach it."""
    if record.type != "request" or record.not_after is not None:
        screen.notify("Only a pending request can take an issued certificate.", severity="warning")
        return

    def chosen(answer: tuple[str, str] | None) -> None:
        if answer is None:
            return
        text, path = answer
        store, now = screen.services.store, screen.services.now()

        def work() -> CertificateRecord:
            bundle = read_file(Path(path.strip()).expanduser()) if path.strip() else read_bundle(text)
            if not bundle.certificates:
                raise SslTermError("no certificate found in what was given")
            leaf = pick_leaf(bundle.certificates)
            ordered, _, _ = order_chain(leaf, [c for c in bundle.certificates if c != leaf])
            return store.attach_issued(record.id, leaf, ordered[1:], now)

        screen.job("attach", work, lambda rec: (screen.notify(f"Request {rec.id} now holds its issued certificate.", markup=False), after()))

    screen.app.push_screen(AttachDialog(record), chosen)
