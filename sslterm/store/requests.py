"""The store's request lifecycle: a CSR kept with its key, then completed by the certificate the CA returned.

A mixin of :class:`sslterm.store.store.Store`, like :mod:`sslterm.store.keys`, kept apart so the
store's file stays about certificates.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sslterm.core.errors import ValidationError
from sslterm.core.records import CertificateRecord
from sslterm.store import lineages
from sslterm.store.models import Certificate
from sslterm.store.rows import new_uid, pem_text, record_of, search_text

if TYPE_CHECKING:
    from cryptography import x509

    from sslterm.core.certinfo import CertInfo
    from sslterm.core.parse import PrivateKey


class RequestOperations:
    """Needs the store's ``db``, ``_row``, ``_owner``, ``_event``, ``_store_key``, ``_index_search``, ``_names`` and ``_serve_primary``."""

    def add_request(self, csr: x509.CertificateSigningRequest, key: PrivateKey, *, owner: str, now: datetime, name: str | None = None) -> CertificateRecord:
        """Store a pending request (CSR and its key) until the issued certificate is attached."""
        from cryptography.hazmat.primitives import serialization

        from sslterm.core.certinfo import describe_public_key, public_key_fingerprint
        from sslterm.core.generate import request_from_csr

        form = request_from_csr(csr)
        names = form.names
        algorithm, size, curve = describe_public_key(key)
        with self.db.atomic():
            owner_row = self._owner(owner)
            row = Certificate.create(
                uid=new_uid(), name=name or form.domain, domain=form.domain, lineage=lineages.new_lineage(owner_row.id, names),
                owner=owner_row, type="request", created_at=now, updated_at=now, added_at=now,
                subject=csr.subject.rfc4514_string(), public_key_sha256=public_key_fingerprint(key.public_key()),
                key_description=f"{algorithm} {curve or size}", sans_json=json.dumps(list(names)),
                search=search_text(names), csr_pem=csr.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            )
            self._index_search(row)
            self._store_key(row, key)
            self._names(row, names)
            self._event("created", row, now, detail=f"certificate request for {form.domain}")
            return record_of(row)

    def attach_issued(self, cert_id: int, cert: x509.Certificate, chain: list[x509.Certificate], now: datetime) -> CertificateRecord:
        """Complete a pending request with the certificate the CA returned."""
        from sslterm.core.certinfo import inspect_certificate

        info = inspect_certificate(cert)
        with self.db.atomic():
            row = self._row(cert_id)
            if row.type != "request" or row.cert_pem:
                raise ValidationError(f"certificate {cert_id} is not a pending request")
            if info.public_key_sha256 != row.public_key_sha256:
                raise ValidationError(
                    f"the certificate does not match the request's key: certificate's public key SHA-256 "
                    f"{info.public_key_sha256[:16]}... vs request's {row.public_key_sha256[:16]}..."
                )
            if Certificate.get_or_none(Certificate.fingerprint_sha256 == info.sha256):
                raise ValidationError("this certificate is already stored as another entry")
            return self._attach(row, cert, chain, info, now)

    def _pending_request_for(self, info: CertInfo) -> Certificate | None:
        return (
            Certificate.select()
            .where((Certificate.type == "request") & (Certificate.cert_pem.is_null()) & (Certificate.archived == False)  # noqa: E712
                   & (Certificate.public_key_sha256 == info.public_key_sha256))
            .first()
        )

    def _attach(self, row: Certificate, cert: x509.Certificate, chain: list[x509.Certificate], info: CertInfo, now: datetime) -> CertificateRecord:
        """Complete a request; when a live certificate with its names and owner is older, it supersedes it."""
        names = info.all_names or (row.domain,)
        row.cert_pem, row.chain_pem = pem_text(cert), "".join(pem_text(c) for c in chain)
        row.type = "existing"  # issued now: a CA's certificate like any uploaded one, no longer a Request
        row.not_before, row.not_after, row.updated_at = info.not_before, info.not_after, now
        row.issuer, row.subject, row.serial = info.issuer_text, info.subject_text, info.serial_hex
        row.fingerprint_sha256, row.key_description = info.sha256, info.key_description
        row.sans_json, row.search = json.dumps(list(info.sans.hostnames)), search_text(names)
        row.save()
        self._names(row, names)
        self._event("attached", row, now, detail=f"issued certificate attached, expires {info.not_after:%Y-%m-%d}")
        current = lineages.matching_current(row.owner_id, names, None, exclude_lineage=row.lineage_id)
        if current is not None and lineages.is_newer_row(row, current):
            own_lineage = row.lineage_id
            row.lineage = current.lineage_id
            lineages.supersede(self, current, row, now, "renewed", f"superseded by certificate {row.id} (issued for a request)",
                               f"issued for a request, supersedes certificate {current.id}")
            lineages.retire_lineage(own_lineage, current.lineage_id)
        self._serve_primary(row, now)
        return record_of(row)
