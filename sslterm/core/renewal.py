"""When to renew, as pure functions of the certificate's dates, its settings and ``now``.

Like certbot's renewal policy, nothing here reads the clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

RENEWABLE_TYPES = ("self-signed", "auto")
DEFAULT_WINDOW_DAYS = 30
MAX_BACKOFF = timedelta(hours=24)


def renewal_window(not_before: datetime, not_after: datetime, window_days: int, explicit: bool = False) -> timedelta:
    """How long before expiry renewal starts.

    The default policy is ``window_days`` or a third of the lifetime, whichever is
    shorter (a short-lived certificate would otherwise renew at once). A window set
    explicitly on the certificate is taken as it is.
    """
    if explicit:
        return timedelta(days=window_days)
    return min(timedelta(days=window_days), (not_after - not_before) / 3)


def renewal_due_at(not_before: datetime, not_after: datetime, window_days: int, explicit: bool = False) -> datetime:
    """The moment a certificate enters its renewal window."""
    return not_after - renewal_window(not_before, not_after, window_days, explicit)


def is_due(
    type: str,
    not_before: datetime | None,
    not_after: datetime | None,
    now: datetime,
    window_days: int,
    retry_not_before: datetime | None = None,
    explicit: bool = False,
) -> bool:
    """True when a renewable certificate is inside its window and not backing off."""
    if type not in RENEWABLE_TYPES or not_before is None or not_after is None:
        return False
    if retry_not_before is not None and now < retry_not_before:
        return False
    return now >= renewal_due_at(not_before, not_after, window_days, explicit)


def backoff(failures: int) -> timedelta:
    """Wait after the n-th consecutive failure: 1 h, 2 h, 4 h ... at most 24 h."""
    if failures <= 0:
        return timedelta(0)
    return min(timedelta(hours=2 ** (failures - 1)), MAX_BACKOFF)
