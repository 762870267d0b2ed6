"""A mistyped --db fails loudly; an empty store is UNKNOWN; what sslterm creates is private whatever the umask."""

from __future__ import annotations

import json
import os
import stat

import pytest

from sslterm.cli import main
from sslterm.store.vault import key_file_for
from tests.factories import NOW, make_cert


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("verb", [["check"], ["list"], ["show", "1"], ["history", "x.example"], ["endpoint", "list"], ["deploy", "list"]])
def test_commands_that_read_refuse_a_missing_database_and_create_nothing(capsys, tmp_path, verb):
    db = tmp_path / "typo.db"
    code, out, err = run(capsys, "--db", str(db), *verb)
    assert code == 1 and out == ""
    assert err.strip() == f"sslterm: error: no database at {db}: run 'sslterm init' to create one, or check --db / $SSLTERM_DB"
    assert os.listdir(tmp_path) == []


def test_a_missing_parent_directory_is_not_created(capsys, tmp_path):
    code, _, err = run(capsys, "--db", str(tmp_path / "nonexistent" / "dir" / "x.db"), "list")
    assert code == 1 and "no database at" in err and not (tmp_path / "nonexistent").exists()


def test_check_on_an_empty_store_is_unknown_not_ok(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    db = tmp_path / "empty.db"
    assert run(capsys, "--db", str(db), "init")[0] == 0
    code, out, _ = run(capsys, "--db", str(db), "check")
    assert code == 3 and out.startswith("SSLTERM UNKNOWN - the store holds no certificate and no endpoint")
    assert json.loads(run(capsys, "--db", str(db), "check", "--format", "json")[1])["status"] == "UNKNOWN"
    (tmp_path / "c.pem").write_bytes(make_cert("fine.example").pem)
    assert run(capsys, "--db", str(db), "import", str(tmp_path / "c.pem"))[0] == 0
    assert run(capsys, "--db", str(db), "check")[0] == 0


def test_init_creates_once_and_can_wrap_the_key_with_a_passphrase(capsys, tmp_path, monkeypatch):
    db = tmp_path / "p.db"
    monkeypatch.setenv("SSLTERM_PASSPHRASE", "correct horse battery")
    code, out, _ = run(capsys, "--db", str(db), "init", "--passphrase")
    assert code == 0 and "passphrase" in out
    assert json.loads(key_file_for(db).read_text())["kind"] == "scrypt"
    code, _, err = run(capsys, "--db", str(db), "init")
    assert code == 1 and "already exists" in err


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_everything_sslterm_creates_is_private_whatever_the_umask(capsys, tmp_path, umask, monkeypatch):
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    leaf = make_cert("umask.example")
    (tmp_path / "in.pem").write_bytes(leaf.pem + leaf.key_pem)
    db = tmp_path / "a" / "b" / "c" / "s.db"
    out_dir = tmp_path / "x" / "y" / "out"
    old = os.umask(umask)
    try:
        assert run(capsys, "--db", str(db), "import", str(tmp_path / "in.pem"))[0] == 0
        assert run(capsys, "--db", str(db), "export", "umask.example", "--out", str(out_dir), "--with-key")[0] == 0
    finally:
        os.umask(old)

    def mode(path) -> int:  # type: ignore[no-untyped-def]
        return stat.S_IMODE(path.stat().st_mode)

    for directory in (tmp_path / "a", tmp_path / "a" / "b", db.parent, tmp_path / "x", tmp_path / "x" / "y", out_dir):
        assert mode(directory) == 0o700, directory
    for private in (db, key_file_for(db), out_dir / "umask.example.key"):
        assert mode(private) == 0o600, private
    assert mode(out_dir / "umask.example.crt") == 0o644


def test_db_is_accepted_after_the_verb_as_well(tmp_path, capsys):
    from sslterm.cli import main

    db = tmp_path / "after.db"
    assert main(["init", "--db", str(db)]) == 0 and db.exists()
    assert main(["list", f"--db={db}", "--format", "json"]) == 0
    assert capsys.readouterr().out.strip().endswith("[]")
