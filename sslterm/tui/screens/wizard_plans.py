"""What each kind of the add-certificate wizard creates: its fields checked, the slow part (reading
files, fetching from a server) in a worker, and a Plan to review before anything is written.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from rich.text import Text
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from sslterm.core.certinfo import inspect_certificate
from sslterm.core.endpoints import PROTOCOL_NAMES, Address
from sslterm.core.errors import InputError
from sslterm.core.existing import ExistingMaterial, Source, load_existing
from sslterm.core.generate import KEY_TYPE_LABELS, subject_request, validity
from sslterm.core.records import CertificateRecord
from sslterm.core.validate import validate
from sslterm.probes.tls import Endpoint, probe_all
from sslterm.store import Store
from sslterm.store.checks import CheckStore
from sslterm.store.creating import create_request, create_self_signed
from sslterm.tui.text import plain
from sslterm.tui.widgets.form_field import FormField


@dataclass
class Plan:
    """What will be created: a summary to review, warnings to acknowledge, and the work itself."""

    title: str
    rows: list[tuple[str, str]]
    create: Callable[[Store, datetime], CertificateRecord]
    warnings: list[str] = field(default_factory=list)


class WizardPlans:
    """The wizard's plans. Needs the screen's ``services``, ``kind``, ``query_one``, ``_busy`` and ``_review``."""

    def _fields(self, *ids: str) -> dict[str, Any] | None:
        values, first_bad = {}, None
        for field_id in ids:
            field = self.query_one(f"#{field_id}-field", FormField)
            good, value = field.validate()
            if not good and first_bad is None:
                first_bad = field
            values[field_id] = value
        if first_bad is not None:  # typing goes where the error is, and the form scrolls to it
            first_bad.query_one(Input).focus(scroll_visible=False)
            first_bad.scroll_visible(animate=False)  # its label, input and error, not just the input
            return None
        return values

    def _plan_subject(self) -> None:
        self_signed = self.kind == "self-signed"
        ids = ["owner", "domain", "sans", "name", "country", "region", "city", "org", "unit", "email"]
        values = self._fields(*ids, *(["not-before", "not-after"] if self_signed else []))
        if values is None:
            return
        now = self.services.now()
        key_type = str(self.query_one("#key-type", Select).value)
        try:
            req = subject_request(values["domain"], values["sans"], country=values["country"], region=values["region"],
                                  city=values["city"], organization=values["org"], unit=values["unit"],
                                  email=values["email"], key_type=key_type)
            period = validity(now, not_before=values["not-before"], not_after=values["not-after"]) if self_signed else None
        except InputError as exc:
            field = self.query_one("#not-after-field" if exc.field == "not_after" else "#domain-field", FormField)
            field.show_error(str(exc))
            field.query_one(Input).focus(scroll_visible=False)
            field.scroll_visible(animate=False)
            return
        owner, name = values["owner"], values["name"] or req.domain
        rows = [("Type", "Self-signed" if self_signed else "Request (CSR), pending until the issued certificate is attached"),
                ("Owner", owner), ("Certificate name", name), ("Domain", req.domain), ("Names", ", ".join(req.names)),
                ("Subject", ", ".join(f"{k}={v}" for k, v in (("C", req.country), ("ST", req.region), ("L", req.city), ("O", req.organization), ("OU", req.unit), ("emailAddress", req.email)) if v) or "CN only"),
                ("Key", KEY_TYPE_LABELS[key_type])]
        if period is not None:
            rows += [("Start date", f"{period.not_before:%Y-%m-%d %H:%M} UTC"), ("Expiration date", f"{period.not_after:%Y-%m-%d %H:%M} UTC")]
            create = lambda store, at: create_self_signed(store, req, period, owner=owner, now=at, name=name)  # noqa: E731
        else:
            create = lambda store, at: create_request(store, req, owner=owner, now=at, name=name)[0]  # noqa: E731
        self._review(Plan("Self-signed certificate" if self_signed else "Certificate request", rows, create))

    def _plan_existing(self) -> None:
        values = self._fields("existing-name", "existing-owner")
        if values is None:
            return
        slot = lambda name: Source(self.query_one(f"#{name}-text", TextArea).text, self.query_one(f"#{name}-file-field", FormField).value)  # noqa: E731
        password = self.query_one("#password-field", FormField).value
        now = self.services.now()
        self._busy("existing", lambda: load_existing(slot("cert"), slot("key"), slot("chain"), password, now),
                   lambda material: self._existing_loaded(material, values))

    def _existing_loaded(self, material: ExistingMaterial, values: dict[str, Any]) -> None:
        for field_id in ("cert", "key", "chain", "password"):
            target = self.query_one(f"#{field_id}-file-field" if field_id != "password" else "#password-field", FormField)
            target.show_error(material.errors.get(field_id))
        if material.errors or material.leaf is None:
            return
        info = inspect_certificate(material.leaf)
        owner, name = values["existing-owner"], values["existing-name"] or info.primary_name
        leaf, chain, key = material.leaf, material.chain, material.key
        rows = [("Type", "Existing (Upload SSL)"), ("Owner", owner), ("Certificate name", name), ("Subject", info.subject_text),
                ("Names", ", ".join(info.all_names)), ("Issuer", info.issuer_text), ("Key", info.key_description + (", private key matches" if key else ", no private key")),
                ("Valid", f"{info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}"), ("Chain", f"{len(chain)} certificate(s) after the leaf")]
        create = lambda store, at: store.add_certificate(leaf, chain, key, type="existing", owner=owner, now=at, name=name).record  # noqa: E731
        self._review(Plan("Existing certificate", rows, create, [f"{w.code}: {w.message}" for w in material.warnings]))

    def _plan_live(self) -> None:
        values = self._fields("address", "sni", "live-owner")
        if values is None:
            return
        where: Address = values["address"]
        sni = values["sni"]
        probe_it = self.query_one("#live-probe", Checkbox).value
        domain = sni or where.host
        self._busy("fetch", lambda: asyncio.run(probe_all([Endpoint(domain, where.host, where.port, sni, where.protocol)]))[0],
                   lambda result: self._live_fetched(result, values["live-owner"], where, sni, probe_it))

    def _live_fetched(self, result: Any, owner: str, where: Address, sni: str | None, probe_it: bool) -> None:
        address = self.query_one("#address-field", FormField)
        if not result.ok:
            address.show_error(f"{where.text}: {result.error}")
            return
        now = self.services.now()
        leaf, chain = result.chain[0], list(result.chain[1:])
        info = inspect_certificate(leaf)
        findings = validate(leaf, chain, now).problems
        rows = [("Type", "Existing, fetched from a live server (no key: tracked for expiry)"), ("Server", where.text + ("" if where.protocol == "tls" else f" ({PROTOCOL_NAMES[where.protocol]} STARTTLS)")
                                                                                 + (f" (SNI {sni})" if sni else "")),
                ("Owner", owner), ("Subject", info.subject_text), ("Names", ", ".join(info.all_names)), ("Issuer", info.issuer_text),
                ("Valid", f"{info.not_before:%Y-%m-%d} to {info.not_after:%Y-%m-%d}"), ("Chain served", f"{len(result.chain)} certificate(s)"),
                ("Probe in checker", "yes" if probe_it else "no")]

        def create(store: Store, at: datetime) -> CertificateRecord:
            record = store.add_certificate(leaf, chain, None, type="existing", owner=owner, now=at).record
            if probe_it and not record.domain.startswith("*"):
                CheckStore(store).add_endpoint(record.domain, where.host, where.port, sni, at, protocol=where.protocol)
            return record

        self._review(Plan("Certificate from a live server", rows, create, [f"{f.code}: {f.message}" for f in findings]))

    def _plan_acme(self) -> None:
        from sslterm.autossl.client import NAMED_DIRECTORIES, AcmeSettings
        from sslterm.autossl.service import obtain_certificate

        values = self._fields("acme-directory", "acme-email", "acme-domain", "acme-sans", "acme-webroot", "acme-port", "acme-ca-bundle", "acme-owner")
        if values is None:
            return
        webroot = values["acme-webroot"]
        settings = AcmeSettings(
            directory=NAMED_DIRECTORIES.get(values["acme-directory"], values["acme-directory"]), email=values["acme-email"],
            challenge="webroot" if webroot else "standalone", webroot=str(webroot) if webroot else None,
            port=None if webroot else values["acme-port"], ca_bundle=str(values["acme-ca-bundle"]) if values["acme-ca-bundle"] else None,
            key_type=str(self.query_one("#acme-key-type", Select).value),
        )
        domain, sans, owner = values["acme-domain"], values["acme-sans"], values["acme-owner"]
        names = list(dict.fromkeys([domain, *sans]))
        rows = [("Type", "Auto SSL (ACME), renewed automatically by the checker"), ("Directory", settings.directory),
                ("Account email", settings.email), ("Names", ", ".join(names)), ("Owner", owner),
                ("Challenge", f"http-01 via webroot {webroot}" if webroot else f"http-01 via the built-in responder on port {settings.port}"),
                ("Key", KEY_TYPE_LABELS[settings.key_type]), ("CA bundle", settings.ca_bundle or "system trust store")]
        progress_view = self.query_one("#progress", Static)

        def create(store: Store, at: datetime) -> CertificateRecord:
            def progress(step: str, message: str) -> None:
                self.app.call_from_thread(progress_view.update, Text.assemble((f"{step}: ", "bold"), plain(message)))

            return obtain_certificate(store, settings, domain, sans, owner=owner, now=at, progress=progress)

        self._review(Plan("Let's Encrypt / ACME", rows, create))
