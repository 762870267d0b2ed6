"""Obtain and renew ``auto`` certificates and keep them in the store.

Everything the CA returns is stored in one transaction with the account key and
the settings; a failure anywhere leaves the store as it was.
"""

from __future__ import annotations

from datetime import datetime

from cryptography.hazmat.primitives import serialization

from sslterm.autossl.client import AcmeSettings, Progress, new_account_key, obtain
from sslterm.core.errors import SslTermError
from sslterm.core.generate import SubjectRequest, generate_key, signing_request, subject_request
from sslterm.core.parse import read_bundle
from sslterm.core.records import CertificateRecord
from sslterm.core.validate import order_chain, pick_leaf
from sslterm.store import Store
from sslterm.store.acme_state import AcmeState


def _issue(store: Store, settings: AcmeSettings, req: SubjectRequest, progress: Progress | None):  # type: ignore[no-untyped-def]
    """Run the ACME flow for ``req``; returns (leaf, chain, key, account key, account URL)."""
    state = AcmeState(store)
    account_key, _ = state.account_key(settings.directory, settings.email)
    account_key = account_key or new_account_key()
    key = generate_key(settings.key_type)
    csr = signing_request(req, key)
    obtained = obtain(settings, account_key, csr.public_bytes(serialization.Encoding.PEM), progress)
    certs = read_bundle(obtained.fullchain_pem).certificates
    if not certs:
        raise SslTermError("the CA returned no certificate")
    leaf = pick_leaf(certs)
    chain = order_chain(leaf, [c for c in certs if c != leaf])[0][1:]
    return leaf, chain, key, account_key, obtained.account_url


def obtain_certificate(
    store: Store,
    settings: AcmeSettings,
    domain: str,
    sans: list[str],
    *,
    owner: str,
    now: datetime,
    name: str | None = None,
    progress: Progress | None = None,
) -> CertificateRecord:
    """Obtain a certificate for ``domain`` and ``sans`` and store it as type ``auto``."""
    settings = settings.checked()
    req = subject_request(domain, sans, key_type=settings.key_type)
    leaf, chain, key, account_key, account_url = _issue(store, settings, req, progress)
    with store.batch():
        record = store.add_certificate(leaf, chain, key, type="auto", owner=owner, now=now, name=name or req.domain, event="created").record
        state = AcmeState(store)
        state.save_account(settings.directory, settings.email, account_key, account_url, now)
        state.save_settings(record.id, settings)
    return record


def renew_auto(store: Store, record: CertificateRecord, now: datetime) -> CertificateRecord:
    """The checker's renewer for ``auto``: the same names, the same ACME settings, a fresh key."""
    stored = AcmeState(store).settings(record.id)
    if stored is None:
        raise SslTermError(f"certificate {record.id} has no ACME settings: obtain it with 'sslterm new acme' first")
    settings = AcmeSettings(**stored)
    names = list(dict.fromkeys([record.domain, *record.sans]))
    req = subject_request(names[0], names[1:], key_type=settings.key_type)
    leaf, chain, key, account_key, account_url = _issue(store, settings, req, None)
    with store.batch():
        new = store.renew(record.id, leaf, chain, key, now, detail=f"renewed from {settings.directory}, expires {leaf.not_valid_after_utc:%Y-%m-%d}")
        state = AcmeState(store)
        state.save_account(settings.directory, settings.email, account_key, account_url, now)
        state.save_settings(new.id, settings)
    return new
