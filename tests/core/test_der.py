"""The DER reader gives exactly what cryptography's objects give, or steps aside."""

from __future__ import annotations

import functools
import ipaddress
import warnings
from datetime import UTC, datetime

import pytest
from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from sslterm.core.certinfo import summarize_certificate, summarize_from_objects
from sslterm.core.der import summary_fields
from sslterm.core.validate import _load_system_roots
from tests.factories import DAY, NOW, make_cert, make_chain, name, rsa_key

CN, O = NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME


def _bare(subject: x509.Name, key: object, *, sans: list[x509.GeneralName] | None = None, not_before: datetime = NOW - DAY,
          not_after: datetime = NOW + 90 * DAY, serial: int = 77) -> x509.Certificate:
    """A certificate with no BasicConstraints, signed by its own key."""
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(key.public_key()).serial_number(serial)  # type: ignore[attr-defined]
        .not_valid_before(not_before).not_valid_after(not_after)
    )
    if sans is not None:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    algorithm = None if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)) else hashes.SHA256()
    return builder.sign(key, algorithm)  # type: ignore[arg-type]


@functools.cache
def _common() -> dict[str, x509.Certificate]:
    chain = make_chain()
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "leaf with every subject field": make_cert(subject=name("shop.example.com", O="Example Inc", OU="Web", L="Paris", ST="IDF", C="FR", emailAddress="ops@example.com"),
                                                   issuer=chain.intermediate, key=rsa_key()).cert,
        "root": chain.root.cert,
        "intermediate": chain.intermediate.cert,
        "escapes": make_cert(subject=x509.Name([x509.NameAttribute(CN, '#a,b+c"d\\e<f>g;h '), x509.NameAttribute(O, " lead")])).cert,
        "unicode": make_cert(subject=name("bücher.example", O="Société Générale"), sans=[x509.DNSName("xn--bcher-kva.example")]).cert,
        "multi-valued RDN": _bare(x509.Name([x509.RelativeDistinguishedName([x509.NameAttribute(CN, "a.example"), x509.NameAttribute(O, "A")])]), ec_key),
        "two CNs": _bare(x509.Name([x509.NameAttribute(CN, "one.example"), x509.NameAttribute(CN, "Two.Example")]), ec_key),
        "no CN, SAN first": _bare(x509.Name([x509.NameAttribute(O, "Org")]), ec_key, sans=[x509.DNSName("San.Example"), x509.DNSName("b.example")]),
        "no CN, no SAN": _bare(x509.Name([x509.NameAttribute(O, "Org")]), ec_key, serial=0xBEEF),
        "empty subject": _bare(x509.Name([]), ec_key, sans=[x509.DNSName("only.example")]),
        "IPs and other names": make_cert("ip.example", sans=[
            x509.DNSName("ip.example"), x509.IPAddress(ipaddress.ip_address("192.0.2.1")), x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
            x509.RFC822Name("a@ip.example"), x509.UniformResourceIdentifier("https://ip.example/")]).cert,
        "RSA 3072": make_cert(key=rsa_key(3072)).cert,
        "P-384": make_cert(key=ec.generate_private_key(ec.SECP384R1())).cert,
        "P-521": make_cert(key=ec.generate_private_key(ec.SECP521R1())).cert,
        "Ed25519": make_cert(key=ed25519.Ed25519PrivateKey.generate()).cert,
        "Ed448": make_cert(key=ed448.Ed448PrivateKey.generate()).cert,
        "after 2049 (GeneralizedTime)": make_cert(not_after=datetime(2061, 3, 4, 5, 6, 7, tzinfo=UTC)).cert,
        "1950 (UTCTime 50)": make_cert(not_before=datetime(1950, 1, 1, 0, 0, 0, tzinfo=UTC)).cert,
        "159-bit serial": make_cert(serial=(1 << 158) | 12345).cert,
        "serial with high bit in its first byte": make_cert(serial=0x80FF).cert,
        "long subject": make_cert(subject=name("long.example", O="O" * 60, OU="U" * 60, L="L" * 60)).cert,
        "many SANs": make_cert("many.example", sans=[x509.DNSName(f"n{i}.many.example") for i in range(300)]).cert,
    }


@functools.cache
def _unusual() -> dict[str, x509.Certificate]:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    return {
        "BMPString CN": _bare(x509.Name([x509.NameAttribute(CN, "bmp.example", _type=_ASN1Type.BMPString)]), ec_key),
        "DSA key": _bare(name("dsa.example"), dsa.generate_private_key(2048)),
        "secp256k1 key": _bare(name("k1.example"), ec.generate_private_key(ec.SECP256K1())),
        "IP network in SAN": _bare(name("net.example"), ec_key, sans=[x509.DNSName("net.example"), x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))]),
    }


def _der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("label", list(_common()))
def test_common_shapes_are_read_from_der_and_match_cryptography(label: str):
    cert = _common()[label]
    assert summary_fields(_der(cert)) is not None, "this shape should not need cryptography's objects"
    assert summarize_certificate(cert) == summarize_from_objects(cert)


@pytest.mark.parametrize("label", list(_unusual()))
def test_unusual_shapes_fall_back_to_cryptography(label: str):
    cert = _unusual()[label]
    assert summary_fields(_der(cert)) is None
    assert summarize_certificate(cert) == summarize_from_objects(cert)


def test_values_read_from_der():
    cert = _common()["IPs and other names"]
    summary = summarize_certificate(cert)
    assert summary.hostnames == ("ip.example", "192.0.2.1", "2001:db8::1")
    assert summary.key_description == "ECDSA P-256"
    assert summary.sha256 == cert.fingerprint(hashes.SHA256()).hex()
    assert summary.not_after == NOW + 80 * DAY and summary.not_after.tzinfo is UTC
    assert summarize_certificate(_common()["no CN, no SAN"]).primary_name == "serial beef"
    assert summarize_certificate(_common()["root"]).is_ca is True


def test_system_roots_match_cryptography():
    """Real-world certificates from the system trust store: old string types, odd names, every key type."""
    roots = _load_system_roots()
    if not roots:
        pytest.skip("no system trust store on this machine")
    fast = 0
    for cert in roots:
        fast += summary_fields(_der(cert)) is not None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # some roots carry a zero serial
            assert summarize_certificate(cert) == summarize_from_objects(cert), cert.subject.rfc4514_string()
    assert fast > len(roots) // 2


def test_damaged_der_steps_aside():
    der = _der(_common()["root"])
    for cut in (1, 10, len(der) // 2, len(der) - 1):
        assert summary_fields(der[:cut]) is None
    assert summary_fields(b"") is None
    assert summary_fields(b"\x30\x85\x00\x00\x00\x00\x00") is None
