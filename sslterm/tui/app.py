"""The App: wiring only. Store, clock and checker interval are passed in."""

from __future__ import annotations

from typing import Iterable

from textual.app import App, SystemCommand
from textual.screen import Screen
from textual.worker import Worker

from sslterm.core.clock import Clock
from sslterm.store import Store
from sslterm.tui.screens.base import SslTermScreen, job_finished
from sslterm.tui.screens.cert_list import CertificateListScreen
from sslterm.tui.services import Services


class SslTermApp(App[None]):
    """sslterm's TUI. Build it with :func:`make_app`."""

    TITLE = "sslterm"
    CSS_PATH = ["styles/app.tcss"]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def on_mount(self) -> None:
        self.push_screen(CertificateListScreen(self.services))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:  # type: ignore[type-arg]
        yield from super().get_system_commands(screen)
        if isinstance(screen, SslTermScreen):
            yield from screen.palette_commands()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """App-level jobs (the checker) report like screen jobs: results dispatched, errors shown."""
        job_finished(self, event)


def make_app(store: Store, clock: Clock) -> SslTermApp:
    """The one factory shared by the CLI, the tests and the screenshot script."""
    return SslTermApp(Services(store, clock))
