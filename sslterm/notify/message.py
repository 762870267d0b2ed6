"""One message per pass and channel: a title that counts, and a line per finding, most urgent first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sslterm.core.findings import SEVERITIES, WARNING, rank_of, urgency_key
from sslterm.core.display import printable as safe_text
from sslterm.notify.policy import NEW, REMINDER, RESOLVED, RISEN, Notice

MAX_LINES = 200
CHANGE_WORDS = {NEW: "new", RISEN: "now worse", REMINDER: "still open", RESOLVED: "resolved"}


@dataclass(frozen=True)
class Route:
    """Which notices a channel hears: every owner's or one owner's, from a severity up."""

    owner: str | None = None
    min_severity: str = WARNING

    def hears(self, notice: Notice) -> bool:
        state = notice.state
        if self.owner is not None and state.owner != self.owner:
            return False
        return SEVERITIES.index(state.severity) >= SEVERITIES.index(self.min_severity) if state.severity in SEVERITIES else True


def compose(notices: list[Notice]) -> tuple[str, str]:
    """(title, body) listing each notice once: open ones most severe first, then what was resolved."""
    open_ones = sorted((n for n in notices if n.change != RESOLVED), key=lambda n: urgency_key(n.state))
    resolved = sorted((n for n in notices if n.change == RESOLVED), key=lambda n: n.state.domain)
    counts = Counter(n.state.kind for n in open_ones)
    parts = [f"{counts[kind]} {kind}" for kind in sorted(counts, key=rank_of)]
    if resolved:
        parts.append(f"{len(resolved)} resolved")
    title = "sslterm: " + ", ".join(parts)
    lines = [_line(n) for n in open_ones] + [_line(n) for n in resolved]
    if len(lines) > MAX_LINES:  # a fleet's first pass: the most urgent, and how many more
        lines = lines[:MAX_LINES] + [f"… and {len(lines) - MAX_LINES} more: see 'sslterm problems'"]
    return title, "\n".join(lines)


def _line(notice: Notice) -> str:
    state = notice.state
    where = f" ({safe_text(state.endpoint)})" if state.endpoint else ""
    if notice.change == RESOLVED:
        return f"RESOLVED {safe_text(state.domain)}{where}: {state.kind} cleared (was: {safe_text(state.message)})"
    advice = f" - {state.advice}" if state.advice else ""
    return f"{state.severity} {safe_text(state.domain)}{where}: {safe_text(state.message)} [{CHANGE_WORDS[notice.change]}]{advice}"
