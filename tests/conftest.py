"""Shared fixtures: a fixed clock and a fresh SQLite store per test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sslterm.cli import main
from sslterm.core.clock import FixedClock
from sslterm.store import Store
from tests.factories import NOW

os.environ["TZ"] = "UTC"
os.environ.pop("SSLTERM_PASSPHRASE", None)
os.environ.pop("SSLTERM_DB", None)


@pytest.fixture
def now():
    return NOW


@pytest.fixture
def clock():
    return FixedClock(NOW)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "sslterm.db"


@pytest.fixture
def servers():
    """Real TLS servers on 127.0.0.1, stopped after the test."""
    from tests.checker.servers import ServerThread

    thread = ServerThread()
    yield thread
    thread.close()


@pytest.fixture
def run(db_path, capsys, monkeypatch):
    """The CLI as scripts run it, on the test's database at the pinned clock: run(*args) -> (code, out, err)."""
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    if not db_path.exists():
        assert main(["--db", str(db_path), "init"]) == 0  # every command but import, new and demo needs a database
    capsys.readouterr()

    def _run(*args: str):
        code = main(["--db", str(db_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def store(db_path: Path):
    s = Store.open(db_path, user="tester")
    yield s
    s.close()


@pytest.fixture(scope="session")
def nginx(tmp_path_factory):
    """One real nginx for the run (Debian's, installed by .ci/run), sites added per test."""
    import shutil

    from tests.deploy.nginx import NGINX, Nginx

    if not shutil.which(NGINX) and not Path(NGINX).exists():
        pytest.skip("nginx is not installed (.ci/run installs it with apt-get)")
    server = Nginx(tmp_path_factory.mktemp("nginx"))
    yield server
    server.stop()
