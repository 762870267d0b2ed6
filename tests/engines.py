"""Both engines for the store, CLI and list tests: a fresh SQLite file, or a fresh PostgreSQL database.

One PostgreSQL cluster serves the whole run (``pg_server``); a template database
is migrated once, and each test gets its own copy of it (``CREATE DATABASE …
TEMPLATE``, ~30 ms), dropped afterwards. A test module opts in with
``from tests.engines import both_engines`` (it then runs once per engine).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import psycopg2
import pytest

from sslterm.store.engines import Location
from tests.daemons import Postgres, pg_bin

TEMPLATE = "sslterm_template"
PASSWORD_ROLE, ROLE_PASSWORD = "operator_pw", "right horse battery"  # a role that must give its password over TCP
PG_PASSPHRASE = "team passphrase"  # a PostgreSQL store's keys are only ever under key slots
_numbers = itertools.count(1)


def pg_location(server: Postgres, database: str, user: str = "postgres") -> Location:
    return Location("postgresql", user=user, host=str(server.root), port=server.port, database=database)


def admin(server: Postgres):  # type: ignore[no-untyped-def]
    connection = psycopg2.connect(dbname="postgres", user="postgres", host=str(server.root), port=server.port)
    connection.autocommit = True
    return connection


def admin_sql(server: Postgres, sql: str) -> None:
    """One statement as the cluster's superuser, outside a transaction (CREATE/DROP DATABASE)."""
    connection = admin(server)
    try:
        connection.cursor().execute(sql)
    finally:
        connection.close()


def new_database(server: Postgres, template: str | None = TEMPLATE) -> Location:
    name = f"t{next(_numbers)}"
    admin_sql(server, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return pg_location(server, name)


def drop_database(server: Postgres, location: Location) -> None:
    admin_sql(server, f'DROP DATABASE IF EXISTS "{location.database}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_server():
    """One PostgreSQL cluster for the run, with the migrated template the per-test databases copy."""
    if pg_bin("initdb") is None:
        pytest.skip("initdb is not installed (.ci/run installs postgresql with apt-get)")
    server = Postgres()
    from sslterm.store import Store

    hba = server.data / "pg_hba.conf"  # the role below logs in over TCP with its password; everyone else is trusted
    hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    admin_sql(server, f"CREATE ROLE {PASSWORD_ROLE} LOGIN SUPERUSER PASSWORD '{ROLE_PASSWORD}'")
    admin_sql(server, "SELECT pg_reload_conf()")

    location = new_database(server, template=None)
    Store.open(location, user="tester").close()
    admin_sql(server, f'ALTER DATABASE "{location.database}" RENAME TO "{TEMPLATE}"')
    yield server
    server.stop()


@pytest.fixture
def pg_database(pg_server):
    """A fresh, migrated PostgreSQL store database for one test."""
    location = new_database(pg_server)
    yield location
    drop_database(pg_server, location)


@pytest.fixture(name="engine", params=["sqlite", "postgresql"])
def both_engines(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def pg_key_file(tmp_path_factory) -> Path:
    """The slot secret of the tests' PostgreSQL stores: a key file (HKDF), not a passphrase (scrypt, ~0.15 s at every unlock)."""
    from sslterm.store.keyslots import new_key_file

    path = tmp_path_factory.mktemp("slot") / "operator.key"
    new_key_file(path)
    return path


@pytest.fixture
def location(engine: str, db_path: Path, request, monkeypatch) -> Location:
    """The test's store: SQLite at ``db_path``, or a fresh PostgreSQL database (keys under a key-file slot)."""
    if engine == "sqlite":
        return Location("sqlite", path=db_path)
    monkeypatch.setenv("SSLTERM_KEY_FILE", str(request.getfixturevalue("pg_key_file")))
    return request.getfixturevalue("pg_database")
