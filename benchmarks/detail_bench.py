"""Open and close the detail view of a certificate with 1 and with 10,000 SANs; print the times.

Usage: python benchmarks/detail_bench.py
"First paint" is the view with the row's fields and first names; "complete" adds what
inspecting the certificate finds; "close" is back on the list with its rows repainted.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography import x509  # noqa: E402

from sslterm.core.clock import FixedClock  # noqa: E402
from sslterm.store import Store  # noqa: E402
from sslterm.tui.app import make_app  # noqa: E402
from sslterm.tui.screens.cert_list import CertificateListScreen  # noqa: E402
from sslterm.tui.screens.detail import DetailScreen  # noqa: E402
from tests.factories import NOW, make_cert  # noqa: E402

ROUNDS = 7
painted: list[float] = []
listed: list[float] = []


def _recording(original, marks):  # type: ignore[no-untyped-def]
    def show(self, data):  # type: ignore[no-untyped-def]
        original(self, data)
        self.app.call_after_refresh(lambda: marks.append(time.perf_counter()))

    return show


DetailScreen._show = _recording(DetailScreen._show, painted)  # type: ignore[method-assign]
CertificateListScreen._show = _recording(CertificateListScreen._show, listed)  # type: ignore[method-assign]


async def _wait(marks: list[float], count: int, timeout: float = 5.0) -> float:
    deadline = time.perf_counter() + timeout
    while len(marks) < count and time.perf_counter() < deadline:
        await asyncio.sleep(0.001)
    return marks[count - 1]


async def measure(names: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db", user="bench")
        cert = make_cert("many.example", sans=[x509.DNSName(f"h{i}.many.example") for i in range(names)])
        store.add_certificate(cert.cert, [], None, type="existing", owner="o", now=NOW)
        app = make_app(store, FixedClock(NOW))
        first, complete, close = [], [], []
        async with app.run_test(size=(80, 24)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            for _ in range(ROUNDS):
                start, seen = time.perf_counter(), len(painted)
                await pilot.press("enter")
                first.append(await _wait(painted, seen + 1) - start)
                complete.append(await _wait(painted, seen + 2) - start)
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)
                start, seen = time.perf_counter(), len(listed)
                await pilot.press("escape")
                close.append(await _wait(listed, seen + 1) - start)
                await app.workers.wait_for_complete()
                await pilot.pause(0.2)
        store.close()
    return {"first paint": statistics.median(first), "complete": statistics.median(complete), "close": statistics.median(close)}


def main() -> None:
    for names in (1, 10_000):
        figures = asyncio.run(measure(names))
        print(f"{names:>6} SANs: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items()) + f" (median of {ROUNDS})")


if __name__ == "__main__":
    main()
