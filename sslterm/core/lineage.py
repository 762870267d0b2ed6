"""The lineage rule: which stored certificate a new one continues, and whether it is the newer.

A lineage is the succession of certificates that serve one purpose (certbot's
``live/<name>``, a renewal from a CA, a self-signed or ACME renewal). Only its
newest version is live; the others are its history. This module decides, as pure
functions of what a certificate says and where it was read from; the store applies
the decision, the same way for a bulk import, a single import and a renewal.
"""

from __future__ import annotations

import enum
import os
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

_CERTBOT_ARCHIVE = re.compile(r"(?:^|/)archive/([^/]+)/(?:cert|fullchain|chain|privkey)(\d+)\.pem$")
_CERTBOT_LIVE = re.compile(r"(?:^|/)live/([^/]+)/(?:cert|fullchain)\.pem$")


class Placement(enum.Enum):
    """What a certificate of a known lineage is to that lineage."""

    NEW = "new"  # a lineage of its own
    SUPERSEDES = "supersedes"  # the newer version: it becomes current, the current one is archived
    HISTORY = "history"  # an older version: archived at once, never live


@dataclass(frozen=True)
class CertbotPlace:
    """Where certbot keeps a certificate: its lineage name and, in ``archive/``, its number."""

    name: str
    number: int | None  # certN.pem; None for live/<name>/cert.pem that is not a link into archive/


@dataclass(frozen=True)
class Version:
    """What the rule compares of two versions of one lineage."""

    not_before: datetime
    not_after: datetime
    certbot_number: int | None = None


def names_key(names: Iterable[str]) -> str:
    """The set of names (CN and SANs) as one comparable string: lower-case, no trailing dot, sorted."""
    return " ".join(sorted({n.strip().rstrip(".").lower() for n in names if n.strip()}))


def certbot_place(path: str) -> CertbotPlace | None:
    """certbot's say about a file: ``archive/<name>/certN.pem`` or ``live/<name>/cert.pem``.

    A ``live/`` file is normally a link into ``archive/``; the link's target gives the number.
    """
    posix = path.replace(os.sep, "/")
    found = _CERTBOT_ARCHIVE.search(posix)
    if found:
        return CertbotPlace(found.group(1), int(found.group(2)))
    found = _CERTBOT_LIVE.search(posix)
    if not found:
        return None
    target = _CERTBOT_ARCHIVE.search(os.path.realpath(path).replace(os.sep, "/"))
    if target and target.group(1) == found.group(1):
        return CertbotPlace(found.group(1), int(target.group(2)))
    return CertbotPlace(found.group(1), None)


def is_newer(candidate: Version, current: Version) -> bool:
    """True when ``candidate`` comes after ``current`` in their lineage.

    certbot's numbers order versions when both have one; otherwise the later
    ``not_before`` wins, then the later ``not_after``. Equal dates are not newer.
    """
    if candidate.certbot_number is not None and current.certbot_number is not None:
        return candidate.certbot_number > current.certbot_number
    return (candidate.not_before, candidate.not_after) > (current.not_before, current.not_after)


def place(candidate: Version, current: Version | None) -> Placement:
    """Where ``candidate`` goes in a lineage whose live version is ``current`` (None: no lineage)."""
    if current is None:
        return Placement.NEW
    return Placement.SUPERSEDES if is_newer(candidate, current) else Placement.HISTORY


def oldest_first(versions: list[Version]) -> list[int]:
    """Positions of ``versions`` (of one lineage) in the order they were issued.

    certbot's numbers when every version has one, else dates, as :func:`is_newer` compares.
    """
    if all(v.certbot_number is not None for v in versions):
        return sorted(range(len(versions)), key=lambda i: versions[i].certbot_number or 0)
    return sorted(range(len(versions)), key=lambda i: (versions[i].not_before, versions[i].not_after))
