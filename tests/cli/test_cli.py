"""The command line as scripts use it: names, flags, exit codes, JSON keys, files written."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from sslterm.cli import main
from tests.engines import both_engines  # noqa: F401 - runs on SQLite and PostgreSQL
from tests.factories import DAY, NOW, make_cert, make_chain, pem

ROOT = Path(__file__).resolve().parents[2]
JSON_KEYS = {"id", "name", "domain", "sans", "owner", "type", "status", "days_left", "not_before", "not_after",
             "created_at", "updated_at", "issuer", "subject", "serial", "fingerprint_sha256"}


@pytest.fixture
def run(db_path, capsys, monkeypatch):
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    assert main(["--db", str(db_path), "init"]) == 0  # every command but import, new and demo needs a database
    capsys.readouterr()

    def _run(*args: str) -> tuple[int, str, str]:
        code = main(["--db", str(db_path), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def letsencrypt_live(root: Path, cn: str, days: int) -> x509.Certificate:
    chain = make_chain(cn, leaf_not_after=NOW + days * DAY)
    live = root / "live" / cn
    live.mkdir(parents=True)
    (live / "cert.pem").write_bytes(chain.leaf.pem)
    (live / "chain.pem").write_bytes(chain.intermediate.pem)
    (live / "fullchain.pem").write_bytes(chain.leaf.pem + chain.intermediate.pem)
    (live / "privkey.pem").write_bytes(chain.leaf.key_pem)
    (live / "README").write_text("This directory contains your keys and certificates.\n")
    return chain.leaf.cert


def test_import_a_letsencrypt_tree_then_list_what_expires_within_30_days(run, tmp_path):
    soon = letsencrypt_live(tmp_path / "le", "soon.example", 12)
    letsencrypt_live(tmp_path / "le", "later.example", 80)
    code, out, err = run("import", str(tmp_path / "le"))
    assert code == 0, err
    assert out.count("imported") == 2 and "with key" in out
    code, out, _ = run("import", str(tmp_path / "le"))
    assert code == 0 and out.count("already present") == 2
    code, out, _ = run("list", "--status", "30d", "--format", "json")
    rows = json.loads(out)
    assert [r["domain"] for r in rows] == ["soon.example"]
    row = rows[0]
    assert JSON_KEYS <= set(row)
    assert row["fingerprint_sha256"] == soon.fingerprint(__import__("cryptography").hazmat.primitives.hashes.SHA256()).hex()
    assert row["days_left"] == 12 and row["status"] == "valid" and row["not_after"].endswith("Z")


def test_import_reports_each_rejection_and_exits_1(run, tmp_path):
    good = make_cert("ok.example")
    (tmp_path / "ok.crt").write_bytes(good.pem)
    (tmp_path / "broken.crt").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    code, out, _ = run("import", str(tmp_path), "--owner", "carol")
    assert code == 1
    assert "rejected" in out and "broken.crt" in out and "damaged certificate" in out
    assert "imported  ok.example" in out
    code, out, _ = run("list", "--owner", "carol", "--format", "json")
    assert len(json.loads(out)) == 1


def test_import_with_key_chain_and_pfx_password(run, tmp_path):
    c = make_chain("pfx.example")
    data = pkcs12.serialize_key_and_certificates(b"p", c.leaf.key, c.leaf.cert, [c.intermediate.cert], serialization.BestAvailableEncryption(b"hunter2"))
    (tmp_path / "site.pfx").write_bytes(data)
    (tmp_path / "pw").write_text("hunter2\n")
    code, out, _ = run("import", str(tmp_path / "site.pfx"))
    assert code == 1 and "password-protected" in out
    code, out, err = run("import", str(tmp_path / "site.pfx"), "--password-file", str(tmp_path / "pw"), "--name", "Shop")
    assert code == 0, out + err
    shown = json.loads(run("show", "Shop", "--format", "json")[1])
    assert shown["has_key"] and shown["name"] == "Shop"
    assert any(f["code"] == "key_match" for f in shown["findings"])
    other = make_chain("split.example")
    (tmp_path / "split.crt").write_bytes(other.leaf.pem)
    (tmp_path / "split.key").write_bytes(other.leaf.key_pem)
    (tmp_path / "ca.crt").write_bytes(other.intermediate.pem)
    code, out, _ = run("import", str(tmp_path / "split.crt"), "--key", str(tmp_path / "split.key"), "--chain", str(tmp_path / "ca.crt"))
    assert code == 0 and "with key" in out
    code, out, _ = run("show", "split.example", "--format", "pem")
    assert out.count("BEGIN CERTIFICATE") == 2


def test_new_self_signed_and_csr(run, tmp_path):
    code, out, err = run("new", "self-signed", "--domain", "app.example", "--san", "www.app.example", "--key-type", "ec256",
                         "--country", "be", "--org", "Acme", "--days", "30", "--owner", "dave")
    assert code == 0, err
    shown = json.loads(run("show", "app.example", "--format", "json")[1])
    assert shown["type"] == "self-signed" and shown["days_left"] == 30 and shown["owner"] == "dave"
    assert shown["sans"] == ["app.example", "www.app.example"]
    code, out, err = run("new", "csr", "--domain", "req.example", "--key-type", "ec256", "--out", str(tmp_path / "csrs"))
    assert code == 0, err
    csr = x509.load_pem_x509_csr((tmp_path / "csrs" / "req.example.csr").read_bytes())
    assert csr.is_signature_valid
    listed = json.loads(run("list", "--format", "json")[1])
    assert {r["domain"]: r["status"] for r in listed}["req.example"] == "pending"


@pytest.mark.parametrize("args,message", [
    (["new", "self-signed", "--domain", "bad domain"], "contains a space"),
    (["new", "self-signed", "--domain", "ok.example", "--country", "ZZ"], "ISO 3166"),
    (["new", "self-signed", "--domain", "ok.example", "--not-before", "2026-07-01", "--not-after", "2026-06-20"], "not before"),
    (["new", "self-signed", "--domain", "ok.example", "--not-after", "2020-01-01"], "in the past"),
    (["show", "nothing.example"], "no certificate for"),
    (["import", "/does/not/exist"], "no such file"),
])
def test_errors_are_one_line_without_traceback(run, args, message):
    code, out, err = run(*args)
    assert code == 1
    text = err + out
    assert message in text and "Traceback" not in text
    assert len(err.strip().splitlines()) <= 1


def test_export_files_modes_names_and_refusals(run, tmp_path):
    c = make_chain("*.wild.example", sans=[x509.DNSName("*.wild.example")])
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "w.pem").write_bytes(c.leaf.pem + c.intermediate.pem + c.leaf.key_pem)
    assert run("import", str(tmp_path / "in"))[0] == 0
    out_dir = tmp_path / "out"
    code, out, err = run("export", "*.wild.example", "--out", str(out_dir))
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["wildcard.wild.example.chain.crt", "wildcard.wild.example.crt", "wildcard.wild.example.fullchain.crt"]
    code, out, err = run("export", "*.wild.example", "--out", str(out_dir), "--with-key")
    assert code == 1 and "already exists" in err and "--force" in err
    assert not (out_dir / "wildcard.wild.example.key").exists()  # nothing half-written
    code, out, err = run("export", "*.wild.example", "--out", str(out_dir), "--with-key", "--force")
    assert code == 0, err
    key_file = out_dir / "wildcard.wild.example.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert serialization.load_pem_private_key(key_file.read_bytes(), None).public_key().public_numbers() == c.leaf.key.public_key().public_numbers()
    assert (out_dir / "wildcard.wild.example.fullchain.crt").read_bytes() == pem(c.leaf.cert, c.intermediate.cert)
    victim = tmp_path / "victim"
    victim.write_text("keep me")
    link_dir = tmp_path / "links"
    link_dir.mkdir()
    (link_dir / "wildcard.wild.example.crt").symlink_to(victim)
    code, _, err = run("export", "*.wild.example", "--out", str(link_dir), "--force")
    assert code == 1 and "symbolic link" in err
    assert victim.read_text() == "keep me"
    code, _, err = run("export", "*.wild.example", "--out", str(tmp_path / "pfx"), "--format", "pfx", "--with-key")
    assert code == 1 and "needs a password: --password-file FILE" in err  # a key never leaves in a PFX without one
    (tmp_path / "pfx.pw").write_text("pfx secret\n")
    code, _, err = run("export", "*.wild.example", "--out", str(tmp_path / "pfx"), "--format", "pfx", "--with-key",
                       "--password-file", str(tmp_path / "pfx.pw"))
    assert code == 0, err
    loaded = pkcs12.load_pkcs12((tmp_path / "pfx" / "wildcard.wild.example.pfx").read_bytes(), b"pfx secret")
    assert loaded.cert.certificate == c.leaf.cert and loaded.key is not None
    history = json.loads(run("history", "*.wild.example", "--format", "json")[1])
    assert [e["event"] for e in history["events"]].count("exported") == 3


def test_hostile_certificate_names_cannot_escape_the_export_directory(run, tmp_path):
    evil = make_cert("../../etc/evil", sans=[x509.DNSName("evil.example")])
    (tmp_path / "e.pem").write_bytes(evil.pem)
    assert run("import", str(tmp_path / "e.pem"))[0] == 0
    code, out, err = run("export", "evil.example", "--out", str(tmp_path / "x"))
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "x").iterdir()) == ["etc_evil.crt", "etc_evil.fullchain.crt"]  # no chain: no chain file
    assert not (tmp_path.parent / "etc").exists()


def test_delete_needs_yes_without_a_terminal_and_keeps_history(run, tmp_path, monkeypatch):
    (tmp_path / "d.pem").write_bytes(make_cert("del.example").pem)
    run("import", str(tmp_path / "d.pem"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code, _, err = run("delete", "del.example")
    assert code == 1 and "--yes" in err
    code, out, _ = run("delete", "del.example", "--yes")
    assert code == 0 and "deleted certificate 1" in out
    assert json.loads(run("list", "--format", "json")[1]) == []
    events = json.loads(run("history", "del.example", "--format", "json")[1])["events"]
    assert events[0]["event"] == "deleted" and events[0]["certificate"]["archived"]


def test_demo_covers_every_status_type_and_owner(run):
    code, out, _ = run("demo")
    assert code == 0
    rows = json.loads(run("list", "--format", "json")[1])
    assert len(rows) >= 50
    assert {r["status"] for r in rows} >= {"expired", "valid", "pending", "not_yet_valid"}
    assert {r["type"] for r in rows} == {"self-signed", "request", "existing", "auto"}
    assert len({r["owner"] for r in rows}) >= 4
    assert json.loads(run("list", "--status", "7d", "--format", "json")[1])
    history = json.loads(run("history", "cdn.example.net", "--format", "json")[1])
    assert len(history["events"]) >= 5 and [v["version"] for v in history["versions"]] == [3, 2, 1]


def test_the_installed_entry_point_runs_without_a_traceback(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "sslterm", "--db", str(tmp_path / "x.db"), "show", "42"],
                            capture_output=True, text=True, env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == (f"sslterm: error: no database at {tmp_path / 'x.db'}: run 'sslterm init' to create one, "
                                     "or check --db / $SSLTERM_DB")


def test_untrusted_names_reach_the_terminal_without_control_characters(run, tmp_path):
    hostile = make_cert("evil\x1b]0;pwned\x07.example", sans=[x509.DNSName("ok.example")])
    (tmp_path / "h.pem").write_bytes(hostile.pem)
    run("import", str(tmp_path / "h.pem"))
    _, out, _ = run("list")
    assert "\x1b" not in out and "\\x1b" in out


def test_import_lines_say_what_each_version_became_and_history_lists_versions_first(run, tmp_path):
    from tests.store.test_lineages import certbot_tree, versions

    tree = certbot_tree(tmp_path / "le", "shop", versions("shop.example", 3))
    code, out, err = run("import", str(tree / "live"))
    assert code == 0 and out.startswith("imported  shop.example (id 1, with key)"), err
    code, out, err = run("import", str(tree))
    assert code == 0, err
    assert "history of #1  shop.example (id 2, with key) from" in out and "history of #1  shop.example (id 3" in out
    assert "already present  shop.example (id 1" in out
    rows = json.loads(run("list", "--format", "json")[1])
    assert [(r["id"], r["lineage_id"], r["version"], r["versions"]) for r in rows] == [(1, 1, 3, 3)]
    every = json.loads(run("list", "--all-versions", "--format", "json")[1])
    assert sorted((r["id"], r["version"], r["archived"]) for r in every) == [(1, 3, False), (2, 1, True), (3, 2, True)]
    history = json.loads(run("history", "shop.example", "--format", "json")[1])
    assert [v["version"] for v in history["versions"]] == [3, 2, 1] and {"versions", "events"} == set(history)
    text = run("history", "shop.example")[1]
    assert text.index("VERSION") < text.index("EVENT") and "v3" in text
    assert "v3 of 3 (lineage 1), current" in run("show", "shop.example")[1]
    newer = versions("shop.example", 4)[3]
    (tmp_path / "renewed.pem").write_bytes(newer.pem)
    code, out, _ = run("import", str(tmp_path / "renewed.pem"))
    assert code == 0 and out.startswith("renewed: supersedes #1  shop.example (id 4)")
    code, out, _ = run("import", "--no-supersede", str(tmp_path / "renewed.pem"))
    assert "already present" in out


def test_json_and_csv_carry_no_raw_control_bidi_or_formula(run, tmp_path):
    for index, cn in enumerate(["csi\u009b31m.example", "rtl\u202eelpmaxe.example", '=HYPERLINK("http://evil")', "+cmd|calc", "@sum(1)"]):
        (tmp_path / "hostile").mkdir(exist_ok=True)
        (tmp_path / "hostile" / f"h{index}.pem").write_bytes(make_cert(cn, sans=[x509.DNSName(f"h{index}.example")], serial=index + 1).pem)
    assert run("import", str(tmp_path / "hostile"))[0] == 0
    out = run("list", "--format", "json")[1]
    assert "\u009b" not in out and "\u202e" not in out and "\\u009b" in out and "\\u202e" in out
    assert {r["name"] for r in json.loads(out)} >= {"csi\u009b31m.example", "rtl\u202eelpmaxe.example"}  # the data is intact
    shown = run("show", "h1.example", "--format", "json")[1]
    assert "\u202e" not in shown and "\\u202e" in shown
    import csv

    rows = list(csv.reader(io.StringIO(run("list", "--format", "csv")[1])))
    names = [row[2] for row in rows[1:]]
    assert all(not n.startswith(("=", "+", "-", "@")) for n in names)
    assert "'=HYPERLINK(\"http://evil\")" in names and "'+cmd|calc" in names and "'@sum(1)" in names


def test_a_key_exported_as_pem_is_said_to_be_unencrypted_unless_encrypt_key(run, tmp_path, monkeypatch):
    leaf = make_cert("enc.example")
    (tmp_path / "in.pem").write_bytes(leaf.pem + leaf.key_pem)
    assert run("import", str(tmp_path / "in.pem"))[0] == 0
    code, _, err = run("export", "enc.example", "--out", str(tmp_path / "plain"), "--with-key")
    assert code == 0 and "private key is written unencrypted" in err
    monkeypatch.setenv("SSLTERM_NEW_PASSPHRASE", "export passphrase")
    code, _, err = run("export", "enc.example", "--out", str(tmp_path / "enc"), "--with-key", "--encrypt-key")
    assert code == 0 and "unencrypted" not in err
    data = (tmp_path / "enc" / "enc.example.key").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in data
    key = serialization.load_pem_private_key(data, b"export passphrase")
    assert key.public_key().public_numbers() == leaf.cert.public_key().public_numbers()
