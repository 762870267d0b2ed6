"""Auto SSL against a real ACME server (pebble): issuance, renewal, CA errors, no half-writes."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509

from sslterm.autossl.client import AcmeSettings
from sslterm.autossl.service import obtain_certificate
from sslterm.checker.run import CheckOptions, check_pass
from sslterm.cli import main
from sslterm.core.errors import SslTermError
from sslterm.core.validate import validate
from sslterm.store import ListQuery
from sslterm.store.acme_state import AcmeState
from sslterm.store.models import AcmeAccount

import pytest

NO_PROBE = CheckOptions(probe=False)


def settings(pebble, **changes) -> AcmeSettings:
    values = dict(directory=pebble.directory, email="ops@example.com", challenge="standalone", port=pebble.http_port,
                  ca_bundle=str(pebble.ca_bundle), key_type="ec256")
    return AcmeSettings(**{**values, **changes})


def now() -> datetime:
    return datetime.now(UTC)


def test_obtain_with_the_standalone_responder_really_validated(pebble, store):
    steps = []
    record = obtain_certificate(store, settings(pebble), "shop.acme.example", ["www.shop.acme.example"], owner="ops",
                                now=now(), progress=lambda step, message: steps.append(step))
    assert record.type == "auto" and record.has_key
    assert [s for s in dict.fromkeys(steps)] == ["account", "order", "challenge", "finalise"]
    material = store.material(record.id, with_key=True)
    san = material.certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sorted(san.get_values_for_type(x509.DNSName)) == ["shop.acme.example", "www.shop.acme.example"]
    assert material.key.public_key().public_numbers() == material.certificate.public_key().public_numbers()
    assert material.chain, "the CA's chain is stored"
    assert not validate(material.certificate, material.chain, now(), roots=pebble.roots()).has("missing_intermediate")
    assert AcmeState(store).settings(record.id)["challenge"] == "standalone"
    account_key, url = AcmeState(store).account_key(pebble.directory, "ops@example.com")
    assert account_key is not None and url.startswith("https://127.0.0.1")


def test_obtain_with_a_webroot(pebble, store, tmp_path):
    webroot = tmp_path / "www"
    webroot.mkdir()
    server = ThreadingHTTPServer(("127.0.0.1", pebble.http_port), partial(SimpleHTTPRequestHandler, directory=str(webroot)))
    server.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        record = obtain_certificate(store, settings(pebble, challenge="webroot", webroot=str(webroot), port=None),
                                    "web.acme.example", [], owner="ops", now=now())
    finally:
        server.shutdown()
        server.server_close()
    assert record.type == "auto"
    assert list((webroot / ".well-known" / "acme-challenge").iterdir()) == []  # tokens cleaned up


def test_a_ca_error_is_a_clear_message_and_nothing_is_written(pebble, store):
    with pytest.raises(SslTermError, match=r"the CA refused: .*192\.0\.2\.1.*\(malformed\)"):
        obtain_certificate(store, settings(pebble), "192.0.2.1", [], owner="ops", now=now())
    assert store.count(ListQuery(), now()) == 0
    assert AcmeAccount.select().count() == 0


def test_an_unreachable_directory_is_a_clear_message(store):
    bad = AcmeSettings("https://127.0.0.1:1/dir", "ops@example.com", "standalone", port=18099)
    with pytest.raises(SslTermError, match="cannot reach the ACME server"):
        obtain_certificate(store, bad, "x.acme.example", [], owner="ops", now=now())
    assert store.count(ListQuery(), now()) == 0


def test_the_checker_renews_auto_certificates_in_their_window(pebble, store):
    record = obtain_certificate(store, settings(pebble), "renew.acme.example", [], owner="ops", now=now())
    outside = asyncio.run(check_pass(store, record.not_after - timedelta(days=40), NO_PROBE))
    assert outside.renewals == []
    inside_at = record.not_after - timedelta(days=10)
    report = asyncio.run(check_pass(store, inside_at, NO_PROBE))
    assert [(r.old_id, r.domain) for r in report.renewals] == [(record.id, "renew.acme.example")]
    new = store.get(report.renewals[0].new_id)
    assert new.type == "auto" and new.serial != record.serial and store.get(record.id).archived
    moved = AcmeState(store).settings(new.id)  # the lineage's settings move to its current version
    assert moved is not None and moved["directory"] == pebble.directory and AcmeState(store).settings(record.id) is None
    assert [e.kind for e in store.history("renew.acme.example")][:2] == ["renewed", "renewed"]


def test_a_failed_auto_renewal_backs_off_and_turns_critical(pebble, store):
    record = obtain_certificate(store, settings(pebble), "fail.acme.example", [], owner="ops", now=now())
    AcmeState(store).save_settings(record.id, settings(pebble, directory="https://127.0.0.1:1/dir"))
    at = record.not_after - timedelta(days=20)
    first = asyncio.run(check_pass(store, at, NO_PROBE))
    failure = next(p for p in first.problems if p.kind == "renewal-failed")
    assert failure.severity == "WARNING" and "cannot reach the ACME server" in failure.message
    assert store.get(record.id).next_renewal_at == at + timedelta(hours=1)
    asyncio.run(check_pass(store, at + timedelta(minutes=30), NO_PROBE))  # backing off: no new attempt
    assert store.get(record.id).renewal_failures == 1
    later = asyncio.run(check_pass(store, record.not_after - timedelta(days=5), NO_PROBE))
    assert store.get(record.id).renewal_failures == 2
    assert next(p for p in later.problems if p.kind == "renewal-failed").severity == "CRITICAL"
    assert later.exit_code == 2


def test_cli_new_acme(pebble, db_path, capsys):
    code = main(["--db", str(db_path), "new", "acme", "--domain", "cli.acme.example", "--san", "www.cli.acme.example",
                 "--email", "ops@example.com", "--directory", pebble.directory, "--standalone", str(pebble.http_port),
                 "--ca-bundle", str(pebble.ca_bundle), "--key-type", "ec256"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "obtained certificate" in out and "(auto)" in out
    assert "account" in err and "finalise" in err
    code = main(["--db", str(db_path), "new", "acme", "--domain", "cli.acme.example", "--email", "ops@example.com"])
    _, err = capsys.readouterr()
    assert code == 1 and "--webroot DIR or --standalone PORT" in err


def test_a_six_day_certificate_is_quiet_when_issued_and_renews_at_a_third_of_its_life(short_pebble, store):
    record = obtain_certificate(store, settings(short_pebble), "short.acme.example", [], owner="ops", now=now())
    lifetime = record.not_after - record.not_before
    assert timedelta(days=5) < lifetime <= timedelta(days=6, minutes=1)
    issued = asyncio.run(check_pass(store, record.not_before + timedelta(minutes=5), NO_PROBE))
    assert [p for p in issued.problems if p.certificate_id == record.id] == [] and issued.renewals == []
    assert issued.exit_code == 0
    before = asyncio.run(check_pass(store, record.not_after - lifetime / 3 - timedelta(minutes=5), NO_PROBE))
    assert before.renewals == [] and before.problems == []
    report = asyncio.run(check_pass(store, record.not_after - lifetime / 3 + timedelta(minutes=5), NO_PROBE))
    assert [r.old_id for r in report.renewals] == [record.id]
    assert [p for p in report.problems if p.certificate_id == record.id] == []  # renewed in time: nothing about it
