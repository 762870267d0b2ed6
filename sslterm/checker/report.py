"""The result of a pass: counts, problems and renewals, as text (Nagios style) or JSON."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from sslterm.core.findings import CRITICAL, EXIT_CODES, KINDS, OK, UNKNOWN, WARNING, Problem, by_urgency
from sslterm.core.records import iso

# Problem, the severities and kinds live in the core: notifications and metrics share them.
__all__ = ["CRITICAL", "EXIT_CODES", "KINDS", "OK", "UNKNOWN", "WARNING", "CheckReport", "Deployment", "Problem", "Renewal", "Target"]


@dataclass(frozen=True)
class Renewal:
    """A certificate replaced by a new version in this pass."""

    domain: str
    old_id: int
    new_id: int
    not_after: datetime


@dataclass(frozen=True)
class Deployment:
    """A deploy this pass ran: ``verified``, ``deployed``, ``unverified`` or ``failed``."""

    domain: str
    target_id: int
    certificate_id: int | None
    version: int | None
    result: str
    message: str

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "target_id": self.target_id, "certificate_id": self.certificate_id,
                "version": self.version, "result": self.result, "message": self.message}


@dataclass(frozen=True)
class Target:
    """The one certificate a single-target check (``--domain``/``--endpoint``) measured, for perfdata."""

    what: str
    not_after: datetime | None = None
    warn_days: float = 0
    crit_days: float = 0


@dataclass(frozen=True)
class PassDigest:
    """What a front end shows of a finished pass, without the findings themselves.

    A pass over a big store makes ~100k findings; a digest lets them go with the
    pass instead of living on in the UI thread, where a full collection walks them.
    """

    at: datetime
    status: str
    kind_counts: dict[str, int]
    renewed: int
    notable: frozenset[tuple[str, str, str | None]]  # (kind, domain, endpoint) of the kinds asked for


@dataclass
class CheckReport:
    """Everything one pass found and did."""

    at: datetime
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    renewals: list[Renewal] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    probed: int = 0
    target: Target | None = None  # set by a single-target check
    notified: int = 0  # messages queued for channels this pass
    served: list[x509.Certificate] = field(default_factory=list)  # leaves seen by this pass's probes

    @property
    def empty(self) -> bool:
        """Nothing to watch: an empty store (a wrong --db?) must not look like all is well."""
        if self.target is not None:
            return self.target.not_after is None and not self.problems
        return not self.counts.get("all") and not self.probed

    @property
    def status(self) -> str:
        severities = {p.severity for p in self.problems}
        if CRITICAL in severities:
            return CRITICAL
        if WARNING in severities:
            return WARNING
        return UNKNOWN if self.empty else OK

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def kind_counts(self) -> dict[str, int]:
        seen = Counter(p.kind for p in self.problems)  # one walk over the findings, not one per kind
        return {kind: seen[kind] for kind in KINDS}

    def digest(self, notable_kinds: tuple[str, ...]) -> PassDigest:
        notable = frozenset((p.kind, p.domain, p.endpoint) for p in self.problems if p.kind in notable_kinds)
        return PassDigest(self.at, self.status, self.kind_counts(), len(self.renewals), notable)

    def summary(self) -> str:
        """One line: status, what is wrong, and perfdata after ``|`` for Nagios/Icinga."""
        if self.target is not None:
            return self._target_summary(self.target)
        counts = self.kind_counts()
        parts = [f"{n} {kind}" for kind, n in counts.items() if n]
        if self.renewals:
            parts.append(f"{len(self.renewals)} renewed")
        deployed = sum(1 for d in self.deployments if d.result in ("verified", "deployed"))
        if deployed:
            parts.append(f"{deployed} deployed")
        if parts:
            body = ", ".join(parts)
        elif self.empty:
            body = "the store holds no certificate and no endpoint: nothing is watched (check --db)"
        else:
            body = f"{self.counts.get('all', 0)} certificates, nothing to report"
        perf = " ".join(f"{k.replace('-', '_')}={v}" for k, v in counts.items())
        return f"SSLTERM {self.status} - {body} | {perf} renewed={len(self.renewals)} probed={self.probed}"

    def _target_summary(self, target: Target) -> str:
        """Nagios plugin style for one domain or endpoint: the worst finding, perfdata ``days=N;WARN;CRIT;0``."""
        problems = by_urgency(self.problems)
        if problems:
            worst = problems[0]
            where = f" {worst.endpoint}" if worst.endpoint else ""
            more = f" (+{len(problems) - 1} more)" if len(problems) > 1 else ""
            body = f"{worst.domain}{where}: {worst.message}{more}"
        elif target.not_after is None:
            body = f"{target.what}: nothing is known about it (no certificate, no endpoint): check the name"
        else:
            body = f"{target.what}: expires {target.not_after:%Y-%m-%d}"
        perf = ""
        if target.not_after is not None:
            days = round((target.not_after - self.at).total_seconds() / 86400, 2)
            perf = f" | days={days:g};{target.warn_days:g};{target.crit_days:g};0"
        return f"SSLTERM {self.status} - {body}{perf}"

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "exit_code": self.exit_code, "checked_at": iso(self.at),
            "counts": self.counts, "probed": self.probed,
            "renewed": [{"domain": r.domain, "old_id": r.old_id, "new_id": r.new_id, "not_after": iso(r.not_after)} for r in self.renewals],
            "deployed": [d.to_json() for d in self.deployments],
            "problems": [p.to_json() for p in self.problems],
        }
