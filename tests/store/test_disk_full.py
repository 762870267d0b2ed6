"""A full disk is named, and the store stays as it was before the failed transaction."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest

from sslterm.cli import main
from tests.factories import ec_key, make_cert


@pytest.fixture
def small_disk(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a 1 MB tmpfs here: {result.stderr.strip() or 'mount refused'}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_an_import_onto_a_full_disk_is_named_and_leaves_a_sound_store(small_disk, tmp_path, capsys):
    tree = tmp_path / "tree"
    tree.mkdir()
    key = ec_key()
    for index in range(1200):
        (tree / f"c{index:04d}.pem").write_bytes(make_cert(f"full{index}.example", key=key, serial=index + 1).pem)
    db = small_disk / "s.db"
    assert main(["--db", str(db), "init"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "import", str(tree)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"sslterm: error: no space left on device while writing {db}; nothing was half-written: free some space and run it again"
    raw = sqlite3.connect(db)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = raw.execute("SELECT COUNT(*) FROM certificate").fetchone()[0]
    lineages = raw.execute("SELECT COUNT(*) FROM lineage").fetchone()[0]
    raw.close()
    assert 0 < stored < 1200 and lineages == stored  # whole transactions only: every stored row has its lineage
    assert main(["--db", str(db), "history", "--verify"]) == 0
