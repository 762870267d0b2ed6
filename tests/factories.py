"""Real certificates and keys for tests, built directly with cryptography (not with sslterm).

Dates are fixed around ``NOW`` so tests are deterministic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@functools.cache
def rsa_key(bits: int = 2048, index: int = 0) -> rsa.RSAPrivateKey:
    """Cached RSA keys (generation is slow); ``index`` gives distinct keys of one size."""
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def name(cn: str, **extra: str) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    oids = {"O": NameOID.ORGANIZATION_NAME, "C": NameOID.COUNTRY_NAME, "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
            "L": NameOID.LOCALITY_NAME, "ST": NameOID.STATE_OR_PROVINCE_NAME, "emailAddress": NameOID.EMAIL_ADDRESS}
    attrs += [x509.NameAttribute(oids[k], v) for k, v in extra.items()]
    return x509.Name(attrs)


@dataclass
class Issued:
    cert: x509.Certificate
    key: object

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())  # type: ignore[attr-defined]


def make_cert(
    cn: str = "example.com",
    sans: list[x509.GeneralName] | None = None,
    key: object | None = None,
    issuer: Issued | None = None,
    not_before: datetime = NOW - 10 * DAY,
    not_after: datetime = NOW + 80 * DAY,
    ca: bool = False,
    hash_alg: hashes.HashAlgorithm | None = None,
    serial: int = 1000,
    subject: x509.Name | None = None,
    extensions: list[tuple[x509.ExtensionType, bool]] | None = None,
) -> Issued:
    key = key or ec_key()
    subject = subject or name(cn)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())  # type: ignore[attr-defined]
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)  # type: ignore[attr-defined]
    )
    if issuer is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)  # type: ignore[attr-defined]
    if ca:
        builder = builder.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(sans if sans is not None else [x509.DNSName(cn)]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    for ext, critical in extensions or []:
        builder = builder.add_extension(ext, critical)
    algorithm = None if isinstance(signer_key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else (hash_alg or hashes.SHA256())
    return Issued(builder.sign(signer_key, algorithm), key)  # type: ignore[arg-type]


@dataclass
class Chain:
    root: Issued
    intermediate: Issued
    leaf: Issued


def make_chain(cn: str = "www.example.com", leaf_not_after: datetime = NOW + 80 * DAY, intermediate_not_after: datetime = NOW + 900 * DAY,
               sans: list[x509.GeneralName] | None = None, leaf_not_before: datetime = NOW - 10 * DAY) -> Chain:
    root = make_cert("Test Root CA", ca=True, not_before=NOW - 900 * DAY, not_after=NOW + 3000 * DAY, serial=1)
    inter = make_cert("Test Intermediate CA", ca=True, issuer=root, not_before=NOW - 800 * DAY, not_after=intermediate_not_after, serial=2)
    leaf = make_cert(cn, issuer=inter, not_before=leaf_not_before, not_after=leaf_not_after, sans=sans, serial=3)
    return Chain(root, inter, leaf)


def pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)
