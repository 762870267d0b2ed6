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

from sslterm.checker.report import (
    CRITICAL,
    WARNING,
    CheckReport,
    Deployment,
    Problem,
    Renewal,
    Target,
)
from sslterm.core.endpoints import parse_address
from sslterm.core.errors import SslTermError
from sslterm.core.names import normalize_domain
from sslterm.core.records import CertificateRecord, EndpointRecord
from sslterm.core.renewal import backoff
from sslterm.core.status import Bucket
from sslterm.core.thresholds import (
    EXPIRED,
    Thresholds,
    level_at,
    thresholds_for,
    time_left_text,
)
from sslterm.core.thresholds import WARNING as LEVEL_WARNING
from sslterm.core.trust import (
    EXPIRED_CHAIN,
    EXPIRED_LEAF,
    INCOMPLETE_CHAIN,
    NAME_MISMATCH,
    UNKNOWN_ROOT,
    anchors_with,
    load_ca_bundle,
    verify_served_chain,
)
from sslterm.deploy.policy import VerifyPolicy
from sslterm.probes.tls import (
    DEFAULT_CONCURRENCY,
    DEFAULT_TIMEOUT,
    Endpoint,
    ProbeResult,
    probe_all,
)
from sslterm.store import ListQuery, Store
from sslterm.store.checks import CheckStore, ProbeSave
from sslterm.store.claims import DEFAULT_LEASE, DEPLOY, PROBE, RENEW, Claims
from sslterm.store.deploy_targets import DeployStore

# A renewer turns a due certificate into its new version; "auto" (ACME) registers its own.
Renewer = Callable[[Store, CertificateRecord, datetime], CertificateRecord]


@dataclass(frozen=True)
class CheckOptions:
    renew: bool = True
    probe: bool = True
    warn_days: int | None = None  # None: the store's setting (30 by default), see sslterm.core.thresholds
    crit_days: int | None = None  # None: the store's setting (7 by default)
    concurrency: int = DEFAULT_CONCURRENCY
    timeout: float = DEFAULT_TIMEOUT
    trust_roots: tuple[x509.Certificate, ...] | None = None  # None: the system store and ca_bundle
    ca_bundle: tuple[x509.Certificate, ...] = ()  # trusted besides the system store (--ca-bundle)
    deploy: bool = True
    verify: VerifyPolicy = VerifyPolicy()
    notify: bool = True
    resend: timedelta = timedelta(hours=24)  # remind of an unresolved CRITICAL finding this often
    domain: str | None = None  # a single-target check of this domain (no renewal, deploy or notification)
    endpoint: str | None = None  # a single-target check of this HOST:PORT
    sni: str | None = None  # the name to send to an endpoint checked ad hoc
    protocol: str | None = None  # what an endpoint checked ad hoc speaks before TLS (else from its URL or port)
    holder: str | None = None  # this checker in the store's leases (None: host, pid and a nonce)
    lease: timedelta = DEFAULT_LEASE  # how long a claim holds against other checkers sharing the store

    @property
    def single(self) -> bool:
        return self.domain is not None or self.endpoint is not None


class Limits:
    """The thresholds of every certificate in a pass: the global caps, and those set on lineages."""

    def __init__(self, checks: CheckStore, options: CheckOptions) -> None:
        warn, crit = checks.default_thresholds()
        self.warn_days = options.warn_days or warn
        self.crit_days = options.crit_days or crit
        self.lineages = checks.lineage_thresholds()

    @property
    def horizon_days(self) -> int:
        """No certificate with more days left than this can be a finding."""
        return max([self.warn_days] + [warn for warn, _ in self.lineages.values()])

    def of(self, not_before: datetime, not_after: datetime, lineage_id: int | None = None) -> Thresholds:
        if lineage_id in self.lineages:
            warn, crit = self.lineages[lineage_id]
            return thresholds_for(not_before, not_after, warn, crit, explicit=True)
        return thresholds_for(not_before, not_after, self.warn_days, self.crit_days)


def renew_self_signed(store: Store, record: CertificateRecord, now: datetime) -> CertificateRecord:
    """Re-issue with a fresh key of the same type and size, same subject, names and lifetime."""
    material = store.material(record.id)
    if material.certificate is None:
        raise SslTermError(f"certificate {record.id} has no certificate to renew")
    from sslterm.core.generate import (
        generate_key,
        key_type_of_public,
        reissue_self_signed,
    )

    key_type = key_type_of_public(material.certificate.public_key())
    if key_type is None:
        raise SslTermError(f"cannot renew a {record.key_description} key: only RSA 2048-4096, P-256/P-384 and Ed25519 are generated")
    key = generate_key(key_type)
    new_cert = reissue_self_signed(material.certificate, key, now)
    return store.renew(record.id, new_cert, [], key, now)


def _renew_auto(store: Store, record: CertificateRecord, now: datetime) -> CertificateRecord:
    from sslterm.autossl.service import (
        renew_auto,  # the acme library loads only when needed
    )

    return renew_auto(store, record, now)


RENEWERS: dict[str, Renewer] = {"self-signed": renew_self_signed, "auto": _renew_auto}


async def check_pass(store: Store, now: datetime, options: CheckOptions = CheckOptions(), renewers: dict[str, Renewer] | None = None) -> CheckReport:
    """Run one pass at ``now``: renew, deploy, probe, report on what the store holds afterwards, notify."""
    if options.single:
        return await _check_target(store, now, options)
    checks = CheckStore(store)
    report = CheckReport(at=now)
    claims = Claims(store, options.holder, options.lease)  # several checkers on one store share the work
    if options.renew:
        _renew(store, checks, now, report, renewers or RENEWERS, claims)
    if options.deploy:
        await _deploy(store, now, report, options.verify, claims)
    limits = Limits(checks, options)
    probed: set[str] = set()
    if options.probe:
        endpoints = checks.endpoints()
        mine = claims.claim(PROBE, [e.id for e in endpoints], now)
        endpoints = [e for e in endpoints if e.id in mine]  # another checker's claims are its to probe
        await _probe(checks, endpoints, now, report, options, limits)
        claims.release(PROBE, mine)
        probed = {e.url for e in endpoints}
    busy = claims.busy_certificates(now)  # being renewed by another checker: its pass tells how that went
    _report_expiry(store, checks, now, report, limits)
    _report_deploys(store, report)
    if busy:
        report.problems = [p for p in report.problems if p.certificate_id not in busy]
    checks.record_pass(now)
    if options.notify:
        from sslterm.notify.service import notify_pass

        report.problems.extend(await notify_pass(store, report.problems, now, probed=probed, resend=options.resend, unsettled=busy))
    return report


async def _probe(checks: CheckStore, endpoints: list[EndpointRecord], now: datetime, report: CheckReport, options: CheckOptions,
                 limits: Limits, single: bool = False) -> None:
    results = await probe_all([Endpoint(e.domain, e.host, e.port, e.sni, e.protocol) for e in endpoints], options.concurrency, options.timeout)
    report.probed = len(results)
    bundles: dict[str, list[x509.Certificate]] = {}  # each endpoint CA bundle read once a pass
    saves: list[ProbeSave] = []
    for record, result in zip(endpoints, results):
        _judge_probe(checks, record, result, now, report, options, limits, single, bundles, saves)
    checks.save_probes(now, saves)


async def _check_target(store: Store, now: datetime, options: CheckOptions) -> CheckReport:
    """One domain or one endpoint, Nagios plugin style: nothing renewed, deployed or sent."""
    checks = CheckStore(store)
    report = CheckReport(at=now)
    limits = Limits(checks, options)
    if options.domain is not None:
        name = normalize_domain(options.domain, field="domain", allow_wildcard=False)
        ids = checks.covering(name)
        _report_expiry(store, checks, now, report, limits, ids)
        endpoints = [e for e in checks.endpoints() if e.domain == name]
        what, held = name, [store.get(i) for i in ids]
    else:
        address = parse_address(options.endpoint or "", options.protocol)
        host, port = address.host, address.port
        endpoints = [e for e in checks.endpoints() if e.host == host and e.port == port]
        if not endpoints:  # not registered: probe it as it is, remember nothing
            sni = normalize_domain(options.sni, field="SNI name", allow_wildcard=False) if options.sni else None
            endpoints = [EndpointRecord(id=0, domain=sni or host, host=host, port=port, sni=sni, certificate_id=None, expected_sha256=None,
                                        protocol=address.protocol)]
        what, held = address.text, []
    if options.probe and endpoints:
        await _probe(checks, endpoints, now, report, options, limits, single=True)
    report.target = _target(what, held, report, limits)
    return report


def _target(what: str, held: list[CertificateRecord], report: CheckReport, limits: Limits) -> Target:
    """The certificate whose days left go into perfdata: the soonest to expire of those measured."""
    dated = [(r.not_after, r.not_before, r.lineage_id) for r in held if r.not_after and r.not_before]
    dated += [(leaf.not_valid_after_utc, leaf.not_valid_before_utc, None) for leaf in report.served]
    if not dated:
        return Target(what)
    not_after, not_before, lineage = min(dated, key=lambda d: d[0])
    limit = limits.of(not_before, not_after, lineage)
    return Target(what, not_after, round(limit.warn_days, 2), round(limit.crit_days, 2))


def _renew(store: Store, checks: CheckStore, now: datetime, report: CheckReport, renewers: dict[str, Renewer], claims: Claims) -> None:
    for candidate, _window in checks.renewal_candidates(now):
        renewer = renewers.get(candidate.type)
        if renewer is None or candidate.lineage_id is None:
            continue
        if not claims.claim(RENEW, [candidate.lineage_id], now):
            continue  # another checker is renewing this lineage
        try:
            record = store.get(candidate.id)  # as it is now that the lineage is ours: another checker may have renewed it
            if record.archived or (record.next_renewal_at is not None and record.next_renewal_at > now):
                continue
            _renew_one(store, checks, record, renewer, now, report)
        finally:
            claims.release(RENEW, [candidate.lineage_id])


def _renew_one(store: Store, checks: CheckStore, record: CertificateRecord, renewer: Renewer, now: datetime, report: CheckReport) -> None:
    try:
        new = renewer(store, record, now)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded, shown and retried
        message = str(exc) if isinstance(exc, SslTermError) else f"{type(exc).__name__}: {' '.join(str(exc).split())}"
        retry = backoff(record.renewal_failures + 1) if record.type == "auto" else timedelta(0)
        checks.record_renewal_failure(record.id, message, now, retry)
        return
    assert new.not_after is not None
    report.renewals.append(Renewal(record.domain, record.id, new.id, new.not_after))


async def _deploy(store: Store, now: datetime, report: CheckReport, policy: VerifyPolicy, claims: Claims) -> None:
    """Deploy every target whose lineage has a version it does not have yet (or whose deploy failed);
    check again a deploy that was not verified."""
    deploys = DeployStore(store)
    for target in deploys.targets():
        if target.certificate_id is None or (target.up_to_date and target.last_result != "unverified"):
            continue
        if not claims.claim(DEPLOY, [target.id], now):
            continue  # another checker is deploying it
        try:
            target = deploys.get(target.id)  # as it is now that it is ours
            if target.certificate_id is None:
                continue
            from sslterm.deploy.service import deploy, verify  # only a pass with something to deploy loads it

            if not target.up_to_date:
                outcome = await deploy(store, target, now, policy=policy)
            elif target.last_result == "unverified":
                outcome = await verify(store, target, now, policy)
            else:
                continue
        finally:
            claims.release(DEPLOY, [target.id])
        report.deployments.append(Deployment(target.domain, target.id, target.certificate_id, target.version, outcome.result, outcome.message))


def _report_deploys(store: Store, report: CheckReport) -> None:
    """Targets whose last deploy failed or was not seen served: problems until fixed."""
    for target in DeployStore(store).targets():
        if target.last_result == "failed":
            report.problems.append(Problem("deploy-failed", CRITICAL, target.domain, f"target {target.id}: {target.last_message}", target.certificate_id))
        elif target.last_result == "unverified" and target.last_certificate_id == target.certificate_id:
            report.problems.append(Problem("deploy-unverified", WARNING, target.domain, f"target {target.id}: {target.last_message}", target.certificate_id))


TRUST_LABELS = {INCOMPLETE_CHAIN: "incomplete chain", UNKNOWN_ROOT: "unknown root", EXPIRED_CHAIN: "expired link in the chain",
                NAME_MISMATCH: "name mismatch"}


def _judge_probe(checks: CheckStore, record: EndpointRecord, result: ProbeResult, now: datetime, report: CheckReport,
                 options: CheckOptions, limits: Limits, single: bool, bundles: dict[str, list[x509.Certificate]],
                 saves: list[ProbeSave]) -> None:
    where = record.url
    remember = record.id != 0  # an endpoint probed ad hoc (check --endpoint) is not stored
    if not result.ok or result.leaf is None:
        if remember:
            saves.append(ProbeSave(record.id, result.error))
        report.problems.append(Problem("probe-failed", CRITICAL, record.domain, result.error or "no certificate", record.certificate_id, where))
        return
    leaf = result.leaf
    report.served.append(leaf)
    served = leaf.fingerprint(hashes.SHA256()).hex()
    drift = record.expected_sha256 is not None and served != record.expected_sha256
    try:
        anchors = _anchors(options, record, bundles)
    except SslTermError as exc:
        report.problems.append(Problem("probe-failed", CRITICAL, record.domain, str(exc), record.certificate_id, where))
        return
    trust = verify_served_chain(list(result.chain), result.endpoint.server_name, now, anchors)
    if remember:
        saves.append(ProbeSave(record.id, None, served, leaf.not_valid_after_utc, len(result.chain), drift, trust.trusted,
                               trust.reason or trust.webpki or None))
    older = checks.held_version(served) if drift and record.lineage_id is not None else None
    if older is not None and older[0] == record.lineage_id:
        expires = f"expires {older[2]:%Y-%m-%d}" if older[2] else "no expiry"
        report.problems.append(Problem("outdated", WARNING, record.domain, f"serving v{older[1]} ({expires}), current is v{record.version}",
                                       record.certificate_id, where, leaf.not_valid_after_utc))
    elif drift:
        held = f"certificate {record.certificate_id}" if record.certificate_id else "no certificate"
        report.problems.append(Problem("drift", WARNING, record.domain, f"serves {served[:16]}…, we hold {held} ({(record.expected_sha256 or 'none')[:16]}…)",
                                       record.certificate_id, where, leaf.not_valid_after_utc))
    _judge_served(record, leaf, now, report, limits, judge_all=single or drift or record.expected_sha256 is None)
    if not trust.trusted and trust.code != EXPIRED_LEAF:
        label = TRUST_LABELS.get(trust.code, "not trusted")
        report.problems.append(Problem("untrusted", CRITICAL, record.domain, f"{label}: {trust.reason}", record.certificate_id, where,
                                       leaf.not_valid_after_utc, trust.code))
    elif trust.webpki:
        report.problems.append(Problem("webpki", WARNING, record.domain, trust.webpki, record.certificate_id, where, leaf.not_valid_after_utc))


def _judge_served(record: EndpointRecord, leaf: x509.Certificate, now: datetime, report: CheckReport, limits: Limits, judge_all: bool) -> None:
    """The served certificate by the same thresholds; when it is the one we hold, its own finding says it (except expiry)."""
    not_after = leaf.not_valid_after_utc
    level = level_at(not_after, now, limits.of(leaf.not_valid_before_utc, not_after, record.lineage_id))
    if level == EXPIRED:
        message = f"serves a certificate that expired on {not_after:%Y-%m-%d}"
    elif level is not None and judge_all:
        message = f"serves a certificate that expires {time_left_text(not_after, now)} ({not_after:%Y-%m-%d})"
    else:
        return
    severity = WARNING if level == LEVEL_WARNING else CRITICAL
    report.problems.append(Problem(level, severity, record.domain, message, record.certificate_id, record.url, not_after))


def _anchors(options: CheckOptions, record: EndpointRecord, bundles: dict[str, list[x509.Certificate]]) -> list[x509.Certificate] | None:
    """The trust anchors for one endpoint: the system's, --ca-bundle's and the endpoint's own bundle.

    One list per bundle and pass (``bundles`` keeps them), so that trust checking
    builds its verification store once per list, not once per endpoint.
    """
    key = f"anchors:{record.ca_bundle or ''}"
    if key not in bundles:
        if options.trust_roots is not None:
            bundles[key] = list(options.trust_roots)
        else:
            if record.ca_bundle and record.ca_bundle not in bundles:
                bundles[record.ca_bundle] = load_ca_bundle(record.ca_bundle)
            extra = list(options.ca_bundle) + (bundles[record.ca_bundle] if record.ca_bundle else [])
            bundles[key] = anchors_with(extra) if extra else None  # type: ignore[assignment]
    return bundles[key]


def _report_expiry(store: Store, checks: CheckStore, now: datetime, report: CheckReport, limits: Limits, ids: list[int] | None = None) -> None:
    if ids is None:
        counts = store.counts(ListQuery(), now)
        report.counts = {b.value: counts[b] for b in Bucket}
    for record in checks.expired(now, ids):
        report.problems.append(Problem("expired", CRITICAL, record.domain, f"{record.name} expired on {record.not_after:%Y-%m-%d}",
                                       record.id, not_after=record.not_after))
    for record in checks.expiring(now, limits.horizon_days, ids):
        assert record.not_before is not None and record.not_after is not None
        level = level_at(record.not_after, now, limits.of(record.not_before, record.not_after, record.lineage_id))
        if level is None:
            continue
        severity = WARNING if level == LEVEL_WARNING else CRITICAL
        report.problems.append(Problem(level, severity, record.domain,
                                       f"{record.name} expires {time_left_text(record.not_after, now)} ({record.not_after:%Y-%m-%d})",
                                       record.id, not_after=record.not_after))
    for record in checks.renewal_failures():
        if ids is not None and record.id not in ids:
            continue
        limit = limits.of(record.not_before, record.not_after, record.lineage_id) if record.not_before and record.not_after else None
        in_critical = limit is not None and record.not_after is not None and record.not_after - now <= limit.crit
        report.problems.append(Problem("renewal-failed", CRITICAL if in_critical else WARNING, record.domain,
                                       f"renewal failed {record.renewal_failures} time(s): {record.renewal_error}", record.id,
                                       not_after=record.not_after))
