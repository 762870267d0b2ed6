"""When a certificate is a warning or critical finding, as pure functions of its dates and ``now``.

The rule, used by ``check``, notifications, metrics and the Problems screen (the
list's filters and colours keep seed 004's fixed 7- and 30-day buckets):

* warning when the time left is at most min(30 days, a third of the lifetime),
* critical when it is at most min(7 days, a sixth of the lifetime),
* expired when no time is left.

A global override changes the 30 and 7 (the lifetime fractions still apply, so a
6-day certificate stays quiet for most of its life, as the renewal window does);
an override on a lineage is taken exactly as it is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

WARN_DAYS = 30
CRIT_DAYS = 7
EXPIRED, CRITICAL, WARNING = "expired", "critical", "warning"
LEVELS = (WARNING, CRITICAL, EXPIRED)  # in rising order
HOURS_BELOW = timedelta(days=2)  # time left is told in hours below this


@dataclass(frozen=True)
class Thresholds:
    """How much time left makes a warning and a critical finding."""

    warn: timedelta
    crit: timedelta

    @property
    def warn_days(self) -> float:
        return self.warn / timedelta(days=1)

    @property
    def crit_days(self) -> float:
        return self.crit / timedelta(days=1)


def thresholds_for(not_before: datetime, not_after: datetime, warn_days: int = WARN_DAYS, crit_days: int = CRIT_DAYS,
                   explicit: bool = False) -> Thresholds:
    """The thresholds of a certificate with this lifetime.

    Args:
        not_before: the certificate's start (aware UTC).
        not_after: its end (aware UTC).
        warn_days: the warning cap (30 by default, or the global override).
        crit_days: the critical cap (7 by default, or the global override).
        explicit: the days were set on the lineage: take them as they are.
    """
    warn, crit = timedelta(days=warn_days), timedelta(days=crit_days)
    if explicit:
        return Thresholds(warn, min(crit, warn))
    lifetime = max(not_after - not_before, timedelta(0))
    return Thresholds(min(warn, lifetime / 3), min(crit, lifetime / 6))


def level_at(not_after: datetime, now: datetime, thresholds: Thresholds) -> str | None:
    """``expired``, ``critical``, ``warning`` or None (time left <= threshold counts)."""
    left = not_after - now
    if left <= timedelta(0):
        return EXPIRED
    if left <= thresholds.crit:
        return CRITICAL
    if left <= thresholds.warn:
        return WARNING
    return None


def time_left_text(not_after: datetime, now: datetime) -> str:
    """``in 12 days``, ``in 36 hours`` below two days, ``expired 3 days ago`` afterwards."""
    left = not_after - now
    if left <= timedelta(0):
        ago = now - not_after
        return f"expired {_amount(ago)} ago" if ago >= timedelta(hours=1) else "expired just now"
    return f"in {_amount(left)}"


def _amount(span: timedelta) -> str:
    if span < HOURS_BELOW:
        hours = int(span.total_seconds() // 3600)
        return "less than an hour" if hours == 0 else f"{hours} hour{'s' if hours != 1 else ''}"
    days = span.days
    return f"{days} day{'s' if days != 1 else ''}"


def days_left_value(not_after: datetime, now: datetime) -> float:
    """Days left as a number (negative once expired), for perfdata and metrics."""
    return round((not_after - now) / timedelta(days=1), 2)
