"""The list screen driven through the keyboard, asserting on the screen and the database."""

from __future__ import annotations

import threading

import pytest

from sslterm.core.status import Bucket
from sslterm.store import ListQuery
from sslterm.tui.screens.cert_list import CertificateListScreen
from sslterm.tui.screens.detail import DetailScreen
from sslterm.tui.screens.history import HistoryScreen
from sslterm.tui.widgets.cert_table import CertificateTable
from tests.engines import both_engines  # noqa: F401 - runs on SQLite and PostgreSQL
from tests.factories import NOW
from tests.tui.conftest import SIZE, add, screen_text, settle


def visible(app) -> list[str]:
    table = app.screen.query_one(CertificateTable)
    return [r.domain for r in table.page]


def cell(app, row: int, column: str):
    return app.screen.query_one(CertificateTable).cell(row, column)


async def test_most_urgent_first_with_counts_and_colours(app, inventory):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert visible(app) == ["expired.example", "three.example", "twenty.example", "ninety.example", "xn--bcher-kva.example"]
        bar = str(app.screen.query_one("FilterBar").render())
        for fragment in ("All 5", "Expired 1", "Valid 4", "7 days 1", "30 days 2"):
            assert fragment in bar
        assert cell(app, 0, "expire_day").plain == "N/A" and "red" in str(cell(app, 0, "expire_day").spans[0].style)
        assert cell(app, 0, "status").plain == "Expired"
        assert cell(app, 1, "expire_day").plain == "3d" and "red" in str(cell(app, 1, "expire_day").spans[0].style)
        assert cell(app, 2, "expire_day").plain == "20d" and "green" in str(cell(app, 2, "expire_day").spans[0].style)  # seed 004: 30 days green
        assert cell(app, 3, "expire_day").spans == [] and cell(app, 3, "status").plain == "Valid"
        assert cell(app, 4, "domain").plain == "bücher.example"


async def test_keys_1_to_5_switch_the_status_filter(app, inventory):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        expected = {"2": ["expired.example"], "4": ["three.example"], "5": ["three.example", "twenty.example"],
                    "3": ["three.example", "twenty.example", "ninety.example", "xn--bcher-kva.example"], "1": list(inventory)}
        for key, domains in expected.items():
            await pilot.press(key)
            await settle(pilot)
            assert visible(app) == domains, key


async def test_search_filters_as_you_type_combines_with_filter_and_escape_clears(app, inventory):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "W", "W", "W")
        await settle(pilot, 0.3)
        assert visible(app) == ["twenty.example"]  # matches a SAN, case-insensitively
        await pilot.press("escape")
        await settle(pilot, 0.3)
        assert len(visible(app)) == 5 and app.screen.query_one("#search").value == ""
        await pilot.press("slash", *"bücher")
        await settle(pilot, 0.3)
        assert visible(app) == ["xn--bcher-kva.example"]
        await pilot.press("enter", "2")
        await settle(pilot)
        assert visible(app) == []
        assert "no certificate matches" in str(app.screen.query_one("#status-line").render())


async def test_enter_opens_detail_and_escape_returns(app, inventory):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, DetailScreen)
        text = screen_text(app)
        assert app.screen.data.record.domain == "three.example"
        for fragment in ("Certificate information", "three.example", "Expire Day", "3 days", "SHA-256", "Issuer", "Findings", "Latest history", "imported"):
            assert fragment in text, fragment
        assert "PRIVATE KEY" not in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CertificateListScreen)


async def test_h_opens_the_domain_history(app, inventory):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        assert [e.kind for e in app.screen.events] == ["domain_attached", "imported"]


async def test_delete_asks_then_archives(app, inventory, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert "expired.example" in str(app.screen.query_one(".dialog-question").render())
        await pilot.press("n")
        await settle(pilot)
        assert not store.get(inventory["expired.example"].id).archived
        await pilot.press("d", "y")
        await settle(pilot)
        assert store.get(inventory["expired.example"].id).archived
        assert visible(app)[0] == "three.example"
        assert [e.kind for e in store.history("expired.example")][0] == "deleted"


async def test_r_refreshes_what_another_process_changed(app, inventory, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        add(store, "late.example", -1, serial=77)
        await pilot.press("r")
        await settle(pilot)
        assert "late.example" in visible(app)


async def test_sort_keys_and_header_click(app, inventory):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("s")  # by domain
        await settle(pilot)
        assert visible(app) == sorted(inventory)
        await pilot.press("S")
        await settle(pilot)
        assert visible(app) == sorted(inventory, reverse=True)


@pytest.fixture
def long_list(store):
    """An app over 120 certificates (several screenfuls), and their domains in list order."""
    from sslterm.core.clock import FixedClock
    from sslterm.tui.app import make_app

    for i in range(120):
        add(store, f"host{i:03d}.example", (i * 7) % 400 - 20, key=False, serial=i + 1)
    return make_app(store, FixedClock(NOW)), [r.domain for r in store.list(ListQuery(), NOW)]


async def test_paging_holds_only_a_screenful_and_matches_a_plain_query(long_list):
    app, everything = long_list
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CertificateTable)
        size = table.page_size
        assert table.row_count == size < 120
        assert visible(app) == everything[:size]
        await pilot.press("pagedown")
        await settle(pilot)
        assert table.selected.domain == everything[size]
        await pilot.press("end")
        await settle(pilot)
        assert table.selected.domain == everything[-1] and visible(app) == everything[-size:]
        await pilot.press("up")
        await settle(pilot)
        assert table.selected.domain == everything[-2]
        await pilot.press("home")
        await settle(pilot)
        assert table.selected.domain == everything[0] and table.row_count == size
        for _ in range(size + 2):
            await pilot.press("down")
        await settle(pilot)
        assert table.selected.domain == everything[size + 2]
        assert "row" in str(app.screen.query_one("#status-line").render())


async def test_paging_shows_rows_read_ahead_and_never_stale_ones(store, long_list, monkeypatch):
    app, everything = long_list
    reads: list[int] = []
    list_rows = store.list
    inside = threading.local()

    def reading(query, now, limit=None, offset=0, total=None):  # type: ignore[no-untyped-def]
        if not getattr(inside, "depth", 0):
            reads.append(offset)  # a window the screen asked for (not the store's own read from the end)
        inside.depth = getattr(inside, "depth", 0) + 1
        try:
            return list_rows(query, now, limit=limit, offset=offset, total=total)
        finally:
            inside.depth -= 1

    monkeypatch.setattr(store, "list", reading)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CertificateTable)
        size = table.page_size
        for _ in range(3):  # down: each window is the plain query's, whether fetched or read ahead
            await pilot.press("pagedown")
            await settle(pilot)
            assert visible(app) == everything[table.window_start : table.window_start + size]
        reads.clear()
        await pilot.press("pagedown")
        await settle(pilot)
        start = table.window_start
        assert visible(app) == everything[start : start + size]
        assert reads == [start + size]  # shown from the rows read ahead; only the next window was read
        await pilot.press("pageup")
        await settle(pilot)
        assert visible(app) == everything[table.window_start : table.window_start + size]

        # Rows read ahead are dropped on reload: a certificate deleted meanwhile never comes back.
        await pilot.press("pagedown")
        await settle(pilot)
        doomed = everything[table.window_start + size]  # the first row read ahead
        record = store.resolve(doomed)
        store.delete(record.id, NOW)
        await pilot.press("r")
        await settle(pilot)
        await pilot.press("pagedown")
        await settle(pilot)
        now_listed = [r.domain for r in list_rows(ListQuery(), NOW)]
        assert doomed not in visible(app)
        assert visible(app) == now_listed[table.window_start : table.window_start + size]


async def test_a_page_asked_for_while_it_is_being_read_ahead_waits_for_that_read(store, long_list, monkeypatch):
    app, everything = long_list
    reads: list[int] = []
    held = threading.Event()
    list_rows = store.list

    def reading(query, now, limit=None, offset=0, total=None):  # type: ignore[no-untyped-def]
        if threading.current_thread() is not threading.main_thread() and total is not None:
            reads.append(offset)
            held.wait(10)  # every read of the screen's waits until the test lets it go
        return list_rows(query, now, limit=limit, offset=offset, total=total)

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CertificateTable)
        size = table.page_size
        monkeypatch.setattr(store, "list", reading)
        await pilot.press("pagedown")  # fetched: the page, then the window after it is read ahead
        held.set()
        await settle(pilot)
        first = table.window_start
        held.clear()
        reads.clear()
        await pilot.press("pagedown")  # from the rows read ahead; the next read starts and is held
        await pilot.pause(0.1)
        assert table.window_start == first + size
        await pilot.press("pagedown")  # the held read will bring this window: no second query for it
        await pilot.pause(0.1)
        assert table.window_start == first + size and reads == [first + 2 * size]
        held.set()
        await settle(pilot)
        assert table.window_start == first + 2 * size
        assert visible(app) == everything[first + 2 * size : first + 3 * size]
        assert reads == [first + 2 * size, first + 3 * size]  # the held read, then the one after


async def test_empty_inventory_says_how_to_add_and_loads_demo_data(app, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        empty = app.screen.query_one("#empty")
        assert empty.display and "sslterm import" in str(empty.render())
        await pilot.press("D")
        await settle(pilot)
        assert store.count(ListQuery(), NOW) >= 50
        assert not empty.display and len(visible(app)) > 10


async def test_help_and_palette_reach_every_key(app, inventory):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Detail", "History", "Add", "Change", "Delete", "Download", "Refresh", "Help", "Quit", "Search"} <= titles
        await pilot.press("question_mark")
        await settle(pilot)
        help_text = screen_text(app)
        for word in ("History", "Delete", "Download", "Quit"):
            assert word in help_text
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0 or app.return_code is None


async def test_counts_follow_the_status_buckets_from_sql(app, inventory, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        counts = app.screen.counts.counts
        assert counts == store.counts(ListQuery(), NOW)
        assert counts[Bucket.DAYS_30] == 2


async def test_r_runs_the_checker_and_the_status_line_shows_its_result(store):
    from sslterm.core.clock import FixedClock
    from sslterm.core.generate import subject_request, validity
    from sslterm.store.creating import create_self_signed
    from sslterm.tui.app import make_app
    from tests.factories import DAY

    old = create_self_signed(store, subject_request("renew.example", key_type="ec256"), validity(NOW - 80 * DAY, days=90), owner="ops", now=NOW - 80 * DAY)
    app = make_app(store, FixedClock(NOW), check_interval=3600)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot, 0.2)
        status = str(app.screen.query_one("#status-line").render())
        assert "checked 12:00 UTC: OK (1 renewed)" in status
        assert store.get(old.id).archived
        assert visible(app) == ["renew.example"] and app.screen.query_one(CertificateTable).selected.id != old.id
        assert any("Renewed 1 certificate" in n.message for n in app._notifications)


async def test_a_checker_problem_is_announced_once_not_at_every_pass(store):
    from cryptography.hazmat.primitives.asymmetric import ed448

    from sslterm.core.clock import FixedClock
    from sslterm.tui.app import make_app
    from tests.factories import DAY, make_cert

    key = ed448.Ed448PrivateKey.generate()  # sslterm does not generate Ed448: every renewal fails
    odd = make_cert("odd.example", key=key, not_before=NOW - 80 * DAY, not_after=NOW + 3 * DAY)
    store.add_certificate(odd.cert, [], key, type="self-signed", owner="ops", now=NOW)
    app = make_app(store, FixedClock(NOW), check_interval=3600)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        for _ in range(2):
            await pilot.press("r")
            await settle(pilot, 0.2)
        announced = [n.message for n in app._notifications if "new problem" in n.message]
        assert announced == ["1 new problem(s): renewal-failed"]
        status = str(app.screen.query_one("#status-line").render())
        assert "2 problems (p)" in status and "checked 12:00 UTC: CRITICAL" in status  # still shown after each pass
        assert "(p)" in status and "…" not in status  # the pass's details give way whole, never cut


async def test_the_list_fits_80_columns_keeps_the_domain_when_scrolled_and_cuts_long_names_in_the_middle(app, store):
    add(store, "legacy-portal.internal.example.com", 20)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(CertificateTable)
        assert table.shown_columns == ["domain", "expire_day", "status", "expired_date", "type"]
        line = table.render_line(1).text
        assert "legacy-port…example.com" in line
        header = table.render_line(0).text
        assert "Expired Date" in header and "Type" in header  # whole titles, never cut
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert table.shown_columns[0] == "domain" and "owner" in table.shown_columns and "expire_day" not in table.shown_columns
        scrolled = table.render_line(1).text
        assert scrolled.startswith(" legacy-port") and "…example.com" in scrolled  # the domain stays, cut in the middle
        await pilot.press("w")
        await pilot.pause()
        assert "legacy-portal.internal.example.com" in table.render_line(1).text


async def test_a_host_finds_the_wildcard_that_covers_it_and_qualifiers_filter(app, store):
    add(store, "*.wild.example.com", 40, owner="carol")
    add(store, "other.example.com", 40, owner="dave")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"shop.wild.example.com")
        await settle(pilot, 0.4)
        assert visible(app) == ["*.wild.example.com"]
        assert cell(app, 0, "domain").plain.endswith(" ⊇") and "⊇ covered by a wildcard" in screen_text(app)
        app.screen.query_one("#search").value = ""
        await pilot.press(*"owner:dave")
        await settle(pilot, 0.4)
        assert visible(app) == ["other.example.com"]
        app.screen.query_one("#search").value = ""
        await pilot.press(*"type:upload example")
        await settle(pilot, 0.4)
        assert sorted(visible(app)) == ["*.wild.example.com", "other.example.com"]


async def test_the_list_follows_what_another_process_writes_and_names_its_store(app, inventory, store, tmp_path, monkeypatch):
    """No key pressed: another process imports, and the list shows it (data_version on SQLite, LISTEN/NOTIFY on PostgreSQL)."""
    import os
    import subprocess
    import sys

    from sslterm.tui.screens import cert_list
    from tests.factories import make_cert

    monkeypatch.setattr(cert_list, "LIVE_POLL", 0.2)
    late = tmp_path / "late.pem"
    late.write_bytes(make_cert("late.example", serial=78).pem)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "late.example" not in visible(app)
        assert store.location.short in str(app.screen.query_one("#status-line").render())
        env = {**os.environ, "SSLTERM_NOW": NOW.isoformat()}
        done = subprocess.run([sys.executable, "-m", "sslterm", "--db", str(store.location), "import", str(late)], env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        for _ in range(50):
            await settle(pilot, 0.1)
            if "late.example" in visible(app):
                break
        assert "late.example" in visible(app)


async def test_a_write_that_changes_nothing_shown_repaints_nothing(app, inventory, store, monkeypatch):
    """A checker pass elsewhere writes every few seconds; the list reads again but, with the same rows, draws nothing."""
    import os
    import subprocess
    import sys

    from sslterm.tui.screens import cert_list

    monkeypatch.setattr(cert_list, "LIVE_POLL", 0.2)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen, table = app.screen, app.screen.query_one(CertificateTable)
        cells, status, loads = table.cells, screen.query_one("#status-line")._shown, screen._loads
        env = {**os.environ, "SSLTERM_NOW": NOW.isoformat()}
        done = subprocess.run([sys.executable, "-m", "sslterm", "--db", str(store.location), "endpoint", "add", "unlisted.example", "127.0.0.1:8443"],
                              env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        for _ in range(50):
            await settle(pilot, 0.1)
            if screen._loads > loads:
                break
        await settle(pilot, 0.2)
        assert screen._loads > loads  # it did read again
        assert table.cells is cells and screen.query_one("#status-line")._shown is status  # and repainted nothing
