"""The threshold rule: min(30 days, a third of the lifetime), min(7 days, a sixth); time left <= threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sslterm.core.thresholds import level_at, thresholds_for, time_left_text
from tests.factories import DAY, NOW

HOUR = timedelta(hours=1)


@pytest.mark.parametrize(("lifetime_days", "warn", "crit"), [
    (90, 30 * DAY, 7 * DAY),
    (398, 30 * DAY, 7 * DAY),
    (6, 2 * DAY, DAY),  # Let's Encrypt's short-lived profile
    (30, 10 * DAY, 5 * DAY),
])
def test_defaults_scale_with_the_lifetime(lifetime_days, warn, crit):
    limits = thresholds_for(NOW, NOW + lifetime_days * DAY)
    assert (limits.warn, limits.crit) == (warn, crit)


def test_a_global_override_changes_the_caps_and_keeps_the_fractions():
    assert thresholds_for(NOW, NOW + 90 * DAY, 45, 14).warn == 30 * DAY  # a third of 90 days is less than 45
    assert thresholds_for(NOW, NOW + 365 * DAY, 45, 14).warn == 45 * DAY


def test_a_lineage_override_is_taken_as_set():
    limits = thresholds_for(NOW, NOW + 6 * DAY, 3, 1, explicit=True)
    assert (limits.warn, limits.crit) == (3 * DAY, DAY)


@pytest.mark.parametrize(("left", "level"), [
    (31 * DAY, None), (30 * DAY, "warning"), (7 * DAY + HOUR, "warning"), (7 * DAY, "critical"),
    (HOUR, "critical"), (timedelta(0), "expired"), (-DAY, "expired"),
])
def test_time_left_at_or_below_the_threshold_counts(left, level):
    not_after = NOW + left
    assert level_at(not_after, NOW, thresholds_for(not_after - 90 * DAY, not_after)) == level


def test_a_six_day_certificate_is_quiet_when_issued_and_at_renewal_time():
    issued, expires = NOW, NOW + 6 * DAY
    limits = thresholds_for(issued, expires)
    assert level_at(expires, issued, limits) is None
    assert level_at(expires, issued + 4 * DAY - HOUR, limits) is None  # renewal runs at a third of the life left
    assert level_at(expires, issued + 4 * DAY, limits) == "warning"
    assert level_at(expires, issued + 5 * DAY, limits) == "critical"


@pytest.mark.parametrize(("left", "text"), [
    (12 * DAY + HOUR, "in 12 days"), (2 * DAY, "in 2 days"), (36 * HOUR, "in 36 hours"), (HOUR, "in 1 hour"),
    (timedelta(minutes=5), "in less than an hour"), (-3 * DAY, "expired 3 days ago"),
])
def test_time_left_is_told_in_hours_below_two_days(left, text):
    assert time_left_text(NOW + left, NOW) == text
