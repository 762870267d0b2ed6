"""The "Certificate information" view as labelled sections, shared by the CLI and the TUI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from cryptography import x509

from sslterm.core.certinfo import CertInfo, inspect_certificate
from sslterm.core.display import openssl_serial
from sslterm.core.records import CertificateRecord, iso
from sslterm.core.status import Status, status_of
from sslterm.core.validate import Finding, Validation, validate

Section = tuple[str, list[tuple[str, str]]]


@dataclass(frozen=True)
class Description:
    """Inspection and validation of a stored certificate at one moment."""

    record: CertificateRecord
    info: CertInfo | None
    validation: Validation | None
    chain: tuple[CertInfo, ...]

    @property
    def findings(self) -> tuple[Finding, ...]:
        extra = []
        if self.record.has_key:
            extra.append(Finding("key_match", "ok", "private key stored encrypted; it matched the certificate when stored"))
        elif self.record.type != "request":
            extra.append(Finding("no_key", "info", "no private key stored (tracked for expiry only)"))
        return (*extra, *(self.validation.findings if self.validation else ()))


def describe(record: CertificateRecord, cert: x509.Certificate | None, chain: list[x509.Certificate], now: datetime) -> Description:
    """Inspect and validate ``cert`` with its stored ``chain`` at ``now``."""
    if cert is None:
        return Description(record, None, None, ())
    validation = validate(cert, chain, now)
    return Description(record, inspect_certificate(cert), validation, tuple(inspect_certificate(c) for c in validation.chain[1:]))


def _days(record: CertificateRecord, now: datetime) -> str:
    status = record.status(now)
    if status is Status.EXPIRED:
        return "N/A (expired)"
    days = record.days_left(now)
    return "N/A" if days is None else f"{days} days"


def _version(record: CertificateRecord) -> str:
    """``v2 of 3 (lineage 7), current`` and when this version was stored."""
    state = "archived" if record.archived else "current"
    stored = f", stored {iso(record.added_at)}" if record.added_at else ""
    return f"{record.version_label} of {record.versions} (lineage {record.lineage_id}), {state}{stored}"


def sections(d: Description, now: datetime, names_limit: int | None = None) -> list[Section]:
    """Labelled sections for display; every value is plain, untrusted text.

    ``names_limit`` shows only the first names of a certificate with very many
    (10,000 SANs took seconds to lay out) and says how many more there are.
    """
    r = d.record
    out: list[Section] = [_certificate_section(r, now)]
    info = d.info
    if info is None:
        out.append(("Request", [("Subject", r.subject), ("Names", ", ".join(r.sans)), ("Key", r.key_description), ("Status", "waiting for the issued certificate")]))
        return out
    subject = [(label, info.subject.get(key, "")) for key, label in (
        ("CN", "Common name"), ("O", "Organization"), ("OU", "Organizational unit"), ("L", "City"),
        ("ST", "Region"), ("C", "Country"), ("emailAddress", "Email"))]
    out.append(("Subject", [(k, v) for k, v in subject if v] or [("Subject", info.subject_text or "(empty)")]))
    sans = info.sans
    names = [("DNS", f"{u}  ({a})" if u != a else a) for a, u in zip(sans.dns, sans.dns_unicode)]
    names += [("IP", ip) for ip in sans.ips] + [("Email", e) for e in sans.emails] + [("URI", u) for u in sans.uris]
    out.append(("Names", _limited(names, names_limit) or [("Names", "none")]))
    out.append(("Issuer", [("Issuer", info.issuer_text), ("Self-signed", "yes" if info.self_signed else "no"), ("CA", "yes" if info.is_ca else "no")]))
    out.append(("Validity", [("Not before", iso(info.not_before) or ""), ("Not after", iso(info.not_after) or ""), ("Days left", _days(r, now))]))
    out.append(("Key and signature", [
        ("Key", info.key_description), ("Signature", info.signature_algorithm), ("Serial", openssl_serial(info.serial_hex)),
        ("SHA-256", colon_hex(info.sha256)), ("SHA-1", colon_hex(info.sha1)),
        ("Key usage", ", ".join(info.key_usage) or "none"), ("Extended key usage", ", ".join(info.extended_key_usage) or "none"),
    ]))
    urls = [("OCSP", u) for u in info.ocsp_urls] + [("CA issuers", u) for u in info.ca_issuer_urls] + [("CRL", u) for u in info.crl_urls]
    out.append(("Revocation and AIA", urls or [("URLs", "none")]))
    chain = [(f"{i + 1}. {c.common_name or c.subject_text}", f"{status_of(c.not_before, c.not_after, now).label}, until {c.not_after:%Y-%m-%d}")
             for i, c in enumerate((info, *d.chain))]
    out.append(("Chain", chain))
    out.append(("Findings", [(f.severity.upper(), f"{f.code}: {f.message}") for f in d.findings]))
    if info.unreadable:
        out.append(("Unreadable fields", [("Fields", ", ".join(info.unreadable))]))
    return out


def record_sections(r: CertificateRecord, now: datetime, names_limit: int | None = None) -> list[Section]:
    """What the stored row alone says, shown at once while the certificate itself is inspected."""
    names = _limited([("Name", n) for n in r.sans], names_limit)
    return [_certificate_section(r, now), ("Names", names or [("Names", "none")]), ("Inspecting", [("", "reading the certificate…")])]


def _certificate_section(r: CertificateRecord, now: datetime) -> Section:
    return ("Certificate", [
        ("ID", str(r.id)), ("Name", r.name), ("SSL domain", r.domain), ("Owner", r.owner),
        ("Type", r.type_label), ("Status", r.status(now).label + (" (archived)" if r.archived else "")),
        ("Expire Day", _days(r, now)), ("Create At", iso(r.created_at) or ""), ("Update At", iso(r.updated_at) or ""),
        ("Version", _version(r)), ("Web-domains", ", ".join(r.web_domains) or "none"),
    ])


def _limited(names: list[tuple[str, str]], limit: int | None) -> list[tuple[str, str]]:
    """The first ``limit`` names and a line that counts the rest (10,000 SANs took seconds to lay out)."""
    if limit is not None and len(names) > limit:
        return [*names[:limit], ("…", f"{len(names) - limit:,} more names ({len(names):,} in all): n shows them all")]
    return names


def colon_hex(hexstr: str) -> str:
    return ":".join(hexstr[i : i + 2] for i in range(0, len(hexstr), 2)).upper()
