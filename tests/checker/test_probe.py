"""The checker against real TLS servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sslterm.probes.tls import Endpoint, probe_all
from sslterm.checker.run import CheckOptions, check_pass
from sslterm.store.checks import CheckStore
from tests.factories import DAY, NOW, make_cert, make_chain


def site(cn: str = "site.example", **kw):
    return make_chain(cn, sans=[x509.DNSName(cn)], **kw)


def held(store, chain):
    return store.add_certificate(chain.leaf.cert, [chain.intermediate.cert], chain.leaf.key, type="existing", owner="ops", now=NOW).record


def run(store, chain, **options):
    defaults = dict(renew=False, timeout=2.0, trust_roots=(chain.root.cert,))
    return asyncio.run(check_pass(store, NOW, CheckOptions(**{**defaults, **options})))


def kinds(report):
    return sorted((p.kind, p.domain, p.endpoint) for p in report.problems if p.endpoint)


def test_matching_certificate_with_complete_trusted_chain(store, servers, tmp_path):
    chain = site()
    held(store, chain)
    port = servers.add_tls(tmp_path, "ok", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key)
    CheckStore(store).add_endpoint("site.example", "127.0.0.1", port, None, NOW)
    report = run(store, chain)
    assert report.probed == 1 and kinds(report) == []
    endpoint = CheckStore(store).endpoints()[0]
    assert endpoint.served_sha256 == chain.leaf.cert.fingerprint(hashes.SHA256()).hex()
    assert endpoint.drift is False and endpoint.trusted is True and endpoint.last_error is None
    assert endpoint.served_not_after == chain.leaf.cert.not_valid_after_utc


def test_drift_when_the_server_serves_another_certificate(store, servers, tmp_path):
    chain, other = site(), site()
    held(store, chain)
    port = servers.add_tls(tmp_path, "drift", [other.leaf.cert, other.intermediate.cert], other.leaf.key)
    CheckStore(store).add_endpoint("site.example", "127.0.0.1", port, None, NOW)
    report = run(store, chain)
    assert ("drift", "site.example", f"127.0.0.1:{port}") in kinds(report)
    assert CheckStore(store).endpoints()[0].drift is True


def test_expired_served_certificate(store, servers, tmp_path):
    chain = site(leaf_not_after=NOW - DAY)
    held(store, chain)
    port = servers.add_tls(tmp_path, "expired", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key)
    CheckStore(store).add_endpoint("site.example", "127.0.0.1", port, None, NOW)
    report = run(store, chain)
    assert ("expired", "site.example", f"127.0.0.1:{port}") in kinds(report)
    assert report.exit_code == 2


def test_incomplete_chain_is_reported_separately_from_fetching(store, servers, tmp_path):
    chain = site()
    held(store, chain)
    port = servers.add_tls(tmp_path, "leafonly", [chain.leaf.cert], chain.leaf.key)
    CheckStore(store).add_endpoint("site.example", "127.0.0.1", port, None, NOW)
    report = run(store, chain)
    problem = next(p for p in report.problems if p.kind == "untrusted")
    assert "incomplete chain" in problem.message and "missing intermediate" in problem.message
    assert problem.code == "incomplete-chain" and problem.severity == "CRITICAL"
    endpoint = CheckStore(store).endpoints()[0]
    assert endpoint.drift is False and endpoint.trusted is False  # fetched fine, not trusted


def test_handshake_failure(store, servers):
    chain = site()
    held(store, chain)
    port = servers.add_plaintext()
    CheckStore(store).add_endpoint("site.example", "127.0.0.1", port, None, NOW)
    report = run(store, chain)
    problem = next(p for p in report.problems if p.kind == "probe-failed")
    assert problem.message == "the server answered in plain text, not TLS: it speaks plain HTTP on this port; probe its HTTPS port instead"
    assert problem.severity == "CRITICAL"
    assert CheckStore(store).endpoints()[0].last_error == problem.message


def test_a_silent_server_times_out_instead_of_hanging(store, servers):
    chain = site()
    held(store, chain)
    port = servers.add_silent()
    CheckStore(store).add_endpoint("site.example", "127.0.0.1", port, None, NOW)
    start = time.monotonic()
    report = run(store, chain, timeout=0.5)
    assert time.monotonic() - start < 5
    problem = next(p for p in report.problems if p.kind == "probe-failed")
    assert "timed out after 0.5 s" in problem.message


def test_nothing_listening_is_a_connect_failure(store):
    chain = site()
    held(store, chain)
    CheckStore(store).add_endpoint("site.example", "127.0.0.1", 1, None, NOW)
    report = run(store, chain)
    assert "cannot connect" in next(p for p in report.problems if p.kind == "probe-failed").message


def test_200_endpoints_probed_concurrently(servers, tmp_path):
    chain = make_chain("*.fleet.example", sans=[x509.DNSName("*.fleet.example")])
    ports = [servers.add_tls(tmp_path, f"s{i}", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key) for i in range(200)]
    endpoints = [Endpoint(f"h{i}.fleet.example", "127.0.0.1", port) for i, port in enumerate(ports)]
    start = time.monotonic()
    results = asyncio.run(probe_all(endpoints, concurrency=64, timeout=5))
    elapsed = time.monotonic() - start
    assert len(results) == 200 and all(r.ok for r in results), [r.error for r in results if not r.ok][:3]
    assert all(len(r.chain) == 2 and r.leaf == chain.leaf.cert for r in results)
    assert [r.endpoint for r in results] == endpoints  # results come back in input order
    assert elapsed < 60  # a bound against hangs, not a speed test (see the benchmark)


def test_an_older_version_of_the_lineage_served_is_outdated_not_drift(store, servers, tmp_path):
    root_chain = site()
    old = root_chain.leaf
    new = make_cert("site.example", issuer=root_chain.intermediate, sans=[x509.DNSName("site.example")],
                    not_before=NOW - DAY, not_after=NOW + 89 * DAY, serial=77)
    first = held(store, root_chain)
    renewed = store.add_certificate(new.cert, [root_chain.intermediate.cert], new.key, type="existing", owner="ops",
                                    now=NOW, supersede=True)
    assert renewed.outcome == "superseded" and renewed.record.version == 2
    stale = servers.add_tls(tmp_path, "stale", [old.cert, root_chain.intermediate.cert], old.key)
    current = servers.add_tls(tmp_path, "current", [new.cert, root_chain.intermediate.cert], new.key)
    foreign = site()
    other = servers.add_tls(tmp_path, "foreign", [foreign.leaf.cert, foreign.intermediate.cert], foreign.leaf.key)
    for port in (stale, current, other):
        CheckStore(store).add_endpoint("site.example", "127.0.0.1", port, None, NOW)
    report = run(store, root_chain)
    assert kinds(report) == sorted([("drift", "site.example", f"127.0.0.1:{other}"), ("untrusted", "site.example", f"127.0.0.1:{other}"),
                                    ("outdated", "site.example", f"127.0.0.1:{stale}")])  # another CA's chain: untrusted too
    (outdated,) = [p for p in report.problems if p.kind == "outdated"]
    assert outdated.message == f"serving v1 (expires {old.cert.not_valid_after_utc:%Y-%m-%d}), current is v2"
    assert outdated.certificate_id == renewed.record.id != first.id


def test_a_handshake_cut_mid_way_is_said_in_words(servers):
    port = servers.add_cut()
    (result,) = asyncio.run(probe_all([Endpoint("cut.example", "127.0.0.1", port)], timeout=2.0))
    assert result.error is not None and result.error.startswith("the server closed the connection during the TLS handshake")


def test_a_probe_completes_the_handshake_so_the_server_logs_no_failure(servers, tmp_path):
    chain = site()
    port = servers.add_tls(tmp_path, "polite", [chain.leaf.cert, chain.intermediate.cert], chain.leaf.key)
    (result,) = asyncio.run(probe_all([Endpoint("site.example", "127.0.0.1", port)], timeout=2.0))
    assert result.ok
    deadline = time.monotonic() + 5
    while servers.completed == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert servers.completed == 1  # our Finished reached it before we closed
