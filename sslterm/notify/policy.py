"""Which findings to tell about this pass, as a pure function of what was open, what is found and ``now``."""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    """The open findings to keep, the keys that cleared, and what to tell."""

    open: list[FindingState]
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
    open_states: list[FindingState] = []
    notices: list[Notice] = []
    for key, problem in current.items():
        state, change = _advance(previous.get(key), problem, now, owners, resend)
        open_states.append(state)
        if change is not None:
            notices.append(Notice(change, state))
    cleared = [key for key, state in previous.items() if key not in current and evaluated(state)]
    notices += [Notice(RESOLVED, previous[key]) for key in cleared if previous[key].notified_level is not None]
    return Decision(open_states, cleared, notices)


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
    owner = owners.get(problem.certificate_id) if problem.certificate_id is not None else None
    fields = dict(kind=problem.kind, severity=problem.severity, level=problem.level, domain=problem.domain, message=problem.message,
                  endpoint=problem.endpoint, certificate_id=problem.certificate_id, owner=owner, code=problem.code,
                  not_after=problem.not_after, last_seen=now)
    if before is None:
        return FindingState(key=problem.key, first_seen=now, notified_level=problem.level, notified_at=now, **fields), NEW
    state = replace(before, **fields)
    told = before.notified_level or before.level
    if _rose(told, before.severity, problem):
        return replace(state, notified_level=problem.level, notified_at=now, ack_level=None, ack_until=None, ack_by=None), RISEN
    if problem.severity == CRITICAL and not state.acknowledged(now) and (before.notified_at is None or now - before.notified_at >= resend):
        return replace(state, notified_level=problem.level, notified_at=now), REMINDER
    return replace(state, notified_level=problem.level if level_rank(problem.level) < level_rank(told) else told), None


def _rose(told: str, severity_before: str, problem: Problem) -> bool:
    """Crossed a threshold (warning -> critical -> expired) or became CRITICAL."""
    return level_rank(problem.level) > level_rank(told) or (problem.severity == CRITICAL and severity_before != CRITICAL)
