"""Status and buckets are pure functions of the dates and ``now``."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from sslterm.core.status import Bucket, Status, days_left, in_bucket, status_of, urgency
from tests.factories import NOW

S = timedelta(seconds=1)
D = timedelta(days=1)
START = NOW - 100 * D


@pytest.mark.parametrize(
    "not_after,status,days",
    [
        (NOW, Status.EXPIRED, None),  # exactly at not_after: expired
        (NOW + S, Status.VALID, 0),  # one second before
        (NOW - S, Status.EXPIRED, None),
        (NOW + D, Status.VALID, 1),
        (NOW + D - S, Status.VALID, 0),  # floor, not round
        (NOW + 7 * D, Status.VALID, 7),
        (NOW + 30 * D + S, Status.VALID, 30),
    ],
)
def test_status_and_days_left_at_boundaries(not_after: datetime, status: Status, days: int | None):
    assert status_of(START, not_after, NOW) is status
    assert days_left(not_after, NOW) == days


def test_not_yet_valid_and_pending():
    assert status_of(NOW + S, NOW + 10 * D, NOW) is Status.NOT_YET_VALID
    assert status_of(NOW, NOW + 10 * D, NOW) is Status.VALID
    assert status_of(None, None, NOW) is Status.PENDING


@pytest.mark.parametrize(
    "not_after,buckets",
    [
        (NOW, {Bucket.ALL, Bucket.EXPIRED}),
        (NOW + S, {Bucket.ALL, Bucket.VALID, Bucket.DAYS_7, Bucket.DAYS_30}),
        (NOW + 7 * D, {Bucket.ALL, Bucket.VALID, Bucket.DAYS_7, Bucket.DAYS_30}),
        (NOW + 7 * D + S, {Bucket.ALL, Bucket.VALID, Bucket.DAYS_30}),
        (NOW + 30 * D, {Bucket.ALL, Bucket.VALID, Bucket.DAYS_30}),
        (NOW + 30 * D + S, {Bucket.ALL, Bucket.VALID}),
    ],
)
def test_buckets_7_and_30_days_hold_valid_certificates_with_at_most_that_long(not_after, buckets):
    assert {b for b in Bucket if in_bucket(START, not_after, NOW, b)} == buckets


def test_not_yet_valid_is_in_no_day_bucket():
    assert not in_bucket(NOW + D, NOW + 3 * D, NOW, Bucket.DAYS_7)
    assert not in_bucket(NOW + D, NOW + 3 * D, NOW, Bucket.VALID)


def test_urgency_follows_the_buckets():
    assert urgency(START, NOW, NOW) == "critical"
    assert urgency(START, NOW + 7 * D, NOW) == "critical"
    assert urgency(START, NOW + 7 * D + S, NOW) == "warning"
    assert urgency(START, NOW + 31 * D, NOW) == "ok"


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        status_of(START, NOW.replace(tzinfo=None), NOW)
