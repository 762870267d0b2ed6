"""A domain's history: the versions of its certificates' lineages, and every event."""

from __future__ import annotations

from typing import Callable

from peewee import Case

from sslterm.core.names import normalize_domain
from sslterm.core.records import CertificateRecord, HistoryEvent
from sslterm.store.models import Certificate, CertificateName, Event, Owner, WebDomain
from sslterm.store.rows import LIST_COLUMNS, list_records


def _name(domain: str) -> str:
    try:
        return normalize_domain(domain)
    except Exception:  # noqa: BLE001 - history of an odd name is still a lookup
        return domain.strip().lower()


def domain_events(domain: str, get: Callable[[int], CertificateRecord], limit: int | None = None) -> list[HistoryEvent]:
    """Every event for a domain's certificates and for the domain itself, newest first."""
    name = _name(domain)
    cert_ids = CertificateName.select(CertificateName.certificate).where(CertificateName.name == name)
    select = (
        Event.select().where((Event.certificate.in_(cert_ids)) | (Event.domain == name))
        .order_by(Event.at.desc(), Event.id.desc())
    )
    if limit:
        select = select.limit(limit)
    cache: dict[int, CertificateRecord] = {}
    events = []
    for ev in select:
        record = None
        if ev.certificate_id is not None:
            if ev.certificate_id not in cache:
                cache[ev.certificate_id] = get(ev.certificate_id)
            record = cache[ev.certificate_id]
        events.append(HistoryEvent(ev.id, ev.at, ev.kind, ev.domain, record, ev.user, ev.detail))
    return events


def domain_versions(domain: str) -> list[CertificateRecord]:
    """Every version of each lineage one of whose versions names ``domain`` (seed 004's View).

    The lineage serving the domain as a web-domain comes first, then lineages with
    a live version, each newest version first.
    """
    name = _name(domain)
    holding = (Certificate.select(Certificate.lineage).join(CertificateName)
               .where((CertificateName.name == name) & Certificate.lineage.is_null(False)))
    serving = WebDomain.select(WebDomain.certificate).where(WebDomain.name == name)
    serving_lineage = Certificate.select(Certificate.lineage).where(Certificate.id.in_(serving))
    rank = Case(None, [(Certificate.lineage.in_(serving_lineage), 0)], 1)
    select = (Certificate.select(*LIST_COLUMNS).join(Owner).where(Certificate.lineage.in_(holding))
              .order_by(rank, Certificate.lineage.desc(), Certificate.version.desc()))
    rows = list(select.tuples())
    webs: dict[int, list[str]] = {}
    ids = [row[0] for row in rows]
    for web_name, cert_id in (WebDomain.select(WebDomain.name, WebDomain.certificate)
                              .where(WebDomain.certificate.in_(ids)).order_by(WebDomain.name).tuples()):
        webs.setdefault(cert_id, []).append(web_name)
    return list(list_records(rows, webs))


def certificate_events(cert_id: int, limit: int = 10) -> list[HistoryEvent]:
    """The latest events of one certificate."""
    select = Event.select().where(Event.certificate == cert_id).order_by(Event.at.desc(), Event.id.desc()).limit(limit)
    return [HistoryEvent(e.id, e.at, e.kind, e.domain, None, e.user, e.detail) for e in select]
