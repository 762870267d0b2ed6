"""Generate keys, self-signed certificates and CSRs from the ISPmanager form's fields."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from sslterm.core.errors import InputError
from sslterm.core.keytypes import DEFAULT_KEY_TYPE, KEY_TYPE_LABELS, KEY_TYPES  # noqa: F401 - re-exported
from sslterm.core.names import is_ip, normalize_country, normalize_domain, normalize_email, normalize_san
from sslterm.core.parse import PrivateKey

DEFAULT_DAYS = 365


@dataclass(frozen=True)
class SubjectRequest:
    """The fields of the ISPmanager 'Add a new certificate' form, already validated.

    Build it with :func:`subject_request`, which applies every input rule.
    """

    domain: str
    sans: tuple[str, ...] = ()
    country: str | None = None
    region: str | None = None
    city: str | None = None
    organization: str | None = None
    unit: str | None = None
    email: str | None = None
    key_type: str = DEFAULT_KEY_TYPE

    @property
    def names(self) -> tuple[str, ...]:
        """The domain followed by the extra names, without repeats."""
        return tuple(dict.fromkeys((self.domain, *self.sans)))


@dataclass(frozen=True)
class Validity:
    """A checked validity period (aware UTC)."""

    not_before: datetime
    not_after: datetime


def subject_request(
    domain: str,
    sans: list[str] | tuple[str, ...] = (),
    country: str | None = None,
    region: str | None = None,
    city: str | None = None,
    organization: str | None = None,
    unit: str | None = None,
    email: str | None = None,
    key_type: str = DEFAULT_KEY_TYPE,
) -> SubjectRequest:
    """Apply every input rule and return the normalised form, or raise :class:`InputError`."""
    clean = lambda v: (v or "").strip() or None  # noqa: E731
    if key_type not in KEY_TYPES:
        raise InputError(f"key type {key_type!r} is not one of {', '.join(KEY_TYPES)}", "key_type")
    for label, value in (("region", region), ("city", city), ("organization", organization), ("organizational unit", unit)):
        check_text_field(label, value)
    return SubjectRequest(
        domain=normalize_domain(domain),
        sans=tuple(dict.fromkeys(normalize_san(s) for s in sans if s.strip())),
        country=normalize_country(country) if clean(country) else None,
        region=clean(region),
        city=clean(city),
        organization=clean(organization),
        unit=clean(unit),
        email=normalize_email(email) if clean(email) else None,
        key_type=key_type,
    )


def check_text_field(label: str, value: str | None) -> str | None:
    """A free-text subject field: at most 64 characters, no control characters; None when empty."""
    text = (value or "").strip()
    if len(text) > 64:
        raise InputError(f"{label} is longer than 64 characters", label)
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise InputError(f"{label} contains a control character", label)
    return text or None


def validity(now: datetime, days: int | None = None, not_before: datetime | None = None, not_after: datetime | None = None) -> Validity:
    """Check a validity period: start before expiry, expiry not in the past.

    Either ``days`` (from ``not_before`` or now) or an explicit ``not_after``.
    """
    start = not_before or now
    if not_after is None:
        span = DEFAULT_DAYS if days is None else days
        if span < 1:
            raise InputError("validity must be at least 1 day", "days")
        end = start + timedelta(days=span)
    else:
        end = not_after
    for moment in (start, end):
        if moment.tzinfo is None:
            raise InputError("dates must carry a time zone (UTC)", "dates")
    if end <= now:
        raise InputError(f"expiration date {end:%Y-%m-%d} is in the past", "not_after")
    if start >= end:
        raise InputError(f"start date {start:%Y-%m-%d} is not before expiration date {end:%Y-%m-%d}", "not_after")
    return Validity(start, end)


def generate_key(key_type: str) -> PrivateKey:
    """Generate a private key: rsa2048|rsa3072|rsa4096|ec256|ec384|ed25519."""
    if key_type.startswith("rsa") and key_type in KEY_TYPES:
        return rsa.generate_private_key(public_exponent=65537, key_size=int(key_type[3:]))
    if key_type == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise InputError(f"key type {key_type!r} is not one of {', '.join(KEY_TYPES)}", "key_type")


def key_type_of(key: PrivateKey) -> str | None:
    """The ``KEY_TYPES`` name matching an existing key, or None for other kinds."""
    return key_type_of_public(key.public_key())


def build_name(req: SubjectRequest) -> x509.Name:
    """The subject distinguished name for ``req``."""
    # A CN holds at most 64 characters; longer names live in the SAN extension only.
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, req.domain)] if len(req.domain) <= 64 else []
    for oid, value in (
        (NameOID.COUNTRY_NAME, req.country),
        (NameOID.STATE_OR_PROVINCE_NAME, req.region),
        (NameOID.LOCALITY_NAME, req.city),
        (NameOID.ORGANIZATION_NAME, req.organization),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, req.unit),
        (NameOID.EMAIL_ADDRESS, req.email),
    ):
        if value:
            attrs.append(x509.NameAttribute(oid, value))
    return x509.Name(attrs)


def _san_extension(req: SubjectRequest) -> x509.SubjectAlternativeName:
    general: list[x509.GeneralName] = []
    for name in req.names:
        general.append(x509.IPAddress(ipaddress.ip_address(name)) if is_ip(name) else x509.DNSName(name))
    return x509.SubjectAlternativeName(general)


def _hash_for(key: PrivateKey) -> hashes.HashAlgorithm | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _sign(builder: x509.CertificateBuilder, key: PrivateKey) -> x509.Certificate:
    # RFC 6979 deterministic ECDSA: no dependence on the RNG at signing time, and
    # the same inputs give the same certificate (reproducible demo data).
    deterministic = True if isinstance(key, ec.EllipticCurvePrivateKey) else None
    return builder.sign(key, _hash_for(key), ecdsa_deterministic=deterministic)  # type: ignore[arg-type]


def self_signed(req: SubjectRequest, key: PrivateKey, period: Validity, serial: int | None = None) -> x509.Certificate:
    """A self-signed server certificate carrying every field of ``req``."""
    name = build_name(req)
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(period.not_before)
        .not_valid_after(period.not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san_extension(req), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(_key_usage(key), critical=True)
    )
    return _sign(builder, key)


def issue(
    req: SubjectRequest,
    public_key: object,
    issuer: x509.Certificate,
    issuer_key: PrivateKey,
    period: Validity,
    serial: int | None = None,
) -> x509.Certificate:
    """A server certificate for ``req`` signed by ``issuer`` (a CA of ours)."""
    builder = (
        x509.CertificateBuilder()
        .subject_name(build_name(req))
        .issuer_name(issuer.subject)
        .public_key(public_key)  # type: ignore[arg-type]
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(period.not_before)
        .not_valid_after(period.not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san_extension(req), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)  # type: ignore[arg-type]
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)  # type: ignore[arg-type]
    )
    return _sign(builder, issuer_key)


def ca_certificate(
    common_name: str,
    organization: str,
    key: PrivateKey,
    period: Validity,
    issuer: x509.Certificate | None = None,
    issuer_key: PrivateKey | None = None,
    serial: int | None = None,
) -> x509.Certificate:
    """A CA certificate: self-signed root when no issuer is given, else an intermediate."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])
    signer_key = issuer_key or key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(period.not_before)
        .not_valid_after(period.not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)  # type: ignore[arg-type]
    )
    if issuer is not None and issuer_key is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)  # type: ignore[arg-type]
    return _sign(builder, signer_key)


def reissue_self_signed(old: x509.Certificate, key: PrivateKey, now: datetime, serial: int | None = None) -> x509.Certificate:
    """A renewed self-signed certificate: same subject, names and validity length; new key and serial."""
    lifetime = old.not_valid_after_utc - old.not_valid_before_utc
    public = key.public_key()
    builder = (
        x509.CertificateBuilder()
        .subject_name(old.subject)
        .issuer_name(old.subject)
        .public_key(public)
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(_key_usage(key), critical=True)
    )
    for ext_type in (x509.SubjectAlternativeName, x509.ExtendedKeyUsage):
        try:
            ext = old.extensions.get_extension_for_class(ext_type)
        except x509.ExtensionNotFound:
            continue
        builder = builder.add_extension(ext.value, ext.critical)
    return _sign(builder, key)


def key_type_of_public(public_key: object) -> str | None:
    """The ``KEY_TYPES`` name for a certificate's public key (to renew with the same type and size)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        name = f"rsa{public_key.key_size}"
    elif isinstance(public_key, ec.EllipticCurvePublicKey):
        name = {"secp256r1": "ec256", "secp384r1": "ec384"}.get(public_key.curve.name, "")
    elif isinstance(public_key, ed25519.Ed25519PublicKey):
        name = "ed25519"
    else:
        name = ""
    return name if name in KEY_TYPES else None


def _key_usage(key: PrivateKey) -> x509.KeyUsage:
    rsa_key = isinstance(key, rsa.RSAPrivateKey)
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=rsa_key,
        data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
        encipher_only=False, decipher_only=False,
    )


def signing_request(req: SubjectRequest, key: PrivateKey) -> x509.CertificateSigningRequest:
    """A CSR carrying every field of ``req`` and its names as SANs."""
    builder = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(build_name(req))
        .add_extension(_san_extension(req), critical=False)
    )
    return builder.sign(key, _hash_for(key))  # type: ignore[arg-type]


def request_from_csr(csr: x509.CertificateSigningRequest) -> SubjectRequest:
    """Recover the form fields of a stored CSR (for display and renewal)."""
    def first(oid: x509.ObjectIdentifier) -> str | None:
        values = csr.subject.get_attributes_for_oid(oid)
        return str(values[0].value) if values else None

    try:
        sans = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = [*sans.get_values_for_type(x509.DNSName), *(str(i) for i in sans.get_values_for_type(x509.IPAddress))]
    except x509.ExtensionNotFound:
        names = []
    domain = first(NameOID.COMMON_NAME) or (names[0] if names else "")
    return SubjectRequest(
        domain=domain, sans=tuple(n for n in names if n != domain),
        country=first(NameOID.COUNTRY_NAME), region=first(NameOID.STATE_OR_PROVINCE_NAME),
        city=first(NameOID.LOCALITY_NAME), organization=first(NameOID.ORGANIZATION_NAME),
        unit=first(NameOID.ORGANIZATIONAL_UNIT_NAME), email=first(NameOID.EMAIL_ADDRESS),
    )
