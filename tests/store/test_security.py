"""Keys at rest, file modes, pragmas, migrations and a second writer process."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from sslterm.core.errors import PasswordError, StoreError
from sslterm.store import ListQuery, Store
from sslterm.store.migrations import SCHEMA_VERSION
from sslterm.store.models import Certificate
from sslterm.store.vault import key_file_for
from tests.store.old_schema import old_database
from tests.factories import NOW, make_cert, rsa_key

ROOT = Path(__file__).resolve().parents[2]


def db_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if not p.name.endswith(".key"))


def test_the_database_files_contain_no_private_key(store, db_path):
    key = rsa_key()
    issued = make_cert("secret.example", key=key)
    store.add_certificate(issued.cert, [], key, type="existing", owner="a", now=NOW)
    pkcs8_der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    pem_body = issued.key_pem.split(b"\n")[5]
    prime = key.private_numbers().p.to_bytes(128, "big")
    content = db_bytes(db_path)
    assert issued.cert.public_bytes(serialization.Encoding.PEM).split(b"\n")[3] in content  # the certificate is there
    for secret in (pkcs8_der[40:80], pem_body, prime[:32]):
        assert secret not in content


def test_a_key_blob_moved_to_another_row_fails_to_decrypt(store):
    a = make_cert("a.example")
    b = make_cert("b.example")
    ra = store.add_certificate(a.cert, [], a.key, type="existing", owner="x", now=NOW).record
    rb = store.add_certificate(b.cert, [], b.key, type="existing", owner="x", now=NOW).record
    blob = Certificate.get_by_id(ra.id).key_blob
    Certificate.update(key_blob=blob).where(Certificate.id == rb.id).execute()
    with pytest.raises(StoreError, match="does not belong to this row"):
        store.material(rb.id, with_key=True)


def test_file_modes_under_umask_022(tmp_path):
    old = os.umask(0o022)
    try:
        path = tmp_path / "new" / "dir" / "s.db"
        s = Store.open(path, user="u")
        leaf = make_cert("m.example")
        s.add_certificate(leaf.cert, [], leaf.key, type="existing", owner="x", now=NOW)
        modes = {p.name: p.stat().st_mode & 0o777 for p in path.parent.iterdir()}
        s.close()
    finally:
        os.umask(old)
    assert (path.parent.stat().st_mode & 0o777) == 0o700
    assert modes["s.db"] == 0o600 and modes["s.db.key"] == 0o600
    assert modes.get("s.db-wal", 0o600) == 0o600 and modes.get("s.db-shm", 0o600) == 0o600
    assert "s.db-wal" in modes


def test_pragmas_and_schema_version(store, db_path):
    pragma = lambda name: store.db.execute_sql(f"PRAGMA {name}").fetchone()[0]  # noqa: E731
    assert pragma("journal_mode") == "wal"
    assert pragma("foreign_keys") == 1 and pragma("secure_delete") == 1
    assert pragma("busy_timeout") >= 5000
    raw = sqlite3.connect(db_path)
    assert raw.execute("SELECT value FROM setting WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
    raw.close()


def test_a_version_4_database_with_data_is_migrated(db_path, tmp_path):
    """Migrations 5 and 6 reshape indexes and add lineages under existing rows; nothing stored changes."""
    leaf = make_cert("old.example")
    scratch = Store.open(tmp_path / "scratch" / "s.db", user="u")
    before = scratch.get(scratch.add_certificate(leaf.cert, [], leaf.key, type="existing", owner="x", now=NOW).record.id)
    scratch.close()
    old_database(tmp_path / "scratch" / "s.db", db_path, version=4)
    s = Store.open(db_path, user="u")
    indexes = {row[0] for row in s.db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert "certificate_window" in indexes and not indexes & {"certificate_list", "certificate_owner_id", "event_certificate_id"}
    assert s.get(before.id) == before and s.material(before.id, with_key=True).key is not None
    assert s.counts(ListQuery(), NOW)[ListQuery().bucket] == 1
    s.close()


def test_a_newer_schema_is_refused(db_path):
    Store.open(db_path, user="u").close()
    raw = sqlite3.connect(db_path)
    raw.execute("UPDATE setting SET value='999' WHERE key='schema_version'")
    raw.commit()
    raw.close()
    with pytest.raises(StoreError, match="newer than this sslterm"):
        Store.open(db_path, user="u")


def test_passphrase_wraps_the_data_key(db_path):
    leaf = make_cert("p.example")
    s = Store.open(db_path, user="u", passphrase="correct horse")
    rec = s.add_certificate(leaf.cert, [], leaf.key, type="existing", owner="x", now=NOW).record
    s.close()
    content = json.loads(key_file_for(db_path).read_text())
    assert content["kind"] == "scrypt" and "key" not in content
    browse = Store.open(db_path, user="u")
    assert browse.count(ListQuery(), NOW) == 1  # listing needs no passphrase
    with pytest.raises(PasswordError, match="SSLTERM_PASSPHRASE"):
        browse.material(rec.id, with_key=True)
    browse.close()
    wrong = Store.open(db_path, user="u", passphrase="wrong")
    with pytest.raises(PasswordError, match="wrong SSLTERM_PASSPHRASE"):
        wrong.material(rec.id, with_key=True)
    wrong.close()
    right = Store.open(db_path, user="u", passphrase="correct horse")
    assert right.material(rec.id, with_key=True).key.private_numbers() == leaf.key.private_numbers()
    right.close()


def test_missing_or_foreign_key_file_is_a_clear_error(tmp_path):
    leaf = make_cert("k.example")
    a_path, b_path = tmp_path / "a.db", tmp_path / "b.db"
    for path in (a_path, b_path):
        s = Store.open(path, user="u")
        s.add_certificate(leaf.cert, [], leaf.key, type="existing", owner="x", now=NOW)
        s.close()
    key_file_for(b_path).replace(key_file_for(a_path))
    s = Store.open(a_path, user="u")
    with pytest.raises(StoreError, match="does not belong to this database"):
        s.material(1, with_key=True)
    s.close()
    key_file_for(a_path).unlink()
    s = Store.open(a_path, user="u")
    with pytest.raises(StoreError, match="is missing"):
        s.material(1, with_key=True)
    s.close()


def test_two_processes_writing_at_once_lose_nothing(store, db_path):
    target = store.add_certificate(make_cert("shared.example", serial=5000).cert, [], None, type="existing", owner="x", now=NOW).record
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen([sys.executable, str(ROOT / "tests/store/writer.py"), str(db_path), str(target.id), prefix, "25"],
                         cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for prefix in ("p", "q")
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err.decode()
        assert b"locked" not in err
    webs = set(store.get(target.id).web_domains)
    assert webs == {"shared.example"} | {f"{p}{i}.example" for p in "pq" for i in range(25)}
    assert store.count(ListQuery(), NOW) == 51
