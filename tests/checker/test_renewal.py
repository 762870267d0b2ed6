"""Renewal inside the window, nothing outside it, failures recorded and retried."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ed448

from sslterm.checker.run import CheckOptions, check_pass
from sslterm.core.generate import subject_request, validity
from sslterm.core.renewal import backoff, is_due, renewal_due_at
from sslterm.store import ListQuery
from sslterm.store.checks import CheckStore
from sslterm.store.creating import create_self_signed
from tests.factories import DAY, NOW, make_cert

NO_PROBE = CheckOptions(probe=False)


def make_self_signed(store, days=90, domain="self.example"):
    req = subject_request(domain, [f"www.{domain}"], country="DE", organization="Beispiel", key_type="ec256")
    return create_self_signed(store, req, validity(NOW, days=days), owner="ops", now=NOW)


def test_renewal_inside_the_window(store):
    old = make_self_signed(store)
    store.attach_web_domain(old.id, "www.self.example", NOW)
    old_material = store.material(old.id)
    at = old.not_after - 10 * DAY  # inside the default 30-day window
    report = asyncio.run(check_pass(store, at, NO_PROBE))
    assert [(r.old_id, r.domain) for r in report.renewals] == [(old.id, "self.example")]
    new = store.get(report.renewals[0].new_id)
    new_material = store.material(new.id, with_key=True)
    old_cert, new_cert = old_material.certificate, new_material.certificate
    assert new_cert.serial_number != old_cert.serial_number
    assert new_cert.public_key().public_numbers() != old_cert.public_key().public_numbers()
    assert new_material.key.curve.name == "secp256r1"  # same type and size
    assert new_cert.subject == old_cert.subject
    san = lambda c: c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)  # noqa: E731
    assert san(new_cert) == san(old_cert) == ["self.example", "www.self.example"]
    assert new_cert.not_valid_before_utc == at and new_cert.not_valid_after_utc - new_cert.not_valid_before_utc == timedelta(days=90)
    assert new.updated_at == at and new.type == "self-signed" and new.owner == "ops"
    assert new.web_domains == ("self.example", "www.self.example") and store.get(old.id).web_domains == ()
    assert store.get(old.id).archived
    assert [e.kind for e in store.history("self.example")][:2] == ["renewed", "renewed"]
    assert [r.id for r in store.list(ListQuery(), at)] == [new.id]


def test_nothing_is_renewed_outside_the_window_or_when_not_renewable(store):
    make_self_signed(store)
    uploaded = make_cert("uploaded.example", not_before=NOW - DAY, not_after=NOW + 5 * DAY)
    store.add_certificate(uploaded.cert, [], uploaded.key, type="existing", owner="ops", now=NOW)
    report = asyncio.run(check_pass(store, NOW + 59 * DAY, NO_PROBE))  # 31 days left on the self-signed one
    assert report.renewals == []
    assert store.count(ListQuery(), NOW) == 2
    assert any(p.kind == "expired" and p.domain == "uploaded.example" for p in report.problems)  # only reported


def test_window_is_configurable_globally_and_per_certificate(store):
    cert = make_self_signed(store)
    checks = CheckStore(store)
    at = cert.not_after - 40 * DAY
    assert asyncio.run(check_pass(store, at, NO_PROBE)).renewals == []
    checks.set_window_days(cert.id, 45, NOW)
    assert len(asyncio.run(check_pass(store, at, NO_PROBE)).renewals) == 1
    other = make_self_signed(store, days=365, domain="other.example")
    others = lambda report: [r for r in report.renewals if r.domain == "other.example"]  # noqa: E731
    assert others(asyncio.run(check_pass(store, other.not_after - 45 * DAY, NO_PROBE))) == []
    checks.set_default_window_days(50)
    assert len(others(asyncio.run(check_pass(store, other.not_after - 45 * DAY, NO_PROBE)))) == 1


def test_a_failed_renewal_is_recorded_shown_and_retried(store):
    key = ed448.Ed448PrivateKey.generate()
    cert = make_cert("odd.example", key=key, not_before=NOW - 80 * DAY, not_after=NOW + 3 * DAY)
    record = store.add_certificate(cert.cert, [], key, type="self-signed", owner="ops", now=NOW).record
    first = asyncio.run(check_pass(store, NOW, NO_PROBE))
    problem = next(p for p in first.problems if p.kind == "renewal-failed")
    assert "cannot renew a Ed448" in problem.message and problem.severity == "CRITICAL"  # within 7 days
    second = asyncio.run(check_pass(store, NOW + timedelta(minutes=10), NO_PROBE))
    assert any(p.kind == "renewal-failed" for p in second.problems)
    assert store.get(record.id).renewal_failures == 2
    assert [e.kind for e in store.history("odd.example")][:2] == ["renewal_failed", "renewal_failed"]


@pytest.mark.parametrize("days_left,window,due", [(31, 30, False), (30, 30, True), (29, 30, True)])
def test_policy_is_a_pure_function(days_left, window, due):
    not_after = NOW + days_left * DAY
    assert is_due("self-signed", NOW - 300 * DAY, not_after, NOW, window) is due
    assert not is_due("existing", NOW - 300 * DAY, not_after, NOW, window)


def test_short_lived_certificates_renew_at_a_third_of_their_lifetime():
    start = NOW
    assert renewal_due_at(start, start + 6 * DAY, 30) == start + 4 * DAY
    assert backoff(1) == timedelta(hours=1) and backoff(3) == timedelta(hours=4) and backoff(20) == timedelta(hours=24)
    assert not is_due("auto", start, start + 90 * DAY, start + 80 * DAY, 30, retry_not_before=start + 81 * DAY)
