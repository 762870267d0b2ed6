"""Add a certificate: self-signed, request (CSR), existing, or from a live server.

Nothing is written until the last step; Escape cancels at any step. Slow work
(key generation, reading files, fetching from a server) runs in workers while
a loading indicator shows.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from rich.table import Table
from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, ContentSwitcher, Input, Label, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from sslterm.tui.widgets.state_checkbox import StateCheckbox
from sslterm.core.clock import parse_moment
from sslterm.core.errors import InputError
from sslterm.core.generate import KEY_TYPE_LABELS, KEY_TYPES, check_text_field
from sslterm.core.names import normalize_country, normalize_domain, normalize_email, normalize_san
from sslterm.core.endpoints import parse_address
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.screens.wizard_plans import Plan, WizardPlans
from sslterm.tui.services import Services
from sslterm.tui.text import plain
from sslterm.tui.widgets.form_field import FormField
from sslterm.tui.widgets.key_footer import KeyFooter

KINDS = [
    ("self-signed", "Self-signed", "generate a key and a certificate signed by itself"),
    ("request", "Request (CSR)", "generate a key and a signing request to send to a CA"),
    ("existing", "Existing", "upload a certificate you already have (PEM, DER, PKCS#7, PFX)"),
    ("live", "From a live server", "fetch the chain a server presents and track it for expiry"),
    ("acme", "Let's Encrypt / ACME", "obtain from an ACME CA and renew automatically (Auto SSL)"),
]


def _sans(text: str) -> list[str]:
    return [normalize_san(part) for part in text.replace(",", " ").split()]


def _optional(rule: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda value: rule(value) if value.strip() else None


def _directory(value: str) -> str:
    from sslterm.autossl.client import NAMED_DIRECTORIES

    text = value.strip()
    if text in NAMED_DIRECTORIES or text.startswith(("https://", "http://")):
        return text
    raise InputError(f"ACME directory {value!r} is not a URL or one of {', '.join(NAMED_DIRECTORIES)}")


def _directory_path(value: str) -> Path:
    path = Path(value.strip()).expanduser()
    if not path.is_dir():
        raise InputError(f"{value} is not a directory")
    return path


def _file_path(value: str) -> Path:
    path = Path(value.strip()).expanduser()
    if not path.is_file():
        raise InputError(f"{value} is not a file")
    return path


def _port(value: str) -> int:
    try:
        port = int(value.strip())
    except ValueError:
        raise InputError(f"port {value!r} is not a number") from None
    if not 1 <= port <= 65535:
        raise InputError("port must be from 1 to 65535")
    return port


def _required(label: str) -> Callable[[str], str]:
    def rule(value: str) -> str:
        if not value.strip():
            raise InputError(f"{label} is required")
        return " ".join(value.split())
    return rule


class WizardScreen(WizardPlans, SslTermScreen):
    """Keyboard-first 'Add a new certificate'; dismisses with the new certificate's id."""

    CSS_PATH = "../styles/wizard.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+n", "next", "Next"),
        Binding("ctrl+b", "back", "Back"),
        Binding("ctrl+o", "browse", "Browse for file"),
    ]

    switcher = getters.query_one(ContentSwitcher)

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.kind: str | None = None
        self.plan: Plan | None = None
        self.history: list[str] = []

    # ---------------------------------------------------------------- layout

    def compose(self) -> ComposeResult:
        now = self.services.now()
        store = self.services.store
        yield Static(Text("Add a new certificate", style="bold"), id="wizard-title")
        with ContentSwitcher(initial="step-kind"):
            with Vertical(id="step-kind"):
                yield Label("Certificate type (Enter chooses):")
                yield OptionList(*[Option(Text.assemble((label, "bold"), f"  {help}"), id=key) for key, label, help in KINDS], id="kind")
            with VerticalScroll(id="step-subject"):
                yield FormField("Username (owner)", id="owner", value=store.user, validator=_required("owner"))
                yield FormField("Domain name", id="domain", placeholder="example.com or *.example.com", validator=normalize_domain)
                yield FormField("Additional names (space or comma separated)", id="sans", placeholder="www.example.com api.example.com", validator=_sans)
                yield FormField("Certificate name (default: the domain)", id="name", validator=lambda v: " ".join(v.split()) or None)
                yield FormField("Country code", id="country", placeholder="US, DE, BE", validator=_optional(normalize_country))
                yield FormField("Region", id="region", validator=lambda v: check_text_field("region", v))
                yield FormField("City", id="city", validator=lambda v: check_text_field("city", v))
                yield FormField("Organization", id="org", validator=lambda v: check_text_field("organization", v))
                yield FormField("Organizational unit", id="unit", validator=lambda v: check_text_field("organizational unit", v))
                yield FormField("Email", id="email", validator=_optional(normalize_email))
                yield Label("Key type and length", classes="field-label")
                yield Select([(KEY_TYPE_LABELS[k], k) for k in KEY_TYPES], value="rsa2048", allow_blank=False, id="key-type", compact=True)
                with Vertical(id="dates"):
                    yield FormField("Start date", id="not-before", value=f"{now:%Y-%m-%d}", validator=lambda v: parse_moment(v, "start date"))
                    yield FormField("Expiration date (valid until)", id="not-after", value=f"{now + timedelta(days=365):%Y-%m-%d}", validator=lambda v: parse_moment(v, "expiration date"))
            with VerticalScroll(id="step-existing"):
                yield FormField("SSL certificate name (default: the domain)", id="existing-name")
                yield FormField("Username (owner)", id="existing-owner", value=store.user, validator=_required("owner"))
                for slot, label in (("cert", "Certificate"), ("key", "Certificate key"), ("chain", "Certificates chain")):
                    yield Label(f"{label}: paste it below, or give a file (ctrl+o browses)", classes="field-label")
                    yield TextArea(id=f"{slot}-text", classes="pem")
                    yield FormField(f"{label} file", id=f"{slot}-file", placeholder="/etc/ssl/site.pem, site.pfx ...")
                yield FormField("Password (PFX/P12 or encrypted key)", id="password", password=True)
            with VerticalScroll(id="step-live"):
                yield FormField("Server: host[:port] (443 by default), or smtp://host[:port] for STARTTLS", id="address",
                                placeholder="www.example.com:443", validator=parse_address)
                yield FormField("SNI name (optional)", id="sni", validator=_optional(lambda v: normalize_domain(v, field="SNI name", allow_wildcard=False)))
                yield FormField("Username (owner)", id="live-owner", value=store.user, validator=_required("owner"))
                yield StateCheckbox("Also probe this endpoint in the renewal checker", value=True, id="live-probe", compact=True)
            with VerticalScroll(id="step-acme"):
                yield FormField("ACME directory: letsencrypt, letsencrypt-staging or a URL", id="acme-directory", value="letsencrypt", validator=_directory)
                yield FormField("Email for the ACME account", id="acme-email", validator=normalize_email)
                yield FormField("Domain name", id="acme-domain", placeholder="example.com", validator=lambda v: normalize_domain(v, allow_wildcard=False))
                yield FormField("Additional names (space or comma separated)", id="acme-sans", validator=_sans)
                yield FormField("Webroot directory (http-01 token files); leave empty for the built-in responder", id="acme-webroot", validator=_optional(_directory_path))
                yield FormField("Built-in responder port (when no webroot)", id="acme-port", value="80", validator=_port)
                yield FormField("CA bundle for a private ACME server (optional)", id="acme-ca-bundle", validator=_optional(_file_path))
                yield FormField("Username (owner)", id="acme-owner", value=store.user, validator=_required("owner"))
                yield Label("Key type and length", classes="field-label")
                yield Select([(KEY_TYPE_LABELS[k], k) for k in KEY_TYPES], value="ec256", allow_blank=False, id="acme-key-type", compact=True)
            with VerticalScroll(id="step-review"):
                yield Static(id="review")
                yield StateCheckbox("I have read the warnings above", id="ack", compact=True)
        yield Static(id="progress")
        with Horizontal(id="wizard-buttons"):
            yield Button("Back (ctrl+b)", id="back", compact=True)
            yield Button("Next (ctrl+n)", id="next", variant="primary", compact=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        owners = SuggestFromList(self.services.store.owners(), case_sensitive=False)
        for field_id in ("#owner", "#existing-owner", "#live-owner", "#acme-owner"):
            self.query_one(field_id, Input).suggester = owners
        self.query_one("#kind", OptionList).focus()
        self._buttons()

    # ---------------------------------------------------------------- navigation

    def _go(self, step: str) -> None:
        self.history.append(self.switcher.current or "step-kind")
        self.switcher.current = step
        self._buttons()
        focusable = [w for w in self.query_one(f"#{step}").query("Input, OptionList, TextArea, Checkbox") if w.focusable]
        if focusable:
            focusable[0].focus()

    def _buttons(self) -> None:
        current = self.switcher.current
        self.query_one("#back", Button).disabled = current == "step-kind"
        self.query_one("#next", Button).label = "Create" if current == "step-review" else "Next (ctrl+n)"
        self.query_one("#ack", Checkbox).display = bool(self.plan and self.plan.warnings)

    @on(Input.Submitted)
    def _field_submitted(self) -> None:
        """Enter moves to the next field, as in a paper form; ctrl+n moves to the next step."""
        self.focus_next()

    @on(OptionList.OptionSelected, "#kind")
    def _kind_chosen(self, event: OptionList.OptionSelected) -> None:
        self.kind = event.option.id
        if self.kind in ("self-signed", "request"):
            self.query_one("#dates").display = self.kind == "self-signed"
            self._go("step-subject")
        else:
            self._go(f"step-{self.kind}")

    @on(Button.Pressed, "#next")
    def action_next(self) -> None:
        step = self.switcher.current
        if step == "step-kind":
            kind_list = self.query_one("#kind", OptionList)
            if kind_list.highlighted is not None:
                kind_list.action_select()
        elif step == "step-subject":
            self._plan_subject()
        elif step == "step-existing":
            self._plan_existing()
        elif step == "step-live":
            self._plan_live()
        elif step == "step-acme":
            self._plan_acme()
        elif step == "step-review":
            self._create()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        if self.history and self.switcher.current != "step-kind":
            self.switcher.current = self.history.pop()
            if self.switcher.current != "step-review":
                self.plan = None
            self._buttons()

    def action_cancel(self) -> None:
        """Esc leaves at once when nothing was typed; otherwise it asks, so a filled-in form is not lost by a slip."""
        from rich.text import Text
        from textual.widgets import Input, TextArea

        from sslterm.tui.screens.dialogs import ConfirmDialog

        typed = any(w.value.strip() for w in self.query(Input)) or any(w.text.strip() for w in self.query(TextArea))
        if not typed:
            self.dismiss(None)
            return
        question = Text("Discard what you typed and leave the wizard?")
        self.app.push_screen(ConfirmDialog(question, "Discard"), lambda yes: self.dismiss(None) if yes else None)

    def action_browse(self) -> None:
        from sslterm.tui.screens.file_picker import FilePicker

        focused = self.focused
        slot = None
        if focused is not None and focused.id:
            for name in ("cert", "key", "chain"):
                if focused.id in (f"{name}-text", f"{name}-file"):
                    slot = name
        if slot is None:
            self.notify("Move to a certificate, key or chain field first.", severity="warning")
            return
        target = self.query_one(f"#{slot}-file", Input)
        self.app.push_screen(FilePicker(), lambda path: setattr(target, "value", str(path)) if path else None)

    # ---------------------------------------------------------------- review (the plans: WizardPlans)

    def _review(self, plan: Plan) -> None:
        self.plan = plan
        table = Table(title=Text(f"Review: {plan.title}", style="bold"), title_justify="left", show_header=False, box=None, expand=True)
        table.add_column(style="dim", no_wrap=True)
        table.add_column(ratio=1, overflow="fold")
        for key, value in plan.rows:
            table.add_row(key, plain(value))
        for warning in plan.warnings:
            table.add_row(Text("WARNING", style="bold #ffaf00"), plain(warning))
        table.add_row("", Text("Create writes everything in one transaction; Escape cancels and writes nothing.", style="dim"))
        self.query_one("#review", Static).update(table)
        self.query_one("#ack", Checkbox).value = False
        self._go("step-review")

    # ---------------------------------------------------------------- create

    def _create(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if plan.warnings and not self.query_one("#ack", Checkbox).value:
            self.notify("Acknowledge the warnings first (tick the box).", severity="warning")
            self.query_one("#ack", Checkbox).focus()
            return
        store, now = self.services.store, self.services.now()
        self._busy("create", lambda: plan.create(store, now), lambda record: self.dismiss(record.id))

    def _busy(self, name: str, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run ``work`` in a worker behind a loading indicator."""
        self.switcher.loading = True
        self.query_one("#wizard-buttons").disabled = True

        def finish(result: Any) -> None:
            self._idle()
            done(result)

        self.job(name, work, finish)

    def _idle(self) -> None:
        self.switcher.loading = False
        self.query_one("#wizard-buttons").disabled = False

    def on_worker_state_changed(self, event) -> None:  # type: ignore[no-untyped-def]
        super().on_worker_state_changed(event)
        if event.state.name in ("ERROR", "CANCELLED"):
            self._idle()
