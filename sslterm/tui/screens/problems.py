"""Problems: every open finding, most severe first; Enter opens its certificate, ``a`` acknowledges it."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from sslterm.core.findings import CRITICAL, FindingState, states_by_urgency
from sslterm.core.names import to_unicode
from sslterm.store.alerting import AlertStore
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.services import Services
from sslterm.tui.text import plain
from sslterm.tui.widgets.key_footer import KeyFooter

COLUMNS = ["Severity", "Kind", "Domain", "Left", "Since", "Notified", "Endpoint", "Message"]
SEVERITY_STYLE = {CRITICAL: "bold red", "WARNING": "bold #ffaf00"}


class ProblemsScreen(SslTermScreen):
    """What the last checker pass left open, in the order on-call should look at it."""

    CSS_PATH = "../styles/problems.tcss"
    HELP_TITLE = "Problems"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("enter", "open", "Open certificate", show=False),
        Binding("a", "acknowledge", "Acknowledge"),
        Binding("r", "refresh", "Refresh"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    table = getters.query_one("#problems", DataTable)
    summary = getters.query_one("#problems-summary", Static)
    detail = getters.query_one("#problem-detail", Static)

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.states: list[FindingState] = []

    def compose(self) -> ComposeResult:
        yield Static(id="problems-summary")
        yield DataTable(id="problems", cursor_type="row", zebra_stripes=True)
        yield Static(id="problem-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.table.add_columns(*COLUMNS)
        self.table.focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def load(self) -> None:
        store = self.services.store
        self.job("problems", lambda: states_by_urgency(list(AlertStore(store).findings().values())), self._show)

    def _show(self, states: list[FindingState]) -> None:
        now = self.services.now()
        cursor = self.table.cursor_row
        self.states = states
        self.table.clear()
        for s in states:
            notified = "acknowledged" if s.acknowledged(now) else (f"{s.notified_at:%m-%d %H:%M}" if s.notified_at else "")
            self.table.add_row(plain(s.severity, SEVERITY_STYLE.get(s.severity, "")), plain(s.kind), plain(to_unicode(s.domain)),
                               plain(_left(s, now)), plain(f"{s.first_seen:%m-%d %H:%M}"), plain(notified), plain(s.endpoint or ""),
                               plain(s.message))
        if states:
            self.table.move_cursor(row=min(max(cursor, 0), len(states) - 1))
        critical = sum(1 for s in states if s.severity == CRITICAL)
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append("Problems: ", style="bold")
        text.append(f"{len(states)} open" if states else "none open", style="bold red" if critical else "")
        if states:
            text.append(f" ({critical} critical, {len(states) - critical} warning)")
        else:
            text.append(" (as the last checker pass left them; 'Run checks now' in the palette)", style="dim")
        self.summary.update(text)
        self._describe()

    @on(DataTable.RowHighlighted)
    def _describe(self) -> None:
        """The whole finding under the cursor, wrapped below the table: the message and what to do."""
        state = self._selected()
        if state is None:
            self.detail.update("")
            return
        text = Text()
        text.append(to_unicode(state.domain), style="bold")
        if state.endpoint:
            text.append(f" at {state.endpoint}")
        text.append(": ")
        text.append(state.message)
        if state.advice:
            text.append(f"\nWhat to do: {state.advice}", style="dim")
        if state.ack_level and state.ack_by:
            until = f" until {state.ack_until:%Y-%m-%d}" if state.ack_until else " until it changes"
            text.append(f"\nAcknowledged by {state.ack_by}{until}", style="dim")
        self.detail.update(text)

    def _selected(self) -> FindingState | None:
        row = self.table.cursor_row
        return self.states[row] if 0 <= row < len(self.states) else None

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        from sslterm.tui.screens.detail import DetailScreen

        state = self._selected()
        if state is None:
            return
        if state.certificate_id is None:
            self.notify("This finding is not about a stored certificate.", severity="warning")
            return
        self.app.push_screen(DetailScreen(self.services, state.certificate_id))

    def action_refresh(self) -> None:
        self.load()

    def action_acknowledge(self) -> None:
        state = self._selected()
        if state is None:
            return
        self.app.push_screen(AcknowledgeDialog(state), lambda until: self._acknowledge(state, until))

    def _acknowledge(self, state: FindingState, until: datetime | None | bool) -> None:
        if until is False:  # cancelled
            return
        store, now = self.services.store, self.services.now()
        moment = until if isinstance(until, datetime) else None
        self.job("acknowledge", lambda: AlertStore(store).acknowledge(state.key, now, moment), lambda _: self._acknowledged(state, moment))

    def _acknowledged(self, state: FindingState, until: datetime | None) -> None:
        self.notify(f"Acknowledged {state.kind} on {to_unicode(state.domain)}" + (f" until {until:%Y-%m-%d}." if until else " until it changes."),
                    markup=False)
        self.load()


def _left(state: FindingState, now: datetime) -> str:
    """Time left on the certificate the finding is about: 12d, 36h, or expired."""
    if state.not_after is None:
        return ""
    left = state.not_after - now
    if left.total_seconds() <= 0:
        return "expired"
    return f"{left.days}d" if left.days >= 2 else f"{int(left.total_seconds() // 3600)}h"


class AcknowledgeDialog(ModalScreen["datetime | None | bool"]):
    """Until when no reminders: a date, or empty for "until the finding changes"; False when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, state: FindingState) -> None:
        super().__init__(classes="dialog-screen")
        self.state = state

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            question = Text.assemble(("Acknowledge ", "bold"), (self.state.kind, "bold"), " on ", to_unicode(self.state.domain))
            yield Static(question, classes="dialog-question")
            yield Static(Text(self.state.message, no_wrap=False), classes="dialog-question")
            yield Label("No reminders until (YYYY-MM-DD; empty: until it changes)")
            yield Input(placeholder="YYYY-MM-DD", id="until")
            yield Static("", id="until-error", classes="field-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Acknowledge", id="ok", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#until", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def _submit(self) -> None:
        raw = self.query_one("#until", Input).value.strip()
        if not raw:
            self.dismiss(None)
            return
        try:
            until = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
        except ValueError:
            self.query_one("#until-error", Static).update(Text(f"'{raw}' is not a date: write it as YYYY-MM-DD, or leave it empty."))
            return
        self.dismiss(until)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
