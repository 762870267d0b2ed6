"""Bad input for a PostgreSQL store: one clear line each, and nothing written."""

from __future__ import annotations

import pytest

from sslterm.cli import main
from sslterm.store import Store
from tests.deploy.nginx import free_port
from tests.engines import PASSWORD_ROLE, ROLE_PASSWORD, pg_location
from tests.factories import NOW, make_cert


def one_line(capsys) -> str:  # type: ignore[no-untyped-def]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("sslterm: error: ") and "Traceback" not in err, err
    return err


def tcp(server, database: str, user: str) -> str:  # type: ignore[no-untyped-def]
    return f"postgresql://{user}@127.0.0.1:{server.port}/{database}"


def test_an_unreachable_server_is_one_line(capsys):
    assert main(["--db", f"postgresql://sslterm@127.0.0.1:{free_port()}/inventory", "list"]) == 1
    assert "cannot reach the PostgreSQL server of postgresql://sslterm@127.0.0.1:" in one_line(capsys)


def test_a_password_in_the_url_is_refused_before_connecting(capsys):
    assert main(["--db", "postgresql://ops:hunter2@127.0.0.1:5432/inventory", "list"]) == 1
    err = one_line(capsys)
    assert "not in the URL" in err and "hunter2" not in err


def test_the_password_comes_from_the_password_file_or_pgpass(pg_server, pg_database, tmp_path, monkeypatch, capsys):
    url = tcp(pg_server, pg_database.database, PASSWORD_ROLE)
    wrong = tmp_path / "wrong"
    wrong.write_text("not it\n")
    assert main(["--db", url, "--db-password-file", str(wrong), "list"]) == 1
    assert f"the server refused the password for {PASSWORD_ROLE}" in one_line(capsys)
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    assert main(["--db", url, "list"]) == 1
    assert "asks operator_pw for a password" in one_line(capsys)

    right = tmp_path / "right"
    right.write_text(ROLE_PASSWORD + "\n")
    assert main(["--db", url, "--db-password-file", str(right), "list", "--format", "json"]) == 0
    assert capsys.readouterr().out.strip() == "[]"
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:{pg_server.port}:*:{PASSWORD_ROLE}:{ROLE_PASSWORD}\n")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert main(["list", "--db", url, "--format", "json"]) == 0  # libpq reads the password file itself


def test_a_missing_database_or_store_is_named(pg_server, pg_database, capsys):
    assert main(["--db", str(pg_location(pg_server, "no_such_db")), "list"]) == 1
    assert 'database "no_such_db" does not exist: create it first (createdb)' in one_line(capsys)


def test_a_newer_schema_is_refused_and_nothing_is_written(pg_database, capsys):
    store = Store.open(pg_database, user="t", passphrase="p")
    store.add_certificate(make_cert("kept.example").cert, [], None, type="existing", owner="x", now=NOW)
    store.db.execute_sql("UPDATE setting SET value = '99' WHERE key = 'schema_version'")
    store.close()
    assert main(["--db", str(pg_database), "import", "/dev/null"]) == 1
    assert "the database has schema version 99, newer than this sslterm" in one_line(capsys)
    import psycopg2

    connection = psycopg2.connect(dbname=pg_database.database, user="postgres", host=pg_database.host, port=pg_database.port)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM certificate")
        assert cursor.fetchone()[0] == 1
        cursor.execute("SELECT value FROM setting WHERE key = 'schema_version'")
        assert cursor.fetchone()[0] == "99"
    connection.close()


def test_sqlite_only_commands_say_so_on_postgresql(pg_database, tmp_path, capsys):
    assert main(["--db", str(pg_database), "backup", str(tmp_path / "b.db")]) == 1
    assert "is a PostgreSQL store: use pg_dump for its backups, or 'sslterm migrate --to sqlite:PATH'" in one_line(capsys)
    assert main(["--db", str(pg_database), "passphrase", "set"]) == 1
    assert "use 'sslterm access add'" in one_line(capsys)


@pytest.mark.parametrize("url", ["postgresql://127.0.0.1:5432", "mysql://db/x", "postgresql://h:port/x"])
def test_malformed_urls_are_one_line(url, capsys):
    assert main(["--db", url, "list"]) == 1
    one_line(capsys)


def test_init_on_postgresql_makes_the_first_slot_and_refuses_without_a_secret(pg_server, monkeypatch, capsys):
    from tests.engines import admin_sql, drop_database, pg_location

    admin_sql(pg_server, 'CREATE DATABASE "fresh_team"')
    location = pg_location(pg_server, "fresh_team")
    try:
        monkeypatch.delenv("SSLTERM_PASSPHRASE", raising=False)
        assert main(["--db", str(location), "init"]) == 1
        assert "set SSLTERM_PASSPHRASE (or SSLTERM_KEY_FILE) to its secret; nothing was created" in one_line(capsys)
        monkeypatch.setenv("SSLTERM_PASSPHRASE", "first operator")
        assert main(["--db", str(location), "init"]) == 0
        assert "with the first key slot, yours" in capsys.readouterr().out
        assert main(["--db", str(location), "access", "list", "--format", "json"]) == 0
        assert [s["kind"] for s in __import__("json").loads(capsys.readouterr().out)] == ["passphrase"]
        assert main(["--db", str(location), "init"]) == 1
        assert "already holds an sslterm store: nothing to do" in one_line(capsys)
    finally:
        drop_database(pg_server, location)
