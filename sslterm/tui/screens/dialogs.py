"""Modal dialogs that return typed values: confirm, download options, help."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from sslterm.tui.widgets.state_checkbox import StateCheckbox


class ConfirmDialog(ModalScreen[bool]):
    """Yes/No; the question is literal text (it may name an untrusted certificate)."""

    BINDINGS = [Binding("y", "answer(True)", "Yes"), Binding("n,escape", "answer(False)", "No")]

    def __init__(self, question: Text, yes_label: str = "Yes") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.yes_label = yes_label

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes_label} (y)", id="yes", variant="error", compact=True)
                yield Button("No (n)", id="no", compact=True)

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


@dataclass(frozen=True)
class DownloadRequest:
    """Where and how to write a certificate."""

    directory: Path
    format: str
    with_key: bool


class DownloadDialog(ModalScreen["DownloadRequest | None"]):
    """Ask for a directory (default: the current one), a format, and whether to include the key."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: Text, has_key: bool, directory: Path | None = None, csr_only: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.title_text = title
        self.has_key = has_key
        self.csr_only = csr_only
        self.directory = directory or Path(os.getcwd())

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.title_text, classes="dialog-question")
            yield Label("Directory")
            yield Input(str(self.directory), id="directory", compact=True)
            yield Label("", id="directory-error", classes="field-error")
            with RadioSet(id="format", compact=True, disabled=self.csr_only):
                yield RadioButton("PEM files (.crt, .chain.crt, .fullchain.crt)", value=True, id="pem", compact=True)
                yield RadioButton("PFX / PKCS#12 (.pfx)", id="pfx", compact=True)
                yield RadioButton("DER (.der, .chain.p7b)", id="der", compact=True)
                yield RadioButton("Kubernetes TLS Secret (.secret.yaml, holds the key)", id="k8s-secret", compact=True,
                                  disabled=not self.has_key)
            yield StateCheckbox("Include private key (written 0600)", id="with-key", disabled=not self.has_key, compact=True)
            if self.csr_only:
                yield Label("Writes <name>.csr (PEM) to send to your CA.")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Download", id="ok", variant="primary", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed, "#ok")
    @on(Input.Submitted, "#directory")
    def _submit(self) -> None:
        raw = self.query_one("#directory", Input).value.strip()
        error = self.query_one("#directory-error", Label)
        if not raw:
            error.update("Enter a directory.")
            return
        path = Path(raw).expanduser()
        if path.exists() and not path.is_dir():
            error.update(Text(f"{raw} is not a directory."))
            return
        pressed = self.query_one("#format", RadioSet).pressed_button
        fmt = pressed.id if pressed is not None and pressed.id else "pem"
        self.dismiss(DownloadRequest(path, fmt, self.query_one("#with-key", Checkbox).value))


class HelpScreen(ModalScreen[None]):
    """Every key of the screen it was opened from."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss_help", "Close")]

    def __init__(self, bindings: list[Binding | tuple[str, ...]], title: str, notes: str = "") -> None:
        super().__init__(classes="dialog-screen")
        self.bindings_list = [b for b in bindings if isinstance(b, Binding) and b.description]
        self.title_text = title
        self.notes = notes

    def compose(self) -> ComposeResult:
        entries = [(b.key_display or b.key.replace(",", "/"), b.description) for b in self.bindings_list]
        entries += [("↑↓ PgUp PgDn", "Move"), ("Home End", "First / last"), ("ctrl+p", "Command palette")]
        half = (len(entries) + 1) // 2
        table = Table(show_header=False, box=None, expand=True, padding=(0, 1))
        for _ in range(2):
            table.add_column(style="bold #ffaf00", no_wrap=True)
            table.add_column(no_wrap=True)
        for left, right in zip(entries[:half], [*entries[half:], ("", "")]):
            table.add_row(*left, *right)
        with Vertical(classes="dialog help"):
            yield Static(Text(f"{self.title_text}: keys", style="bold"))
            yield Static(table)
            if self.notes:
                yield Static(Text(self.notes))
            yield Static(Text("Esc closes this help. Every action is also in the command palette.", style="dim"))

    def action_dismiss_help(self) -> None:
        self.dismiss(None)
