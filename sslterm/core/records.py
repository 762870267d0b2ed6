"""Plain records the store hands to the CLI and the TUI (no ORM objects leave the store)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sslterm.core.status import Status, days_left, status_of, urgency

TYPES = ("self-signed", "request", "existing", "auto", "ca")
TYPE_LABELS = {"self-signed": "Self-signed", "request": "Request", "existing": "Upload SSL", "auto": "Auto SSL", "ca": "CA"}


@dataclass(frozen=True)
class CertificateRecord:
    """One stored certificate (or pending request) as the front ends see it."""

    id: int
    name: str
    domain: str
    sans: tuple[str, ...]
    owner: str
    type: str
    not_before: datetime | None
    not_after: datetime | None
    created_at: datetime
    updated_at: datetime
    issuer: str
    subject: str
    serial: str
    fingerprint_sha256: str | None
    key_description: str
    has_key: bool
    archived: bool = False
    renew_before_days: int | None = None
    web_domains: tuple[str, ...] = field(default=())
    renewal_failures: int = 0
    renewal_error: str | None = None
    next_renewal_at: datetime | None = None
    lineage_id: int | None = None
    version: int = 1  # this certificate's place in its lineage, 1 for the first
    versions: int = 1  # how many versions the lineage has
    added_at: datetime | None = None  # when this version was stored (created_at is the lineage's)

    @property
    def version_label(self) -> str:
        return f"v{self.version}"

    def status(self, now: datetime) -> Status:
        return status_of(self.not_before, self.not_after, now)

    def days_left(self, now: datetime) -> int | None:
        return None if self.status(now) is Status.PENDING else days_left(self.not_after, now)

    def urgency(self, now: datetime) -> str:
        return urgency(self.not_before, self.not_after, now)

    @property
    def type_label(self) -> str:
        return TYPE_LABELS.get(self.type, self.type)

    def to_json(self, now: datetime) -> dict[str, Any]:
        """The ``sslterm list --format json`` object (a contract: keys are only ever added)."""
        return {
            "id": self.id,
            "name": self.name,
            "domain": self.domain,
            "sans": list(self.sans),
            "owner": self.owner,
            "type": self.type,
            "status": self.status(now).value,
            "days_left": self.days_left(now),
            "not_before": iso(self.not_before),
            "not_after": iso(self.not_after),
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "issuer": self.issuer,
            "subject": self.subject,
            "serial": self.serial,
            "fingerprint_sha256": self.fingerprint_sha256,
            "key": self.key_description,
            "has_key": self.has_key,
            "archived": self.archived,
            "web_domains": list(self.web_domains),
            "renewal_error": self.renewal_error,
            "lineage_id": self.lineage_id,
            "version": self.version,
            "versions": self.versions,
            "version_created_at": iso(self.added_at),
        }


@dataclass(frozen=True)
class HistoryEvent:
    """One entry of a domain's history: what happened to which certificate, when and by whom."""

    id: int
    at: datetime
    kind: str
    domain: str | None
    certificate: CertificateRecord | None
    user: str
    detail: str

    def to_json(self, now: datetime) -> dict[str, Any]:
        cert = self.certificate
        return {
            "at": iso(self.at),
            "event": self.kind,
            "domain": self.domain,
            "user": self.user,
            "detail": self.detail,
            "certificate_id": cert.id if cert else None,
            "certificate": cert.to_json(now) if cert else None,
        }


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix, or None."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class EndpointRecord:
    """A probed endpoint of a web-domain, with what its last probe found."""

    id: int
    domain: str
    host: str
    port: int
    sni: str | None
    certificate_id: int | None
    expected_sha256: str | None
    last_probe_at: datetime | None = None
    last_error: str | None = None
    served_sha256: str | None = None
    served_not_after: datetime | None = None
    drift: bool | None = None
    trusted: bool | None = None
    trust_reason: str | None = None
    lineage_id: int | None = None  # of the certificate held for the domain
    version: int | None = None
    ca_bundle: str | None = None  # a PEM file of extra trust anchors
    protocol: str = "tls"  # spoken before TLS begins (sslterm.core.endpoints)

    @property
    def address(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        """The address with its protocol, as ``endpoint add`` and ``endpoint import`` accept it."""
        from sslterm.core.endpoints import endpoint_url

        return endpoint_url(self.host, self.port, self.protocol)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain, "host": self.host, "port": self.port, "sni": self.sni,
            "certificate_id": self.certificate_id, "last_probe_at": iso(self.last_probe_at),
            "last_error": self.last_error, "served_sha256": self.served_sha256,
            "served_not_after": iso(self.served_not_after), "drift": self.drift,
            "trusted": self.trusted, "trust_reason": self.trust_reason, "ca_bundle": self.ca_bundle, "protocol": self.protocol,
        }
