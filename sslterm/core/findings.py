"""A finding: one thing an operator must hear about, with its severity and what to do.

Shared by the checker (which finds them), notifications (which tell them once), the
Problems screen and metrics. Kinds are a contract for scripts: add, never rename.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sslterm.core.records import iso

OK, WARNING, CRITICAL, UNKNOWN = "OK", "WARNING", "CRITICAL", "UNKNOWN"
EXIT_CODES = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}
KINDS = ("expired", "critical", "warning", "drift", "probe-failed", "renewal-failed", "untrusted", "outdated",
         "deploy-failed", "deploy-unverified", "webpki", "notify-failed")
# Most urgent first: the Problems screen's order, and the order of each notification.
RANK = ("expired", "renewal-failed", "deploy-failed", "drift", "outdated", "probe-failed", "untrusted", "notify-failed",
        "critical", "deploy-unverified", "warning", "webpki")
EXPIRY_KINDS = ("warning", "critical", "expired")  # one finding that rises through these levels
SEVERITIES = (WARNING, CRITICAL)

ADVICE = {
    "expired": "renew or replace it now",
    "critical": "renew or replace it this week",
    "warning": "plan its renewal",
    "drift": "deploy the certificate we hold, or import the one served",
    "outdated": "deploy the current version",
    "probe-failed": "check that the service is up and speaks TLS on that port",
    "renewal-failed": "fix the cause shown, then run 'sslterm check'",
    "untrusted": "serve a chain clients trust",
    "deploy-failed": "fix the target, then 'sslterm deploy run'",
    "deploy-unverified": "check that the service reloaded",
    "webpki": "reissue with the extensions the web-PKI profile requires",
    "notify-failed": "check the channel with 'sslterm notify test'",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of a pass (slotted: a pass over a big fleet makes ~100k)."""

    kind: str
    severity: str
    domain: str
    message: str
    certificate_id: int | None = None
    endpoint: str | None = None
    not_after: datetime | None = None  # of the certificate the finding is about, when there is one
    code: str = ""  # a finer reason within the kind (untrusted: name-mismatch, unknown-root, ...)

    @property
    def key(self) -> str:
        """What stays the same while the finding lasts: expiry levels share one key."""
        family = "expiry" if self.kind in EXPIRY_KINDS else self.kind
        subject = f"endpoint:{self.domain}@{self.endpoint}" if self.endpoint else f"certificate:{self.certificate_id or self.domain}"
        return f"{family}|{subject}"

    @property
    def level(self) -> str:
        """What a notification escalates on: the expiry level, else the severity."""
        return self.kind if self.kind in EXPIRY_KINDS else self.severity.lower()

    @property
    def rank(self) -> int:
        return rank_of(self.kind)

    @property
    def advice(self) -> str:
        return ADVICE.get(self.kind, "")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "domain": self.domain, "endpoint": self.endpoint,
                "certificate_id": self.certificate_id, "message": self.message, "code": self.code or None,
                "not_after": iso(self.not_after)}


def level_rank(level: str) -> int:
    """warning < critical < expired (other levels rank as warning)."""
    order = {"warning": 0, "critical": 1, "expired": 2}
    return order.get(level, 0)


def rank_of(kind: str) -> int:
    """A kind's place in RANK (unknown kinds last)."""
    return RANK.index(kind) if kind in RANK else len(RANK)


_FAR = datetime.max.replace(tzinfo=None)


def urgency_key(finding: Problem | FindingState) -> tuple[bool, int, datetime, str]:
    """The one order of findings everywhere: CRITICAL first, then by kind's rank, then soonest expiry, then domain."""
    return (finding.severity != CRITICAL, rank_of(finding.kind),
            finding.not_after.replace(tzinfo=None) if finding.not_after else _FAR, finding.domain)


def by_urgency(problems: list[Problem]) -> list[Problem]:
    """A pass's problems in :func:`urgency_key` order."""
    return sorted(problems, key=urgency_key)


@dataclass(frozen=True)
class FindingState:
    """A finding open in the store: what it is now and what has been told about it."""

    key: str
    kind: str
    severity: str
    level: str
    domain: str
    message: str
    first_seen: datetime
    last_seen: datetime
    endpoint: str | None = None
    certificate_id: int | None = None
    owner: str | None = None
    code: str = ""
    not_after: datetime | None = None
    notified_level: str | None = None
    notified_at: datetime | None = None
    ack_until: datetime | None = None
    ack_level: str | None = None
    ack_by: str | None = None

    def acknowledged(self, now: datetime) -> bool:
        """Acknowledged at its present level, and not past the date given."""
        return self.ack_level == self.level and (self.ack_until is None or now < self.ack_until)

    @property
    def rank(self) -> int:
        return rank_of(self.kind)

    @property
    def advice(self) -> str:
        return ADVICE.get(self.kind, "")

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "severity": self.severity, "domain": self.domain, "endpoint": self.endpoint,
                "certificate_id": self.certificate_id, "owner": self.owner, "message": self.message, "code": self.code or None,
                "not_after": iso(self.not_after), "since": iso(self.first_seen), "last_seen": iso(self.last_seen),
                "notified_at": iso(self.notified_at), "acknowledged_until": iso(self.ack_until) if self.ack_level else None,
                "acknowledged_by": self.ack_by if self.ack_level else None}


def states_by_urgency(states: list[FindingState]) -> list[FindingState]:
    """Open findings in :func:`urgency_key` order (the Problems screen's)."""
    return sorted(states, key=urgency_key)


@dataclass(frozen=True)
class ChannelRecord:
    """A notification channel as the front ends see it (the URL with its password masked)."""

    id: int
    url: str
    owner: str | None
    label: str
    min_severity: str
    created_at: datetime
    last_sent_at: datetime | None = None
    last_error: str | None = None
    failing_since: datetime | None = None
    pending: int = 0  # messages waiting in the outbox

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "owner": self.owner, "label": self.label, "min_severity": self.min_severity.lower(),
                "created_at": iso(self.created_at), "last_sent_at": iso(self.last_sent_at), "last_error": self.last_error,
                "failing_since": iso(self.failing_since), "pending": self.pending}
