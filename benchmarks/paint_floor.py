"""The machine's floor for the list's first paint: a bare Textual app, started and timed the same way.

Usage: python benchmarks/paint_floor.py  (prints seconds from launch to the first frame)
Run by scale_bench.py beside each row's paint: this shared machine's speed drifts, and
a bare app with a footer (no store, no list) is what no work of sslterm's can undercut.
Set SSLTERM_BENCH_LAUNCHED (time.time() at launch) to count the interpreter's start-up, as
tui_probe.py does.
"""

from __future__ import annotations

import os
import time

STARTED = time.perf_counter() - (time.time() - float(os.environ.get("SSLTERM_BENCH_LAUNCHED") or time.time()))

import asyncio  # noqa: E402

from textual.app import App, ComposeResult  # noqa: E402
from textual.widgets import Footer, Static  # noqa: E402


class Bare(App[None]):
    BINDINGS = [("q", "quit", "Quit")]
    painted: float | None = None

    def compose(self) -> ComposeResult:
        yield Static("sslterm")
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(lambda: setattr(self, "painted", time.perf_counter()))


async def main() -> float:
    app = Bare()
    async with app.run_test(size=(120, 40)):  # as tui_probe.py runs the list
        while app.painted is None:
            await asyncio.sleep(0.005)
    return app.painted - STARTED


if __name__ == "__main__":
    print(f"{asyncio.run(main()):.4f}")
