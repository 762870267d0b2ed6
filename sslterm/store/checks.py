"""What the checker reads and writes: renewal candidates and failures, endpoints and probes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Iterator

from peewee import Case, Expression, Field, fn

from sslterm.core.errors import InputError, NotFoundError
from sslterm.core.names import normalize_domain
from sslterm.core.records import CertificateRecord, EndpointRecord
from sslterm.core.renewal import DEFAULT_WINDOW_DAYS, RENEWABLE_TYPES
from sslterm.store.models import Certificate, Endpoint, Owner, Setting, WebDomain
from sslterm.store.rows import LIST_COLUMNS, list_records
from sslterm.store.store import Store

SECONDS_PER_DAY = 86400


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
            Setting.replace(key="renew_before_days", value=str(days)).execute()

    def set_window_days(self, cert_id: int, days: int | None, now: datetime) -> None:
        if days is not None and not 1 <= days <= 3650:
            raise InputError("the renewal window is a number of days from 1 to 3650")
        with self.store.db.atomic():
            row = self.store._live_row(cert_id)
            row.renew_before_days = days
            row.save()
            self.store._event("settings", row, now, detail=f"renewal window {days} days" if days else "renewal window: default")

    # ------------------------------------------------------------ renewal

    def renewal_candidates(self, now: datetime) -> Iterator[tuple[CertificateRecord, int]]:
        """Live renewable certificates inside their window (and not backing off), with their window.

        The window arithmetic runs in SQL on indexed columns; :mod:`sslterm.core.renewal`
        holds the same rule as a pure function. Only the ids are read up front (renewing
        writes to the table being read); each record is read as it is reached, so a
        fleet's first pass does not hold tens of thousands of records at once.
        """
        default = self.default_window_days()
        lifetime_third = (Certificate.not_after.cast("INTEGER") - Certificate.not_before.cast("INTEGER")) / 3
        window = Case(None, [(Certificate.renew_before_days.is_null(), fn.MIN(default * SECONDS_PER_DAY, lifetime_third))],
                      Certificate.renew_before_days * SECONDS_PER_DAY)
        epoch = int(now.timestamp())
        select = (
            Certificate.select(Certificate.id, Certificate.renew_before_days)
            .where((Certificate.archived == False) & Certificate.type.in_(RENEWABLE_TYPES)  # noqa: E712
                   & Certificate.cert_pem.is_null(False)
                   & ((Certificate.not_after.cast("INTEGER") - window) <= epoch)
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

    def add_endpoint(self, domain: str, host: str, port: int, sni: str | None, now: datetime) -> EndpointRecord:
        """Attach an endpoint to a web-domain (created if new, served by the live certificate for it)."""
        name = normalize_domain(domain, field="web-domain", allow_wildcard=False)
        host = _host(host)
        if not 1 <= port <= 65535:
            raise InputError(f"port {port} is not between 1 and 65535")
        sni_name = normalize_domain(sni, field="SNI name", allow_wildcard=False) if sni else None
        with self.store.db.atomic():
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
            if Endpoint.get_or_none((Endpoint.web_domain == web) & (Endpoint.host == host) & (Endpoint.port == port)):
                raise InputError(f"{name} already has endpoint {host}:{port}")
            row = Endpoint.create(web_domain=web, host=host, port=port, sni=sni_name)
            self.store._event("endpoint_added", None, now, domain=name, detail=f"{host}:{port}" + (f" (SNI {sni_name})" if sni_name else ""))
        return self._endpoint_record(row)

    def remove_endpoint(self, domain: str, host: str, port: int, now: datetime) -> None:
        name = normalize_domain(domain, field="web-domain", allow_wildcard=False)
        with self.store.db.atomic():
            row = (Endpoint.select().join(WebDomain)
                   .where((WebDomain.name == name) & (Endpoint.host == _host(host)) & (Endpoint.port == port)).first())
            if row is None:
                raise NotFoundError(f"{name} has no endpoint {host}:{port}: see 'sslterm endpoint list'")
            row.delete_instance()
            self.store._event("endpoint_removed", None, now, domain=name, detail=f"{host}:{port}")

    def endpoints(self) -> list[EndpointRecord]:
        select = Endpoint.select(Endpoint, WebDomain).join(WebDomain).order_by(WebDomain.name, Endpoint.host, Endpoint.port)
        return [self._endpoint_record(row) for row in select]

    def save_probe(self, endpoint_id: int, now: datetime, *, error: str | None, served_sha256: str | None,
                   served_not_after: datetime | None, chain_length: int, drift: bool | None,
                   trusted: bool | None, trust_reason: str | None) -> None:
        with self.store.db.atomic():
            Endpoint.update(
                last_probe_at=now, last_error=error, served_sha256=served_sha256, served_not_after=served_not_after,
                served_chain_length=chain_length, drift=drift, trusted=trusted, trust_reason=trust_reason,
            ).where(Endpoint.id == endpoint_id).execute()

    def _endpoint_record(self, row: Endpoint) -> EndpointRecord:
        web = row.web_domain
        cert = web.certificate if web.certificate_id else None
        return EndpointRecord(
            id=row.id, domain=web.name, host=row.host, port=row.port, sni=row.sni,
            certificate_id=web.certificate_id, expected_sha256=cert.fingerprint_sha256 if cert else None,
            last_probe_at=row.last_probe_at, last_error=row.last_error, served_sha256=row.served_sha256,
            served_not_after=row.served_not_after, drift=row.drift, trusted=row.trusted, trust_reason=row.trust_reason,
            lineage_id=cert.lineage_id if cert else None, version=cert.version if cert else None,
        )

    def held_version(self, sha256: str) -> tuple[int | None, int, datetime | None] | None:
        """(lineage, version, not_after) of a stored certificate by fingerprint, archived ones too."""
        row = (Certificate.select(Certificate.lineage, Certificate.version, Certificate.not_after)
               .where(Certificate.fingerprint_sha256 == sha256).tuples().first())
        return None if row is None else (row[0], row[1], row[2])

    # ------------------------------------------------------------ expiry

    def expiring(self, now: datetime, days: int) -> Iterator[CertificateRecord]:
        """Live valid certificates with at most ``days`` left, soonest first."""
        return _records((Certificate.archived == False) & (Certificate.not_before <= now)  # noqa: E712
                        & (Certificate.not_after > now) & (Certificate.not_after <= now + timedelta(days=days)), Certificate.not_after)

    def expired(self, now: datetime) -> Iterator[CertificateRecord]:
        return _records((Certificate.archived == False) & (Certificate.not_after <= now), Certificate.not_after)  # noqa: E712


def _records(where: Expression, *order: Field) -> Iterator[CertificateRecord]:
    """Matching certificates as they are read, with the list's columns: no PEM, chain, key or web-domains.

    A checker pass over 500k certificates reports ~100k of them; as full rows in lists
    they cost ~300 MiB and garbage collections that held the UI loop for 200 ms.
    """
    return list_records(Certificate.select(*LIST_COLUMNS).join(Owner).where(where).order_by(*order).tuples().iterator())


def _host(host: str) -> str:
    clean = host.strip().strip("[]").lower()
    if not clean or any(ch.isspace() or ch in "/@" for ch in clean):
        raise InputError(f"host {host!r} is not a host name or IP address")
    return clean


def parse_address(text: str) -> tuple[str, int]:
    """``HOST[:PORT]`` (IPv6 as ``[::1]:443``), port 443 by default."""
    raw = text.strip()
    if raw.startswith("["):
        host, _, rest = raw[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
    elif raw.count(":") == 1:
        host, port_text = raw.split(":")
    else:
        host, port_text = raw, ""
    try:
        port = int(port_text) if port_text else 443
    except ValueError:
        raise InputError(f"port in {text!r} is not a number") from None
    return _host(host), port
