"""What the checker reads and writes: renewal candidates and failures, endpoints and probes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Iterable, Iterator, NamedTuple

from peewee import JOIN, Case, Expression, Field

from sslterm.core.endpoint_file import BadLine, EndpointSpec
from sslterm.core.endpoints import (
    TLS,
    check_protocol,
    clean_host,
    endpoint_url,
    format_address,
)
from sslterm.core.errors import InputError, NotFoundError
from sslterm.core.names import normalize_domain
from sslterm.core.records import CertificateRecord, EndpointRecord
from sslterm.core.renewal import DEFAULT_WINDOW_DAYS, RENEWABLE_TYPES
from sslterm.core.thresholds import CRIT_DAYS, WARN_DAYS
from sslterm.store.migrations import put_setting
from sslterm.store.models import (
    Certificate,
    CertificateName,
    Endpoint,
    Lineage,
    Owner,
    Setting,
    WebDomain,
)
from sslterm.store.rows import LIST_COLUMNS, list_records
from sslterm.store.store import Store

SECONDS_PER_DAY = 86400


# EndpointRecord's fields, in its order, from an endpoint, its web-domain and the certificate held for it.
_ENDPOINT_COLUMNS = (Endpoint.id, WebDomain.name, Endpoint.host, Endpoint.port, Endpoint.sni, WebDomain.certificate,
                     Certificate.fingerprint_sha256, Endpoint.last_probe_at, Endpoint.last_error, Endpoint.served_sha256,
                     Endpoint.served_not_after, Endpoint.drift, Endpoint.trusted, Endpoint.trust_reason, Certificate.lineage,
                     Certificate.version, Endpoint.ca_bundle, Endpoint.protocol)


def _endpoint_records(where: Expression | None = None) -> list[EndpointRecord]:
    """Endpoints (all, or those ``where`` picks) with their web-domain and the certificate held for it, in one query."""
    select = (Endpoint.select(*_ENDPOINT_COLUMNS).join(WebDomain)
              .join(Certificate, JOIN.LEFT_OUTER, on=(WebDomain.certificate == Certificate.id)))
    if where is not None:
        select = select.where(where)
    return [EndpointRecord(*row) for row in select.order_by(WebDomain.name, Endpoint.host, Endpoint.port).tuples()]


class CheckStore:
    """The checker's view of a :class:`Store` (same database, same transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    # ------------------------------------------------------------ settings

    def default_window_days(self) -> int:
        row = Setting.get_or_none(Setting.key == "renew_before_days")
        return int(row.value) if row else DEFAULT_WINDOW_DAYS

    def set_default_window_days(self, days: int) -> None:
        if not 1 <= days <= 3650:
            raise InputError("the renewal window is a number of days from 1 to 3650")
        with self.store.db.atomic():
            put_setting("renew_before_days", str(days))

    def set_window_days(self, cert_id: int, days: int | None, now: datetime) -> None:
        if days is not None and not 1 <= days <= 3650:
            raise InputError("the renewal window is a number of days from 1 to 3650")
        with self.store.db.atomic():
            row = self.store._live_row(cert_id)
            row.renew_before_days = days
            row.save()
            self.store._event("settings", row, now, detail=f"renewal window {days} days" if days else "renewal window: default")

    def default_thresholds(self) -> tuple[int, int]:
        """The global (warning, critical) caps in days (sslterm.core.thresholds)."""
        rows = {row.key: int(row.value) for row in Setting.select().where(Setting.key.in_(("warn_days", "crit_days")))}
        return rows.get("warn_days", WARN_DAYS), rows.get("crit_days", CRIT_DAYS)

    def set_default_thresholds(self, warn_days: int | None, crit_days: int | None) -> None:
        """Set the global caps; None puts one back to its default."""
        warn, crit = warn_days or WARN_DAYS, crit_days or CRIT_DAYS
        _check_thresholds(warn, crit)
        with self.store.db.atomic():
            for key, value in (("warn_days", warn_days), ("crit_days", crit_days)):
                if value is None:
                    Setting.delete().where(Setting.key == key).execute()
                else:
                    put_setting(key, str(value))

    def lineage_thresholds(self) -> dict[int, tuple[int, int]]:
        """Thresholds set on lineages: {lineage id: (warning days, critical days)}."""
        select = Lineage.select(Lineage.id, Lineage.warn_days, Lineage.crit_days).where(Lineage.warn_days.is_null(False))
        return {lid: (warn, crit) for lid, warn, crit in select.tuples()}

    def set_lineage_thresholds(self, cert_id: int, warn_days: int | None, crit_days: int | None, now: datetime) -> None:
        """Set (or with None, clear) the thresholds of a certificate's lineage; kept across renewals."""
        if (warn_days is None) != (crit_days is None):
            raise InputError("give both --warn-days and --crit-days for a certificate, or --default")
        if warn_days is not None and crit_days is not None:
            _check_thresholds(warn_days, crit_days)
        with self.store.db.atomic():
            row = self.store._live_row(cert_id)
            if row.lineage_id is None:
                raise InputError(f"certificate {cert_id} is a pending request: it has no expiry to warn about")
            Lineage.update(warn_days=warn_days, crit_days=crit_days).where(Lineage.id == row.lineage_id).execute()
            detail = f"thresholds: warning {warn_days} days, critical {crit_days} days" if warn_days else "thresholds: default"
            self.store._event("settings", row, now, detail=detail)

    def record_pass(self, now: datetime) -> None:
        """When the last full checker pass ran (for metrics and the status line)."""
        with self.store.db.atomic():
            put_setting("last_check_at", str(int(now.timestamp())))

    def last_pass(self) -> datetime | None:
        row = Setting.get_or_none(Setting.key == "last_check_at")
        return None if row is None else datetime.fromtimestamp(int(row.value), UTC)

    # ------------------------------------------------------------ renewal

    def renewal_candidates(self, now: datetime) -> Iterator[tuple[CertificateRecord, int]]:
        """Live renewable certificates inside their window (and not backing off), with their window.

        The window arithmetic runs in SQL on indexed columns; :mod:`sslterm.core.renewal`
        holds the same rule as a pure function. Only the ids are read up front (renewing
        writes to the table being read); each record is read as it is reached, so a
        fleet's first pass does not hold tens of thousands of records at once.
        """
        default = self.default_window_days()
        lifetime_third = (Certificate.not_after.cast("BIGINT") - Certificate.not_before.cast("BIGINT")) / 3
        window = Case(None, [(Certificate.renew_before_days.is_null(), self.store.engine.least(default * SECONDS_PER_DAY, lifetime_third))],
                      Certificate.renew_before_days * SECONDS_PER_DAY)
        epoch = int(now.timestamp())
        select = (
            Certificate.select(Certificate.id, Certificate.renew_before_days)
            .where((Certificate.archived == False) & Certificate.type.in_(RENEWABLE_TYPES)  # noqa: E712
                   & Certificate.cert_pem.is_null(False)
                   & ((Certificate.not_after.cast("BIGINT") - window) <= epoch)
                   & (Certificate.next_renewal_at.is_null() | (Certificate.next_renewal_at <= now)))
            .order_by(Certificate.not_after)
        )
        for cert_id, days in list(select.tuples()):
            yield next(_records(Certificate.id == cert_id)), days or default

    def record_renewal_failure(self, cert_id: int, error: str, now: datetime, retry_after: timedelta) -> None:
        with self.store.db.atomic():
            row = self.store._row(cert_id)
            row.renewal_failures += 1
            row.renewal_error, row.renewal_failed_at = error, now
            row.next_renewal_at = now + retry_after if retry_after else None
            row.save()
            self.store._event("renewal_failed", row, now, detail=error)

    def renewal_failures(self) -> Iterator[CertificateRecord]:
        return _records((Certificate.archived == False) & Certificate.renewal_error.is_null(False))  # noqa: E712

    # ------------------------------------------------------------ endpoints

    def add_endpoint(self, domain: str, host: str, port: int, sni: str | None, now: datetime,
                     ca_bundle: str | None = None, protocol: str = TLS) -> EndpointRecord:
        """Attach an endpoint to a web-domain (created if new, served by the live certificate for it).

        ``ca_bundle`` names a PEM file of extra trust anchors for this endpoint (read at each probe);
        ``protocol`` is what it speaks before TLS (sslterm.core.endpoints.PROTOCOLS).
        """
        fields = _endpoint_fields(domain, host, port, sni, protocol)
        with self.store.db.atomic():
            row, outcome = self._put_endpoint(*fields, ca_bundle, now, replace=False)
        if outcome != "added":
            raise InputError(f"{fields[0]} already has endpoint {format_address(fields[1], fields[2])}")
        return _endpoint_records(Endpoint.id == row.id)[0]

    def import_endpoints(self, specs: Iterable[EndpointSpec | BadLine], now: datetime) -> list[EndpointOutcome]:
        """Add or update every endpoint of a file in one transaction; each line gets an outcome.

        Importing the same file twice changes nothing the second time ("unchanged");
        a line naming an endpoint that exists with another SNI, protocol or CA bundle
        updates it. A bad line is reported and the others still go in.
        """
        outcomes = []
        with self.store.db.atomic():
            for spec in specs:
                if isinstance(spec, BadLine):
                    outcomes.append(EndpointOutcome(spec.line, "error", spec.reason))
                    continue
                try:
                    fields = _endpoint_fields(spec.domain, spec.host, spec.port, spec.sni, spec.protocol)
                    row, outcome = self._put_endpoint(*fields, spec.ca_bundle, now, replace=True)
                except InputError as exc:
                    outcomes.append(EndpointOutcome(spec.line, "error", str(exc)))
                    continue
                outcomes.append(EndpointOutcome(spec.line, outcome, f"{fields[0]} {endpoint_url(row.host, row.port, row.protocol)}"
                                                + (f" (SNI {row.sni})" if row.sni else "")))
        return outcomes

    def _put_endpoint(self, name: str, host: str, port: int, sni: str | None, protocol: str, ca_bundle: str | None,
                      now: datetime, *, replace: bool) -> tuple[Endpoint, str]:
        """Add the endpoint, or (``replace``) bring an existing one to these fields: (row, added|updated|unchanged)."""
        web = WebDomain.get_or_none(WebDomain.name == name)
        if web is None:
            web = WebDomain.create(name=name)
            try:
                record = self.store.resolve(name)
                web.certificate = record.id
                web.save()
                self.store._event("domain_attached", self.store._row(record.id), now, domain=name)
            except NotFoundError:
                pass
        row = Endpoint.get_or_none((Endpoint.web_domain == web) & (Endpoint.host == host) & (Endpoint.port == port))
        detail = endpoint_url(host, port, protocol) + (f" (SNI {sni})" if sni else "")
        if row is None:
            row = Endpoint.create(web_domain=web, host=host, port=port, sni=sni, ca_bundle=ca_bundle, protocol=protocol)
            self.store._event("endpoint_added", None, now, domain=name, detail=detail)
            return row, "added"
        if not replace or (row.sni, row.protocol, row.ca_bundle) == (sni, protocol, ca_bundle):
            return row, "unchanged"
        row.sni, row.protocol, row.ca_bundle = sni, protocol, ca_bundle
        row.save()
        self.store._event("endpoint_changed", None, now, domain=name, detail=detail)
        return row, "updated"

    def remove_endpoint(self, domain: str, host: str, port: int, now: datetime) -> None:
        name = normalize_domain(domain, field="web-domain", allow_wildcard=False)
        with self.store.db.atomic():
            row = (Endpoint.select().join(WebDomain)
                   .where((WebDomain.name == name) & (Endpoint.host == clean_host(host)) & (Endpoint.port == port)).first())
            if row is None:
                raise NotFoundError(f"{name} has no endpoint {host}:{port}: see 'sslterm endpoint list'")
            row.delete_instance()
            self.store._event("endpoint_removed", None, now, domain=name, detail=f"{host}:{port}")

    def endpoints(self) -> list[EndpointRecord]:
        """Every endpoint with its web-domain and what is held for it, in one query (not one more per held certificate)."""
        return _endpoint_records()

    def save_probes(self, now: datetime, results: list[ProbeSave]) -> None:
        """A pass's probe results, in one transaction (one commit for 2,000 endpoints, not 2,000)."""
        at = Endpoint.last_probe_at.db_value(now)
        rows = [(at, s.error, s.served_sha256, Endpoint.served_not_after.db_value(s.served_not_after), s.chain_length,
                 s.drift, s.trusted, s.trust_reason, s.endpoint_id) for s in results]
        with self.store.db.atomic():  # one statement, prepared once (peewee's per-row update cost 0.6 ms to build)
            self.store.db.cursor().executemany(
                'UPDATE "endpoint" SET "last_probe_at" = ?, "last_error" = ?, "served_sha256" = ?, "served_not_after" = ?, '
                '"served_chain_length" = ?, "drift" = ?, "trusted" = ?, "trust_reason" = ? WHERE "id" = ?', rows)

    def held_version(self, sha256: str) -> tuple[int | None, int, datetime | None] | None:
        """(lineage, version, not_after) of a stored certificate by fingerprint, archived ones too."""
        row = (Certificate.select(Certificate.lineage, Certificate.version, Certificate.not_after)
               .where(Certificate.fingerprint_sha256 == sha256).tuples().first())
        return None if row is None else (row[0], row[1], row[2])

    # ------------------------------------------------------------ expiry

    def expiring(self, now: datetime, days: int, ids: list[int] | None = None) -> Iterator[CertificateRecord]:
        """Live valid certificates with at most ``days`` left, soonest first (of ``ids`` when given)."""
        where = ((Certificate.archived == False) & (Certificate.not_before <= now)  # noqa: E712
                 & (Certificate.not_after > now) & (Certificate.not_after <= now + timedelta(days=days)))
        return _records(where if ids is None else where & Certificate.id.in_(ids), Certificate.not_after)

    def dated_certificates(self) -> Iterator[DatedCertificate]:
        """Every current certificate that has dates (not pending requests), in id order, as it is read."""
        select = (Certificate.select(Certificate.id, Certificate.domain, Owner.name, Certificate.type, Certificate.subject,
                                     Certificate.issuer, Certificate.serial, Certificate.not_before, Certificate.not_after,
                                     Certificate.renewal_failures)
                  .join(Owner).where((Certificate.archived == False) & Certificate.not_after.is_null(False))  # noqa: E712
                  .order_by(Certificate.id).tuples().iterator())
        for row in select:
            yield DatedCertificate(*row)

    def covering(self, host: str) -> list[int]:
        """Ids of the live certificates valid for ``host`` (its name, or a wildcard one label up)."""
        name = normalize_domain(host, field="domain", allow_wildcard=False)
        parent = name.partition(".")[2]
        names = [name, f"*.{parent}"] if parent else [name]
        select = (CertificateName.select(CertificateName.certificate).join(Certificate)
                  .where(CertificateName.name.in_(names) & (Certificate.archived == False)).distinct())  # noqa: E712
        return [cid for (cid,) in select.tuples()]

    def expired(self, now: datetime, ids: list[int] | None = None) -> Iterator[CertificateRecord]:
        where = (Certificate.archived == False) & (Certificate.not_after <= now)  # noqa: E712
        return _records(where if ids is None else where & Certificate.id.in_(ids), Certificate.not_after)


class DatedCertificate(NamedTuple):
    """A current certificate's dates and names, as metrics read them."""

    id: int
    domain: str
    owner: str
    type: str
    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    renewal_failures: int


def _check_thresholds(warn: int, crit: int) -> None:
    if not 1 <= crit <= warn <= 3650:
        raise InputError("thresholds are days from 1 to 3650, the critical one no larger than the warning one")


def _records(where: Expression, *order: Field) -> Iterator[CertificateRecord]:
    """Matching certificates as they are read, with the list's columns: no PEM, chain, key or web-domains.

    A checker pass over 500k certificates reports ~100k of them; as full rows in lists
    they cost ~300 MiB and garbage collections that held the UI loop for 200 ms.
    """
    return list_records(Certificate.select(*LIST_COLUMNS).join(Owner).where(where).order_by(*order).tuples().iterator())


def _endpoint_fields(domain: str, host: str, port: int, sni: str | None, protocol: str) -> tuple[str, str, int, str | None, str]:
    """An endpoint's fields checked and in their stored form, or an InputError naming the bad one."""
    name = normalize_domain(domain, field="web-domain", allow_wildcard=False)
    if not 1 <= port <= 65535:
        raise InputError(f"port {port} is not between 1 and 65535")
    sni_name = normalize_domain(sni, field="SNI name", allow_wildcard=False) if sni else None
    return name, clean_host(host), port, sni_name, check_protocol(protocol)


class ProbeSave(NamedTuple):
    """What one probe found, to be saved on its endpoint's row."""

    endpoint_id: int
    error: str | None
    served_sha256: str | None = None
    served_not_after: datetime | None = None
    chain_length: int = 0
    drift: bool | None = None
    trusted: bool | None = None
    trust_reason: str | None = None


class EndpointOutcome(NamedTuple):
    """What importing one line did: added, updated, unchanged or error."""

    line: int
    outcome: str
    message: str


def outcome_summary(outcomes: list[EndpointOutcome]) -> str:
    """``2 added, 0 updated, 1 unchanged, 0 error``, as the CLI and the TUI report an import."""
    if not outcomes:
        return "the file holds no endpoints"
    return ", ".join(f"{sum(o.outcome == kind for o in outcomes)} {kind}" for kind in ("added", "updated", "unchanged", "error"))
