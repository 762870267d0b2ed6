"""Open the TUI from the command line (imported lazily by :mod:`sslterm.cli`)."""

from __future__ import annotations

import gc

from sslterm.core.clock import Clock
from sslterm.store import Store


def pause_collection() -> None:
    """Stop the cyclic garbage collector until the app has painted its list.

    Start-up (importing Textual, parsing CSS, building widgets) makes
    long-lived objects and next to no garbage, yet triggered ~130 young
    collections, ~30 ms of the first paint here. The app freezes what start-up
    made and turns collection back on a second after mounting
    (``SslTermApp._settle_heap``).
    """
    gc.disable()


def run_tui(store: Store, clock: Clock, check_interval: float | None) -> int:
    """Run the App until the user quits; returns the exit code."""
    pause_collection()
    from sslterm.tui.app import make_app

    make_app(store, clock, check_interval=check_interval).run()
    return 0
