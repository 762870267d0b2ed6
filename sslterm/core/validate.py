"""Validate what belongs together: key to certificate, and the chain up to a root."""

from __future__ import annotations

import functools
import ssl
import warnings
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm

from sslterm.core.errors import ValidationError
from sslterm.core.status import Status, status_of

if TYPE_CHECKING:
    from sslterm.core.parse import PrivateKey

ERROR = "error"
WARNING = "warning"
OK = "ok"


@dataclass(frozen=True)
class Finding:
    """One named result of validation, e.g. ``missing_intermediate``."""

    code: str
    severity: str
    message: str


@dataclass(frozen=True)
class Validation:
    """The chain ordered leaf -> root and what was found on the way."""

    chain: tuple[x509.Certificate, ...]
    findings: tuple[Finding, ...]

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity != OK)

    def has(self, code: str) -> bool:
        return any(f.code == code for f in self.findings)


def key_matches(cert: x509.Certificate, key: PrivateKey) -> bool:
    """True when ``key`` is the private half of the certificate's public key."""
    from sslterm.core.certinfo import public_key_fingerprint  # (certinfo and parse load only where keys are read)

    return public_key_fingerprint(cert.public_key()) == public_key_fingerprint(key.public_key())


def require_key_match(cert: x509.Certificate, key: PrivateKey) -> None:
    """Raise :class:`ValidationError` naming both public-key fingerprints on a mismatch."""
    from sslterm.core.certinfo import public_key_fingerprint

    cert_fp = public_key_fingerprint(cert.public_key())
    key_fp = public_key_fingerprint(key.public_key())
    if cert_fp != key_fp:
        raise ValidationError(
            f"the private key does not belong to the certificate: key's public key SHA-256 "
            f"{key_fp[:16]}... vs certificate's {cert_fp[:16]}..."
        )


def pick_leaf(certs: list[x509.Certificate]) -> x509.Certificate:
    """The end-entity of a set in any order: the one that issued none of the others."""
    if not certs:
        raise ValidationError("no certificate given")
    issuers = {c.issuer for c in certs}
    for cert in certs:
        if cert.subject not in issuers or (_is_self_issued(cert) and len(certs) == 1):
            return cert
    return certs[0]


def order_chain(leaf: x509.Certificate, others: list[x509.Certificate]) -> tuple[list[x509.Certificate], list[x509.Certificate], list[Finding]]:
    """Walk from ``leaf`` to its root through ``others`` (any order), checking each signature.

    Returns:
        (ordered chain starting with the leaf, certificates that did not fit, findings)
    """
    remaining = [c for c in others if c != leaf]
    chain = [leaf]
    findings: list[Finding] = []
    current = leaf
    while remaining and not _is_self_issued(current):  # (nothing left to link: no need to check a self-signature)
        wanted = _name_of(current, "issuer")
        candidates = [c for c in remaining if wanted is not None and _name_of(c, "subject") == wanted]
        issuer = next((c for c in candidates if _signed_by(current, c)), None)
        if issuer is None:
            if candidates:
                findings.append(Finding("bad_signature", ERROR, f"{_cn(current)} is not signed by {_cn(candidates[0])} although it names it as issuer"))
            break
        chain.append(issuer)
        remaining.remove(issuer)
        current = issuer
    return chain, remaining, findings


def validate(
    leaf: x509.Certificate,
    chain: list[x509.Certificate],
    now: datetime,
    key: PrivateKey | None = None,
    roots: list[x509.Certificate] | None = None,
) -> Validation:
    """Order ``chain`` and report every named finding.

    Findings: key_match / key_mismatch, missing_intermediate, bad_signature,
    unrelated_certificate, expired, not_yet_valid, expired_link,
    not_yet_valid_link, weak_key, weak_signature.

    Args:
        leaf: the end-entity certificate.
        chain: intermediates (and maybe the root) in any order.
        now: the moment validity is judged at.
        key: the private key, when there is one.
        roots: trust anchors to end the chain at; the system store when None.
    """
    ordered, unused, findings = order_chain(leaf, chain)
    if key is not None:
        if key_matches(leaf, key):
            findings.append(Finding("key_match", OK, "the private key matches the certificate"))
        else:
            findings.append(Finding("key_mismatch", ERROR, "the private key does not belong to the certificate"))
    top = ordered[-1]
    if not _is_self_issued(top) and not _known_root(top, roots):
        findings.append(_unanchored(top, roots, findings))
    elif not findings or all(f.severity == OK for f in findings):
        findings.append(Finding("chain_complete", OK, f"chain of {len(ordered)} certificate(s) verified"))
    for cert in unused:
        findings.append(Finding("unrelated_certificate", WARNING, f"{_cn(cert)} is not part of this certificate's chain"))
    findings.extend(_validity_findings(ordered, now))
    findings.extend(_strength_findings(ordered))
    findings.extend(_extension_findings(ordered[0]))
    return Validation(tuple(ordered), tuple(findings))


def _validity_findings(ordered: list[x509.Certificate], now: datetime) -> list[Finding]:
    findings = []
    for index, cert in enumerate(ordered):
        status = status_of(cert.not_valid_before_utc, cert.not_valid_after_utc, now)
        where = "" if index == 0 else "_link"
        who = "the certificate" if index == 0 else f"chain link {_cn(cert)}"
        if status is Status.EXPIRED:
            findings.append(Finding(f"expired{where}", ERROR, f"{who} expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"))
        elif status is Status.NOT_YET_VALID:
            findings.append(Finding(f"not_yet_valid{where}", WARNING, f"{who} is not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"))
    return findings


def _extension_findings(cert: x509.Certificate) -> list[Finding]:
    """A critical extension nobody here understands: RFC 5280 says a client must reject the certificate."""
    try:
        extensions = list(cert.extensions)
    except ValueError as exc:
        return [Finding("unreadable_extensions", WARNING, f"the extensions of {_cn(cert)} do not decode ({' '.join(str(exc).split())[:120]})")]
    return [Finding("unknown_critical_extension", WARNING, f"{_cn(cert)} has a critical extension sslterm does not understand "
                    f"({ext.oid.dotted_string}): clients that do not understand it either must reject the certificate")
            for ext in extensions if ext.critical and isinstance(ext.value, x509.UnrecognizedExtension)]


def _strength_findings(ordered: list[x509.Certificate]) -> list[Finding]:
    from sslterm.core.certinfo import describe_public_key

    findings = []
    for cert in ordered:
        try:
            algorithm, size, _ = describe_public_key(cert.public_key())
        except (ValueError, UnsupportedAlgorithm):
            oid = getattr(cert, "public_key_algorithm_oid", None)
            what = f" ({oid.dotted_string})" if oid is not None else ""
            findings.append(Finding("unsupported_key", WARNING, f"the public key algorithm of {_cn(cert)}{what} is not one sslterm "
                                    "reads (RSA, EC, Ed25519, Ed448, DSA): its dates and names are tracked, its key and signatures are not checked"))
            continue
        if algorithm in ("RSA", "DSA") and size is not None and size < 2048:
            findings.append(Finding("weak_key", ERROR, f"{_cn(cert)} has a weak {size}-bit {algorithm} key (use 2048 bits or more)"))
        if _is_self_issued(cert) and cert is not ordered[0]:
            continue  # a root's self-signature is not relied upon
        hash_algorithm = cert.signature_hash_algorithm
        if hash_algorithm is not None and hash_algorithm.name in ("md5", "sha1"):
            findings.append(Finding("weak_signature", ERROR, f"{_cn(cert)} is signed with {hash_algorithm.name.upper()}, which is broken"))
    return findings


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except Exception:  # noqa: BLE001 - ValueError, TypeError, InvalidSignature all mean "no"
        return False
    return True


def _name_of(cert: x509.Certificate, which: str) -> x509.Name | None:
    """A certificate's subject or issuer, or None when it does not decode (such a name matches nothing)."""
    try:
        return getattr(cert, which)  # type: ignore[no-any-return]
    except ValueError:
        return None


def _is_self_issued(cert: x509.Certificate) -> bool:
    subject = _name_of(cert, "subject")
    return subject is not None and subject == _name_of(cert, "issuer") and _signed_by(cert, cert)


def _unanchored(top: x509.Certificate, roots: list[x509.Certificate] | None, findings: list[Finding]) -> Finding:
    """Why a chain ends at ``top``: a signature that does not verify is its own finding, not a missing link."""
    if top.subject == top.issuer:
        return Finding("bad_signature", ERROR, f"{_cn(top)} names itself as issuer, but its self-signature does not verify: damaged or forged")
    named = roots if roots is not None else system_roots().get(top.issuer.public_bytes(), [])
    if any(r.subject == top.issuer for r in named):
        return Finding("bad_signature", ERROR, f"{_cn(top)} is not signed by the trusted root {_rdn(top.issuer)} although it names it: damaged or forged")
    if any(f.code == "bad_signature" for f in findings):
        return Finding("chain_broken", WARNING, f"the chain ends at {_cn(top)}: the certificate it names as issuer did not sign it")
    return Finding("missing_intermediate", WARNING, f"chain incomplete: the issuer of {_cn(top)} ({_rdn(top.issuer)}) is neither in the chain nor a trusted root")


def _known_root(cert: x509.Certificate, roots: list[x509.Certificate] | None) -> bool:
    candidates = roots if roots is not None else system_roots().get(cert.issuer.public_bytes(), [])
    return any(r.subject == cert.issuer and _signed_by(cert, r) for r in candidates)


def system_root_certificates() -> list[x509.Certificate]:
    """The system trust store as read (one list, read once; never change it); empty when there is none."""
    return _load_system_roots()


@functools.cache
def system_roots() -> dict[bytes, list[x509.Certificate]]:
    """The system trust store, by subject DER; empty when there is none."""
    by_subject: dict[bytes, list[x509.Certificate]] = {}
    for cert in _load_system_roots():
        by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)
    return by_subject


@functools.cache
def _load_system_roots() -> list[x509.Certificate]:
    paths = ssl.get_default_verify_paths()
    for cafile in (paths.cafile, paths.openssl_cafile):
        if cafile:
            try:
                with open(cafile, "rb") as handle, warnings.catch_warnings():
                    # Some distribution roots carry negative serials; they are still roots.
                    warnings.simplefilter("ignore")
                    return x509.load_pem_x509_certificates(handle.read())
            except (OSError, ValueError):
                continue
    try:
        ders = ssl.create_default_context().get_ca_certs(binary_form=True)
        return [x509.load_der_x509_certificate(der) for der in ders]
    except (ssl.SSLError, OSError, ValueError):
        return []


def _cn(cert: x509.Certificate) -> str:
    try:
        attrs = cert.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        return f"'{attrs[0].value}'" if attrs else f"'{cert.subject.rfc4514_string()}'"
    except Exception:  # noqa: BLE001 - undecodable subject
        return "'(unreadable subject)'"


def _rdn(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except Exception:  # noqa: BLE001
        return "unreadable name"
