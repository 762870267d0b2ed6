"""Change certificate: edit the web-domains it serves, or replace it with another one."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable

from rich.text import Text
from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Input, Label, Static

from sslterm.core.deploy import DeployTargetRecord, command_text, parse_target_spec, spec_text
from sslterm.core.errors import InputError, SslTermError
from sslterm.deploy.files import resolve_owner
from sslterm.core.names import normalize_domain, to_unicode
from sslterm.core.records import CertificateRecord, EndpointRecord
from sslterm.core.endpoints import parse_address
from sslterm.store.checks import CheckStore, outcome_summary
from sslterm.store.deploy_targets import DeployStore
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.screens.dialogs import ConfirmDialog
from sslterm.tui.services import Services
from sslterm.tui.text import date, expire_day_text, plain, status_text
from sslterm.tui.widgets.key_footer import KeyFooter


@dataclass(frozen=True)
class ChangeData:
    record: CertificateRecord
    candidates: list[CertificateRecord]
    endpoints: list[EndpointRecord]
    targets: list[DeployTargetRecord]


def deploy_now(screen: SslTermScreen, lineage_id: int | None, after: Callable[[], Any]) -> None:
    """Deploy a lineage's current version to its targets in a worker, and say how each went."""
    from sslterm.deploy.service import deploy_lineage

    if lineage_id is None:
        return
    store, now = screen.services.store, screen.services.now()

    def work() -> list[str]:
        return [f"target {o.target.id}: {o.result}: {o.message}" for o in asyncio.run(deploy_lineage(store, lineage_id, now))]

    def done(lines: list[str]) -> None:
        if lines:
            failed = any(": failed:" in line or ": unverified:" in line for line in lines)
            screen.notify("\n".join(lines), title="Deploy", severity="error" if failed else "information", markup=False, timeout=12)
        after()

    screen.job("deploy", work, done)


class ChangeScreen(SslTermScreen):
    """ISPmanager's 'Change certificate': web-domains and replacement."""

    CSS_PATH = "../styles/change.tcss"
    HELP_TITLE = "Change certificate"
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("a", "focus_add", "Add web-domain"),
        # Del says what it removes: one binding per table, shown while that table has focus.
        Binding("delete", "remove('web')", "Remove web-domain", key_display="Del"),
        Binding("delete", "remove('endpoint')", "Remove endpoint", key_display="Del"),
        Binding("delete", "remove('target')", "Remove target", key_display="Del"),
        Binding("e", "focus_endpoint", "Add endpoint"),
        Binding("i", "import_endpoints", "Import endpoints"),
        Binding("t", "focus_target", "Add deploy target"),
        Binding("D", "deploy", "Deploy now", key_display="D"),
        Binding("question_mark", "help", "Help", key_display="?"),
    ]

    webs = getters.query_one("#web-domains", DataTable)
    candidates = getters.query_one("#candidates", DataTable)
    new_domain = getters.query_one("#new-domain", Input)
    error = getters.query_one("#new-domain-error", Label)
    endpoints = getters.query_one("#endpoints", DataTable)
    new_endpoint = getters.query_one("#new-endpoint", Input)
    endpoint_error = getters.query_one("#new-endpoint-error", Label)
    targets = getters.query_one("#targets", DataTable)
    new_target = getters.query_one("#new-target", Input)
    target_error = getters.query_one("#new-target-error", Label)

    def __init__(self, services: Services, cert_id: int) -> None:
        super().__init__(services)
        self.cert_id = cert_id
        self.data: ChangeData | None = None
        self.editing: int | None = None  # the deploy target the input is editing, if any

    def compose(self) -> ComposeResult:
        yield Static(id="change-title")
        with VerticalScroll(id="change-body"):
            yield Label("Web-domains served by this certificate (Del removes the selected one)")
            yield DataTable(id="web-domains", cursor_type="row")
            yield Input(placeholder="a: add a web-domain, e.g. www.example.com", id="new-domain")
            yield Label("", id="new-domain-error", classes="field-error")
            yield Label("Endpoints the checker probes for these web-domains (Del removes)")
            yield DataTable(id="endpoints", cursor_type="row")
            yield Input(placeholder="e: endpoint: host[:port] or smtp://host:25, then an SNI name if any", id="new-endpoint")
            yield Label("", id="new-endpoint-error", classes="field-error")
            yield Label("Deploy targets: where new versions go (Enter edits, Del removes, D deploys now)")
            yield DataTable(id="targets", cursor_type="row")
            yield Input(placeholder='t: fullchain=/etc/nginx/ssl/x.pem key=/etc/nginx/ssl/x.key check="nginx -t" reload="nginx -s reload"',
                        id="new-target")
            yield Label("", id="new-target-error", classes="field-error")
            yield Label("Replace with: certificates valid for all these web-domains (Enter to replace)")
            yield DataTable(id="candidates", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.webs.add_column("Web-domain", key="name")
        self.endpoints.add_columns("Web-domain", "Endpoint", "SNI", "Last probe")
        self.targets.add_columns("ID", "Files", "Reload", "Last deploy")
        self.candidates.add_columns("ID", "SSL domain", "Name", "Expire Day", "Status", "Expired Date", "Owner")
        self.load()

    def load(self) -> None:
        store, cert_id = self.services.store, self.cert_id
        def work() -> ChangeData:
            record = store.get(cert_id)
            endpoints = [e for e in CheckStore(store).endpoints() if e.domain in record.web_domains]
            targets = DeployStore(store).targets(record.lineage_id) if record.lineage_id else []
            return ChangeData(record, store.replacement_candidates(cert_id), endpoints, targets)

        self.job("change", work, self._show)

    def _show(self, data: ChangeData) -> None:
        now = self.services.now()
        self.data = data
        record = data.record
        self.query_one("#change-title", Static).update(Text.assemble(("Change certificate ", "bold"), f"#{record.id} ", plain(record.name)))
        self.webs.clear()
        for name in record.web_domains:
            self.webs.add_row(plain(to_unicode(name)), key=name)
        self.endpoints.clear()
        for e in data.endpoints:
            result = "not probed yet" if e.last_probe_at is None else e.last_error or ("drift" if e.drift else "ok") + ("" if e.trusted else ", untrusted")
            self.endpoints.add_row(plain(e.domain), plain(e.url), plain(e.sni or ""), plain(result))
        self.targets.clear()
        for t in data.targets:
            last = "never" if t.last_result is None else f"{t.last_result} (v{t.last_version})"
            self.targets.add_row(plain(t.id), plain(", ".join(f"{k}={v}" for k, v in t.parts.items())),
                                 plain(command_text(t.reload, t.shell) or "none"), plain(last))
        self.candidates.clear()
        for c in data.candidates:
            self.candidates.add_row(plain(c.id), plain(to_unicode(c.domain)), plain(c.name), expire_day_text(c, now), status_text(c, now), date(c.not_after), plain(c.owner), key=str(c.id))
        if self.focused is None:
            self.webs.focus()

    def action_focus_add(self) -> None:
        self.new_domain.focus()

    @on(Input.Blurred, "#new-domain")
    def _validate_on_leave(self, event: Input.Blurred) -> None:
        self._check(event.value, quiet_if_empty=True)

    def _check(self, value: str, quiet_if_empty: bool = False) -> str | None:
        if quiet_if_empty and not value.strip():
            self.error.update("")
            return None
        try:
            name = normalize_domain(value, field="web-domain")
        except InputError as exc:
            self.error.update(Text(str(exc)))
            return None
        self.error.update("")
        return name

    @on(Input.Submitted, "#new-domain")
    def _add(self, event: Input.Submitted) -> None:
        name = self._check(event.value)
        if name is None or self.data is None:
            return
        store, now, cert_id = self.services.store, self.services.now(), self.cert_id
        self.new_domain.value = ""
        self.job("web-domain", lambda: store.attach_web_domain(cert_id, name, now), lambda _: (self.notify(f"{name} now served by this certificate.", markup=False), self.load()))

    def action_focus_endpoint(self) -> None:
        self.new_endpoint.focus()

    @on(Input.Submitted, "#new-endpoint")
    def _add_endpoint(self, event: Input.Submitted) -> None:
        if self.data is None or not self.data.record.web_domains:
            self.endpoint_error.update("Add a web-domain first: endpoints belong to web-domains.")
            return
        row = min(self.webs.cursor_row, len(self.data.record.web_domains) - 1)
        domain = self.data.record.web_domains[max(row, 0)]
        parts = event.value.split()
        if not parts or len(parts) > 2:
            self.endpoint_error.update("Enter host[:port] or smtp://host[:port], optionally followed by an SNI name.")
            return
        try:
            where = parse_address(parts[0])
        except InputError as exc:
            self.endpoint_error.update(Text(str(exc)))
            return
        self.endpoint_error.update("")
        sni = parts[1] if len(parts) == 2 else None
        store, now = self.services.store, self.services.now()
        self.new_endpoint.value = ""
        self.job("endpoint", lambda: CheckStore(store).add_endpoint(domain, where.host, where.port, sni, now, protocol=where.protocol),
                 lambda rec: (self.notify(f"{domain} will be probed at {rec.url}.", markup=False), self.load()))

    def action_import_endpoints(self) -> None:
        """Endpoints from a file (CSV or one per line, as 'sslterm endpoint import' reads), for any web-domain."""
        from sslterm.core.endpoint_file import read_endpoint_file
        from sslterm.tui.screens.file_picker import FilePicker

        store = self.services.store

        def work(path: str) -> str:
            outcomes = CheckStore(store).import_endpoints(read_endpoint_file(path), self.services.now())
            summary = outcome_summary(outcomes)
            errors = [f"line {o.line}: {o.message}" for o in outcomes if o.outcome == "error"]
            return "\n".join([summary, *errors[:5], *([f"… and {len(errors) - 5} more"] if len(errors) > 5 else [])])

        def chosen(path: Any) -> None:
            if path:
                self.job("endpoint-import", lambda: work(str(path)),
                         lambda text: (self.notify(text, title="Endpoints imported", markup=False, timeout=10), self.load()))

        self.app.push_screen(FilePicker(), chosen)

    def action_focus_target(self) -> None:
        self.new_target.focus()

    @on(Input.Submitted, "#new-target")
    def _add_target(self, event: Input.Submitted) -> None:
        if self.data is None:
            return
        try:
            spec = parse_target_spec(event.value)
            resolve_owner(spec.owner, spec.group)
        except SslTermError as exc:
            self.target_error.update(Text(str(exc)))
            return
        self.target_error.update("")
        store, now, cert_id = self.services.store, self.services.now(), self.data.record.id
        self.new_target.value = ""

        editing, self.editing = self.editing, None

        def work() -> DeployTargetRecord:
            options = dict(owner=spec.owner, group=spec.group, mode=spec.mode, key_mode=spec.key_mode, check=spec.check,
                           reload=spec.reload, timeout=spec.timeout)
            if editing is not None:
                return DeployStore(store).update(editing, spec.parts, now, **options)  # type: ignore[arg-type]
            return DeployStore(store).add(cert_id, spec.parts, now, **options)  # type: ignore[arg-type]

        def added(target: DeployTargetRecord) -> None:
            verb = "changed" if editing is not None else "added"
            self.notify(f"Deploy target {target.id} {verb}: {', '.join(target.parts.values())}. D deploys now.", markup=False)
            self.targets.focus()  # out of the input, so D and Del act on the targets
            self.load()

        self.job("target", work, added)

    @on(DataTable.RowSelected, "#targets")
    def _edit_target(self, event: DataTable.RowSelected) -> None:
        """Enter on a target: its settings in the input, to change and submit again (Esc in the input cancels)."""
        if self.data is None or not self.data.targets:
            return
        target = self.data.targets[event.cursor_row]
        self.editing = target.id
        self.new_target.value = spec_text(target)
        self.new_target.focus()
        self.target_error.update(Text(f"Editing target {target.id}: change it and press Enter."))

    def action_deploy(self) -> None:
        if self.data is None or not self.data.targets:
            self.notify("No deploy target yet: press t to add one.", severity="warning")
            return
        deploy_now(self, self.data.record.lineage_id, self.load)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The Del bindings apply (and show in the footer) only while their own table has focus."""
        if action == "remove":
            table = {"web": "#web-domains", "endpoint": "#endpoints", "target": "#targets"}[str(parameters[0])]
            return self.focused is not None and self.focused is self.query_one(table)  # False: hidden, not greyed
        return True

    def action_remove(self, which: str = "") -> None:
        if self.data is not None and self.targets.has_focus and self.data.targets:
            t = self.data.targets[self.targets.cursor_row]
            store, now = self.services.store, self.services.now()
            self.job("target", lambda: DeployStore(store).remove(t.id, now),
                     lambda _: (self.notify(f"Deploy target {t.id} removed; the files it wrote stay.", markup=False), self.load()))
            return
        if self.data is not None and self.endpoints.has_focus and self.data.endpoints:
            e = self.data.endpoints[self.endpoints.cursor_row]
            store, now = self.services.store, self.services.now()
            self.job("endpoint", lambda: CheckStore(store).remove_endpoint(e.domain, e.host, e.port, now),
                     lambda _: (self.notify(f"Endpoint {e.url} removed.", markup=False), self.load()))
            return
        if self.data is None or not self.webs.has_focus or not self.data.record.web_domains:
            return
        name = self.data.record.web_domains[self.webs.cursor_row]
        remaining = [w for w in self.data.record.web_domains if w != name]
        store, now, cert_id = self.services.store, self.services.now(), self.cert_id
        self.job("web-domain", lambda: store.set_web_domains(cert_id, remaining, now), lambda _: (self.notify(f"{name} removed.", markup=False), self.load()))

    def _replaced(self, old: CertificateRecord, new: CertificateRecord) -> None:
        """The replaced certificate is archived: this screen now edits its successor."""
        self.notify(f"Certificate {old.id} replaced by {new.id}; {old.id} is archived.", markup=False)
        self.cert_id = new.id
        if self.data is not None and self.data.targets:
            deploy_now(self, self.data.record.lineage_id, self.load)  # the lineage's targets get the new version now
        else:
            self.load()

    @on(DataTable.RowSelected, "#candidates")
    def _replace(self, event: DataTable.RowSelected) -> None:
        if self.data is None:
            return
        other = self.data.candidates[event.cursor_row]
        record = self.data.record
        question = Text.assemble(
            "Replace ", f"#{record.id} ", plain(record.name), " with ", f"#{other.id} ", plain(other.name), "?\n\n",
            f"#{record.id} is superseded: it is archived, leaves the list and the checks, and stays in the domain's history. ",
            "These web-domains, their endpoints and its settings move to ", f"#{other.id}: ", plain(", ".join(record.web_domains) or "none"),
        )
        store, now = self.services.store, self.services.now()

        def answered(yes: bool | None) -> None:
            if yes:
                self.job("replace", lambda: store.replace(record.id, other.id, now), lambda _: self._replaced(record, other))

        self.app.push_screen(ConfirmDialog(question, "Replace"), answered)
