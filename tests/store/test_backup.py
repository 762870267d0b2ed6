"""Backup while the store is written and shown, restore, passphrase changes: every key still decrypts."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from sslterm.cli import main
from sslterm.core.clock import FixedClock
from sslterm.store import ListQuery, Store
from sslterm.store.vault import key_file_for
from sslterm.tui.app import make_app
from tests.factories import NOW, make_cert

ROOT = Path(__file__).resolve().parents[2]


def fill(store: Store, count: int) -> None:
    for index in range(count):
        issued = make_cert(f"b{index}.example", serial=index + 1)
        store.add_certificate(issued.cert, [], issued.key, type="existing", owner="ops", now=NOW)


async def test_a_backup_taken_while_a_writer_and_the_tui_run_restores_every_certificate_and_key(tmp_path, capsys):
    db = tmp_path / "live" / "s.db"
    store = Store.open(db, user="t")
    fill(store, 5)
    cert_id = store.list(ListQuery(), NOW)[0].id
    writer = subprocess.Popen([sys.executable, str(ROOT / "tests" / "store" / "writer.py"), str(db), str(cert_id), "w", "200"],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL)
    app = make_app(store, FixedClock(NOW))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        with contextlib.redirect_stdout(io.StringIO()) as printed:  # the running app holds sys.stdout
            assert main(["--db", str(db), "backup", str(tmp_path / "copy" / "b.db"), "--verify"]) == 0
        out = printed.getvalue()
        await pilot.pause()
    assert writer.wait(120) == 0
    assert "verified: integrity ok" in out and "keys decrypt" in out
    backup = tmp_path / "copy" / "b.db"
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600 and stat.S_IMODE(key_file_for(backup).stat().st_mode) == 0o600
    copy = sqlite3.connect(backup)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    taken = copy.execute("SELECT COUNT(*) FROM certificate").fetchone()[0]
    copy.close()
    assert taken >= 5
    restored = tmp_path / "restored" / "s.db"
    assert main(["--db", str(restored), "restore", str(backup)]) == 0
    again = Store.open(restored, user="t", create=False)
    assert len(again.list(ListQuery(), NOW)) == taken and again.decrypt_every_key() == 5
    assert again.verify_history().broken_id is None
    again.close()
    store.close()


def test_restore_refuses_to_overwrite_a_newer_store(tmp_path, capsys):
    db = tmp_path / "s.db"
    store = Store.open(db, user="t")
    fill(store, 1)
    store.close()
    assert main(["--db", str(db), "backup", str(tmp_path / "old.db")]) == 0
    store = Store.open(db, user="t")
    issued = make_cert("later.example", serial=99)
    store.add_certificate(issued.cert, [], None, type="existing", owner="ops", now=NOW.replace(year=NOW.year + 1))
    store.close()
    capsys.readouterr()
    assert main(["--db", str(db), "restore", str(tmp_path / "old.db")]) == 1
    assert "newer than the backup" in capsys.readouterr().err
    assert main(["--db", str(db), "restore", str(tmp_path / "old.db"), "--force"]) == 0
    assert [r.domain for r in Store.open(db, user="t", create=False).list(ListQuery(), NOW)] == ["b0.example"]
    assert main(["--db", str(db), "backup", str(tmp_path / "old.db")]) == 1  # never over an existing file without --force


def test_passphrase_set_change_remove_rewrap_the_same_data_key(tmp_path, capsys, monkeypatch):
    db = tmp_path / "s.db"
    store = Store.open(db, user="t")
    fill(store, 2)
    store.close()
    monkeypatch.setenv("SSLTERM_NEW_PASSPHRASE", "first passphrase")
    assert main(["--db", str(db), "passphrase", "set"]) == 0
    assert json.loads(key_file_for(db).read_text())["kind"] == "scrypt"
    assert main(["--db", str(db), "passphrase", "set"]) == 1  # already has one
    monkeypatch.setenv("SSLTERM_PASSPHRASE", "wrong passphrase")
    monkeypatch.setenv("SSLTERM_NEW_PASSPHRASE", "second passphrase")
    assert main(["--db", str(db), "passphrase", "change"]) == 1
    assert "wrong SSLTERM_PASSPHRASE" in capsys.readouterr().err
    monkeypatch.setenv("SSLTERM_PASSPHRASE", "first passphrase")
    assert main(["--db", str(db), "passphrase", "change"]) == 0
    assert Store.open(db, user="t", passphrase="second passphrase", create=False).decrypt_every_key() == 2
    monkeypatch.setenv("SSLTERM_PASSPHRASE", "second passphrase")
    assert main(["--db", str(db), "passphrase", "remove"]) == 0
    assert json.loads(key_file_for(db).read_text())["kind"] == "raw"
    assert Store.open(db, user="t", create=False).decrypt_every_key() == 2
    monkeypatch.setenv("SSLTERM_NEW_PASSPHRASE", "short")
    assert main(["--db", str(db), "passphrase", "set"]) == 1 and "shorter than 8" in capsys.readouterr().err


def test_a_backup_can_carry_its_own_passphrase(tmp_path, capsys, monkeypatch):
    db = tmp_path / "s.db"
    store = Store.open(db, user="t")
    fill(store, 1)
    store.close()
    monkeypatch.setenv("SSLTERM_NEW_PASSPHRASE", "backup passphrase")
    assert main(["--db", str(db), "backup", str(tmp_path / "b.db"), "--passphrase", "--verify"]) == 0
    assert json.loads(key_file_for(tmp_path / "b.db").read_text())["kind"] == "scrypt"
    assert json.loads(key_file_for(db).read_text())["kind"] == "raw"  # the store's own key file is untouched
    assert Store.open(tmp_path / "b.db", user="t", passphrase="backup passphrase", create=False).decrypt_every_key() == 1


def test_delete_purge_leaves_no_trace_of_the_key_in_the_store_wal_or_later_exports(tmp_path, capsys):
    db = tmp_path / "s.db"
    store = Store.open(db, user="t")
    old, new = make_cert("p.example", serial=1), make_cert("p.example", serial=2, not_before=NOW)
    store.add_certificate(old.cert, [], old.key, type="existing", owner="ops", now=NOW, supersede=True)
    current = store.add_certificate(new.cert, [], new.key, type="existing", owner="ops", now=NOW, supersede=True).record
    blobs = [bytes(row[0]) for row in store.db.execute_sql("SELECT key_blob FROM certificate")]
    store.close()
    assert len(blobs) == 2
    assert main(["--db", str(db), "backup", str(tmp_path / "before.db")]) == 0
    assert main(["--db", str(db), "delete", "p.example", "--purge", "--yes"]) == 0
    assert "destroyed 2 private key(s)" in capsys.readouterr().out
    for path in (db, db.with_name("s.db-wal")):
        data = path.read_bytes() if path.exists() else b""
        assert not any(blob in data or blob[12:40] in data for blob in blobs), path
    assert any(blob in (tmp_path / "before.db").read_bytes() for blob in blobs)  # the earlier backup is the user's own copy
    assert main(["--db", str(db), "export", str(current.id), "--out", str(tmp_path / "x"), "--with-key"]) == 1
    assert "no private key stored" in capsys.readouterr().err
    events = [e["event"] for e in json.loads((main(["--db", str(db), "history", "p.example", "--format", "json"]), capsys.readouterr().out)[1])["events"]]
    assert events.count("key_purged") == 2 and "deleted" in events
