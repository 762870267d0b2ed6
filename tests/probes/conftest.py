"""Scripted STARTTLS servers per test; the real ones (Exim, Dovecot, PostgreSQL) are in tests/conftest.py."""

from __future__ import annotations

import pytest


@pytest.fixture
def scripted(servers, mail_files):
    from tests.probes.scripted import Scripted

    server = Scripted(servers, str(mail_files.chain_file), str(mail_files.key_file))
    yield server
    server.close()
