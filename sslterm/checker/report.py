"""The result of a pass: counts, problems and renewals, as text (Nagios style) or JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sslterm.core.records import iso

OK, WARNING, CRITICAL, UNKNOWN = "OK", "WARNING", "CRITICAL", "UNKNOWN"
EXIT_CODES = {OK: 0, WARNING: 1, CRITICAL: 2, UNKNOWN: 3}
# Problem kinds are a contract for scripts: add new ones, never rename.
KINDS = ("expired", "critical", "warning", "drift", "probe-failed", "renewal-failed", "untrusted", "outdated",
         "deploy-failed", "deploy-unverified")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing an operator must hear about (slotted: a pass over a big fleet makes ~100k)."""

    kind: str
    severity: str
    domain: str
    message: str
    certificate_id: int | None = None
    endpoint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "severity": self.severity, "domain": self.domain, "endpoint": self.endpoint,
                "certificate_id": self.certificate_id, "message": self.message}


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


@dataclass
class CheckReport:
    """Everything one pass found and did."""

    at: datetime
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    renewals: list[Renewal] = field(default_factory=list)
    deployments: list[Deployment] = field(default_factory=list)
    probed: int = 0

    @property
    def empty(self) -> bool:
        """Nothing to watch: an empty store (a wrong --db?) must not look like all is well."""
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
        return {kind: sum(1 for p in self.problems if p.kind == kind) for kind in KINDS}

    def summary(self) -> str:
        """One line: status, what is wrong, and perfdata after ``|`` for Nagios/Icinga."""
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

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status, "exit_code": self.exit_code, "checked_at": iso(self.at),
            "counts": self.counts, "probed": self.probed,
            "renewed": [{"domain": r.domain, "old_id": r.old_id, "new_id": r.new_id, "not_after": iso(r.not_after)} for r in self.renewals],
            "deployed": [d.to_json() for d in self.deployments],
            "problems": [p.to_json() for p in self.problems],
        }
