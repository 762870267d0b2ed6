"""Which findings to tell about this pass, as a pure function of what was open, what is found and ``now``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from sslterm.core.findings import CRITICAL, FindingState, Problem, level_rank

NEW, RISEN, REMINDER, RESOLVED = "new", "risen", "reminder", "resolved"
DEFAULT_RESEND = timedelta(hours=24)


@dataclass(frozen=True)
class Notice:
    """One line of a notification: what changed about which finding."""

    change: str  # new, risen, reminder or resolved
    state: FindingState


@dataclass(frozen=True)
class Decision:
    """The open findings that changed (to write), the keys that cleared, and what to tell."""

    changed: list[FindingState]
    cleared: list[str]
    notices: list[Notice]


def decide(previous: dict[str, FindingState], problems: list[Problem], now: datetime, owners: dict[int, str],
           evaluated: Callable[[FindingState], bool], resend: timedelta = DEFAULT_RESEND) -> Decision:
    """Compare this pass's problems with the findings open before it.

    Args:
        previous: the open findings by key, as stored after the last pass.
        problems: what this pass found.
        now: the moment of the pass.
        owners: certificate id -> owner, for routing.
        evaluated: whether this pass looked at what an old finding is about (a pass
            without probes cannot clear an endpoint's finding).
        resend: how often an unresolved, unacknowledged CRITICAL finding is told again.
    """
    current = _one_per_key(problems)
    changed: list[FindingState] = []
    notices: list[Notice] = []
    for key, problem in current.items():
        before = previous.get(key)
        state, change = _advance(before, problem, now, owners, resend)
        if state != before:
            changed.append(state)  # a fleet's unchanged findings are not rewritten on every pass
        if change is not None:
            notices.append(Notice(change, state))
    cleared = [key for key, state in previous.items() if key not in current and evaluated(state)]
    notices += [Notice(RESOLVED, previous[key]) for key in cleared if previous[key].notified_level is not None]
    return Decision(changed, cleared, notices)


def _one_per_key(problems: list[Problem]) -> dict[str, Problem]:
    """One problem per finding; the most severe when a pass reports one twice."""
    current: dict[str, Problem] = {}
    for problem in problems:
        known = current.get(problem.key)
        if known is None or (problem.severity == CRITICAL, level_rank(problem.level)) > (known.severity == CRITICAL, level_rank(known.level)):
            current[problem.key] = problem
    return current


def _advance(before: FindingState | None, problem: Problem, now: datetime, owners: dict[int, str],
             resend: timedelta) -> tuple[FindingState, str | None]:
    """The finding after this pass, and what to tell about it (None: nothing)."""
    owner = owners.get(problem.certificate_id) if problem.certificate_id is not None else None
    if before is None:
        return _state(problem, owner, now, now, problem.level, now, None), NEW
    told = before.notified_level or before.level
    ack = (before.ack_until, before.ack_level, before.ack_by)
    if _rose(told, before.severity, problem):
        return _state(problem, owner, before.first_seen, now, problem.level, now, (None, None, None)), RISEN
    acknowledged = before.ack_level == problem.level and (before.ack_until is None or now < before.ack_until)
    if problem.severity == CRITICAL and not acknowledged and (before.notified_at is None or now - before.notified_at >= resend):
        return _state(problem, owner, before.first_seen, now, problem.level, now, ack), REMINDER
    level = problem.level if level_rank(problem.level) < level_rank(told) else told
    return _state(problem, owner, before.first_seen, before.last_seen, level, before.notified_at, ack), None


def _state(problem: Problem, owner: str | None, first_seen: datetime, last_seen: datetime, notified_level: str,
           notified_at: datetime | None, ack: tuple[datetime | None, str | None, str | None] | None) -> FindingState:
    until, level, by = ack or (None, None, None)
    return FindingState(problem.key, problem.kind, problem.severity, problem.level, problem.domain, problem.message, first_seen,
                        last_seen, problem.endpoint, problem.certificate_id, owner, problem.code, problem.not_after,
                        notified_level, notified_at, until, level, by)


def _rose(told: str, severity_before: str, problem: Problem) -> bool:
    """Crossed a threshold (warning -> critical -> expired) or became CRITICAL."""
    return level_rank(problem.level) > level_rank(told) or (problem.severity == CRITICAL and severity_before != CRITICAL)
