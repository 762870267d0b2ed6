"""Open the TUI from the command line (imported lazily by :mod:`sslterm.cli`)."""

from __future__ import annotations

from sslterm.core.clock import Clock
from sslterm.store import Store


def run_tui(store: Store, clock: Clock, check_interval: float | None) -> int:
    """Run the App until the user quits; returns the exit code."""
    from sslterm.tui.app import make_app

    make_app(store, clock, check_interval=check_interval).run()
    return 0
