"""Pick a file with the keyboard: type its path, or walk a directory tree from the current directory."""

from __future__ import annotations

import os
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label


class FilePicker(ModalScreen["Path | None"]):
    """Returns the chosen file's path, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("backspace", "up", "Parent directory")]

    def __init__(self, start: Path | None = None) -> None:
        super().__init__(classes="dialog-screen")
        self.start = start or Path(os.getcwd())

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog picker"):
            yield Label("Type a path (~ works) and Enter, or Tab to the tree (Backspace goes up)")
            yield Input(placeholder=f"{self.start}{os.sep}…", id="typed-path", compact=True)
            yield Label("", id="typed-path-error", classes="field-error")
            yield DirectoryTree(self.start, id="tree")

    def on_mount(self) -> None:
        self.query_one("#typed-path", Input).focus()

    @on(Input.Submitted, "#typed-path")
    def _typed(self, event: Input.Submitted) -> None:
        error = self.query_one("#typed-path-error", Label)
        raw = event.value.strip()
        if not raw:
            self.query_one(DirectoryTree).focus()
            return
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = Path(self.query_one(DirectoryTree).path) / path
        if path.is_file():
            self.dismiss(path)
        elif path.is_dir():
            tree = self.query_one(DirectoryTree)
            tree.path = path
            error.update("")
            tree.focus()
        else:
            error.update(Text(f"{raw}: no such file or directory."))

    @on(DirectoryTree.FileSelected)
    def _picked(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(event.path)

    def action_up(self) -> None:
        tree = self.query_one(DirectoryTree)
        tree.path = Path(tree.path).resolve().parent

    def action_cancel(self) -> None:
        self.dismiss(None)
