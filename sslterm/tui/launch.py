"""Open the TUI from the command line (imported lazily by :mod:`sslterm.cli`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sslterm.cli.context import Context


def run_tui(ctx: Context) -> int:
    from sslterm.tui.app import make_app

    make_app(ctx.store, ctx.clock).run()
    return 0
