"""Rows to records: the columns a list reads, and the conversions every reader shares."""

from __future__ import annotations

import json
import secrets
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator

from sslterm.core.names import to_unicode
from sslterm.core.records import CertificateRecord
from sslterm.store import lineages
from sslterm.store.models import Certificate, Owner, WebDomain

if TYPE_CHECKING:
    from cryptography import x509


def pem_text(cert: x509.Certificate) -> str:
    from cryptography.hazmat.primitives import serialization

    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


# What a list row needs, in CertificateRecord's order: never the PEM, chain or key blobs.
LIST_COLUMNS = (
    Certificate.id, Certificate.name, Certificate.domain, Certificate.sans_json, Owner.name, Certificate.type,
    Certificate.not_before, Certificate.not_after, Certificate.created_at, Certificate.updated_at, Certificate.issuer,
    Certificate.subject, Certificate.serial, Certificate.fingerprint_sha256, Certificate.key_description,
    Certificate.key_blob.is_null(False), Certificate.archived, Certificate.renew_before_days, Certificate.renewal_failures,
    Certificate.renewal_error, Certificate.next_renewal_at, Certificate.lineage, Certificate.version, lineages.VERSIONS,
    Certificate.added_at,
)


def list_records(rows: Iterable[tuple[Any, ...]], webs: dict[int, list[str]] | None = None) -> Iterator[CertificateRecord]:
    """Records from rows of :data:`LIST_COLUMNS` (``webs``: web-domains by certificate id, if wanted)."""
    for (cert_id, name, domain, sans, owner, kind, not_before, not_after, created_at, updated_at, issuer, subject, serial,
         fingerprint, key_description, has_key, archived, renew_before_days, failures, error, next_renewal_at, lineage_id,
         version, versions, added_at) in rows:
        yield CertificateRecord(
            id=cert_id, name=name, domain=domain, sans=tuple(json.loads(sans)), owner=owner, type=kind,
            not_before=not_before, not_after=not_after, created_at=created_at, updated_at=updated_at,
            issuer=issuer, subject=subject, serial=serial, fingerprint_sha256=fingerprint, key_description=key_description,
            has_key=bool(has_key), archived=bool(archived), renew_before_days=renew_before_days,
            web_domains=tuple(webs.get(cert_id, ())) if webs else (), renewal_failures=failures, renewal_error=error, next_renewal_at=next_renewal_at,
            lineage_id=lineage_id, version=version, versions=versions or version, added_at=added_at,
        )


def new_uid() -> str:
    """A unique row id that sorts by creation time (48-bit milliseconds, 80 random bits), like UUIDv7.

    Time order keeps inserts at the right edge of the uid index instead of
    scattering them over it, which matters when a fleet is imported at once.
    """
    return f"{time.time_ns() // 1_000_000:012x}{secrets.token_hex(10)}"


def search_text(names: tuple[str, ...]) -> str:
    forms = [n.lower() for n in names] + [to_unicode(n).lower() for n in names]
    return " ".join(dict.fromkeys(forms))


def record_of(row: Certificate, with_web: bool = False, webs: tuple[str, ...] = ()) -> CertificateRecord:
    """The record of a full row (its web-domains read when ``with_web``)."""
    if with_web:
        webs = tuple(w.name for w in WebDomain.select(WebDomain.name).where(WebDomain.certificate == row.id).order_by(WebDomain.name))
    return CertificateRecord(
        id=row.id, name=row.name, domain=row.domain, sans=tuple(json.loads(row.sans_json)),
        owner=row.owner.name, type=row.type, not_before=row.not_before, not_after=row.not_after,
        created_at=row.created_at, updated_at=row.updated_at, issuer=row.issuer, subject=row.subject,
        serial=row.serial, fingerprint_sha256=row.fingerprint_sha256, key_description=row.key_description,
        has_key=row.key_blob is not None, archived=row.archived, renew_before_days=row.renew_before_days,
        web_domains=webs, renewal_failures=row.renewal_failures, renewal_error=row.renewal_error,
        next_renewal_at=row.next_renewal_at, lineage_id=row.lineage_id, version=row.version,
        versions=lineages.latest_version(row.lineage_id) if row.lineage_id else 1, added_at=row.added_at,
    )


def covers(names: set[str], host: str) -> bool:
    """True when a certificate valid for ``names`` is valid for ``host`` (one-label wildcards)."""
    host = host.lower()
    if host in names:
        return True
    parts = host.split(".", 1)
    return len(parts) == 2 and f"*.{parts[1]}" in names
