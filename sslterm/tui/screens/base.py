"""What every sslterm screen shares: services, background jobs and palette commands."""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterable

from textual.app import SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from sslterm.core.errors import SslTermError
from sslterm.tui.services import Services


def run_job(node: Any, name: str, work: Callable[[], Any], done: Callable[[Any], None] | None = None, exclusive: bool = True) -> Worker[Any]:
    """Run blocking ``work`` in a thread; call ``done(result)`` back on the UI thread.

    Jobs of one name are exclusive (a newer one cancels the older) unless
    ``exclusive`` is False; failures are shown by the App's single
    ``Worker.StateChanged`` handler.
    """
    callbacks = node.__dict__.setdefault("_job_callbacks", {})
    store = node.app.services.store

    def job() -> Any:
        try:
            return work()
        finally:
            store.release_thread()  # each worker is a new thread: give its database connection back

    worker = node.run_worker(job, name=name, group=name, thread=True, exclusive=exclusive, exit_on_error=False)
    callbacks[worker] = done
    return worker


def error_text(error: BaseException | None) -> str:
    """One line for any failure: our own errors as they are, anything else with its type."""
    if isinstance(error, SslTermError):
        return str(error)
    return f"{type(error).__name__}: {' '.join(str(error).split())}"


def job_finished(node: Any, event: Worker.StateChanged) -> None:
    """Dispatch a successful job's result to its callback; show a failed job's error.

    ``Worker.StateChanged`` does not bubble, so every node that runs jobs calls this.
    """
    callbacks = node.__dict__.get("_job_callbacks", {})
    if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
        done = callbacks.pop(event.worker, None)
        if done is not None and event.state == WorkerState.SUCCESS:
            done(event.worker.result)
    if event.state == WorkerState.ERROR:
        node.app.notify(error_text(event.worker.error), title="Error", severity="error", markup=False, timeout=8)


def binding_commands(node: Any, bindings: Iterable[Binding | tuple[str, ...]]) -> Iterable[SystemCommand]:
    """A command-palette entry for every described binding, so every key is reachable there."""
    for binding in bindings:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        key = binding.key_display or binding.key.split(",")[0]
        yield SystemCommand(binding.description, f"key: {key}", partial(node.run_action, binding.action))


class SslTermScreen(Screen[Any]):
    """Base screen: holds the services, runs jobs, and lists its keys in ``?`` help."""

    HELP_TITLE = "sslterm"
    HELP_NOTES = ""  # a few lines below the keys in ? help

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def job(self, name: str, work: Callable[[], Any], done: Callable[[Any], None] | None = None, exclusive: bool = True) -> Worker[Any]:
        return run_job(self, name, work, done, exclusive)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        job_finished(self, event)

    def action_help(self) -> None:
        from sslterm.tui.screens.dialogs import HelpScreen

        self.app.push_screen(HelpScreen(self.BINDINGS, title=self.HELP_TITLE, notes=self.HELP_NOTES))

    def palette_commands(self) -> Iterable[SystemCommand]:
        return binding_commands(self, self.BINDINGS)
