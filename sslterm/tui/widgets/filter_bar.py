"""The status filter, always visible with the count in each bucket."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from sslterm.core.status import Bucket
from sslterm.tui.text import same_text

ORDER = [Bucket.ALL, Bucket.EXPIRED, Bucket.VALID, Bucket.DAYS_7, Bucket.DAYS_30]
STYLES = {Bucket.EXPIRED: "red", Bucket.DAYS_7: "red", Bucket.DAYS_30: "#ffaf00", Bucket.VALID: "green", Bucket.ALL: ""}


def filter_text(counts: dict[Bucket, int], current: Bucket) -> Text:
    """``1 All 95 · 2 Expired 3 · ...`` with the current bucket in reverse video and marked ``▸``."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for number, bucket in enumerate(ORDER, start=1):
        if number > 1:
            text.append(" · ", style="dim")
        label = f"{bucket.label} {counts.get(bucket, 0):,}"
        if bucket is current:
            text.append(f"{number}▸{label}", style=f"reverse bold {STYLES[bucket]}".strip())
        else:
            text.append(f"{number} ", style="dim")
            text.append(label, style=STYLES[bucket])
    return text


class FilterBar(Static):
    """Renders the bucket counts; the screen changes the bucket with keys 1-5."""

    DEFAULT_CSS = """
    FilterBar { height: 1; padding: 0 1; }
    """

    _shown: Text | None = None

    def show(self, counts: dict[Bucket, int], current: Bucket) -> None:
        """Show the counts; the same counts again repaint nothing (a live refresh that changed nothing)."""
        text = filter_text(counts, current)
        if not same_text(text, self._shown):
            self._shown = text
            self.update(text)
