"""migrate: a SQLite store to PostgreSQL and back, every row and key intact; refusals write nothing."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from sslterm.cli import main
from sslterm.store import Store
from sslterm.store.alerting import AlertStore
from sslterm.store.audit import verify_chain
from sslterm.store.checks import CheckStore
from sslterm.store.deploy_targets import DeployStore
from sslterm.store.moving import TABLES, _columns, _digest
from tests.engines import PG_PASSPHRASE, drop_database, new_database
from tests.factories import DAY, NOW, make_cert, make_chain


@pytest.fixture
def team(pg_server):
    """An empty PostgreSQL database (not migrated: migrate makes the schema) and its cleanup."""
    location = new_database(pg_server, template=None)
    yield location
    drop_database(pg_server, location)


def fill(store: Store, tmp_path) -> dict[int, bytes]:
    """A store with keys, a renewed lineage, an endpoint, a deploy target with a PFX password, a channel; the keys by id."""
    keys = {}
    for i, cn in enumerate(["shop.example", "api.example", "mail.example"]):
        chain = make_chain(cn)
        record = store.add_certificate(chain.leaf.cert, [chain.intermediate.cert], chain.leaf.key, type="existing", owner=f"team{i}",
                                       now=NOW - 30 * DAY).record
        keys[record.id] = chain.leaf.key_pem
    renewed = make_cert("shop.example", not_before=NOW - DAY, not_after=NOW + 89 * DAY, serial=99)
    newer = store.add_certificate(renewed.cert, [], renewed.key, type="existing", owner="team0", now=NOW, supersede=True).record
    keys[newer.id] = renewed.key_pem
    CheckStore(store).add_endpoint("shop.example", "127.0.0.1", 8443, "shop.example", NOW)
    DeployStore(store).add(newer.id, {"pfx": str(tmp_path / "shop.pfx")}, NOW, pfx_password=b"pfx secret")
    AlertStore(store).add_channel("mailto://ops:secret@example.com", "mailto://ops@example.com", NOW, label="ops")
    return keys


def table_digests(store: Store) -> dict[str, tuple[int, str]]:
    return {table: _digest(store.db, table, _columns(store.db, table)) for table in TABLES}


def der(key) -> bytes:  # type: ignore[no-untyped-def]
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def stored_keys(store: Store, ids) -> dict[int, bytes]:  # type: ignore[no-untyped-def]
    return {cert_id: der(store.material(cert_id, with_key=True).key) for cert_id in ids}


def normalized(keys: dict[int, bytes]) -> dict[int, bytes]:
    return {i: der(serialization.load_pem_private_key(pem, None)) for i, pem in keys.items()}


def test_sqlite_to_postgresql_and_back_keeps_every_row_and_key(tmp_path, team, monkeypatch, capsys):
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    source_path = tmp_path / "one.db"
    source = Store.open(source_path, user="alice")
    keys = normalized(fill(source, tmp_path))
    before = table_digests(source)
    source.close()

    monkeypatch.setenv("SSLTERM_PASSPHRASE", PG_PASSPHRASE)
    assert main(["--db", str(source_path), "migrate", "--to", str(team)]) == 0
    out = capsys.readouterr().out
    assert "copied 4 certificates" in out and "1 endpoints, 1 deploy targets and 1 channels" in out
    assert "verified: every table equal to the source, row by row; 6 keys and secrets decrypt from the copy" in out

    shared = Store.open(team, user="bob", passphrase=PG_PASSPHRASE, create=False)
    assert table_digests(shared) == before
    assert stored_keys(shared, keys) == keys
    assert verify_chain(shared.db).broken_id is None
    assert AlertStore(shared).channel_url(AlertStore(shared).channels()[0].id) == "mailto://ops:secret@example.com"
    shared.close()

    back = tmp_path / "back.db"
    assert main(["--db", str(team), "migrate", "--to", f"sqlite:{back}"]) == 0
    capsys.readouterr()
    again = Store.open(back, user="carol", passphrase=PG_PASSPHRASE, create=False)
    assert table_digests(again) == before
    assert stored_keys(again, keys) == keys
    assert verify_chain(again.db).broken_id is None
    assert again.vault.wrapped  # the key file beside the copy is wrapped with the operator's passphrase
    assert (back.stat().st_mode & 0o777) == 0o600 and (back.with_name("back.db.key").stat().st_mode & 0o777) == 0o600
    again.close()

    views = []  # the operator's view, through the CLI, is the same on all three
    for location in (source_path, team, back):
        for args in (["list", "--format", "json"], ["endpoint", "list", "--format", "json"], ["history", "shop.example", "--format", "json"]):
            assert main(["--db", str(location), *args]) == 0
        views.append(capsys.readouterr().out)
    assert views[0] == views[1] == views[2] and '"shop.example"' in views[0]


def test_migrate_refuses_a_filled_target_a_missing_secret_and_itself(tmp_path, team, pg_database, monkeypatch, capsys):
    source_path = tmp_path / "one.db"
    source = Store.open(source_path, user="alice")
    fill(source, tmp_path)
    source.close()

    monkeypatch.delenv("SSLTERM_PASSPHRASE", raising=False)
    assert main(["--db", str(source_path), "migrate", "--to", str(team)]) == 1
    assert "set SSLTERM_PASSPHRASE (or SSLTERM_KEY_FILE) for your first slot (nothing was written)" in capsys.readouterr().err

    monkeypatch.setenv("SSLTERM_PASSPHRASE", PG_PASSPHRASE)
    filled = Store.open(pg_database, user="x", passphrase=PG_PASSPHRASE)
    filled.add_certificate(make_cert("there.example").cert, [], None, type="existing", owner="x", now=NOW)
    filled.close()
    assert main(["--db", str(source_path), "migrate", "--to", str(pg_database)]) == 1
    assert "already holds an sslterm store (1 certificates): migrate into an empty database (nothing was written)" in capsys.readouterr().err

    assert main(["--db", str(source_path), "migrate", "--to", f"sqlite:{source_path}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("sslterm: error: ") and err.count("\n") == 1 and "is the store being moved" in err

    existing = tmp_path / "existing.db"
    existing.write_bytes(b"")
    assert main(["--db", str(source_path), "migrate", "--to", f"sqlite:{existing}"]) == 1
    assert "already exists: migrate into a new file (nothing was written)" in capsys.readouterr().err
    assert existing.read_bytes() == b""
