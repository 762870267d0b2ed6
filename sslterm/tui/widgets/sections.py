"""Labelled sections (title, then label and value rows) laid out as plain lines, wrapped to the width.

A Rich ``Table`` per section measured every cell twice and took ~150 ms for a
certificate's detail; text wrapped here, once per width, takes a few.
"""

from __future__ import annotations

import textwrap

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from sslterm.core.display import printable

LABEL_WIDTH = 20
SEVERITY_STYLE = {"ERROR": "bold red", "WARNING": "#ffaf00", "OK": "green", "INFO": "dim"}
Section = tuple[str, list[tuple[str, str]]]


def sections_text(sections: list[Section], width: int) -> Text:
    """Every section as lines: the title in bold, each label dim (or its severity's colour), values wrapped
    under themselves; all of it literal text (no markup, controls made visible)."""
    value_width = max(16, width - LABEL_WIDTH - 2)
    text = Text(no_wrap=True, overflow="crop")
    for title, rows in sections:
        text.append(title + "\n", style="bold")
        for key, value in rows:
            severity = SEVERITY_STYLE.get(key, "")
            label = printable(key)
            label = label if len(label) <= LABEL_WIDTH else label[: LABEL_WIDTH - 1] + "…"
            lines = textwrap.wrap(printable(value), value_width, break_long_words=True, break_on_hyphens=False) or [""]
            value_style = severity if title == "Findings" else ""
            text.append(" " + label.ljust(LABEL_WIDTH) + " ", style=severity or "dim")
            text.append(lines[0] + "\n", style=value_style)
            for line in lines[1:]:
                text.append(" " * (LABEL_WIDTH + 2) + line + "\n", style=value_style)
    text.rstrip()
    return text


class Sections(Widget):
    """Shows sections wrapped to its own width (computed when Textual asks for the height, and cached)."""

    DEFAULT_CSS = "Sections { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self._sections: list[Section] = []
        self._cache: tuple[int, Text] | None = None

    def show(self, sections: list[Section]) -> None:
        self._sections, self._cache = sections, None
        self.refresh(layout=True)

    def _text(self, width: int) -> Text:
        if self._cache is None or self._cache[0] != width:
            self._cache = (width, sections_text(self._sections, width))
        return self._cache[1]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._text(width).plain.split("\n")) if self._sections else 0

    def render(self) -> Text:
        return self._text(self.content_size.width) if self._sections else Text()
