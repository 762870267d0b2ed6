"""Kubernetes TLS secrets and Java keystores, in and out, through the CLI."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from tests.factories import make_chain, pem

KEYSTORES = Path(__file__).parent.parent / "fixtures" / "keystores"  # made by make.sh there, with keytool


def kubectl_secret(name: str, cert_pem: bytes, key_pem: bytes) -> str:
    """What 'kubectl create secret tls NAME --cert=… --key=… --dry-run=client -o yaml' prints."""
    return (f"apiVersion: v1\ndata:\n  tls.crt: {base64.b64encode(cert_pem).decode()}\n  tls.key: {base64.b64encode(key_pem).decode()}\n"
            f"kind: Secret\nmetadata:\n  creationTimestamp: null\n  name: {name}\ntype: kubernetes.io/tls\n")


def served_pem_count(run, domain: str) -> int:
    """Certificates 'show --format pem' prints: the leaf and its stored chain."""
    return run("show", domain, "--format", "pem")[1].count("BEGIN CERTIFICATE")


def listed(run) -> dict[str, dict]:
    return {row["domain"]: row for row in json.loads(run("list", "--format", "json")[1])}


def test_a_kubectl_secret_yaml_imports_with_key_and_chain(run, tmp_path):
    chain = make_chain("shop.example.test")
    (tmp_path / "shop.yaml").write_text(kubectl_secret("shop-tls", pem(chain.leaf.cert, chain.intermediate.cert), chain.leaf.key_pem))
    code, out, err = run("import", str(tmp_path / "shop.yaml"))
    assert code == 0, out + err
    assert out.startswith("imported  shop.example.test (id 1, with key)")
    row = listed(run)["shop.example.test"]
    assert row["has_key"] is True and served_pem_count(run, "shop.example.test") == 2


def test_many_secrets_in_yaml_documents_a_json_list_and_string_data_all_import(run, tmp_path):
    a, b, c = (make_chain(f"{n}.example.test") for n in "abc")
    docs = "---\n".join([kubectl_secret("a-tls", pem(a.leaf.cert, a.intermediate.cert), a.leaf.key_pem),
                         "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unrelated\ndata:\n  x: y\n",
                         kubectl_secret("b-tls", pem(b.leaf.cert), b.leaf.key_pem)])
    (tmp_path / "many.yaml").write_text(docs)
    listing = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls", "metadata": {"name": "c-tls"},
         "stringData": {"tls.crt": pem(c.leaf.cert).decode(), "tls.key": c.leaf.key_pem.decode(), "ca.crt": pem(c.intermediate.cert).decode()}}]}
    (tmp_path / "list.json").write_text(json.dumps(listing))
    code, out, err = run("import", str(tmp_path / "many.yaml"), str(tmp_path / "list.json"))
    assert code == 0, out + err
    rows = listed(run)
    assert sorted(rows) == ["a.example.test", "b.example.test", "c.example.test"]
    assert all(row["has_key"] for row in rows.values()) and served_pem_count(run, "c.example.test") == 2


def test_a_damaged_secret_is_one_line_naming_what_is_wrong(run, tmp_path):
    (tmp_path / "bad.yaml").write_text("apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\ndata:\n  tls.crt: not*base64\n")
    code, out, err = run("import", str(tmp_path / "bad.yaml"))
    assert code == 1 and out.strip() == f"rejected  {tmp_path / 'bad.yaml'}: Secret x: tls.crt is not base64"
    (tmp_path / "broken.yaml").write_text("apiVersion: v1\nkind: Secret\ndata:\n  tls.crt: [unclosed\n")
    code, out, err = run("import", str(tmp_path / "broken.yaml"))
    assert code == 1 and out.startswith(f"rejected  {tmp_path / 'broken.yaml'}: the Kubernetes YAML is not valid at line")


def test_export_as_a_secret_round_trips_and_is_written_0600(run, tmp_path):
    chain = make_chain("*.wild.example.test")
    (tmp_path / "in.pem").write_bytes(pem(chain.leaf.cert, chain.intermediate.cert) + chain.leaf.key_pem)
    run("import", str(tmp_path / "in.pem"))
    code, out, err = run("export", "1", "--out", str(tmp_path / "out"), "--format", "k8s-secret")
    assert code != 0 and "holds the private key too" in err
    code, out, err = run("export", "1", "--out", str(tmp_path / "out"), "--format", "k8s-secret", "--with-key")
    assert code == 0, err
    (written,) = (tmp_path / "out").iterdir()
    assert written.name.endswith(".secret.yaml") and written.stat().st_mode & 0o777 == 0o600
    import yaml

    secret = yaml.safe_load(written.read_text())
    assert secret["type"] == "kubernetes.io/tls" and secret["metadata"]["name"] == "wildcard.wild.example.test-tls"
    assert base64.b64decode(secret["data"]["tls.crt"]) == pem(chain.leaf.cert, chain.intermediate.cert)
    code, out, err = run("--db", str(tmp_path / "other.db"), "init")
    from sslterm.cli import main

    assert main(["--db", str(tmp_path / "other.db"), "import", str(written)]) == 0


def test_a_keytool_jks_imports_every_key_entry_with_its_chain_and_own_key_password(run, tmp_path):
    (tmp_path / "store.pass").write_text("storepass\n")
    code, out, err = run("import", str(KEYSTORES / "web.jks"), "--password-file", str(tmp_path / "store.pass"))
    assert code == 1 and out.strip() == (f"rejected  {KEYSTORES / 'web.jks'}: the key of entry 'web' has its own password, "
                                         "not the store's: give it by alias (web=PASSWORD)")
    (tmp_path / "keys.pass").write_text("web=keypass1\n")
    code, out, err = run("import", str(KEYSTORES / "web.jks"), "--password-file", str(tmp_path / "store.pass"),
                         "--key-password-file", str(tmp_path / "keys.pass"))
    assert code == 0, out + err
    rows = listed(run)
    assert sorted(rows) == ["api.example.test", "shop.example.test"]  # the CA entry is chain material, not a third row
    assert rows["shop.example.test"]["has_key"] and served_pem_count(run, "shop.example.test") == 2
    assert rows["shop.example.test"]["issuer"] == "CN=Keytool Test CA"


@pytest.mark.parametrize(("password", "message"), [
    (None, "this is a JCEKS keystore: it needs its store password"),
    ("wrong", "the JCEKS keystore's password is wrong (its integrity check fails)"),
])
def test_a_jceks_without_or_with_a_wrong_store_password_is_one_clear_line(run, tmp_path, password, message):
    extra = []
    if password is not None:
        (tmp_path / "p").write_text(password + "\n")
        extra = ["--password-file", str(tmp_path / "p")]
    code, out, err = run("import", str(KEYSTORES / "api.jceks"), *extra)
    assert code == 1 and out.strip() == f"rejected  {KEYSTORES / 'api.jceks'}: {message}"
    assert listed(run) == {}


def test_a_jceks_with_its_password_imports(run, tmp_path):
    (tmp_path / "p").write_text("storepass\n")
    assert run("import", str(KEYSTORES / "api.jceks"), "--password-file", str(tmp_path / "p"))[0] == 0
    assert listed(run)["api.example.test"]["has_key"] is True
