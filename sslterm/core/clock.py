"""The one place "now" comes from. Created at the edge, passed everywhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from sslterm.core.errors import InputError


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, always aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass(frozen=True)
class FixedClock:
    """A clock pinned to one moment (tests, screenshots, ``SSLTERM_NOW``)."""

    moment: datetime

    def now(self) -> datetime:
        return self.moment


def parse_moment(text: str, field: str = "date") -> datetime:
    """Parse ``2026-01-31`` or ``2026-01-31T12:00:00Z`` (offsets allowed) as aware UTC."""
    raw = text.strip()
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise InputError(f"{field} {text!r} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ", field) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def clock_from_env() -> Clock:
    """``SSLTERM_NOW`` pins the clock (for reproducible runs and tests); else the system clock."""
    pinned = os.environ.get("SSLTERM_NOW")
    return FixedClock(parse_moment(pinned, "SSLTERM_NOW")) if pinned else SystemClock()
