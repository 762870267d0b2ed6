"""STARTTLS probes against real Debian servers and RFC-scripted ones on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from cryptography import x509

from sslterm.probes.tls import Endpoint, probe_all
from tests.factories import DAY, NOW, make_cert, pem
from tests.conftest import MAIL


def probe(port: int, protocol: str, timeout: float = 2.0):
    (result,) = asyncio.run(probe_all([Endpoint(MAIL, "127.0.0.1", port, protocol=protocol)], timeout=timeout))
    return result


@pytest.fixture
def held_mail(run, tmp_path, mail_files):
    """The store holds the chain the servers present, with its key; the root is given as a CA bundle."""
    chain = mail_files.chain
    (tmp_path / "mail.pem").write_bytes(pem(chain.leaf.cert, chain.intermediate.cert) + chain.leaf.key_pem)
    (tmp_path / "root.pem").write_bytes(pem(chain.root.cert))
    code, out, err = run("import", str(tmp_path / "mail.pem"))
    assert code == 0, err
    return chain


def test_real_mail_and_database_servers_serve_the_held_chain_then_an_older_version(run, held_mail, tmp_path, exim, dovecot,
                                                                                   postgres_ssl):
    added = [run("endpoint", "add", MAIL, f"smtp://127.0.0.1:{exim.port}"),
             run("endpoint", "add", MAIL, f"127.0.0.1:{dovecot.imap}", "--protocol", "imap"),
             run("endpoint", "add", MAIL, f"pop3://127.0.0.1:{dovecot.pop3}"),
             run("endpoint", "add", MAIL, f"127.0.0.1:{postgres_ssl.port}", "--protocol", "postgres")]
    assert [code for code, _, _ in added] == [0, 0, 0, 0], added
    assert added[0][1] == f"added endpoint smtp://127.0.0.1:{exim.port} for {MAIL}\n"

    code, out, err = run("check", "--no-renew", "--no-notify", "--ca-bundle", str(tmp_path / "root.pem"), "--format", "json")
    report = json.loads(out)
    assert report["probed"] == 4 and [p for p in report["problems"] if p.get("endpoint")] == [], report["problems"]
    code, out, _ = run("endpoint", "list", "--format", "json")
    endpoints = json.loads(out)
    assert sorted(e["protocol"] for e in endpoints) == ["imap", "pop3", "postgres", "smtp"]
    served = {e["served_sha256"] for e in endpoints}
    assert len(served) == 1 and all(e["drift"] is False and e["trusted"] is True and e["last_error"] is None for e in endpoints)

    renewed = make_cert(MAIL, issuer=held_mail.intermediate, sans=[x509.DNSName(MAIL)], not_before=NOW - DAY, not_after=NOW + 89 * DAY,
                        serial=99)
    (tmp_path / "renewed.pem").write_bytes(renewed.pem + pem(held_mail.intermediate.cert) + renewed.key_pem)
    assert run("import", str(tmp_path / "renewed.pem"))[0] == 0
    code, out, err = run("check", "--no-renew", "--no-notify", "--ca-bundle", str(tmp_path / "root.pem"), "--format", "json")
    outdated = sorted(p["endpoint"] for p in json.loads(out)["problems"] if p["kind"] == "outdated")
    assert outdated == sorted([f"smtp://127.0.0.1:{exim.port}", f"imap://127.0.0.1:{dovecot.imap}", f"pop3://127.0.0.1:{dovecot.pop3}",
                               f"postgres://127.0.0.1:{postgres_ssl.port}"])


def test_scripted_ftp_ldap_xmpp_and_mysql_servers_hand_over_their_chain(scripted, mail_files):
    chain = mail_files.chain
    for port, protocol in ((scripted.add_ftp(), "ftp"), (scripted.add_ldap(), "ldap"), (scripted.add_xmpp(), "xmpp"),
                           (scripted.add_mysql(), "mysql")):
        result = probe(port, protocol)
        assert result.ok, (protocol, result.error)
        assert list(result.chain) == [chain.leaf.cert, chain.intermediate.cert], protocol


@pytest.mark.parametrize(("make", "protocol", "message"), [
    ("add_smtp_without_starttls", "smtp", "the server does not offer STARTTLS (its EHLO reply does not list it)"),
    ("add_smtp_closing_after_starttls", "smtp",
     "SMTP: the server accepted STARTTLS, then closed the connection during the TLS handshake"),
    ("add_xmpp_without_starttls", "xmpp", "the server does not offer STARTTLS (its stream features do not list it)"),
    ("add_ldap_refusing", "ldap", "the server does not offer StartTLS: result 52 (unavailable): “TLS is not configured”"),
    ("add_mysql_without_ssl", "mysql", "the server does not offer TLS (its handshake lacks the SSL capability)"),
])
def test_a_server_that_refuses_or_drops_starttls_is_said_in_words(scripted, make, protocol, message):
    makers = {"add_xmpp_without_starttls": lambda: scripted.add_xmpp(offer=False), "add_ldap_refusing": lambda: scripted.add_ldap(52),
              "add_mysql_without_ssl": lambda: scripted.add_mysql(ssl_capable=False)}
    port = makers[make]() if make in makers else getattr(scripted, make)()
    started = time.monotonic()
    result = probe(port, protocol)
    assert result.error == message
    assert time.monotonic() - started < 2.0  # classified at once, not at the timeout


def test_a_server_that_stalls_after_its_greeting_times_out_naming_the_step(scripted):
    port = scripted.add_smtp_stalling_after_greeting()
    started = time.monotonic()
    result = probe(port, "smtp", timeout=0.5)
    assert result.error == "timed out after 0.5 s (waiting for the reply to EHLO)"
    assert time.monotonic() - started < 1.5


def test_a_plain_tls_probe_of_a_starttls_port_suggests_the_protocol(exim, dovecot):
    smtp = probe(exim.port, "tls")
    assert smtp.error == "the server answered in plain text, not TLS: it looks like SMTP, so set the endpoint's protocol to smtp"
    imap = probe(dovecot.imap, "tls")
    assert imap.error == "the server answered in plain text, not TLS: it looks like IMAP, so set the endpoint's protocol to imap"


def test_speaking_the_wrong_protocol_is_said_with_what_the_server_sent(dovecot):
    result = probe(dovecot.imap, "pop3")
    assert result.error.startswith("the server does not speak POP3: it greeted with “* OK")


def test_an_ad_hoc_check_of_a_starttls_url_reads_the_served_certificate(run, exim, tmp_path, mail_files):
    (tmp_path / "root.pem").write_bytes(pem(mail_files.chain.root.cert))
    code, out, err = run("check", "--endpoint", f"smtp://127.0.0.1:{exim.port}", "--sni", MAIL, "--ca-bundle", str(tmp_path / "root.pem"))
    assert code == 0, out + err
    assert out.startswith(f"SSLTERM OK - 127.0.0.1:{exim.port}")
