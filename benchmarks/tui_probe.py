"""Measure the TUI on an existing database: first paint, search, filter, page-down, RSS.

Usage: python benchmarks/tui_probe.py DB  (prints one JSON line)
Run by scale_bench.py in a fresh process so start-up and memory are the app's own.
"""

from __future__ import annotations

import os
import time

# First paint is timed from the launch: the wall-clock time the parent took just before
# starting this process (scale_bench.py passes it), so the interpreter's own start-up counts.
STARTED = time.perf_counter() - (time.time() - float(os.environ.get("SSLTERM_BENCH_LAUNCHED") or time.time()))

import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402

from sslterm.tui.launch import pause_collection  # noqa: E402

pause_collection()  # as `sslterm` does before it imports the app

from sslterm.core.clock import SystemClock  # noqa: E402
from sslterm.store import Store  # noqa: E402
from sslterm.tui.app import make_app  # noqa: E402
from sslterm.tui.screens.cert_list import CertificateListScreen  # noqa: E402

# Enough samples that a p95 is not just the slowest one: 44 keystrokes, 30 switches, 60 pages.
SEARCHES = ("host1", "exa", "www.host2", "shop12", "bücher", "api3.example", "cdn",
            "owner:bob", "type:auto", "issuer:bench", "x.api3.example.com")  # qualifiers, and a host its wildcard covers
PAGE_DOWNS = 60

shown: list[float] = []
original_show = CertificateListScreen._show


def recording_show(self, page):  # type: ignore[no-untyped-def]
    original_show(self, page)
    if page.query == self.query_state:
        self.app.call_after_refresh(lambda: shown.append(time.perf_counter()))


CertificateListScreen._show = recording_show  # type: ignore[method-assign]


def peak_rss_mib() -> float:
    """This process's peak resident memory.

    VmHWM where there is /proc: on Linux, ru_maxrss of a process started by
    fork and exec also counts the parent's pages from before the exec, so a
    parent that generated 500k certificates made the TUI look 150 MiB bigger.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def send(app, key: str) -> None:  # type: ignore[no-untyped-def]
    """Deliver a key the way the terminal driver does, without the test pilot's idle waits
    (pilot.press waits ~150 ms for the process to go idle, which would swamp the figures)."""
    from textual import events
    from textual.keys import _character_to_key

    char = key if len(key) == 1 else None
    name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
    event = events.Key(name, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def wait_for_paint(after: int, timeout: float = 10.0) -> float:
    deadline = time.perf_counter() + timeout
    while len(shown) <= after:
        if time.perf_counter() > deadline:
            raise TimeoutError("no repaint")
        await asyncio.sleep(0.0005)
    return shown[-1]


async def measure(db: str) -> dict[str, object]:
    store = Store.open(db, user="bench")  # a SQLite path or a postgresql:// URL
    app = make_app(store, SystemClock())
    result: dict[str, object] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        first = await wait_for_paint(0)
        result["first_paint_s"] = first - STARTED
        screen = app.screen
        search_lat, filter_lat, page_lat = [], [], []
        await pilot.press("slash")
        for word in SEARCHES:
            for ch in word:
                before = len(shown)
                start = time.perf_counter()
                send(app, ch)
                search_lat.append(await wait_for_paint(before) - start)
            screen.search.value = ""
            await pilot.pause(0.1)
        await pilot.press("escape")
        await pilot.pause(0.2)
        for key in "2345123451" * 3:
            before = len(shown)
            start = time.perf_counter()
            send(app, key)
            filter_lat.append(await wait_for_paint(before) - start)
        await pilot.press("1")
        await pilot.pause(0.2)
        table = screen.table
        for _ in range(PAGE_DOWNS):
            before = len(shown)
            start = time.perf_counter()
            send(app, "pagedown")
            page_lat.append(await wait_for_paint(before) - start)
        counts = []
        from sslterm.store import ListQuery

        for _ in range(30):
            start = time.perf_counter()
            store.counts(ListQuery(), SystemClock().now())
            counts.append(time.perf_counter() - start)
        assert table.row_count <= table.page_size
    p95 = lambda xs: statistics.quantiles(xs, n=20)[-1] if len(xs) >= 2 else xs[0]  # noqa: E731
    result.update(
        search_p95_ms=p95(search_lat) * 1000, search_p50_ms=statistics.median(search_lat) * 1000,
        filter_p95_ms=p95(filter_lat) * 1000, page_down_p95_ms=p95(page_lat) * 1000,
        counts_p95_ms=p95(counts) * 1000, rss_mib=peak_rss_mib(),
    )
    return result


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1]))))
