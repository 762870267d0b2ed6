"""The certificate store: every write is one IMMEDIATE transaction with its history event."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from peewee import IntegrityError

from sslterm.core.errors import NotFoundError, StoreError, ValidationError
from sslterm.core.names import normalize_domain
from sslterm.core.records import CertificateRecord
from sslterm.store import lineages
from sslterm.store.audit import append_events
from sslterm.store.engines import Location, open_engine, parse_location
from sslterm.store.keys import KeyOperations
from sslterm.store.listing import ListingOperations
from sslterm.store.migrations import put_setting
from sslterm.store.models import Certificate, CertificateName, Owner, Setting, WebDomain
from sslterm.store.requests import RequestOperations
from sslterm.store.rows import (
    new_uid,
    pem_text,
    record_of,
    search_text,
)
from sslterm.store.serving import ServingOperations
from sslterm.store.vault import KeyVault, key_file_for

if TYPE_CHECKING:
    from cryptography import x509

    from sslterm.core.certinfo import CertInfo
    from sslterm.core.parse import PrivateKey

# The X.509 side of the store (cryptography's x509 modules, inspection, parsing,
# export) is imported by the methods that write or read certificate material, not
# here: browsing the list must not pay ~60 ms of imports before its first paint.


@dataclass(frozen=True)
class Material:
    """The cryptographic objects of a stored entry (the key only when asked for)."""

    certificate: x509.Certificate | None
    chain: list[x509.Certificate]
    key: PrivateKey | None
    request: x509.CertificateSigningRequest | None


@dataclass(frozen=True)
class AddResult:
    """What :meth:`Store.add_certificate` did: ``imported``, ``present``, ``key added``, ``attached``,
    ``superseded`` (a newer version of certificate ``other_id``) or ``history`` (an older one)."""

    record: CertificateRecord
    outcome: str
    other_id: int | None = None


class Store(KeyOperations, RequestOperations, ListingOperations, ServingOperations):
    """Certificates, owners, web-domains and history, in a SQLite file or a PostgreSQL database.

    Args:
        engine: an open engine from :func:`sslterm.store.engines.open_engine`.
        user: the OS user recorded in history events.
        passphrase: wraps the data key when it is first made (SQLite's key file, or a PostgreSQL store's first slot).
        key_file: a PostgreSQL store's key slot secret in a file, instead of (or beside) the passphrase.
    """

    def __init__(self, engine, user: str, passphrase: str | None = None, key_file: Path | None = None) -> None:  # type: ignore[no-untyped-def]
        self.engine = engine
        self.db = engine.db
        self.location: Location = engine.location
        self.path: Path | None = engine.location.path  # the SQLite file; None on PostgreSQL
        self.user = user
        check = Setting.get_or_none(Setting.key == "key_check")
        check_blob = bytes.fromhex(check.value) if check else None
        if self.path is not None:
            self.vault = KeyVault(key_file_for(self.path), passphrase, check_blob)
        else:
            from sslterm.store.keyslots import SlotVault

            self.vault = SlotVault(self.db, passphrase, key_file, check_blob, user)

    @classmethod
    def open(cls, where: Path | str | Location, user: str, passphrase: str | None = None, create: bool = True,
             key_file: Path | None = None) -> Store:
        """Open (migrating as needed, and creating unless ``create`` is false) the store at ``where``."""
        location = where if isinstance(where, Location) else parse_location(where)
        return cls(open_engine(location, create), user, passphrase, key_file)

    def use(self) -> Store:
        """Make this store the one the models speak to again (opening a store binds them to it: one at a time)."""
        from sslterm.store.models import MODELS

        self.db.bind(MODELS, bind_refs=False, bind_backrefs=False)
        return self

    def data_version(self) -> int:
        """A number that changes when another connection (process, worker, operator) has committed: cheap to poll."""
        return self.engine.data_version()

    def release_thread(self) -> None:
        """This thread is done with the store (a TUI worker's thread ends): its connection goes back (PostgreSQL's pool)."""
        self.engine.release_thread()

    def close(self) -> None:
        self.engine.close()

    def batch(self):  # type: ignore[no-untyped-def]
        """One transaction around many writes (each write nests as a savepoint)."""
        return self.db.atomic()

    # ----------------------------------------------------------------- writes

    def add_certificate(
        self,
        cert: x509.Certificate,
        chain: list[x509.Certificate],
        key: PrivateKey | None,
        *,
        type: str,
        owner: str,
        now: datetime,
        name: str | None = None,
        event: str = "imported",
        supersede: bool = False,
        source: str | None = None,
    ) -> AddResult:
        """Store a certificate with its chain and optional key, or recognise it.

        The same certificate (SHA-256) is never stored twice: a second import
        reports ``present`` and adds the key if the first came without one. A
        certificate whose key matches a pending request completes that request.
        With ``supersede``, the lineage rule (:mod:`sslterm.core.lineage`) decides
        whether it continues a live certificate's lineage, as its newer version or
        as an older one for the history; ``source`` is the file it was read from.
        """
        from sslterm.core.certinfo import inspect_certificate
        from sslterm.core.lineage import Placement, certbot_place
        from sslterm.core.validate import require_key_match

        info = inspect_certificate(cert)
        if key is not None:
            require_key_match(cert, key)
        with self.db.atomic():
            existing = Certificate.get_or_none(Certificate.fingerprint_sha256 == info.sha256)
            if existing is not None:
                outcome = "key added" if key is not None and existing.key_blob is None else "present"
                return AddResult(self._refresh_existing(existing, key, chain, now), outcome)
            pending = self._pending_request_for(info)
            if pending is not None and key is None:
                return AddResult(self._attach(pending, cert, chain, info, now), "attached")
            owner_row = self._owner(owner)
            names = info.all_names or (info.primary_name.lower(),)
            certbot = certbot_place(source) if source else None
            found = (lineages.locate(owner_row.id, names, lineages.version_of(info.not_before, info.not_after, certbot), certbot)
                     if supersede else lineages.Located(Placement.NEW))
            current = found.current
            row = self._insert(info, cert, chain, key, type=type, owner=owner, now=now, name=name,
                               lineage_id=current.lineage_id if current else None, certbot_name=found.certbot_name)
            summary = f"{info.primary_name}, expires {info.not_after:%Y-%m-%d}"
            if found.placement is Placement.SUPERSEDES and current is not None:
                lineages.supersede(self, current, row, now, "renewed", f"superseded by certificate {row.id} ({event})",
                                   f"{event}, supersedes certificate {current.id}: {summary}")
                if found.certbot_name:
                    lineages.name_certbot_lineage(current.lineage_id, found.certbot_name)
                self._serve_primary(row, now)
                return AddResult(record_of(row, with_web=True), "superseded", current.id)
            if found.placement is Placement.HISTORY and current is not None:
                lineages.file_as_history(self, current, row, now, f"{event} as an older version of certificate {current.id}: {summary}")
                return AddResult(record_of(row), "history", current.id)
            self._event(event, row, now, detail=summary)
            self._serve_primary(row, now)
            return AddResult(record_of(row), "imported")

    def renew(
        self,
        old_id: int,
        cert: x509.Certificate,
        chain: list[x509.Certificate],
        key: PrivateKey | None,
        now: datetime,
        detail: str = "",
    ) -> CertificateRecord:
        """Make a new version current: it takes the old one's owner, name, type, window
        and web-domains; the old version is archived; both record a ``renewed`` event."""
        from sslterm.core.certinfo import inspect_certificate
        from sslterm.core.validate import require_key_match

        with self.db.atomic():
            old = self._live_row(old_id)
            info = inspect_certificate(cert)
            if key is not None:
                require_key_match(cert, key)
            new = self._insert(info, cert, chain, key, type=old.type, owner=old.owner.name, now=now, name=old.name,
                               previous_id=old.id, lineage_id=old.lineage_id)
            text = detail or f"renewed, now expires {info.not_after:%Y-%m-%d}"
            lineages.supersede(self, old, new, now, "renewed", f"superseded by certificate {new.id}: {text}", f"replaces certificate {old.id}: {text}")
            return record_of(new)

    def delete(self, cert_id: int, now: datetime) -> CertificateRecord:
        """Archive a certificate: it leaves the list and stays in its domains' history."""
        with self.db.atomic():
            row = self._row(cert_id)
            if row.archived:
                raise NotFoundError(f"certificate {cert_id} is already deleted")
            row.archived, row.archived_at = True, now
            row.save()
            for web in WebDomain.select().where(WebDomain.certificate == row):
                web.certificate = None
                web.save()
                self._event("domain_detached", row, now, domain=web.name, detail="certificate deleted")
            self._event("deleted", row, now)
            return record_of(row)

    def record_export(self, cert_id: int, now: datetime, detail: str) -> None:
        """Append an ``exported`` event (keys leaving the store are worth a trace)."""
        with self.db.atomic():
            self._event("exported", self._row(cert_id), now, detail=detail)

    def record_event(self, cert_id: int | None, kind: str, now: datetime, detail: str = "", domain: str | None = None) -> None:
        """Append any other event (used by the checker for renewal failures)."""
        with self.db.atomic():
            self._event(kind, self._row(cert_id) if cert_id else None, now, domain=domain, detail=detail)

    # ------------------------------------------------------------------ reads

    def get(self, cert_id: int) -> CertificateRecord:
        """One certificate by id (archived ones too)."""
        return record_of(self._row(cert_id), with_web=True)

    def resolve(self, ref: str) -> CertificateRecord:
        """A certificate by id, or the live certificate for a domain or name.

        For a domain, the certificate serving it as a web-domain wins, then
        the one with the latest expiry.
        """
        text = ref.strip()
        if text.isdigit():
            return self.get(int(text))
        try:
            name = normalize_domain(text)
        except Exception:  # noqa: BLE001 - not a domain: fall back to the certificate name
            name = text.lower()
        web = WebDomain.get_or_none(WebDomain.name == name)
        if web is not None and web.certificate is not None and not web.certificate.archived:
            return self.get(web.certificate.id)
        row = (
            Certificate.select().join(CertificateName)
            .where((CertificateName.name == name) & (Certificate.archived == False))  # noqa: E712
            .order_by(Certificate.not_after.desc(nulls="LAST"), Certificate.id.desc()).first()
        ) or (
            Certificate.select().where((Certificate.name == text) & (Certificate.archived == False))  # noqa: E712
            .order_by(Certificate.id.desc()).first()
        )
        if row is None:
            raise NotFoundError(f"no certificate for {text!r}: check 'sslterm list --search {text}'")
        return self.get(row.id)

    def material(self, cert_id: int, with_key: bool = False) -> Material:
        """Parsed certificate, chain, request and (only if asked) the decrypted key."""
        from sslterm.core.parse import load_checked_key, read_bundle

        row = self._row(cert_id)
        cert = read_bundle(row.cert_pem).certificates[0] if row.cert_pem else None
        chain = read_bundle(row.chain_pem).certificates if row.chain_pem.strip() else []
        csr = read_bundle(row.csr_pem).requests[0] if row.csr_pem else None
        key = None
        if with_key and row.key_blob is not None:
            key = load_checked_key(self.vault.decrypt(bytes(row.key_blob), row.uid))  # authenticated: as stored
        return Material(cert, chain, key, csr)  # type: ignore[arg-type]

    def owners(self) -> list[str]:
        return [o.name for o in Owner.select().order_by(Owner.name)]

    # --------------------------------------------------------------- internals

    def _row(self, cert_id: int) -> Certificate:
        row = Certificate.get_or_none(Certificate.id == cert_id)
        if row is None:
            raise NotFoundError(f"no certificate with id {cert_id}: see 'sslterm list'")
        return row

    def _live_row(self, cert_id: int) -> Certificate:
        row = self._row(cert_id)
        if row.archived:
            raise NotFoundError(f"certificate {cert_id} is deleted (archived)")
        return row

    def _owner(self, name: str) -> Owner:
        clean = " ".join(name.split())
        if not clean:
            raise ValidationError("owner name is empty")
        owner, _ = Owner.get_or_create(name=clean)
        return owner

    def _insert(self, info: CertInfo, cert: x509.Certificate, chain: list[x509.Certificate], key: PrivateKey | None, *, type: str,
                owner: str, now: datetime, name: str | None, previous_id: int | None = None, lineage_id: int | None = None,
                certbot_name: str | None = None) -> Certificate:
        """A new row; with no ``lineage_id`` it starts a lineage of its own (callers place it otherwise)."""
        names = info.all_names or (info.primary_name.lower(),)
        owner_row = self._owner(owner)
        if lineage_id is None:
            lineage_id = lineages.new_lineage(owner_row.id, names, certbot_name)
        try:
            row = Certificate.create(
                uid=new_uid(), name=name or info.primary_name, domain=info.primary_name.lower(),
                owner=owner_row, type=type, lineage=lineage_id, version=1, added_at=now, not_before=info.not_before, not_after=info.not_after,
                created_at=now, updated_at=now, issuer=info.issuer_text, subject=info.subject_text,
                serial=info.serial_hex, fingerprint_sha256=info.sha256, public_key_sha256=info.public_key_sha256,
                key_description=info.key_description, sans_json=json.dumps(list(info.sans.hostnames)),
                search=search_text(names), cert_pem=pem_text(cert), chain_pem="".join(pem_text(c) for c in chain),
                previous=previous_id,
            )
        except IntegrityError as exc:
            raise StoreError(f"could not store certificate: {exc}") from None
        self._index_search(row)  # before any save(): the update trigger expects the row indexed
        if key is not None:
            self._store_key(row, key)
        self._names(row, names)
        return row

    def _store_key(self, row: Certificate, key: PrivateKey) -> None:
        from sslterm.core.parse import pkcs8_der

        der = pkcs8_der(key)
        row.key_blob = self.vault.encrypt(der, row.uid)
        row.save()
        self._persist_check_blob()

    def _persist_check_blob(self) -> None:
        """After the first key is encrypted, remember the data-key check in the database."""
        if self.vault.new_check_blob is not None:
            put_setting("key_check", self.vault.new_check_blob.hex())
            self.vault.new_check_blob = None

    def _index_search(self, row: Certificate) -> None:
        """Add a new row to the trigram search index (updates and deletes are kept by triggers)."""
        self.engine.index_search([(row.id, row.search)])

    def _names(self, row: Certificate, names: tuple[str, ...]) -> None:
        CertificateName.insert_many([(row.id, n) for n in names], fields=[CertificateName.certificate, CertificateName.name]).on_conflict_ignore().execute()

    def _refresh_existing(self, row: Certificate, key: PrivateKey | None, chain: list[x509.Certificate], now: datetime) -> CertificateRecord:
        changed = False
        if key is not None and row.key_blob is None:
            self._store_key(row, key)
            self._event("key_added", row, now)
            changed = True
        if chain and not row.chain_pem.strip():
            row.chain_pem = "".join(pem_text(c) for c in chain)
            changed = True
        if row.archived and lineages.restorable(row):
            row.archived, row.archived_at = False, None
            self._event("restored", row, now, detail="imported again after deletion")
            changed = True
        if changed:
            row.updated_at = now
            row.save()
        return record_of(row)

    def _event(self, kind: str, row: Certificate | None, now: datetime, domain: str | None = None, detail: str = "") -> None:
        append_events(self.db, [(int(now.timestamp()), kind, row.id if row is not None else None, domain, self.user, detail)])
