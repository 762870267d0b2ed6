"""The App: wiring only. Store, clock and checker interval are passed in."""

from __future__ import annotations

import asyncio
import gc
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import Worker

from sslterm.core.clock import Clock
from sslterm.store import Store
from sslterm.tui.screens.base import SslTermScreen, job_finished, run_job
from sslterm.tui.screens.cert_list import CertificateListScreen
from sslterm.tui.services import Services

if TYPE_CHECKING:
    from sslterm.checker.report import PassDigest
    from sslterm.checker.run import CheckOptions

FIRST_CHECK_DELAY = 2.0
NOTEWORTHY = ("renewal-failed", "probe-failed", "drift")


SETTLE_HEAP_DELAY = 1.0  # seconds: after the first paint, before anyone types much
# The longest the UI thread waits for the GIL while a job's thread runs Python code (Python's default: 5 ms).
# A checker pass of 200 probes over a 10k store held a 5 ms UI ticker up by 6-22 ms at the default (median 10.8),
# by 4-9 ms at 2 ms (median 6.4), against 3-7 ms for a timer in an idle process (benchmarks/stall_probe.py).
GIL_SWITCH_INTERVAL = 0.002


class SslTermApp(App[None]):
    """sslterm's TUI. Build it with :func:`make_app`."""

    TITLE = "sslterm"
    CSS_PATH = ["styles/app.tcss"]

    def __init__(self, services: Services, check_interval: float | None = None) -> None:
        super().__init__()
        self.services = services
        self.check_interval = check_interval
        self.noteworthy: set[tuple[str, str, str | None]] | None = None  # the last pass's; its report is not kept (~100k problems at 500k)

    def on_mount(self) -> None:
        gc.freeze()  # what importing and building the app made
        self.push_screen(CertificateListScreen(self.services))
        self.set_timer(SETTLE_HEAP_DELAY, self._settle_heap)  # and the list screen with its first page
        if self.check_interval:
            self.set_timer(FIRST_CHECK_DELAY, self.run_checks_now)
            self.set_interval(self.check_interval, self.run_checks_now)

    @staticmethod
    def _settle_heap() -> None:
        """Exempt the objects start-up made from later full collections.

        The app keeps tens of thousands of long-lived objects (modules, classes,
        widgets, styles); every full collection walked them all and stalled a
        keystroke by 20-40 ms. Frozen, they are skipped: search p95 at 20k went
        from ~100 to ~60 ms. There is no collection first (it would stall the
        same way), so start-up's few garbage cycles stay: a fixed, small cost.
        Collection resumes here if :func:`sslterm.tui.launch.pause_collection`
        stopped it for start-up.
        """
        gc.freeze()
        gc.enable()

    def run_checks_now(self) -> None:
        """Run a checker pass in a thread with its own event loop, so the UI loop never waits on it."""
        from sslterm.checker.run import CheckOptions  # loaded on first use: start-up stays fast

        store, now = self.services.store, self.services.now()
        run_job(self, "checker", lambda: checker_pass(store, now, CheckOptions()), self._checks_completed)

    def _checks_completed(self, digest: PassDigest) -> None:
        from sslterm.tui.screens.problems import ProblemsScreen

        for screen in self.screen_stack:
            if isinstance(screen, CertificateListScreen):
                screen.checks_completed(digest)
            elif isinstance(screen, ProblemsScreen):
                screen.load()
        noteworthy = set(digest.notable)
        new, self.noteworthy = noteworthy - (self.noteworthy or set()), noteworthy
        if digest.renewed:
            self.notify(f"Renewed {digest.renewed} certificate(s).", title="Checker")
        if new:
            self.notify(f"{len(new)} new problem(s): " + ", ".join(sorted({k for k, _, _ in new})),
                        title="Checker", severity="warning", markup=False, timeout=8)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:  # type: ignore[type-arg]
        yield from super().get_system_commands(screen)
        if isinstance(screen, SslTermScreen):
            yield from screen.palette_commands()
        yield SystemCommand("Run checks now", "Renew what is due, probe endpoints, report", self.run_checks_now)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """App-level jobs (the checker) report like screen jobs: results dispatched, errors shown."""
        job_finished(self, event)


def checker_pass(store: Store, now: datetime, options: CheckOptions) -> PassDigest:
    """One checker pass as the TUI runs it (in a worker thread): only its digest outlives it.

    Full collections wait until the report, with every finding, is gone (see
    sslterm.core.heap): walking ~100k findings held the UI loop for 25-150 ms.
    """
    from sslterm.checker.run import check_pass
    from sslterm.core.heap import dismantle, full_collections_deferred

    with full_collections_deferred():
        report = asyncio.run(check_pass(store, now, options))
        digest = report.digest(NOTEWORTHY)
        dismantle(report.problems, report.served)
        del report
    return digest


def make_app(store: Store, clock: Clock, check_interval: float | None = None) -> SslTermApp:
    """The one factory shared by the CLI, the tests and the screenshot script.

    ``check_interval`` (seconds) starts the background checker; None keeps it off (tests).
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL)  # for the process: the app's jobs share it with the UI
    return SslTermApp(Services(store, clock), check_interval)
