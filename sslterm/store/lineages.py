"""Applying the lineage rule (:mod:`sslterm.core.lineage`) to stored rows.

Every way a new version arrives (renewal, Replace, an import that continues a
lineage, a request whose certificate is attached) ends in :func:`supersede` or
:func:`file_as_history`, each inside the caller's transaction with its events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from peewee import fn

from sslterm.core.lineage import CertbotPlace, Placement, Version, is_newer, names_key, place
from sslterm.store.models import AcmeSetting, Certificate, CertificateName, DeployTarget, Lineage, WebDomain

if TYPE_CHECKING:
    from sslterm.store.store import Store


_OTHER = Certificate.alias("other_version")
VERSIONS = (_OTHER.select(fn.MAX(_OTHER.version)).where(_OTHER.lineage == Certificate.lineage)).alias("versions")
"""A list column: how many versions the row's lineage has (read from the lineage index)."""


@dataclass(frozen=True)
class Located:
    """Where a certificate about to be stored belongs: a placement and the lineage's current row."""

    placement: Placement
    current: Certificate | None = None
    certbot_name: str | None = None


def version_of(not_before: datetime, not_after: datetime, certbot: CertbotPlace | None) -> Version:
    return Version(not_before, not_after, certbot.number if certbot else None)


def current_of(lineage_id: int) -> Certificate | None:
    """The live version of a lineage that holds an issued certificate, if any."""
    return (Certificate.select().where((Certificate.lineage == lineage_id) & (Certificate.archived == False)  # noqa: E712
                                       & Certificate.cert_pem.is_null(False))
            .order_by(Certificate.version.desc()).first())


def matching_current(owner_id: int, names: tuple[str, ...], certbot: CertbotPlace | None, exclude_lineage: int | None = None) -> Certificate | None:
    """The live certificate of the lineage a certificate with these names continues.

    certbot's lineage name decides when the file came from a certbot tree; else the
    same set of names and the same owner do. A pending request is never matched.
    """
    if certbot is not None:
        for lineage in Lineage.select().where((Lineage.certbot_name == certbot.name) & (Lineage.owner == owner_id)):
            if lineage.id != exclude_lineage and (row := current_of(lineage.id)) is not None:
                return row
    key = names_key(names)
    for lineage in Lineage.select().where((Lineage.names_key == key) & (Lineage.owner == owner_id)).order_by(Lineage.id.desc()):
        if lineage.id != exclude_lineage and (row := current_of(lineage.id)) is not None:
            return row
    return None


def locate(owner_id: int, names: tuple[str, ...], version: Version, certbot: CertbotPlace | None) -> Located:
    """Apply the rule for a certificate not stored yet."""
    current = matching_current(owner_id, names, certbot)
    if current is None:
        return Located(Placement.NEW, None, certbot.name if certbot else None)
    # Stored rows keep no certbot number: against one, the dates decide.
    placement = place(version, Version(current.not_before, current.not_after))
    return Located(placement, current, certbot.name if certbot else None)


def is_newer_row(row: Certificate, current: Certificate) -> bool:
    return is_newer(Version(row.not_before, row.not_after), Version(current.not_before, current.not_after))


def restorable(row: Certificate) -> bool:
    """An archived version imported again comes back only if it was deleted as the lineage's newest.

    An older version (superseded) stays in the history, whatever is imported again.
    """
    live = Certificate.select().where((Certificate.lineage == row.lineage_id) & (Certificate.archived == False)).exists()  # noqa: E712
    return not live and row.version >= latest_version(row.lineage_id)


def new_lineage(owner_id: int, names: tuple[str, ...] | list[str], certbot_name: str | None = None) -> int:
    return Lineage.insert(owner=owner_id, names_key=names_key(names), certbot_name=certbot_name).execute()


def name_certbot_lineage(lineage_id: int, certbot_name: str) -> None:
    """Remember that a lineage is certbot's ``live/<certbot_name>`` (its later files then match by that name)."""
    Lineage.update(certbot_name=certbot_name).where((Lineage.id == lineage_id) & Lineage.certbot_name.is_null()).execute()


def latest_version(lineage_id: int) -> int:
    return Certificate.select(fn.MAX(Certificate.version)).where(Certificate.lineage == lineage_id).scalar() or 0


def supersede(store: Store, old: Certificate, new: Certificate, now: datetime, kind: str, old_detail: str, new_detail: str) -> None:
    """Make ``new`` the current version of ``old``'s lineage; ``old`` is archived.

    The web-domains (and so the endpoints), the renewal window and the ACME
    settings move to ``new``; the list's Create At stays the lineage's, Update At
    becomes ``now``. Both rows get a ``kind`` event.
    """
    if new.lineage_id != old.lineage_id or new.version <= old.version:  # else merge_into numbered it already
        new.lineage, new.version = old.lineage_id, latest_version(old.lineage_id) + 1
    new.created_at, new.updated_at = old.created_at, now
    if new.renew_before_days is None:
        new.renew_before_days = old.renew_before_days
    new.save()
    WebDomain.update(certificate=new.id).where(WebDomain.certificate == old.id).execute()
    if not AcmeSetting.select().where(AcmeSetting.certificate == new.id).exists():
        AcmeSetting.update(certificate=new.id).where(AcmeSetting.certificate == old.id).execute()
    old.archived, old.archived_at = True, now
    old.save()
    Lineage.update(names_key=names_key(_names(new))).where(Lineage.id == old.lineage_id).execute()
    store._event(kind, old, now, detail=old_detail)
    store._event(kind, new, now, detail=new_detail)


def file_as_history(store: Store, current: Certificate, new: Certificate, now: datetime, detail: str) -> None:
    """Put ``new``, an older version than ``current``, into the lineage's history (archived, never live).

    Its version number is its place by issue date; later versions move up one.
    """
    lineage_id = current.lineage_id
    older = (Certificate.select(fn.COUNT(Certificate.id))
             .where((Certificate.lineage == lineage_id) & (Certificate.id != new.id)
                    & ((Certificate.not_before < new.not_before)
                       | ((Certificate.not_before == new.not_before) & (Certificate.not_after <= new.not_after))))
             .scalar())
    position = older + 1
    Certificate.update(version=Certificate.version + 1).where((Certificate.lineage == lineage_id) & (Certificate.version >= position)).execute()
    new.lineage, new.version, new.created_at = lineage_id, position, current.created_at
    new.archived, new.archived_at = True, now
    new.save()
    store._event("imported", new, now, detail=detail)


def merge_into(old: Certificate, new: Certificate) -> None:
    """Move ``new``'s whole lineage after ``old``'s versions (Replace: ``new`` continues ``old``)."""
    if new.lineage_id == old.lineage_id:
        return
    offset = latest_version(old.lineage_id)
    Certificate.update(lineage=old.lineage_id, version=Certificate.version + offset).where(Certificate.lineage == new.lineage_id).execute()
    retire_lineage(new.lineage_id, old.lineage_id)
    new.lineage, new.version = old.lineage_id, new.version + offset


def retire_lineage(gone: int, into: int) -> None:
    """A lineage whose versions joined ``into``: its deploy targets go along, then it is removed."""
    DeployTarget.update(lineage=into).where(DeployTarget.lineage == gone).execute()
    Lineage.delete().where(Lineage.id == gone).execute()


def _names(row: Certificate) -> list[str]:
    return [n for (n,) in CertificateName.select(CertificateName.name).where(CertificateName.certificate == row.id).tuples()]
