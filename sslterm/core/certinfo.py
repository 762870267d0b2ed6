"""Inspect a certificate into a plain dataclass, field by field.

A field that fails to decode is listed in ``CertInfo.unreadable`` and given an
empty value; inspection itself never raises for a certificate that parsed.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TypeVar

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from sslterm.core.der import summary_fields
from sslterm.core.names import to_unicode

T = TypeVar("T")

_SUBJECT_FIELDS = {
    "CN": NameOID.COMMON_NAME,
    "O": NameOID.ORGANIZATION_NAME,
    "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "L": NameOID.LOCALITY_NAME,
    "ST": NameOID.STATE_OR_PROVINCE_NAME,
    "C": NameOID.COUNTRY_NAME,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}


@dataclass(frozen=True)
class SubjectAltNames:
    """The names a certificate is valid for, by kind."""

    dns: tuple[str, ...] = ()
    dns_unicode: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    uris: tuple[str, ...] = ()

    @property
    def hostnames(self) -> tuple[str, ...]:
        """DNS names then IP addresses: what a TLS client may match."""
        return self.dns + self.ips


@dataclass(frozen=True)
class CertInfo:
    """Everything sslterm shows about one certificate."""

    subject: dict[str, str]
    subject_text: str
    issuer: dict[str, str]
    issuer_text: str
    sans: SubjectAltNames
    serial_hex: str
    sha256: str
    sha1: str
    not_before: datetime
    not_after: datetime
    key_algorithm: str
    key_size: int | None
    key_curve: str | None
    signature_algorithm: str
    signature_hash: str | None
    is_ca: bool
    self_signed: bool
    key_usage: tuple[str, ...]
    extended_key_usage: tuple[str, ...]
    ocsp_urls: tuple[str, ...]
    ca_issuer_urls: tuple[str, ...]
    crl_urls: tuple[str, ...]
    public_key_sha256: str
    unreadable: tuple[str, ...] = field(default=())

    @property
    def common_name(self) -> str:
        return self.subject.get("CN", "")

    @property
    def primary_name(self) -> str:
        """The name a certificate is known by: its CN, else its first SAN, else its serial."""
        cn = self.common_name
        if cn:
            return cn
        if self.sans.hostnames:
            return self.sans.hostnames[0]
        return f"serial {self.serial_hex}"

    @property
    def all_names(self) -> tuple[str, ...]:
        """Lower-case DNS/IP names from the CN and SANs, CN first, without repeats."""
        names = [self.common_name.lower()] if self.common_name else []
        names += [n.lower() for n in self.sans.hostnames]
        return tuple(dict.fromkeys(n for n in names if n))

    @property
    def key_description(self) -> str:
        if self.key_curve:
            return f"{self.key_algorithm} {self.key_curve}"
        if self.key_size:
            return f"{self.key_algorithm} {self.key_size}"
        return self.key_algorithm


class _Reader:
    """Collects the names of fields that fail to decode."""

    def __init__(self) -> None:
        self.unreadable: list[str] = []

    def read(self, name: str, getter: Callable[[], T], default: T) -> T:
        try:
            return getter()
        except x509.ExtensionNotFound:
            return default
        except Exception:  # noqa: BLE001 - cryptography decodes lazily and raises several types
            self.unreadable.append(name)
            return default


def inspect_certificate(cert: x509.Certificate) -> CertInfo:
    """Read every field sslterm shows from ``cert``."""
    r = _Reader()
    subject = r.read("subject", lambda: _name_fields(cert.subject), {})
    issuer = r.read("issuer", lambda: _name_fields(cert.issuer), {})
    sans = r.read("subject alternative names", lambda: _sans(cert), SubjectAltNames())
    key_algorithm, key_size, key_curve = r.read("public key", lambda: describe_public_key(cert.public_key()), ("unknown", None, None))
    sig_hash = r.read("signature algorithm", lambda: cert.signature_hash_algorithm.name if cert.signature_hash_algorithm else None, None)
    return CertInfo(
        subject=subject,
        subject_text=r.read("subject", lambda: cert.subject.rfc4514_string(), ""),
        issuer=issuer,
        issuer_text=r.read("issuer", lambda: cert.issuer.rfc4514_string(), ""),
        sans=sans,
        serial_hex=format(cert.serial_number, "x"),
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        sha1=cert.fingerprint(hashes.SHA1()).hex(),  # noqa: S303 - shown as a fingerprint, not for security
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_algorithm=key_algorithm,
        key_size=key_size,
        key_curve=key_curve,
        signature_algorithm=r.read("signature algorithm", lambda: _signature_name(cert), "unknown"),
        signature_hash=sig_hash,
        is_ca=r.read("basic constraints", lambda: cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca, False),
        self_signed=r.read("issuer", lambda: _is_self_signed(cert), False),
        key_usage=r.read("key usage", lambda: _key_usage(cert), ()),
        extended_key_usage=r.read("extended key usage", lambda: _eku(cert), ()),
        ocsp_urls=r.read("authority information access", lambda: _aia(cert, "OCSP"), ()),
        ca_issuer_urls=r.read("authority information access", lambda: _aia(cert, "caIssuers"), ()),
        crl_urls=r.read("CRL distribution points", lambda: _crl(cert), ()),
        public_key_sha256=r.read("public key", lambda: public_key_fingerprint(cert.public_key()), "") or _raw_spki_sha256(cert),
        unreadable=tuple(dict.fromkeys(r.unreadable)),
    )


@dataclass(frozen=True)
class CertSummary:
    """The columns a stored certificate needs for listing: a fast subset of :class:`CertInfo`.

    Bulk import reads only these (no SHA-1, key usage, AIA or CRL decoding).
    """

    primary_name: str
    all_names: tuple[str, ...]
    hostnames: tuple[str, ...]
    subject_text: str
    issuer_text: str
    serial_hex: str
    sha256: str
    public_key_sha256: str
    key_description: str
    not_before: datetime
    not_after: datetime
    is_ca: bool = False


def summarize_certificate(cert: x509.Certificate, der: bytes | None = None) -> CertSummary:
    """Read the listing columns of ``cert``; undecodable parts become empty, never errors.

    Common certificates are read straight from their DER (:mod:`sslterm.core.der`,
    about three times faster); anything unusual goes through cryptography's objects.
    Pass ``der`` when the caller has it already.
    """
    der = der if der is not None else cert.public_bytes(serialization.Encoding.DER)
    fields = summary_fields(der)
    if fields is not None:
        return _summary(**fields)  # type: ignore[arg-type]
    try:
        return summarize_from_objects(cert)
    except UnsupportedAlgorithm:
        # A key algorithm no library here reads (GOST, say): still tracked by its dates and names.
        fields = summary_fields(der, any_key=True)
        if fields is None:
            raise
        return _summary(**fields)  # type: ignore[arg-type]


def summarize_from_objects(cert: x509.Certificate) -> CertSummary:
    """:func:`summarize_certificate` through cryptography's objects, for any certificate it parsed."""
    r = _Reader()
    public_key = cert.public_key()
    algorithm, size, curve = describe_public_key(public_key)
    return _summary(
        common_names=r.read("subject", lambda: [str(a.value) for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)], []),
        hostnames=r.read("subject alternative names", lambda: _sans(cert), SubjectAltNames()).hostnames,
        subject_text=r.read("subject", lambda: cert.subject.rfc4514_string(), ""),
        issuer_text=r.read("issuer", lambda: cert.issuer.rfc4514_string(), ""),
        serial_hex=format(cert.serial_number, "x"),
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
        public_key_sha256=public_key_fingerprint(public_key),
        key_description=f"{algorithm} {curve}" if curve else f"{algorithm} {size}" if size else algorithm,
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        is_ca=r.read("basic constraints", lambda: cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca, False),
    )


def _summary(common_names: list[str], hostnames: tuple[str, ...], serial_hex: str, **fields: Any) -> CertSummary:
    cn = ", ".join(common_names)
    names = tuple(dict.fromkeys(n for n in ([cn.lower()] if cn else []) + [h.lower() for h in hostnames] if n))
    return CertSummary(
        primary_name=cn or (hostnames[0] if hostnames else f"serial {serial_hex}"),
        all_names=names, hostnames=hostnames, serial_hex=serial_hex, **fields,
    )


_KEY_KINDS: dict[type, str] = {}


def _key_kind(key: Any) -> str:
    """The algorithm family of a key, cached per concrete type (ABC isinstance checks are slow)."""
    kind = _KEY_KINDS.get(type(key))
    if kind is None:
        for name, classes in (
            ("RSA", (rsa.RSAPublicKey, rsa.RSAPrivateKey)),
            ("ECDSA", (ec.EllipticCurvePublicKey, ec.EllipticCurvePrivateKey)),
            ("Ed25519", (ed25519.Ed25519PublicKey, ed25519.Ed25519PrivateKey)),
            ("Ed448", (ed448.Ed448PublicKey, ed448.Ed448PrivateKey)),
            ("DSA", (dsa.DSAPublicKey, dsa.DSAPrivateKey)),
        ):
            if isinstance(key, classes):
                kind = name
                break
        else:
            kind = type(key).__name__
        _KEY_KINDS[type(key)] = kind
    return kind


def describe_public_key(key: Any) -> tuple[str, int | None, str | None]:
    """(algorithm, size in bits, curve name) for a public or private key."""
    kind = _key_kind(key)
    if kind in ("RSA", "DSA"):
        return kind, key.key_size, None
    if kind == "ECDSA":
        return kind, key.curve.key_size, _CURVE_NAMES.get(key.curve.name, key.curve.name)
    if kind == "Ed25519":
        return kind, 256, None
    if kind == "Ed448":
        return kind, 456, None
    return kind, None, None


_CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


def _raw_spki_sha256(cert: x509.Certificate) -> str:
    """The key fingerprint read from the DER, for a key cryptography cannot load (same value as for one it can)."""
    fields = summary_fields(cert.public_bytes(serialization.Encoding.DER), any_key=True)
    return str(fields["public_key_sha256"]) if fields else ""


def public_key_fingerprint(public_key: Any) -> str:
    """SHA-256 of the SubjectPublicKeyInfo, lower-case hex: compares keys across objects."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize().hex()


def _name_fields(name: x509.Name) -> dict[str, str]:
    fields: dict[str, str] = {}
    for label, oid in _SUBJECT_FIELDS.items():
        values = [str(a.value) for a in name.get_attributes_for_oid(oid)]
        if values:
            fields[label] = ", ".join(values)
    return fields


def _sans(cert: x509.Certificate) -> SubjectAltNames:
    """The names by kind, in one pass (four get_values_for_type passes took 50 ms over 10,000 names)."""
    ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    kinds: dict[type, list[object]] = {x509.DNSName: [], x509.IPAddress: [], x509.RFC822Name: [], x509.UniformResourceIdentifier: []}
    for general in ext:
        bucket = kinds.get(type(general))
        if bucket is not None:
            bucket.append(general.value)
    dns = tuple(kinds[x509.DNSName])  # type: ignore[arg-type]  # DNSName values are str
    return SubjectAltNames(
        dns=dns,
        dns_unicode=tuple(to_unicode(n) for n in dns),
        ips=tuple(str(ip) for ip in kinds[x509.IPAddress] if isinstance(ip, (ipaddress.IPv4Address, ipaddress.IPv6Address))),
        emails=tuple(str(e) for e in kinds[x509.RFC822Name]),
        uris=tuple(str(u) for u in kinds[x509.UniformResourceIdentifier]),
    )


def _signature_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return getattr(oid, "_name", None) or oid.dotted_string


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # noqa: BLE001 - any failure means "not signed by itself"
        return False
    return True


_KEY_USAGE_FLAGS = (
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "key_cert_sign", "crl_sign",
)


def _key_usage(cert: x509.Certificate) -> tuple[str, ...]:
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    used = [flag for flag in _KEY_USAGE_FLAGS if getattr(ku, flag)]
    if ku.key_agreement:
        used += [flag for flag in ("encipher_only", "decipher_only") if getattr(ku, flag)]
    return tuple(used)


def _eku(cert: x509.Certificate) -> tuple[str, ...]:
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    return tuple(getattr(oid, "_name", None) or oid.dotted_string for oid in eku)


def _aia(cert: x509.Certificate, method: str) -> tuple[str, ...]:
    aia = cert.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    wanted = x509.AuthorityInformationAccessOID.OCSP if method == "OCSP" else x509.AuthorityInformationAccessOID.CA_ISSUERS
    return tuple(
        d.access_location.value for d in aia
        if d.access_method == wanted and isinstance(d.access_location, x509.UniformResourceIdentifier)
    )


def _crl(cert: x509.Certificate) -> tuple[str, ...]:
    points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    urls = []
    for point in points:
        for name in point.full_name or ():
            if isinstance(name, x509.UniformResourceIdentifier):
                urls.append(name.value)
    return tuple(urls)
