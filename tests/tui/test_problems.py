"""The Problems screen at 80x24: every open finding most severe first, Enter opens it, a acknowledges it."""

from __future__ import annotations

from sslterm.checker.run import CheckOptions, check_pass
from sslterm.store.alerting import AlertStore
from sslterm.tui.screens.detail import DetailScreen
from sslterm.tui.screens.problems import AcknowledgeDialog, ProblemsScreen
from tests.factories import NOW
from tests.tui.conftest import SIZE, screen_text, settle


async def passed(store):
    await check_pass(store, NOW, CheckOptions(renew=False, probe=False, deploy=False))


def rows(screen):
    return [[cell.plain for cell in screen.table.get_row_at(i)] for i in range(screen.table.row_count)]


async def test_problems_are_listed_most_severe_first_and_open_their_certificate(app, inventory, store):
    await passed(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "2 problems (p)" in screen_text(app)  # twenty.example's 50-day life warns at 16.7 days left
        await pilot.press("p")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ProblemsScreen)
        assert [(r[0], r[1], r[2]) for r in rows(screen)] == [
            ("CRITICAL", "expired", "expired.example"), ("CRITICAL", "critical", "three.example")]
        assert "Problems: 2 open (2 critical, 0 warning)" in screen_text(app)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen) and app.screen.cert_id == inventory["three.example"].id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ProblemsScreen)


async def test_acknowledge_until_a_date_and_a_bad_date_is_said_in_words(app, inventory, store):
    await passed(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, AcknowledgeDialog)
        await pilot.press(*"next week", "enter")
        await pilot.pause()
        assert "'next week' is not a date" in screen_text(app) and isinstance(app.screen, AcknowledgeDialog)
        for _ in range(9):
            await pilot.press("backspace")
        await pilot.press(*"2026-07-01", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ProblemsScreen)
        assert rows(app.screen)[0][5] == "acknowledged"
        assert "Acknowledged by" in screen_text(app)
    [state] = [s for s in AlertStore(store).findings().values() if s.domain == "expired.example"]
    assert state.ack_until is not None and state.ack_until.date().isoformat() == "2026-07-01" and state.ack_by == store.user
    assert any(e.kind == "acknowledged" for e in store.history("expired.example"))


async def test_no_problems_says_so(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert "none open" in screen_text(app)
