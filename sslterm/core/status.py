"""Status of a certificate as a pure function of its dates and ``now``."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import Enum

SECONDS_PER_DAY = 86400


class Status(str, Enum):
    """Where a certificate stands at a given moment."""

    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    VALID = "valid"
    PENDING = "pending"

    @property
    def label(self) -> str:
        return {"expired": "Expired", "not_yet_valid": "Not yet valid", "valid": "Valid", "pending": "Pending"}[self.value]


class Bucket(str, Enum):
    """The status filter of the list: All, Expired, Valid, 7 days, 30 days."""

    ALL = "all"
    EXPIRED = "expired"
    VALID = "valid"
    DAYS_7 = "7d"
    DAYS_30 = "30d"

    @property
    def days(self) -> int | None:
        return {"7d": 7, "30d": 30}.get(self.value)

    @property
    def label(self) -> str:
        return {"all": "All", "expired": "Expired", "valid": "Valid", "7d": "7 days", "30d": "30 days"}[self.value]


def _require_aware(*moments: datetime | None) -> None:
    for moment in moments:
        if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
            raise ValueError("naive datetime given where aware UTC is required")


def status_of(not_before: datetime | None, not_after: datetime | None, now: datetime) -> Status:
    """Status at ``now``: expired when ``now >= not_after``; pending when there are no dates.

    Args:
        not_before: the certificate's start (aware UTC), or None for a pending request.
        not_after: the certificate's end (aware UTC), or None for a pending request.
        now: the moment to judge at (aware).
    """
    _require_aware(not_before, not_after, now)
    if not_before is None or not_after is None:
        return Status.PENDING
    if now >= not_after:
        return Status.EXPIRED
    if now < not_before:
        return Status.NOT_YET_VALID
    return Status.VALID


def days_left(not_after: datetime | None, now: datetime) -> int | None:
    """Whole days remaining until ``not_after`` (floor); None when expired or pending."""
    _require_aware(not_after, now)
    if not_after is None or now >= not_after:
        return None
    return int((not_after - now).total_seconds() // SECONDS_PER_DAY)


def in_bucket(not_before: datetime | None, not_after: datetime | None, now: datetime, bucket: Bucket) -> bool:
    """True when a certificate belongs to the list filter ``bucket`` at ``now``.

    The 7- and 30-day buckets hold *valid* certificates with at most that long left;
    the 30-day bucket includes the 7-day one.
    """
    status = status_of(not_before, not_after, now)
    if bucket is Bucket.ALL:
        return True
    if bucket is Bucket.EXPIRED:
        return status is Status.EXPIRED
    if status is not Status.VALID:
        return False
    if bucket is Bucket.VALID:
        return True
    assert not_after is not None and bucket.days is not None
    return not_after - now <= timedelta(days=bucket.days)


def urgency(not_before: datetime | None, not_after: datetime | None, now: datetime) -> str:
    """'critical' (expired or in the 7-day bucket), 'warning' (30-day bucket) or 'ok'.

    Derived from the same buckets as the filter so colour and filter never disagree.
    """
    if status_of(not_before, not_after, now) is Status.EXPIRED:
        return "critical"
    if in_bucket(not_before, not_after, now, Bucket.DAYS_7):
        return "critical"
    if in_bucket(not_before, not_after, now, Bucket.DAYS_30):
        return "warning"
    return "ok"
