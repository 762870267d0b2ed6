"""The CLI as scripts run it, against the test's database and a pinned clock."""

from __future__ import annotations

import pytest

from sslterm.cli import main
from tests.factories import NOW


@pytest.fixture
def run(db_path, capsys, monkeypatch):
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    if not db_path.exists():
        assert main(["--db", str(db_path), "init"]) == 0  # every command but import, new and demo needs a database
    capsys.readouterr()

    def _run(*args: str):
        code = main(["--db", str(db_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run
