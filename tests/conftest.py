"""Shared fixtures: a fixed clock and a fresh store per test (SQLite; both engines where a module asks, tests/engines.py)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from sslterm.cli import main
from sslterm.core.clock import FixedClock
from sslterm.store import Store
from tests.daemons import DOVECOT, EXIM, Dovecot, Exim, Postgres, pg_bin
from tests.engines import location, pg_database, pg_key_file, pg_server  # noqa: F401 - fixtures
from tests.factories import NOW, Chain, make_chain, pem

os.environ["TZ"] = "UTC"
os.environ.pop("SSLTERM_PASSPHRASE", None)
os.environ.pop("SSLTERM_DB", None)
os.environ.pop("SSLTERM_KEY_FILE", None)


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
def engine() -> str:
    """The engine of the test's store: SQLite, unless the module runs on both (tests.engines.both_engines)."""
    return "sqlite"


@pytest.fixture
def run(location, capsys, monkeypatch):  # noqa: F811 - the fixture
    """The CLI as scripts run it, on the test's database at the pinned clock: run(*args) -> (code, out, err)."""
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    if location.path is not None and not location.path.exists():
        assert main(["--db", str(location), "init"]) == 0  # every command but import, new and demo needs a database
    capsys.readouterr()

    def _run(*args: str):
        code = main(["--db", str(location), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


@pytest.fixture
def store(location):  # noqa: F811 - the fixture
    key_file = os.environ.get("SSLTERM_KEY_FILE")
    s = Store.open(location, user="tester", passphrase=os.environ.get("SSLTERM_PASSPHRASE"), key_file=Path(key_file) if key_file else None)
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


# ---------------------------------------------------- real STARTTLS servers (Exim, Dovecot, PostgreSQL)

MAIL = "mail.example.test"


@dataclass
class MailFiles:
    chain: Chain
    chain_file: Path
    key_file: Path


@pytest.fixture(scope="session")
def mail_files(tmp_path_factory) -> MailFiles:
    """One chain (root, intermediate, leaf for mail.example.test) that every real server presents."""
    root = tmp_path_factory.mktemp("mail-tls")
    chain = make_chain(MAIL)
    chain_file, key_file = root / "chain.pem", root / "key.pem"
    chain_file.write_bytes(pem(chain.leaf.cert, chain.intermediate.cert))
    key_file.write_bytes(chain.leaf.key_pem)
    os.chmod(key_file, 0o600)
    for path in (root, chain_file, key_file):  # Dovecot reads them as root, PostgreSQL gets its own copies
        os.chmod(path, 0o755 if path.is_dir() else os.stat(path).st_mode)
    return MailFiles(chain, chain_file, key_file)


def _need(binary: str, package: str) -> None:
    if not (shutil.which(binary) or Path(binary).exists()):
        pytest.skip(f"{binary} is not installed (.ci/run installs {package} with apt-get)")


@pytest.fixture(scope="session")
def exim(tmp_path_factory, mail_files):
    _need(EXIM, "exim4-daemon-light")
    server = Exim(tmp_path_factory.mktemp("exim"), MAIL, mail_files.chain_file, mail_files.key_file)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory, mail_files):
    _need(DOVECOT, "dovecot-imapd and dovecot-pop3d")
    server = Dovecot(tmp_path_factory.mktemp("dovecot"), mail_files.chain_file, mail_files.key_file)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_ssl(mail_files):
    if pg_bin("initdb") is None:
        pytest.skip("initdb is not installed (.ci/run installs postgresql with apt-get)")
    chain = mail_files.chain
    server = Postgres({"ssl": "on", "ssl_cert_file": "'server.crt'", "ssl_key_file": "'server.key'"},
                      {"server.crt": pem(chain.leaf.cert, chain.intermediate.cert), "server.key": chain.leaf.key_pem})
    yield server
    server.stop()
