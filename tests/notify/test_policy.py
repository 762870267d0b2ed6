"""The pure part: what to tell, and one message per channel (no database, no server)."""

from __future__ import annotations

from datetime import timedelta

from sslterm.core.findings import Problem
from sslterm.notify.message import MAX_LINES, Route, compose
from sslterm.notify.policy import NEW, RESOLVED, RISEN, decide
from tests.factories import DAY, NOW


def expiry(level, cert_id=1, domain="a.example"):
    severity = "WARNING" if level == "warning" else "CRITICAL"
    return Problem(level, severity, domain, f"{domain} {level}", cert_id, not_after=NOW + DAY)


def run(previous, problems, at=NOW, evaluated=True):
    return decide(previous, problems, at, {1: "alice"}, evaluated=lambda _: evaluated)


def test_appears_rises_and_clears():
    first = run({}, [expiry("warning")])
    assert [n.change for n in first.notices] == [NEW] and first.changed[0].owner == "alice"
    state = {s.key: s for s in first.changed}
    again = run(state, [expiry("warning")], NOW + timedelta(hours=1))
    assert again.notices == [] and again.changed == []  # nothing changed: nothing written
    risen = run(state, [expiry("critical")], NOW + DAY)
    assert [n.change for n in risen.notices] == [RISEN]
    gone = run({s.key: s for s in risen.changed}, [], NOW + 2 * DAY)
    assert [n.change for n in gone.notices] == [RESOLVED] and gone.cleared == ["expiry|certificate:1"]


def test_what_a_pass_did_not_look_at_is_not_cleared():
    state = {s.key: s for s in run({}, [expiry("warning")]).changed}
    assert run(state, [], evaluated=False).cleared == []


def test_routes_by_owner_and_severity():
    notices = run({}, [expiry("warning"), expiry("critical", 2, "b.example")]).notices
    assert [n.state.domain for n in notices if Route("alice").hears(n)] == ["a.example"]
    assert [n.state.domain for n in notices if Route(None, "CRITICAL").hears(n)] == ["b.example"]


def test_a_huge_first_pass_is_capped_with_a_count():
    notices = run({}, [expiry("warning", i, f"h{i}.example") for i in range(MAX_LINES + 50)]).notices
    title, body = compose(notices)
    assert title == f"sslterm: {MAX_LINES + 50} warning"
    lines = body.splitlines()
    assert len(lines) == MAX_LINES + 1 and lines[-1] == "… and 50 more: see 'sslterm problems'"
