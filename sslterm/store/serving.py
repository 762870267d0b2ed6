"""Which certificate serves which web-domain (ISPmanager's "Change certificate"), and replacing one
certificate with another that covers all it serves."""

from __future__ import annotations

import json
from datetime import datetime

from sslterm.core.errors import ValidationError
from sslterm.core.names import normalize_domain
from sslterm.core.records import CertificateRecord
from sslterm.store import lineages
from sslterm.store.models import Certificate, CertificateName, Owner, WebDomain
from sslterm.store.rows import covers, record_of


class ServingOperations:
    """Needs the store's ``db``, ``_row``, ``_live_row`` and ``_event``."""

    def set_web_domains(self, cert_id: int, names: list[str], now: datetime) -> CertificateRecord:
        """Make ``names`` exactly the web-domains this certificate serves (names validated)."""
        wanted = list(dict.fromkeys(normalize_domain(n, field="web-domain") for n in names if n.strip()))
        with self.db.atomic():
            row = self._live_row(cert_id)
            current = {w.name: w for w in WebDomain.select().where(WebDomain.certificate == row)}
            for gone in set(current) - set(wanted):
                current[gone].certificate = None
                current[gone].save()
                self._event("domain_detached", row, now, domain=gone)
            for name in wanted:
                if name in current:
                    continue
                web, _ = WebDomain.get_or_create(name=name)
                old = web.certificate
                web.certificate = row
                web.save()
                if old is not None and old.id != row.id:
                    self._event("domain_detached", old, now, domain=name, detail=f"moved to certificate {row.id}")
                self._event("domain_attached", row, now, domain=name)
            row.updated_at = now
            row.save()
            return record_of(row)

    def attach_web_domain(self, cert_id: int, name: str, now: datetime) -> CertificateRecord:
        """Add one web-domain to a certificate (read and write in one IMMEDIATE transaction)."""
        with self.db.atomic():
            current = [w.name for w in WebDomain.select().where(WebDomain.certificate == cert_id)]
            return self.set_web_domains(cert_id, [*current, name], now)

    def replace(self, cert_id: int, other_id: int, now: datetime) -> CertificateRecord:
        """Supersede ``cert_id`` with ``other_id``, which must be valid for all its web-domains.

        ``other_id`` (with its own versions) continues ``cert_id``'s lineage; the
        replaced certificate is archived and its web-domains, endpoints and settings
        move to the replacement.
        """
        with self.db.atomic():
            old, new = self._live_row(cert_id), self._live_row(other_id)
            if old.id == new.id:
                raise ValidationError("pick a different certificate to replace this one with")
            if new.cert_pem is None:
                raise ValidationError(f"certificate {new.id} is a pending request: attach its certificate first")
            webs = list(WebDomain.select().where(WebDomain.certificate == old))
            names = set(json.loads(new.sans_json)) | {new.domain}
            for web in webs:
                if not covers(names, web.name):
                    raise ValidationError(f"certificate {new.id} ({new.name}) is not valid for {web.name}")
            moved = ", ".join(w.name for w in webs) or "no web-domains"
            lineages.merge_into(old, new)
            lineages.supersede(self, old, new, now, "replaced", f"replaced by certificate {new.id} ({new.name}) for {moved}",
                               f"replaces certificate {old.id} ({old.name}) for {moved}")
            return record_of(new, with_web=True)

    def replacement_candidates(self, cert_id: int, limit: int = 200) -> list[CertificateRecord]:
        """Live certificates (other than ``cert_id``) valid for every web-domain it serves."""
        row = self._row(cert_id)
        webs = [w.name for w in WebDomain.select().where(WebDomain.certificate == row)] or [row.domain]
        wanted = set(webs) | {f"*.{w.split('.', 1)[1]}" for w in webs if "." in w}
        select = (
            Certificate.select(Certificate, Owner).join(Owner).switch(Certificate).join(CertificateName)
            .where(CertificateName.name.in_(sorted(wanted)) & (Certificate.archived == False)  # noqa: E712
                   & (Certificate.id != row.id) & Certificate.cert_pem.is_null(False))
            .distinct().order_by(Certificate.not_after.desc()).limit(limit * 4)
        )
        records = []
        for cand in select:
            names = set(json.loads(cand.sans_json)) | {cand.domain}
            if all(covers(names, w) for w in webs):
                records.append(record_of(cand))
        return records[:limit]

    def web_domains(self) -> list[tuple[str, int | None]]:
        return [(w.name, w.certificate_id) for w in WebDomain.select().order_by(WebDomain.name)]

    def _serve_primary(self, row: Certificate, now: datetime) -> None:
        """A new certificate serves its primary domain as a web-domain if nothing else does (a CA serves none)."""
        if row.domain.startswith("*") or " " in row.domain or row.type == "ca":
            return
        web, _ = WebDomain.get_or_create(name=row.domain)
        if web.certificate_id is None:
            web.certificate = row
            web.save()
            self._event("domain_attached", row, now, domain=row.domain)
