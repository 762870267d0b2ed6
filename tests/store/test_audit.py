"""The history is a hash chain recorded with the real OS user; an edit made with sqlite3 is found."""

from __future__ import annotations

import os
import pwd
import sqlite3

from sslterm.cli import main
from tests.engines import both_engines  # noqa: F401 - runs on SQLite and PostgreSQL
from tests.factories import NOW, make_cert


def test_a_forged_or_removed_event_is_found_by_history_verify(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    monkeypatch.setenv("USER", "somebody-else")  # $USER is not who did it
    db = tmp_path / "s.db"
    tree = tmp_path / "in"
    tree.mkdir()
    for index in range(30):  # enough for the bulk path and the per-certificate one
        (tree / f"c{index}.pem").write_bytes(make_cert(f"h{index}.example", serial=index + 1).pem)
    assert main(["--db", str(db), "import", str(tree)]) == 0
    assert main(["--db", str(db), "delete", "h3.example", "--yes"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "history", "--verify"]) == 0
    assert capsys.readouterr().out.startswith("history intact: ")
    raw = sqlite3.connect(db)
    users = {row[0] for row in raw.execute('SELECT DISTINCT "user" FROM event')}
    assert users == {pwd.getpwuid(os.getuid()).pw_name}
    raw.execute("UPDATE event SET detail = 'nothing happened' WHERE kind = 'deleted'")
    raw.commit()
    forged = raw.execute("SELECT id FROM event WHERE kind = 'deleted'").fetchone()[0]
    assert main(["--db", str(db), "history", "--verify"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"history broken at event {forged} (") and "deleted, certificate " in err and "edited" in err
    raw.execute("DELETE FROM event WHERE id = 5")
    raw.commit()
    assert main(["--db", str(db), "history", "--verify"]) == 1
    assert "history broken at event 6 (" in capsys.readouterr().err  # the one after the removed event


def test_a_store_of_an_earlier_schema_has_its_events_chained(tmp_path):
    from sslterm.store import Store
    from tests.store.old_schema import old_database

    scratch = Store.open(tmp_path / "scratch" / "s.db", user="u")
    scratch.add_certificate(make_cert("old.example").cert, [], None, type="existing", owner="x", now=NOW)
    scratch.close()
    old_database(tmp_path / "scratch" / "s.db", tmp_path / "old.db", version=7)
    store = Store.open(tmp_path / "old.db", user="u")
    check = store.verify_history()
    assert check.broken_id is None and check.checked >= 2
    store.close()
