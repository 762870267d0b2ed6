"""Is a served chain complete and trusted? Checked apart from fetching (fetching never trusts).

Two profiles are tried. The web-PKI profile (cryptography's defaults, what browsers
and Let's Encrypt require) first; when only it fails, the chain is verified again
with the extension checks relaxed to what ``openssl verify -CAfile`` enforces. A
chain that passes only the relaxed check is trusted, and the web-PKI complaint (a
missing Authority Key Identifier, ...) becomes a finding of its own. A chain that
fails both is told apart: name mismatch, expired link, unknown root, incomplete chain.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.x509 import verification

from sslterm.core.errors import InputError
from sslterm.core.validate import order_chain, system_root_certificates

# Why a chain is not trusted: a contract for scripts (the JSON "code" of an untrusted finding).
NO_CERTIFICATE, NO_ROOTS, NAME_MISMATCH = "no-certificate", "no-roots", "name-mismatch"
EXPIRED_LEAF, EXPIRED_CHAIN, UNKNOWN_ROOT, INCOMPLETE_CHAIN, UNTRUSTED = (
    "expired-leaf", "expired-chain", "unknown-root", "incomplete-chain", "untrusted")

_EXTENSION_NAMES = {
    "2.5.29.35": "Authority Key Identifier", "2.5.29.14": "Subject Key Identifier", "2.5.29.15": "Key Usage",
    "2.5.29.19": "Basic Constraints", "2.5.29.37": "Extended Key Usage", "2.5.29.17": "Subject Alternative Name",
    "2.5.29.30": "Name Constraints", "2.5.29.32": "Certificate Policies",
}
_REPR = re.compile(r"\s*\(encountered processing <Certificate\(.*\)>\)")


@dataclass(frozen=True)
class TrustResult:
    """Whether a chain verifies to a trusted root for a host, why not, and what only the web-PKI profile rejects."""

    trusted: bool
    complete: bool
    reason: str = ""
    code: str = ""  # empty when trusted; else one of the codes above
    webpki: str = ""  # set when trusted but the web-PKI profile rejects the chain


def load_ca_bundle(path: str) -> list[x509.Certificate]:
    """The certificates of a PEM trust bundle (``--ca-bundle``), with a sentence when it cannot be used."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        raise InputError(f"cannot read the CA bundle {path}: {exc.strerror or exc}") from None
    try:
        certs = x509.load_pem_x509_certificates(data)
    except ValueError:
        raise InputError(f"the CA bundle {path} holds no PEM certificate: give a file of BEGIN CERTIFICATE blocks") from None
    return certs


def anchors_with(extra: list[x509.Certificate]) -> list[x509.Certificate]:
    """The system's roots and ``extra`` (as ``openssl s_client -CAfile`` adds to the default paths)."""
    return system_root_certificates() + list(extra)


def verify_served_chain(
    chain: list[x509.Certificate], host: str, now: datetime, roots: list[x509.Certificate] | None = None
) -> TrustResult:
    """Verify ``chain`` (leaf first, as served) for ``host`` at ``now`` against ``roots``.

    Args:
        chain: the certificates the server presented, leaf first.
        host: the name (or IP) the client asked for.
        now: the moment of verification.
        roots: trust anchors; the system store when None.
    """
    if not chain:
        return TrustResult(False, False, "the server presented no certificate", NO_CERTIFICATE)
    roots = roots if roots is not None else system_root_certificates()  # one list object: its Store is built once
    if not roots:  # (a verification Store cannot be empty)
        top = order_chain(chain[0], list(chain[1:]))[0][-1]
        return TrustResult(False, top.subject == top.issuer, "no trusted roots available on this machine: give some with --ca-bundle", NO_ROOTS)
    anchors = _anchor_set(roots)
    strict = _verify(chain, host, now, anchors, relaxed=False)
    if strict is None:
        return TrustResult(True, True)
    if _verify(chain, host, now, anchors, relaxed=True) is None:
        return TrustResult(True, True, webpki=f"the web-PKI profile rejects the chain: {strict}")
    ordered, _, _ = order_chain(chain[0], list(chain[1:]))  # only a chain that fails needs telling apart (a signature check a link)
    return _why_not(chain, ordered, host, now, anchors, _reaches_anchor(ordered, anchors), strict)


class _Anchors:
    """A list of trust anchors with what verifying against it needs, built once per list."""

    def __init__(self, certificates: list[x509.Certificate]) -> None:
        self.certificates = tuple(certificates)
        self.store = verification.Store(certificates)
        self.members = frozenset(certificates)

    @functools.cached_property
    def by_subject(self) -> dict[bytes, list[x509.Certificate]]:
        """The anchors by subject DER: only telling an incomplete chain apart needs it (~5 ms for the system's roots)."""
        by_subject: dict[bytes, list[x509.Certificate]] = {}
        for cert in self.certificates:
            by_subject.setdefault(cert.subject.public_bytes(), []).append(cert)
        return by_subject


_ANCHOR_SETS: dict[int, tuple[list[x509.Certificate], _Anchors]] = {}
_MAX_ANCHOR_SETS = 32
_ANCHOR_LOCK = threading.Lock()


def _anchor_set(anchors: list[x509.Certificate]) -> _Anchors:
    """The verification Store and indexes of an anchor list, cached by the list's identity.

    Building a Store from the system's ~150 roots for every probe cost ~0.5 ms and
    comparing each chain with every root as much again. The checker hands the same
    list for every endpoint with the same bundles; the cache keeps a reference to the
    list, so its identity is not reused while the entry lives (the lists are never
    changed once made).
    """
    with _ANCHOR_LOCK:  # the TUI's checker passes run in worker threads
        hit = _ANCHOR_SETS.get(id(anchors))
        if hit is not None and hit[0] is anchors and len(hit[1].certificates) == len(anchors):
            return hit[1]
        built = _Anchors(anchors)
        if len(_ANCHOR_SETS) >= _MAX_ANCHOR_SETS:
            _ANCHOR_SETS.pop(next(iter(_ANCHOR_SETS)))
        _ANCHOR_SETS[id(anchors)] = (anchors, built)
        return built


def _why_not(chain: list[x509.Certificate], ordered: list[x509.Certificate], host: str, now: datetime, anchors: _Anchors,
             complete: bool, reason: str) -> TrustResult:
    leaf = chain[0]
    if not _names_match(leaf, host):
        names = ", ".join(_dns_names(leaf)[:5]) or "no DNS name"
        return TrustResult(False, complete, f"the certificate is for {names}, not {host}", NAME_MISMATCH)
    for cert in chain[1:]:
        if not cert.not_valid_before_utc <= now < cert.not_valid_after_utc:
            return TrustResult(False, complete, f"the chain's {_cn(cert)} is valid only from {cert.not_valid_before_utc:%Y-%m-%d} "
                                                f"to {cert.not_valid_after_utc:%Y-%m-%d}", EXPIRED_CHAIN)
    if not leaf.not_valid_before_utc <= now < leaf.not_valid_after_utc:
        within = min(max(now, leaf.not_valid_before_utc), leaf.not_valid_after_utc - timedelta(seconds=1))
        if _verify(chain, host, within, anchors, relaxed=True) is None:
            return TrustResult(False, True, "the certificate is outside its validity period", EXPIRED_LEAF)
    top = ordered[-1]
    if top.subject == top.issuer and top not in anchors.members:
        return TrustResult(False, True, f"the chain ends at {_cn(top)}, a root this machine does not trust "
                                        "(give it with --ca-bundle)", UNKNOWN_ROOT)
    if not complete:
        return TrustResult(False, False, f"missing intermediate: the server does not send {_name(top.issuer)}, "
                                         f"which issued {_cn(top)}: serve the full chain", INCOMPLETE_CHAIN)
    return TrustResult(False, complete, reason, UNTRUSTED)


def _verify(chain: list[x509.Certificate], host: str, now: datetime, anchors: _Anchors, relaxed: bool) -> str | None:
    """None when the chain verifies, else why not (in words, without reprs)."""
    try:
        subject: verification.Subject
        try:
            subject = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            subject = x509.DNSName(host)
        builder = verification.PolicyBuilder().store(anchors.store).time(now)
        if relaxed:
            builder = builder.extension_policies(ca_policy=_RELAXED_CA, ee_policy=_RELAXED_EE)
        builder.build_server_verifier(subject).verify(chain[0], chain[1:])
    except verification.VerificationError as exc:
        return _words(str(exc))
    except Exception as exc:  # noqa: BLE001 - malformed names or certificates: not trusted, say why
        return _words(str(exc)) or "the certificate cannot be verified"
    return None


_any = verification.Criticality.AGNOSTIC
# What openssl's chain building insists on: CAs are CAs, leaves carry names.
_RELAXED_CA = verification.ExtensionPolicy.permit_all().require_present(x509.BasicConstraints, _any, None)
_RELAXED_EE = verification.ExtensionPolicy.permit_all().require_present(x509.SubjectAlternativeName, _any, None)


def _words(text: str) -> str:
    text = _REPR.sub("", " ".join(text.split())).removeprefix("validation failed: ")
    for oid, label in _EXTENSION_NAMES.items():
        text = text.replace(f"{oid}:", f"{label}:")
    return text[:240]


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [n.lower() for n in sans.get_values_for_type(x509.DNSName)] + [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)]


def _names_match(cert: x509.Certificate, host: str) -> bool:
    names, host = set(_dns_names(cert)), host.lower().rstrip(".")
    if host in names:
        return True
    _, _, parent = host.partition(".")
    return bool(parent) and f"*.{parent}" in names


def _cn(cert: x509.Certificate) -> str:
    return _name(cert.subject)


def _name(name: x509.Name) -> str:
    cns = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    text = str(cns[0].value) if cns else name.rfc4514_string()
    return "".join(ch for ch in text if ch.isprintable())[:120] or "an unnamed certificate"


def _reaches_anchor(ordered: list[x509.Certificate], anchors: _Anchors) -> bool:
    """True when nothing is missing: the served certificates (in chain order) link up to a self-signed root or to an anchor."""
    top = ordered[-1]
    if top.subject == top.issuer:
        return True
    for anchor in anchors.by_subject.get(top.issuer.public_bytes(), []):
        try:
            top.verify_directly_issued_by(anchor)
            return True
        except Exception:  # noqa: BLE001 - not this anchor
            continue
    return False
