"""Real STARTTLS servers (Exim, Dovecot, PostgreSQL), started once per run, and scripted ones per test."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.daemons import DOVECOT, EXIM, Dovecot, Exim, Postgres, pg_bin
from tests.factories import Chain, make_chain, pem

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


@pytest.fixture
def scripted(servers, mail_files):
    from tests.probes.scripted import Scripted

    return Scripted(servers, str(mail_files.chain_file), str(mail_files.key_file))
