"""Detail, history, change and download, driven through the keyboard."""

from __future__ import annotations

import stat
import sys

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from textual.widgets import Checkbox, Input

from sslterm.checker.run import CheckOptions, check_pass
from sslterm.core.clock import FixedClock
from sslterm.core.status import Bucket
from sslterm.tui.app import GIL_SWITCH_INTERVAL, make_app
from sslterm.tui.screens.change import ChangeScreen
from sslterm.tui.screens.detail import DetailScreen
from sslterm.tui.screens.dialogs import DownloadDialog
from sslterm.tui.screens.history import HistoryScreen
from tests.factories import NOW, make_cert
from tests.tui.conftest import SIZE, add, screen_text, settle


async def open_detail(pilot, downs: int = 0):
    for _ in range(downs):
        await pilot.press("down")
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DetailScreen)


async def submit_download(pilot, directory=None, with_key: bool = True) -> None:  # type: ignore[no-untyped-def]
    """In the open download dialog: set the directory (None keeps the one offered), tick the key, press Enter."""
    dialog = pilot.app.screen
    assert isinstance(dialog, DownloadDialog)
    if directory is not None:
        dialog.query_one("#directory", Input).value = str(directory)
    dialog.query_one("#with-key", Checkbox).value = with_key
    dialog.query_one("#directory", Input).focus()
    await pilot.press("enter")
    await settle(pilot)


async def test_detail_pem_is_viewable_and_copyable_and_the_key_is_never_shown(app, inventory, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot, 1)
        screen = app.screen
        assert not screen.pem_view.display
        await pilot.press("p")
        await pilot.pause()
        assert screen.pem_view.display
        pem = store.material(inventory["three.example"].id).certificate.public_bytes(serialization.Encoding.PEM).decode()
        assert pem.strip() in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert app.clipboard == screen.data.pem and "BEGIN CERTIFICATE" in app.clipboard
        assert "PRIVATE KEY" not in screen_text(app) and "PRIVATE KEY" not in app.clipboard


async def test_the_view_lists_versions_and_downloads_each_next_to_the_other(app, store, tmp_path):
    old = add(store, "v.example", -5, serial=1)
    new_issued = make_cert("v.example", serial=2)
    store.renew(old.id, new_issued.cert, [], new_issued.key, NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("h")
        await settle(pilot)
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.versions_table
        assert [str(c.label) for c in table.ordered_columns] == ["Ver", "ID", "Create At", "Expired Date", "Status", "Type", "Serial"]
        assert [[str(cell) for cell in table.get_row_at(i)][:2] for i in range(table.row_count)] == [["v2", "2"], ["v1", "1"]]
        assert "Expired (archived)" in str(table.get_row_at(1)[4])
        kinds = [(e.kind, e.certificate.id) for e in app.screen.events]
        assert kinds[:2] == [("renewed", 2), ("renewed", 1)]
        for downs in (0, 1):  # the current version, then the old, archived one, both with their keys
            await pilot.press(*["down"] * downs, "x")
            await settle(pilot)
            if downs == 1:  # the dialog offers the last folder again
                assert app.screen.query_one("#directory", Input).value == str(tmp_path / "dl")
            await submit_download(pilot, tmp_path / "dl" if downs == 0 else None)
            await pilot.press("y")
            await settle(pilot)
            app.screen.versions_table.focus()
            app.screen.versions_table.move_cursor(row=0)
    written = sorted(p.name for p in (tmp_path / "dl").iterdir())
    assert written == ["v.example.v1.crt", "v.example.v1.fullchain.crt", "v.example.v1.key",
                       "v.example.v2.crt", "v.example.v2.fullchain.crt", "v.example.v2.key"]  # self-signed: no chain file
    for version, issued_serial in (("v1", 1), ("v2", 2)):
        cert = x509.load_pem_x509_certificate((tmp_path / "dl" / f"v.example.{version}.crt").read_bytes())
        key_path = tmp_path / "dl" / f"v.example.{version}.key"
        key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        assert cert.serial_number == issued_serial and stat.S_IMODE(key_path.stat().st_mode) == 0o600
        assert key.public_key().public_numbers() == cert.public_key().public_numbers()


async def test_download_with_key_needs_an_explicit_confirmation(app, inventory, tmp_path):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await submit_download(pilot, tmp_path / "out")
        assert "PRIVATE KEY" in screen_text(app)  # the confirmation names what is at stake
        await pilot.press("n")
        await settle(pilot)
        assert not (tmp_path / "out").exists()
        await pilot.press("x")
        await settle(pilot)
        await submit_download(pilot, tmp_path / "out")
        await pilot.press("y")
        await settle(pilot)
    key_file = tmp_path / "out" / "expired.example.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key_file.read_bytes()


async def test_change_adds_validates_and_removes_web_domains(app, inventory, store):
    record = inventory["twenty.example"]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        await settle(pilot)
        assert isinstance(app.screen, ChangeScreen)
        await pilot.press("a", *"bad name", "enter")
        await settle(pilot)
        assert "contains a space" in str(app.screen.error.render())
        assert store.get(record.id).web_domains == ("twenty.example",)
        app.screen.new_domain.value = ""
        await pilot.press(*"www.twenty.example", "enter")
        await settle(pilot)
        assert store.get(record.id).web_domains == ("twenty.example", "www.twenty.example")
        app.screen.webs.focus()
        await pilot.press("delete")
        await settle(pilot)
        assert store.get(record.id).web_domains == ("www.twenty.example",)


async def test_change_replace_supersedes_the_replaced_certificate(app, inventory, store):
    wildcard = add(store, "twenty.example", 300, sans=["twenty.example", "*.twenty.example"], serial=50)
    old = inventory["twenty.example"]
    store.attach_web_domain(old.id, "www.twenty.example", NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.counts.counts[Bucket.DAYS_30] == 2
        await pilot.press("down", "down", "c")
        await settle(pilot)
        assert [c.id for c in app.screen.data.candidates] == [wildcard.id]
        app.screen.candidates.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert "is superseded: it is archived" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.cert_id == wildcard.id  # the screen follows the successor
        await pilot.press("escape")
        await settle(pilot)
        assert old.id not in [r.id for r in app.screen.table.page] and app.screen.counts.counts[Bucket.DAYS_30] == 1
    assert store.get(old.id).archived and store.get(old.id).web_domains == ()
    assert store.get(wildcard.id).web_domains == ("twenty.example", "www.twenty.example")
    events = [(e.kind, e.certificate.id) for e in store.history("twenty.example") if e.kind == "replaced"]
    assert sorted(events) == sorted([("replaced", old.id), ("replaced", wildcard.id)])
    report = await check_pass(store, NOW, CheckOptions(renew=False, probe=False))
    assert all(p.certificate_id != old.id for p in report.problems)


async def test_errors_become_notifications_not_crashes(app, inventory, store, tmp_path):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "expired.example.crt").write_text("already here")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        app.screen.query_one("#directory", Input).value = str(tmp_path / "taken")
        await pilot.press("enter")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("already exists" in m for m in messages)
        assert app.is_running
    assert (tmp_path / "taken" / "expired.example.crt").read_text() == "already here"


async def test_change_screen_sets_the_endpoints_the_checker_probes(app, inventory, store):
    from sslterm.store.checks import CheckStore

    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        await settle(pilot)
        await pilot.press("e", *"127.0.0.1:8443 twenty.example", "enter")
        await settle(pilot)
        endpoints = CheckStore(store).endpoints()
        assert [(e.domain, e.host, e.port, e.sni) for e in endpoints] == [("twenty.example", "127.0.0.1", 8443, "twenty.example")]
        assert app.screen.endpoints.row_count == 1
        await pilot.press(*"host:notaport", "enter")
        await settle(pilot)
        assert "not a number" in str(app.screen.endpoint_error.render())
        app.screen.endpoints.focus()
        await pilot.press("delete")
        await settle(pilot)
        assert CheckStore(store).endpoints() == []


async def test_change_footer_says_what_del_removes_in_the_focused_table(app, inventory, store):
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        await settle(pilot)
        screen = app.screen
        shown = {}
        for table in ("#web-domains", "#endpoints", "#targets"):
            screen.query_one(table).focus()
            await settle(pilot)
            delete = screen.active_bindings.get("delete")
            shown[table] = delete.binding.description if delete is not None else None
        assert shown == {"#web-domains": "Remove web-domain", "#endpoints": "Remove endpoint", "#targets": "Remove target"}
        screen.query_one("#new-domain").focus()  # typing: Del edits the text, the footer offers no removal
        await settle(pilot)
        assert screen.active_bindings["delete"].node is screen.query_one("#new-domain")  # the Input's own Del


async def test_change_imports_endpoints_from_a_typed_file_path_and_says_how_each_line_went(app, inventory, store, tmp_path):
    from sslterm.store.checks import CheckStore

    source = tmp_path / "endpoints.txt"
    source.write_text("twenty.example smtp://127.0.0.1:2525\ntwenty.example 127.0.0.1:8443 --sni twenty.example\nnot a line at all\n")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause(0.1)  # not settle(): the picker's DirectoryTree keeps a loader worker running
        typed = app.screen.query_one("#typed-path", Input)
        assert typed.has_focus  # the path is typed first; Tab goes to the tree
        typed.value = str(tmp_path / "missing")
        await pilot.press(*".txt", "enter")
        await pilot.pause(0.1)
        assert "missing.txt: no such file or directory." in screen_text(app)
        typed.value = str(source)
        await pilot.press("enter")
        await settle(pilot)
        endpoints = CheckStore(store).endpoints()
        assert sorted((e.host, e.port, e.protocol, e.sni) for e in endpoints) == [
            ("127.0.0.1", 2525, "smtp", None), ("127.0.0.1", 8443, "tls", "twenty.example")]
        assert app.screen.endpoints.row_count == 2
        assert sorted(str(app.screen.endpoints.get_row_at(i)[1]) for i in range(2)) == ["127.0.0.1:8443", "smtp://127.0.0.1:2525"]
        (toast,) = [n for n in app._notifications]
        assert toast.message.splitlines()[0] == "2 added, 0 updated, 0 unchanged, 1 error"
        assert toast.message.splitlines()[1].startswith("line 3: ")


async def test_change_adds_a_deploy_target_deploys_now_and_after_replace(app, inventory, store, tmp_path):
    from sslterm.store.deploy_targets import DeployStore

    wildcard = add(store, "twenty.example", 300, sans=["twenty.example", "*.twenty.example"], serial=50)
    old = inventory["twenty.example"]
    out = tmp_path / "srv"
    out.mkdir()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        await settle(pilot)
        await pilot.press("t", *"fullchain=relative.pem", "enter")
        await settle(pilot)
        assert "is not absolute" in str(app.screen.target_error.render())
        app.screen.new_target.value = ""
        await pilot.press(*f"fullchain={out}/site.pem key={out}/site.key", "enter")
        await settle(pilot)
        (target,) = DeployStore(store).targets(old.lineage_id)
        assert app.screen.targets.row_count == 1 and not (out / "site.pem").exists()  # added: nothing written yet
        await pilot.press("D")
        await settle(pilot)
        assert x509.load_pem_x509_certificate((out / "site.pem").read_bytes()).serial_number == 3
        assert stat.S_IMODE((out / "site.key").stat().st_mode) == 0o600
        app.screen.candidates.focus()
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app.screen.data.targets[0].last_certificate_id == wildcard.id
    assert x509.load_pem_x509_certificate((out / "site.pem").read_bytes()).serial_number == 50  # Replace deployed the successor
    assert DeployStore(store).get(target.id).last_result == "deployed"


async def test_a_deploy_target_is_edited_in_place(app, inventory, store, tmp_path):
    from sslterm.store.deploy_targets import DeployStore

    record = inventory["twenty.example"]
    target = DeployStore(store).add(record.id, {"fullchain": str(tmp_path / "a.pem")}, NOW, reload=("nginx", "-s", "reload"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "c")
        await settle(pilot)
        app.screen.targets.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.new_target.value == f"fullchain={tmp_path / 'a.pem'} reload='nginx -s reload'"
        app.screen.new_target.value = f"fullchain={tmp_path / 'b.pem'} reload='systemctl reload nginx' timeout=5"
        await pilot.press("enter")
        await settle(pilot)
    (changed,) = DeployStore(store).targets(record.lineage_id)
    assert changed.id == target.id and changed.parts == {"fullchain": str(tmp_path / "b.pem")}
    assert changed.reload == ("systemctl", "reload", "nginx") and changed.timeout == 5 and changed.last_result is None


async def test_purge_from_the_list_says_what_it_destroys_and_does(app, inventory, store):
    record = inventory["expired.example"]
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await settle(pilot)
        assert "DESTROY its private key" in screen_text(app) and "cannot be exported" in " ".join(screen_text(app).split())
        await pilot.press("y")
        await settle(pilot)
    assert store.get(record.id).archived and not store.get(record.id).has_key


async def test_a_certificate_with_ten_thousand_names_shows_the_first_and_a_count(app, store):
    big = make_cert("many.example", sans=[x509.DNSName(f"h{i}.many.example") for i in range(10000)])
    store.add_certificate(big.cert, [], None, type="existing", owner="o", now=NOW)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await open_detail(pilot)
        text = screen_text(app)
        assert "9,950 more names (10,000 in all): n shows them all" in text and "h49.many.example" in text
        assert "h50.many.example" not in text and "BEGIN CERTIFICATE" not in text  # the PEM waits for p
        await pilot.press("n")
        await settle(pilot)
        assert "h9999.many.example" in screen_text(app)


def test_the_app_lets_its_ui_thread_take_the_gil_back_from_a_job_within_2_ms(store):
    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)  # Python's default
        make_app(store, FixedClock(NOW))
        assert sys.getswitchinterval() == pytest.approx(GIL_SWITCH_INTERVAL) == pytest.approx(0.002)
    finally:
        sys.setswitchinterval(before)
