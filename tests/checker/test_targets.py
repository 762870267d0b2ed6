"""Served certificates judged by the thresholds, trust bundles, and single-target checks for Nagios."""

from __future__ import annotations

import json

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sslterm.store.checks import CheckStore
from tests.factories import DAY, NOW, make_cert, make_chain


def served_chain(cn, days):
    """A 90-day (or longer) certificate with ``days`` left."""
    return make_chain(cn, sans=[x509.DNSName(cn)], leaf_not_after=NOW + days * DAY, leaf_not_before=NOW + min(days - 90, -10) * DAY)


def pem_file(path, *certs):
    path.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
    return str(path)


def test_a_served_certificate_with_20_days_left_that_we_do_not_hold_is_a_warning(run, servers, tmp_path):
    chain = served_chain("twenty.example", 20)
    port = servers.add_tls(tmp_path, "twenty", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key)
    roots = pem_file(tmp_path / "roots.pem", chain.root.cert)
    assert run("endpoint", "add", "twenty.example", f"127.0.0.1:{port}")[0] == 0
    code, out, _ = run("check", "--no-renew", "--ca-bundle", roots, "--format", "json")
    report = json.loads(out)
    assert code == 1, out
    [problem] = [p for p in report["problems"] if p["endpoint"]]
    assert problem["kind"] == "warning" and problem["severity"] == "WARNING"
    assert "expires in 20 days" in problem["message"]


def test_a_private_ca_without_aki_is_trusted_with_ca_bundle_and_flagged_only_as_webpki(run, servers, tmp_path):
    root = make_cert("Corp Root", ca=True, not_before=NOW - 900 * DAY, not_after=NOW + 3000 * DAY, serial=1)
    port = _serve_private(servers, tmp_path, root)
    bundle = pem_file(tmp_path / "corp.pem", root.cert)
    assert run("endpoint", "add", "intra.example", f"127.0.0.1:{port}")[0] == 0
    code, out, _ = run("check", "--no-renew", "--format", "json")
    kinds = {(p["kind"], p["code"]) for p in json.loads(out)["problems"] if p["endpoint"]}
    assert ("untrusted", "unknown-root") in kinds or ("untrusted", "incomplete-chain") in kinds  # the system does not know Corp Root
    code, out, _ = run("check", "--no-renew", "--ca-bundle", bundle, "--format", "json")
    problems = [p for p in json.loads(out)["problems"] if p["endpoint"]]
    assert [(p["kind"], p["severity"]) for p in problems] == [("webpki", "WARNING")], problems
    assert "Authority Key Identifier" in problems[0]["message"]
    assert code == 1


def _serve_private(servers, tmp_path, root):
    """A TLS server whose leaf (no AKI) is signed by ``root``; the key is generated here."""
    from cryptography.hazmat.primitives import hashes

    from tests.factories import ec_key, name

    key = ec_key()
    cert = (x509.CertificateBuilder().subject_name(name("intra.example")).issuer_name(root.cert.subject).public_key(key.public_key())
            .serial_number(78).not_valid_before(NOW - DAY).not_valid_after(NOW + 80 * DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("intra.example")]), critical=False)
            .sign(root.key, hashes.SHA256()))
    return servers.add_tls(tmp_path, "intra", [cert], key)


def test_a_per_endpoint_ca_bundle(run, servers, tmp_path):
    root = make_cert("Corp Root", ca=True, not_before=NOW - 900 * DAY, not_after=NOW + 3000 * DAY, serial=1)
    port = _serve_private(servers, tmp_path, root)
    bundle = pem_file(tmp_path / "corp.pem", root.cert)
    assert run("endpoint", "add", "intra.example", f"127.0.0.1:{port}", "--ca-bundle", bundle)[0] == 0
    code, out, _ = run("check", "--no-renew", "--format", "json")
    assert [p["kind"] for p in json.loads(out)["problems"] if p["endpoint"]] == ["webpki"]
    code, _, err = run("endpoint", "add", "x.example", "127.0.0.1:1", "--ca-bundle", str(tmp_path / "missing.pem"))
    assert code != 0 and "cannot read the CA bundle" in err and "Traceback" not in err


def test_check_endpoint_follows_the_nagios_plugin_conventions(run, servers, tmp_path):
    roots = []
    ports = {}
    for cn, days in (("ok.example", 200), ("warn.example", 20), ("crit.example", 3)):
        chain = served_chain(cn, days)
        roots.append(chain.root.cert)
        ports[cn] = servers.add_tls(tmp_path, cn, [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key)
    bundle = pem_file(tmp_path / "roots.pem", *roots)
    for cn, code, status, days in (("ok.example", 0, "OK", "200"), ("warn.example", 1, "WARNING", "20"), ("crit.example", 2, "CRITICAL", "3")):
        assert run("endpoint", "add", cn, f"127.0.0.1:{ports[cn]}")[0] == 0
        got, out, _ = run("check", "--endpoint", f"127.0.0.1:{ports[cn]}", "--ca-bundle", bundle)
        first = out.splitlines()[0]
        assert got == code, out
        assert first.startswith(f"SSLTERM {status} - ")
        assert first.endswith(f"| days={days};30;7;0"), first
    got, out, _ = run("check", "--endpoint", "127.0.0.1:1")
    assert got == 2 and "cannot connect" in out.splitlines()[0]


def test_an_unregistered_endpoint_is_probed_without_being_stored(run, servers, tmp_path, store):
    chain = served_chain("adhoc.example", 20)
    port = servers.add_tls(tmp_path, "adhoc", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key)
    bundle = pem_file(tmp_path / "r.pem", chain.root.cert)
    got, out, _ = run("check", "--endpoint", f"127.0.0.1:{port}", "--ca-bundle", bundle)
    assert got == 2 and "name mismatch" in out  # asked by IP, the certificate names adhoc.example
    got, out, _ = run("check", "--endpoint", f"127.0.0.1:{port}", "--sni", "adhoc.example", "--ca-bundle", bundle)
    assert got == 1 and "expires in 20 days" in out and "days=20;30;7;0" in out
    assert CheckStore(store).endpoints() == []


def test_check_domain_judges_the_certificates_that_cover_it(run, store):
    issued = make_cert("*.wild.example", sans=[x509.DNSName("*.wild.example")], not_before=NOW - 85 * DAY, not_after=NOW + 5 * DAY)
    store.add_certificate(issued.cert, [], issued.key, type="existing", owner="ops", now=NOW)
    other = make_cert("calm.example", not_before=NOW - 300 * DAY, not_after=NOW + 2 * DAY)
    store.add_certificate(other.cert, [], other.key, type="existing", owner="ops", now=NOW)
    got, out, _ = run("check", "--domain", "shop.wild.example")
    assert got == 2 and out.startswith("SSLTERM CRITICAL - *.wild.example: ") and "days=5;30;7;0" in out
    assert "calm.example" not in out
    got, out, _ = run("check", "--domain", "nothing.example")
    assert got == 3 and "nothing is known" in out
