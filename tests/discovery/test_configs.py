"""discover apache and haproxy from their configuration files, and discover scan over real TLS servers."""

from __future__ import annotations

import json

from cryptography import x509

from tests.factories import make_chain, pem


def _site(tmp_path, name: str):
    chain = make_chain(f"{name}.example.test", sans=[x509.DNSName(f"{name}.example.test")])
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert.write_bytes(pem(chain.leaf.cert, chain.intermediate.cert))
    key.write_bytes(chain.leaf.key_pem)
    return chain, cert, key


def test_apache_virtual_hosts_with_ssl_engine_on_are_found_through_includes(run, tmp_path):
    _, cert, key = _site(tmp_path, "shop")
    _, other, other_key = _site(tmp_path, "blog")
    (tmp_path / "sites-enabled").mkdir()
    (tmp_path / "apache2.conf").write_text(f"ServerRoot {tmp_path}\nIncludeOptional sites-enabled/*.conf\n")
    (tmp_path / "sites-enabled" / "shop.conf").write_text(f"""
<VirtualHost *:80>
    ServerName shop.example.test
</VirtualHost>
<VirtualHost 127.0.0.1:8443>
    ServerName shop.example.test
    ServerAlias www.shop.example.test \\
                *.shop.example.test
    SSLEngine on
    SSLCertificateFile {cert}
    SSLCertificateKeyFile {key}
</VirtualHost>
""")
    (tmp_path / "sites-enabled" / "blog.conf").write_text(f"""
<VirtualHost _default_:443>
    ServerName blog.example.test
    sslengine On
    SSLCertificateFile "{other}"
    SSLCertificateKeyFile "{other_key}"
</VirtualHost>
""")
    code, out, err = run("discover", "apache", "--config", str(tmp_path / "apache2.conf"), "--apachectl", "apache2ctl", "--dry-run")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "apache: 2 TLS site(s)"
    assert sorted(line for line in lines if line.startswith("would add")) == [
        "would add      endpoint blog.example.test 127.0.0.1:443", "would add      endpoint shop.example.test 127.0.0.1:8443",
        "would add      endpoint www.shop.example.test 127.0.0.1:8443"]
    assert f"would propose  deploy target for shop.example.test: fullchain={cert} key={key}; check 'apache2ctl configtest'; " \
           "reload 'apache2ctl graceful'" in lines


def test_haproxy_crt_files_and_directories_become_combined_targets_named_by_their_certificates(run, tmp_path):
    chain, cert, key = _site(tmp_path, "api")
    combined_dir = tmp_path / "certs"
    combined_dir.mkdir()
    (combined_dir / "api.pem").write_bytes(cert.read_bytes() + key.read_bytes())
    (combined_dir / "api.pem.ocsp").write_bytes(b"not a certificate")  # HAProxy's side file, never a certificate
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(f"""
global
    log stdout format raw local0
frontend https
    bind 127.0.0.1:9443,127.0.0.1:9444 ssl crt {combined_dir}/ alpn h2,http/1.1
    default_backend app
backend app
    server app1 127.0.0.1:8080
""")
    code, out, err = run("discover", "haproxy", "--config", str(cfg), "--dry-run")
    assert code == 0, err
    lines = out.splitlines()
    assert [line for line in lines if line.startswith("would add")] == [
        "would add      endpoint api.example.test 127.0.0.1:9443", "would add      endpoint api.example.test 127.0.0.1:9444"]
    assert [line.split(";")[0] for line in lines if line.startswith("would propose")] == [
        f"would propose  deploy target for api.example.test: combined={combined_dir}/api.pem"]


def test_a_config_that_does_not_parse_is_one_line_naming_the_file_and_line(run, tmp_path):
    bad = tmp_path / "nginx.conf"
    bad.write_text("http {\n    server {\n        listen 443 ssl;\n")
    code, out, err = run("discover", "nginx", "--config", str(bad))
    assert code != 0 and err.strip() == f"sslterm: error: {bad}: a block is not closed with '}}'"
    code, out, err = run("discover", "haproxy", "--config", str(tmp_path / "missing.cfg"))
    assert code != 0 and err.strip() == f"sslterm: error: cannot read {tmp_path / 'missing.cfg'}: No such file or directory"


def test_scan_tracks_all_fifty_servers_and_probes_nothing_it_was_not_asked_to(run, servers, tmp_path):
    chains, ports = [], []
    for index in range(50):
        chain = make_chain(f"s{index}.example.test", sans=[x509.DNSName(f"s{index}.example.test")])
        chains.append(chain)
        ports.append(servers.add_tls(tmp_path, f"s{index}", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key))
    code, out, err = run("discover", "scan", "127.0.0.1", "--ports", ",".join(map(str, ports)), "--timeout", "3")
    assert code == 0, out + err
    assert out.splitlines()[-1] == "50 of 50 probe(s) read a certificate: 50 certificate(s) tracked"
    endpoints = json.loads(run("endpoint", "list", "--format", "json")[1])
    assert sorted((e["domain"], e["port"]) for e in endpoints) == sorted((f"s{i}.example.test", port) for i, port in enumerate(ports))
    assert len(json.loads(run("list", "--format", "json")[1])) == 50
    code, out, err = run("discover", "scan", "10.0.0.0/16", "--ports", "443,8443")
    assert code != 0 and "10.0.0.0/16 has 65536 addresses: with 2 port(s) that is more than 4096 probes" in err
