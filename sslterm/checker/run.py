"""One checker pass: renew what is due, probe endpoints, report problems.

The pass reads and writes through the store's API; the probing itself
(:mod:`sslterm.probes.tls`) touches no database and returns results.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sslterm.probes.tls import DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT, Endpoint, ProbeResult, probe_all
from sslterm.checker.report import CRITICAL, WARNING, CheckReport, Deployment, Problem, Renewal
from sslterm.core.errors import SslTermError
from sslterm.core.generate import generate_key, key_type_of_public, reissue_self_signed
from sslterm.core.records import CertificateRecord, EndpointRecord
from sslterm.core.renewal import backoff
from sslterm.core.status import Bucket
from sslterm.core.trust import verify_served_chain
from sslterm.deploy.service import VerifyPolicy, deploy, verify
from sslterm.store import ListQuery, Store
from sslterm.store.checks import CheckStore
from sslterm.store.deploy_targets import DeployStore

# A renewer turns a due certificate into its new version; "auto" (ACME) registers its own.
Renewer = Callable[[Store, CertificateRecord, datetime], CertificateRecord]


@dataclass(frozen=True)
class CheckOptions:
    renew: bool = True
    probe: bool = True
    warn_days: int = 30
    crit_days: int = 7
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = DEFAULT_TIMEOUT
    trust_roots: tuple[x509.Certificate, ...] | None = None  # None: the system store
    deploy: bool = True
    verify: VerifyPolicy = VerifyPolicy()


def renew_self_signed(store: Store, record: CertificateRecord, now: datetime) -> CertificateRecord:
    """Re-issue with a fresh key of the same type and size, same subject, names and lifetime."""
    material = store.material(record.id)
    if material.certificate is None:
        raise SslTermError(f"certificate {record.id} has no certificate to renew")
    key_type = key_type_of_public(material.certificate.public_key())
    if key_type is None:
        raise SslTermError(f"cannot renew a {record.key_description} key: only RSA 2048-4096, P-256/P-384 and Ed25519 are generated")
    key = generate_key(key_type)
    new_cert = reissue_self_signed(material.certificate, key, now)
    return store.renew(record.id, new_cert, [], key, now)


def _renew_auto(store: Store, record: CertificateRecord, now: datetime) -> CertificateRecord:
    from sslterm.autossl.service import renew_auto  # the acme library loads only when needed

    return renew_auto(store, record, now)


RENEWERS: dict[str, Renewer] = {"self-signed": renew_self_signed, "auto": _renew_auto}


async def check_pass(store: Store, now: datetime, options: CheckOptions = CheckOptions(), renewers: dict[str, Renewer] | None = None) -> CheckReport:
    """Run one pass at ``now``: renew, probe, then report on what the store holds afterwards."""
    checks = CheckStore(store)
    report = CheckReport(at=now)
    if options.renew:
        _renew(store, checks, now, report, renewers or RENEWERS)
    if options.deploy:
        await _deploy(store, now, report, options.verify)
    if options.probe:
        endpoints = checks.endpoints()
        results = await probe_all([Endpoint(e.domain, e.host, e.port, e.sni) for e in endpoints], options.concurrency, options.timeout)
        report.probed = len(results)
        for record, result in zip(endpoints, results):
            _judge_probe(checks, record, result, now, report, options)
    _report_expiry(store, checks, now, report, options)
    _report_deploys(store, report)
    return report


def _renew(store: Store, checks: CheckStore, now: datetime, report: CheckReport, renewers: dict[str, Renewer]) -> None:
    for record, _window in checks.renewal_candidates(now):
        renewer = renewers.get(record.type)
        if renewer is None:
            continue
        try:
            new = renewer(store, record, now)
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, shown and retried
            message = str(exc) if isinstance(exc, SslTermError) else f"{type(exc).__name__}: {' '.join(str(exc).split())}"
            retry = backoff(record.renewal_failures + 1) if record.type == "auto" else timedelta(0)
            checks.record_renewal_failure(record.id, message, now, retry)
            continue
        assert new.not_after is not None
        report.renewals.append(Renewal(record.domain, record.id, new.id, new.not_after))


async def _deploy(store: Store, now: datetime, report: CheckReport, policy: VerifyPolicy) -> None:
    """Deploy every target whose lineage has a version it does not have yet (or whose deploy failed);
    check again a deploy that was not verified."""
    deploys = DeployStore(store)
    for target in deploys.targets():
        if target.certificate_id is None:
            continue
        if not target.up_to_date:
            outcome = await deploy(store, target, now, policy=policy)
        elif target.last_result == "unverified":
            outcome = await verify(store, target, now, policy)
        else:
            continue
        report.deployments.append(Deployment(target.domain, target.id, target.certificate_id, target.version, outcome.result, outcome.message))


def _report_deploys(store: Store, report: CheckReport) -> None:
    """Targets whose last deploy failed or was not seen served: problems until fixed."""
    for target in DeployStore(store).targets():
        if target.last_result == "failed":
            report.problems.append(Problem("deploy-failed", CRITICAL, target.domain, f"target {target.id}: {target.last_message}", target.certificate_id))
        elif target.last_result == "unverified" and target.last_certificate_id == target.certificate_id:
            report.problems.append(Problem("deploy-unverified", WARNING, target.domain, f"target {target.id}: {target.last_message}", target.certificate_id))


def _judge_probe(checks: CheckStore, record: EndpointRecord, result: ProbeResult, now: datetime, report: CheckReport, options: CheckOptions) -> None:
    where = record.address
    if not result.ok or result.leaf is None:
        checks.save_probe(record.id, now, error=result.error, served_sha256=None, served_not_after=None,
                          chain_length=0, drift=None, trusted=None, trust_reason=None)
        report.problems.append(Problem("probe-failed", CRITICAL, record.domain, result.error or "no certificate", record.certificate_id, where))
        return
    served = result.leaf.fingerprint(hashes.SHA256()).hex()
    drift = served != record.expected_sha256
    roots = list(options.trust_roots) if options.trust_roots is not None else None
    trust = verify_served_chain(list(result.chain), result.endpoint.server_name, now, roots)
    checks.save_probe(record.id, now, error=None, served_sha256=served, served_not_after=result.leaf.not_valid_after_utc,
                      chain_length=len(result.chain), drift=drift, trusted=trust.trusted, trust_reason=trust.reason or None)
    older = checks.held_version(served) if drift and record.lineage_id is not None else None
    if older is not None and older[0] == record.lineage_id:
        expires = f"expires {older[2]:%Y-%m-%d}" if older[2] else "no expiry"
        report.problems.append(Problem("outdated", WARNING, record.domain, f"serving v{older[1]} ({expires}), current is v{record.version}",
                                       record.certificate_id, where))
    elif drift:
        held = f"certificate {record.certificate_id}" if record.certificate_id else "no certificate"
        report.problems.append(Problem("drift", WARNING, record.domain, f"serves {served[:16]}…, we hold {held} ({(record.expected_sha256 or 'none')[:16]}…)", record.certificate_id, where))
    served_left = result.leaf.not_valid_after_utc - now
    if served_left <= timedelta(0):
        report.problems.append(Problem("expired", CRITICAL, record.domain, f"serves a certificate that expired on {result.leaf.not_valid_after_utc:%Y-%m-%d}", record.certificate_id, where))
    elif served_left <= timedelta(days=options.crit_days) and drift:
        report.problems.append(Problem("critical", CRITICAL, record.domain, f"serves a certificate expiring {result.leaf.not_valid_after_utc:%Y-%m-%d}", record.certificate_id, where))
    if not trust.trusted:
        what = "incomplete chain" if not trust.complete else "not trusted"
        report.problems.append(Problem("untrusted", WARNING, record.domain, f"{what}: {trust.reason}", record.certificate_id, where))


def _report_expiry(store: Store, checks: CheckStore, now: datetime, report: CheckReport, options: CheckOptions) -> None:
    counts = store.counts(ListQuery(), now)
    report.counts = {b.value: counts[b] for b in Bucket}
    for record in checks.expired(now):
        report.problems.append(Problem("expired", CRITICAL, record.domain, f"{record.name} expired on {record.not_after:%Y-%m-%d}", record.id))
    critical_ids = set()
    for record in checks.expiring(now, options.crit_days):
        critical_ids.add(record.id)
        report.problems.append(Problem("critical", CRITICAL, record.domain, f"{record.name} expires in {record.days_left(now)} days ({record.not_after:%Y-%m-%d})", record.id))
    for record in checks.expiring(now, options.warn_days):
        if record.id not in critical_ids:
            report.problems.append(Problem("warning", WARNING, record.domain, f"{record.name} expires in {record.days_left(now)} days ({record.not_after:%Y-%m-%d})", record.id))
    for record in checks.renewal_failures():
        in_critical = record.not_after is not None and record.not_after - now <= timedelta(days=options.crit_days)
        report.problems.append(Problem("renewal-failed", CRITICAL if in_critical else WARNING, record.domain,
                                       f"renewal failed {record.renewal_failures} time(s): {record.renewal_error}", record.id))
