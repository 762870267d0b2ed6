"""A one-line status that never cuts a count: parts drop whole, least wanted first, to fit its width."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sslterm.tui.text import same_text

Part = tuple[int, Text]  # (priority: 0 is kept first, the text)


def fit_parts(parts: list[Part], width: int) -> Text:
    """The parts that fit ``width`` whole, by priority, shown in their given order."""
    kept: set[int] = set()
    used = 0
    for index, (_, part) in sorted(enumerate(parts), key=lambda item: item[1][0]):
        if used + part.cell_len <= width:
            kept.add(index)
            used += part.cell_len
    line = Text(no_wrap=True, overflow="ellipsis")
    for index, (_, part) in enumerate(parts):
        if index in kept:
            line.append_text(part)
    return line


class StatusLine(Static):
    """Shows prioritised parts; fits them again when the terminal is resized."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._parts: list[Part] = []
        self._shown: Text | None = None

    def show_parts(self, parts: list[Part]) -> None:
        self._parts = parts
        self._show(fit_parts(parts, self.size.width or self.app.size.width))

    def on_resize(self) -> None:
        if self._parts:
            self._show(fit_parts(self._parts, self.size.width))

    def _show(self, line: Text) -> None:
        """Each update lays the screen out again: the same line again (a live refresh) repaints nothing."""
        if not same_text(line, self._shown):
            self._shown = line
            self.update(line)
