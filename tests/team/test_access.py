"""Key slots on a PostgreSQL store: each operator's secret opens the keys, a removed one no longer does,
rotation keeps every key readable by the slots left, and the database alone opens nothing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from sslterm.cli import main
from sslterm.core.errors import InputError, PasswordError
from sslterm.store import Store
from sslterm.store.access import AccessStore
from sslterm.store.keyslots import KEY_FILE, new_key_file
from tests.engines import PG_PASSPHRASE
from tests.factories import NOW, make_chain

BOB = "bob's own passphrase"


def der(key) -> bytes:  # type: ignore[no-untyped-def]
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def opens(location, cert_id: int, passphrase: str | None = None, key_file=None) -> bytes:  # type: ignore[no-untyped-def]
    store = Store.open(location, user="someone", passphrase=passphrase, key_file=key_file, create=False)
    try:
        return der(store.material(cert_id, with_key=True).key)
    finally:
        store.close()


@pytest.fixture
def shared(pg_database):
    """A team store with two keys, first opened by alice (her passphrase is its first slot)."""
    store = Store.open(pg_database, user="alice", passphrase=PG_PASSPHRASE)
    ids, keys = [], {}
    for cn in ("one.example", "two.example"):
        chain = make_chain(cn)
        record = store.add_certificate(chain.leaf.cert, [chain.intermediate.cert], chain.leaf.key, type="existing", owner="ops", now=NOW).record
        ids.append(record.id)
        keys[record.id] = der(chain.leaf.key)
    store.close()
    return pg_database, keys


def test_two_operators_slots_each_open_and_a_removed_one_no_longer_does(shared, tmp_path):
    location, keys = shared
    alice = Store.open(location, user="alice", passphrase=PG_PASSPHRASE, create=False)
    access = AccessStore(alice)
    access.add("bob", "passphrase", BOB, NOW)
    checker_file = tmp_path / "checker.key"
    new_key_file(checker_file)
    access.add("checker on bastion-2", KEY_FILE, checker_file.read_bytes(), NOW)
    assert [(s.label, s.kind, s.created_by) for s in access.slots()] == [
        ("alice (passphrase)", "passphrase", "alice"), ("bob", "passphrase", "alice"), ("checker on bastion-2", "key-file", "alice")]
    alice.close()
    for cert_id, key in keys.items():
        assert opens(location, cert_id, passphrase=PG_PASSPHRASE) == key
        assert opens(location, cert_id, passphrase=BOB) == key
        assert opens(location, cert_id, key_file=checker_file) == key

    alice = Store.open(location, user="alice", passphrase=PG_PASSPHRASE, create=False)
    removed, count = AccessStore(alice).remove("bob", NOW)
    alice.close()
    assert removed.label == "bob" and count == 2
    with pytest.raises(PasswordError, match="opens a key slot"):
        opens(location, next(iter(keys)), passphrase=BOB)
    for cert_id, key in keys.items():  # rotated: the slots left open every key, under the new data key
        assert opens(location, cert_id, passphrase=PG_PASSPHRASE) == key
        assert opens(location, cert_id, key_file=checker_file) == key


def test_a_removed_slot_kept_from_before_opens_nothing_stored_after_rotation(shared):
    """Bob copied his slot row before he was removed: it opens the old data key, which no stored blob uses."""
    location, keys = shared
    alice = Store.open(location, user="alice", passphrase=PG_PASSPHRASE, create=False)
    AccessStore(alice).add("bob", "passphrase", BOB, NOW)
    old_row = alice.db.execute_sql("SELECT uid, kind, wrapped_private, sealed_key FROM keyslot WHERE label = 'bob'").fetchone()
    AccessStore(alice).remove("bob", NOW)
    from sslterm.store.keyslots import open_slot

    old_data_key = open_slot(old_row[0], old_row[1], BOB, bytes(old_row[2]), bytes(old_row[3]))
    assert old_data_key is not None and old_data_key != alice.vault.data_key()
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    for uid, blob in alice.db.execute_sql("SELECT uid, key_blob FROM certificate WHERE key_blob IS NOT NULL"):
        blob = bytes(blob)
        with pytest.raises(InvalidTag):
            AESGCM(old_data_key).decrypt(blob[:12], blob[12:], b"sslterm:private-key:v1:" + uid.encode())
    alice.close()


def test_the_last_slot_cannot_be_removed_and_labels_are_unique(shared):
    location, _ = shared
    alice = Store.open(location, user="alice", passphrase=PG_PASSPHRASE, create=False)
    with pytest.raises(InputError, match="last key slot"):
        AccessStore(alice).remove("alice (passphrase)", NOW)
    AccessStore(alice).add("bob", "passphrase", BOB, NOW)
    with pytest.raises(InputError, match="exists already"):
        AccessStore(alice).add("bob", "passphrase", "another passphrase", NOW)
    alice.close()


def test_without_a_slots_secret_nothing_opens_but_the_list_browses(shared):
    location, keys = shared
    browse = Store.open(location, user="eve", create=False)
    assert browse.get(next(iter(keys))).has_key  # browsing needs no secret
    with pytest.raises(PasswordError, match="set SSLTERM_PASSPHRASE or SSLTERM_KEY_FILE"):
        browse.material(next(iter(keys)), with_key=True)
    browse.close()
    with pytest.raises(PasswordError, match="neither SSLTERM_PASSPHRASE nor SSLTERM_KEY_FILE opens a key slot"):
        opens(location, next(iter(keys)), passphrase="a guess")


def test_the_database_files_hold_no_private_key(shared, pg_server):
    """What the server writes to disk (tables, TOAST, WAL) holds the keys only encrypted."""
    location, keys = shared
    from tests.engines import admin_sql

    admin_sql(pg_server, "CHECKPOINT")
    content = b"".join(path.read_bytes() for path in pg_server.data.rglob("*") if path.is_file())
    store = Store.open(location, user="x", create=False)
    (pem,) = [r[0] for r in store.db.execute_sql("SELECT cert_pem FROM certificate WHERE id = ?", [next(iter(keys))])]
    store.close()
    assert pem.split("\n")[3].encode() in content  # the certificates are there, in the clear, as they should be
    for key in keys.values():
        assert key not in content and key[40:80] not in content


def test_access_cli_adds_lists_and_removes(shared, tmp_path, monkeypatch, capsys):
    location, keys = shared
    monkeypatch.setenv("SSLTERM_PASSPHRASE", PG_PASSPHRASE)
    monkeypatch.setenv("SSLTERM_NEW_PASSPHRASE", BOB)
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    assert main(["--db", str(location), "access", "add", "bob"]) == 0
    assert "added key slot bob" in capsys.readouterr().out
    key_file = tmp_path / "ci.key"
    assert main(["--db", str(location), "access", "add", "ci runner", "--key-file", str(key_file), "--new"]) == 0
    assert (key_file.stat().st_mode & 0o777) == 0o600
    capsys.readouterr()
    assert main(["--db", str(location), "access", "list", "--format", "json"]) == 0
    import json

    listed = json.loads(capsys.readouterr().out)
    assert [(s["label"], s["kind"]) for s in listed] == [("alice (passphrase)", "passphrase"), ("bob", "passphrase"), ("ci runner", "key-file")]
    assert main(["--db", str(location), "access", "remove", "bob"]) == 0
    assert "rotated the data key: 2 secrets re-encrypted" in capsys.readouterr().out
    assert main(["--db", str(location), "access", "remove", "nobody"]) == 1
    assert capsys.readouterr().err == "sslterm: error: no key slot labelled 'nobody': 'sslterm access list' shows them\n"
    monkeypatch.delenv("SSLTERM_PASSPHRASE")
    monkeypatch.setenv("SSLTERM_KEY_FILE", str(key_file))
    assert main(["--db", str(location), "export", str(next(iter(keys))), "--with-key", "--out", str(tmp_path / "out")]) == 0
    assert main(["--db", str(location), "history", "--verify"]) == 0


def test_access_on_a_sqlite_store_says_where_its_key_is(run):
    code, _, err = run("access", "list")
    assert code == 1 and "keeps its data key in its key file (wrap it with 'sslterm passphrase')" in err
