"""Read the store into Prometheus metrics; the same collector serves stdout, a textfile and ``/metrics``.

Names follow x509-certificate-exporter (``x509_cert_not_after`` ...) so its dashboards
and alert rules work; what only sslterm knows (probes, drift, renewals, the last pass,
open findings) is prefixed ``sslterm_``.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime
from typing import Callable, Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector, CollectorRegistry

from sslterm.core.findings import KINDS, SEVERITIES
from sslterm.store.alerting import AlertStore
from sslterm.store.checks import CheckStore
from sslterm.store.store import Store

CERT_LABELS = ["id", "domain", "owner", "type", "subject_CN", "issuer_CN", "serial_number"]
_CN = re.compile(r"(?:^|,)CN=((?:\\.|[^,\\])*)")


def common_name(rfc4514: str) -> str:
    """The CN of an RFC 4514 name ('' when it has none)."""
    match = _CN.search(rfc4514)
    return re.sub(r"\\(.)", r"\1", match.group(1)) if match else ""


class StoreCollector(Collector):
    """Every scrape reads the store afresh at ``clock()`` (a lock keeps scrapes one at a time)."""

    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self.store, self.clock = store, clock
        self._lock = threading.Lock()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            yield from self._collect(self.clock())

    def _collect(self, now: datetime) -> Iterator[GaugeMetricFamily]:
        after = GaugeMetricFamily("x509_cert_not_after", "Expiry of a current certificate (Unix seconds)", labels=CERT_LABELS)
        before = GaugeMetricFamily("x509_cert_not_before", "Start of a current certificate (Unix seconds)", labels=CERT_LABELS)
        expired = GaugeMetricFamily("x509_cert_expired", "1 when a current certificate has expired", labels=CERT_LABELS)
        failures = GaugeMetricFamily("sslterm_renewal_failures", "Consecutive failed renewals of a current certificate",
                                     labels=["id", "domain", "owner"])
        for row in CheckStore(self.store).dated_certificates():
            labels = [str(row.id), row.domain, row.owner, row.type, common_name(row.subject), common_name(row.issuer), row.serial]
            after.add_metric(labels, row.not_after.timestamp())
            before.add_metric(labels, row.not_before.timestamp())
            expired.add_metric(labels, 1.0 if row.not_after <= now else 0.0)
            if row.renewal_failures:
                failures.add_metric([str(row.id), row.domain, row.owner], row.renewal_failures)
        yield from (after, before, expired, failures)
        yield from self._endpoints()
        yield from self._findings()
        last = GaugeMetricFamily("sslterm_last_check_timestamp_seconds", "When the last full checker pass ran (Unix seconds)")
        when = CheckStore(self.store).last_pass()
        if when is not None:
            last.add_metric([], when.timestamp())
        yield last

    def _endpoints(self) -> Iterator[GaugeMetricFamily]:
        success = GaugeMetricFamily("sslterm_endpoint_probe_success", "1 when the last probe of an endpoint got a certificate",
                                    labels=["domain", "endpoint"])
        drift = GaugeMetricFamily("sslterm_endpoint_drift", "1 when an endpoint serves another certificate than the one held",
                                  labels=["domain", "endpoint"])
        trusted = GaugeMetricFamily("sslterm_endpoint_trusted", "1 when the served chain verified", labels=["domain", "endpoint"])
        served = GaugeMetricFamily("sslterm_endpoint_cert_not_after", "Expiry of the served certificate (Unix seconds)",
                                   labels=["domain", "endpoint"])
        for e in CheckStore(self.store).endpoints():
            if e.last_probe_at is None:
                continue
            labels = [e.domain, e.url]
            success.add_metric(labels, 0.0 if e.last_error else 1.0)
            if e.last_error is None:
                drift.add_metric(labels, 1.0 if e.drift else 0.0)
                trusted.add_metric(labels, 1.0 if e.trusted else 0.0)
            if e.served_not_after is not None:
                served.add_metric(labels, e.served_not_after.timestamp())
        yield from (success, drift, trusted, served)

    def _findings(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("sslterm_findings", "Open findings by kind and severity (as the last pass left them)",
                                   labels=["kind", "severity"])
        counts: dict[tuple[str, str], int] = {(kind, severity): 0 for kind in KINDS for severity in SEVERITIES}
        for state in AlertStore(self.store).findings().values():
            counts[(state.kind, state.severity)] = counts.get((state.kind, state.severity), 0) + 1
        for (kind, severity), count in counts.items():
            family.add_metric([kind, severity.lower()], count)
        yield family


def registry_for(store: Store, clock: Callable[[], datetime]) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store, clock))
    return registry
