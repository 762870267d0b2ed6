"""Generation carries every form field; input rules give one clear message each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from sslterm.core.errors import InputError
from sslterm.core.generate import KEY_TYPES, generate_key, self_signed, signing_request, subject_request, validity
from tests.factories import NOW

FULL = dict(country="de", region="Bavaria", city="München", organization="Beispiel GmbH", unit="IT", email="ops@example.de")


def attr(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    return name.get_attributes_for_oid(oid)[0].value  # type: ignore[return-value]


def test_self_signed_carries_every_field_and_parses_back():
    req = subject_request("shop.example", ["www.shop.example", "*.cdn.shop.example", "192.0.2.1", "Bücher.example"], key_type="ec256", **FULL)
    key = generate_key(req.key_type)
    cert = self_signed(req, key, validity(NOW, days=90))
    parsed = x509.load_pem_x509_certificate(cert.public_bytes(__import__("cryptography").hazmat.primitives.serialization.Encoding.PEM))
    s = parsed.subject
    assert attr(s, NameOID.COMMON_NAME) == "shop.example"
    assert attr(s, NameOID.COUNTRY_NAME) == "DE"
    assert attr(s, NameOID.STATE_OR_PROVINCE_NAME) == "Bavaria"
    assert attr(s, NameOID.LOCALITY_NAME) == "München"
    assert attr(s, NameOID.ORGANIZATION_NAME) == "Beispiel GmbH"
    assert attr(s, NameOID.ORGANIZATIONAL_UNIT_NAME) == "IT"
    assert attr(s, NameOID.EMAIL_ADDRESS) == "ops@example.de"
    san = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["shop.example", "www.shop.example", "*.cdn.shop.example", "xn--bcher-kva.example"]
    assert [str(i) for i in san.get_values_for_type(x509.IPAddress)] == ["192.0.2.1"]
    assert parsed.not_valid_before_utc == NOW and parsed.not_valid_after_utc == NOW + timedelta(days=90)
    assert parsed.issuer == parsed.subject
    parsed.verify_directly_issued_by(parsed)


@pytest.mark.parametrize("key_type,cls,size", [
    ("rsa2048", rsa.RSAPrivateKey, 2048), ("rsa3072", rsa.RSAPrivateKey, 3072),
    ("ec256", ec.EllipticCurvePrivateKey, 256), ("ec384", ec.EllipticCurvePrivateKey, 384),
    ("ed25519", ed25519.Ed25519PrivateKey, None),
])
def test_key_types(key_type, cls, size):
    key = generate_key(key_type)
    assert isinstance(key, cls)
    if size:
        assert key.key_size == size if hasattr(key, "key_size") else key.curve.key_size == size


def test_rsa4096_is_offered():
    assert "rsa4096" in KEY_TYPES


def test_csr_carries_fields_and_names():
    req = subject_request("api.example.org", ["api2.example.org"], **FULL)
    csr = signing_request(req, generate_key("ec256"))
    assert csr.is_signature_valid
    assert attr(csr.subject, NameOID.ORGANIZATIONAL_UNIT_NAME) == "IT"
    san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["api.example.org", "api2.example.org"]


@pytest.mark.parametrize("kwargs,field,message", [
    (dict(domain="example.com", country="XX"), "country", "ISO 3166"),
    (dict(domain="example.com", country="USA"), "country", "ISO 3166"),
    (dict(domain="exa mple.com"), "domain", "space"),
    (dict(domain="www.*.example.com"), "domain", "wildcard"),
    (dict(domain="f*o.example.com"), "domain", "wildcard"),
    (dict(domain="-bad-.example.com"), "domain", "not a valid domain"),
    (dict(domain="a" * 64 + ".com"), "domain", "not a valid domain"),
    (dict(domain=""), "domain", "empty"),
    (dict(domain="example.com", sans=["bad name"]), "additional name", "space"),
    (dict(domain="example.com", email="not-an-email"), "email", "not a valid address"),
    (dict(domain="example.com", email="a@b@c"), "email", "not a valid address"),
    (dict(domain="example.com", email="ops@-bad-.example"), "email", "invalid domain"),
    (dict(domain="example.com", key_type="rsa1024"), "key_type", "not one of"),
])
def test_input_rules_have_one_clear_message(kwargs, field, message):
    with pytest.raises(InputError, match=message) as info:
        subject_request(**kwargs)
    assert info.value.field == field
    assert "\n" not in str(info.value)


def test_wildcard_as_whole_leftmost_label_and_idn_are_accepted():
    req = subject_request("*.Example.COM", ["Bücher.example."])
    assert req.domain == "*.example.com"
    assert req.sans == ("xn--bcher-kva.example",)


def test_validity_rules():
    with pytest.raises(InputError, match="not before"):
        validity(NOW, not_before=NOW + timedelta(days=10), not_after=NOW + timedelta(days=5))
    with pytest.raises(InputError, match="in the past"):
        validity(NOW, not_before=NOW - timedelta(days=10), not_after=NOW - timedelta(days=1))
    period = validity(NOW)
    assert period.not_after - period.not_before == timedelta(days=365)
