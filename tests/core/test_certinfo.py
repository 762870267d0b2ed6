"""Inspection reads every field, and never crashes on one that fails to decode."""

from __future__ import annotations

import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sslterm.core.certinfo import inspect_certificate
from tests.factories import DAY, NOW, make_cert, make_chain, name, rsa_key


def test_every_field_of_a_ca_issued_certificate():
    chain = make_chain()
    aia = x509.AuthorityInformationAccess([
        x509.AccessDescription(x509.AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier("http://ocsp.example/")),
        x509.AccessDescription(x509.AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://ca.example/i.crt")),
    ])
    crl = x509.CRLDistributionPoints([x509.DistributionPoint([x509.UniformResourceIdentifier("http://crl.example/c.crl")], None, None, None)])
    ku = x509.KeyUsage(True, False, True, False, False, False, False, False, False)
    subject = name("shop.example.com", O="Example Inc", OU="Web", L="Paris", ST="IDF", C="FR", emailAddress="ops@example.com")
    sans = [
        x509.DNSName("shop.example.com"), x509.DNSName("*.shop.example.com"), x509.DNSName("xn--bcher-kva.example"),
        x509.IPAddress(ipaddress.ip_address("192.0.2.7")), x509.RFC822Name("ops@example.com"),
        x509.UniformResourceIdentifier("https://shop.example.com/"),
    ]
    issued = make_cert(subject=subject, sans=sans, key=rsa_key(), issuer=chain.intermediate, serial=0xABCDEF,
                       extensions=[(aia, False), (crl, False), (ku, True)])
    info = inspect_certificate(issued.cert)
    assert info.subject == {"CN": "shop.example.com", "O": "Example Inc", "OU": "Web", "L": "Paris", "ST": "IDF", "C": "FR", "emailAddress": "ops@example.com"}
    assert info.issuer["CN"] == "Test Intermediate CA"
    assert info.sans.dns == ("shop.example.com", "*.shop.example.com", "xn--bcher-kva.example")
    assert info.sans.dns_unicode[2] == "bücher.example"
    assert info.sans.ips == ("192.0.2.7",)
    assert info.sans.emails == ("ops@example.com",)
    assert info.sans.uris == ("https://shop.example.com/",)
    assert info.serial_hex == "abcdef"
    assert info.sha256 == issued.cert.fingerprint(hashes.SHA256()).hex()
    assert info.sha1 == issued.cert.fingerprint(hashes.SHA1()).hex()
    assert info.not_after == NOW + 80 * DAY and info.not_after.tzinfo is not None
    assert (info.key_algorithm, info.key_size) == ("RSA", 2048)
    assert info.signature_hash == "sha256" and "ecdsa" in info.signature_algorithm.lower()
    assert info.is_ca is False and info.self_signed is False
    assert info.key_usage == ("digital_signature", "key_encipherment")
    assert info.extended_key_usage == ("serverAuth",)
    assert info.ocsp_urls == ("http://ocsp.example/",)
    assert info.ca_issuer_urls == ("http://ca.example/i.crt",)
    assert info.crl_urls == ("http://crl.example/c.crl",)
    assert info.unreadable == ()
    assert info.all_names[:2] == ("shop.example.com", "*.shop.example.com")


def test_self_signed_ec_curve_and_ca_flags():
    root = make_chain().root
    info = inspect_certificate(root.cert)
    assert info.self_signed and info.is_ca
    assert (info.key_algorithm, info.key_curve) == ("ECDSA", "P-256")
    assert info.key_description == "ECDSA P-256"


def test_a_field_that_fails_to_decode_is_reported_not_raised():
    issued = make_cert("broken.example", sans=[x509.DNSName("aaaa.example")])
    der = issued.cert.public_bytes(__import__("cryptography").hazmat.primitives.serialization.Encoding.DER)
    # Turn the SAN's dNSName [2] tag into [9], which is not a GeneralName choice.
    damaged = der.replace(b"\x82\x0caaaa.example", b"\x89\x0caaaa.example")
    assert damaged != der
    cert = x509.load_der_x509_certificate(damaged)  # parses: extensions decode lazily
    info = inspect_certificate(cert)
    assert "subject alternative names" in info.unreadable
    assert info.sans.dns == ()
    assert info.common_name == "broken.example"
