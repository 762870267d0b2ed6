"""Create self-signed certificates and requests and store them (shared by CLI and wizard)."""

from __future__ import annotations

from datetime import datetime

from sslterm.core.generate import SubjectRequest, Validity, generate_key, self_signed, signing_request
from sslterm.core.records import CertificateRecord
from sslterm.store.store import Store


def create_self_signed(store: Store, req: SubjectRequest, period: Validity, *, owner: str, now: datetime, name: str | None = None) -> CertificateRecord:
    """Generate a key and a self-signed certificate for ``req`` and store both."""
    key = generate_key(req.key_type)
    cert = self_signed(req, key, period)
    return store.add_certificate(cert, [], key, type="self-signed", owner=owner, now=now, name=name or req.domain, event="created").record


def create_request(store: Store, req: SubjectRequest, *, owner: str, now: datetime, name: str | None = None) -> tuple[CertificateRecord, bytes]:
    """Generate a key and a CSR for ``req``; store them as a pending request. Returns the CSR PEM too."""
    from cryptography.hazmat.primitives import serialization

    key = generate_key(req.key_type)
    csr = signing_request(req, key)
    record = store.add_request(csr, key, owner=owner, now=now, name=name or req.domain)
    return record, csr.public_bytes(serialization.Encoding.PEM)
