"""discover nginx against a real nginx with three TLS server blocks, then a deploy through what it found."""

from __future__ import annotations

import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from tests.deploy.nginx import NGINX, Nginx, free_port
from tests.factories import DAY, NOW, make_cert, make_chain, pem


def _write(path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def site_nginx(tmp_path):
    """nginx with a.example.test (plain files), b.example.test (certbot's layout), c.example.test (included ssl lines)."""
    server = Nginx(tmp_path / "nginx")
    root = server.root
    chains = {name: make_chain(f"{name}.example.test", sans=[x509.DNSName(f"{name}.example.test"), x509.DNSName(f"www.{name}.example.test")])
              for name in "abc"}
    ports = {name: free_port() for name in "abc"}
    files = {"a": (root / "ssl/a/fullchain.pem", root / "ssl/a/privkey.pem"),
             "b": (root / "letsencrypt/live/b.example.test/fullchain.pem", root / "letsencrypt/live/b.example.test/privkey.pem"),
             "c": (root / "ssl/c/c.crt", root / "ssl/c/c.key")}
    for name, (cert, key) in files.items():
        chain = chains[name]
        _write(cert, pem(chain.leaf.cert, chain.intermediate.cert))
        _write(key, chain.leaf.key_pem)
    (root / "sites/a.conf").write_text(f"""
server {{
    listen 127.0.0.1:{ports['a']} ssl;
    server_name a.example.test www.a.example.test;
    ssl_certificate {files['a'][0]};
    ssl_certificate_key "{files['a'][1]}";
    return 200 "a";
}}
server {{
    listen 127.0.0.1:{free_port()};  # plain HTTP: not a TLS site
    server_name plain.example.test;
}}
""")
    (root / "sites/b.conf").write_text(f"""
server {{ listen 127.0.0.1:{ports['b']} ssl; server_name b.example.test;
         ssl_certificate {files['b'][0]}; ssl_certificate_key {files['b'][1]}; }}
""")
    _write(root / "snippets/c-ssl.conf", f"ssl_certificate {files['c'][0]};\nssl_certificate_key {files['c'][1]};\n".encode())
    (root / "sites/c.conf").write_text(f"""
server {{
    listen 127.0.0.1:{ports['c']} ssl;
    server_name c.example.test *.c.example.test;
    include {root}/snippets/c-ssl.conf;
}}
""")
    server.reload()
    for name in "abc":
        server.wait_for(ports[name], f"{name}.example.test", chains[name].leaf.cert.fingerprint(hashes.SHA256()).hex())
    yield server, chains, ports, files
    server.stop()


def test_dry_run_shows_every_site_file_endpoint_and_proposed_target_and_changes_nothing(run, site_nginx):
    server, chains, ports, files = site_nginx
    code, out, err = run("discover", "nginx", "--config", str(server.conf), "--nginx", NGINX, "--dry-run")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "nginx: 3 TLS site(s)"
    check, reload = f"{NGINX} -t -c {server.conf}", f"{NGINX} -s reload -c {server.conf}"
    assert f"would import   a.example.test (expires {chains['a'].leaf.cert.not_valid_after_utc:%Y-%m-%d}, with key) from {files['a'][0]}" in lines
    assert sorted(line for line in lines if line.startswith("would add")) == sorted([
        f"would add      endpoint a.example.test 127.0.0.1:{ports['a']}", f"would add      endpoint www.a.example.test 127.0.0.1:{ports['a']}",
        f"would add      endpoint b.example.test 127.0.0.1:{ports['b']}", f"would add      endpoint c.example.test 127.0.0.1:{ports['c']}"])
    assert [line for line in lines if line.startswith("would propose")] == [
        f"would propose  deploy target for a.example.test: fullchain={files['a'][0]} key={files['a'][1]}; check '{check}'; reload '{reload}'",
        f"would propose  deploy target for c.example.test: fullchain={files['c'][0]} key={files['c'][1]}; check '{check}'; reload '{reload}'"]
    assert any("certbot renews it, so no deploy target is proposed" in line and str(files["b"][0]) in line for line in lines)
    assert any("*.c.example.test" in line and line.startswith("note") for line in lines)
    assert lines[-1] == "nothing was changed (--dry-run)"
    assert json.loads(run("list", "--format", "json")[1]) == []
    assert run("endpoint", "list")[1].startswith("no endpoints")
    assert json.loads(run("deploy", "list", "--format", "json")[1]) == []


def test_discovery_stores_once_and_a_deploy_through_the_found_target_reloads_that_nginx(run, site_nginx, tmp_path):
    server, chains, ports, files = site_nginx
    code, out, err = run("discover", "nginx", "--config", str(server.conf), "--nginx", NGINX, "--yes")
    assert code == 0, out + err
    assert len([line for line in out.splitlines() if line.startswith("imported")]) == 3
    assert len([line for line in out.splitlines() if line.startswith("endpoint  added")]) == 4
    assert len([line for line in out.splitlines() if line.startswith("target    added deploy target")]) == 2
    again = run("discover", "nginx", "--config", str(server.conf), "--nginx", NGINX, "--yes")[1].splitlines()
    assert not [line for line in again if line.startswith(("imported", "endpoint  added", "target    added"))], again
    assert len([line for line in again if line.startswith("target    unchanged deploy target")]) == 2

    code, out, _ = run("check", "--no-renew", "--no-notify", "--format", "json", "--ca-bundle", str(_root_bundle(tmp_path, chains)))
    assert [p for p in json.loads(out)["problems"] if p["kind"] in ("drift", "probe-failed", "untrusted")] == []

    chain = chains["a"]
    renewed = make_cert("a.example.test", issuer=chain.intermediate, not_before=NOW - DAY, not_after=NOW + 89 * DAY, serial=4242,
                        sans=[x509.DNSName("a.example.test"), x509.DNSName("www.a.example.test")])
    (tmp_path / "renewed.pem").write_bytes(renewed.pem + pem(chain.intermediate.cert) + renewed.key_pem)
    code, out, err = run("import", str(tmp_path / "renewed.pem"))
    assert code == 0, out + err
    assert "verified" in out, out  # the new version went to a.example.test's target, nginx reloaded and serves it
    server.wait_for(ports["a"], "a.example.test", renewed.cert.fingerprint(hashes.SHA256()).hex())
    assert files["a"][0].read_bytes() == renewed.pem + pem(chain.intermediate.cert)


def _root_bundle(tmp_path, chains):
    path = tmp_path / "roots.pem"
    path.write_bytes(pem(*(c.root.cert for c in chains.values())))
    return path



def test_the_nginx_T_dump_gives_the_same_sites_as_the_files(site_nginx):
    from sslterm.discovery import nginx

    server, chains, ports, files = site_nginx
    binary, dump = nginx.run_dump(NGINX, server.conf)
    assert "# configuration file " in dump
    from_dump, from_files = nginx.from_dump(dump, binary), nginx.from_files(server.conf, binary)
    assert [(s.names, s.listens, s.files) for s in from_dump.sites] == [(s.names, s.listens, s.files) for s in from_files.sites]
    assert len(from_dump.sites) == 3 and from_dump.check == (NGINX, "-t")
