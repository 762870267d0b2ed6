"""Trust findings told apart: web-PKI only, name mismatch, expired link, unknown root, missing intermediate."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sslterm.core import trust
from sslterm.core.trust import verify_served_chain
from tests.factories import DAY, NOW, ec_key, make_cert, make_chain, name


def leaf_without_aki(root, cn="priv.example.com"):
    """A private CA's leaf as some in-house CAs issue them: no Authority Key Identifier."""
    key = ec_key()
    cert = (x509.CertificateBuilder().subject_name(name(cn)).issuer_name(root.cert.subject).public_key(key.public_key())
            .serial_number(77).not_valid_before(NOW - DAY).not_valid_after(NOW + 80 * DAY)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
            .sign(root.key, hashes.SHA256()))
    return cert


def test_a_complete_chain_to_an_anchor_is_trusted():
    chain = make_chain()
    result = verify_served_chain([chain.leaf.cert, chain.intermediate.cert], "www.example.com", NOW, [chain.root.cert])
    assert result.trusted and not result.code and not result.webpki


def test_a_private_ca_without_aki_is_trusted_and_flagged_only_by_the_web_pki_profile():
    root = make_cert("Private Root", ca=True, not_before=NOW - 900 * DAY, not_after=NOW + 3000 * DAY, serial=1)
    result = verify_served_chain([leaf_without_aki(root)], "priv.example.com", NOW, [root.cert])
    assert result.trusted and result.code == ""
    assert "Authority Key Identifier" in result.webpki and "<" not in result.webpki


def test_the_same_chain_without_its_root_is_an_unknown_root():
    root = make_cert("Private Root", ca=True, not_before=NOW - 900 * DAY, not_after=NOW + 3000 * DAY, serial=1)
    result = verify_served_chain([leaf_without_aki(root), root.cert], "priv.example.com", NOW, [make_chain().root.cert])
    assert not result.trusted and result.code == trust.UNKNOWN_ROOT and "Private Root" in result.reason


def test_a_missing_intermediate():
    chain = make_chain()
    result = verify_served_chain([chain.leaf.cert], "www.example.com", NOW, [chain.root.cert])
    assert result.code == trust.INCOMPLETE_CHAIN and "Test Intermediate CA" in result.reason


def test_a_name_mismatch():
    chain = make_chain()
    result = verify_served_chain([chain.leaf.cert, chain.intermediate.cert], "other.example.com", NOW, [chain.root.cert])
    assert result.code == trust.NAME_MISMATCH and "www.example.com" in result.reason and "other.example.com" in result.reason


def test_an_expired_intermediate_is_an_expired_link():
    chain = make_chain(intermediate_not_after=NOW - DAY)
    result = verify_served_chain([chain.leaf.cert, chain.intermediate.cert], "www.example.com", NOW, [chain.root.cert])
    assert result.code == trust.EXPIRED_CHAIN and "Test Intermediate CA" in result.reason


def test_an_expired_leaf_is_left_to_the_expiry_finding():
    chain = make_chain(leaf_not_after=NOW - DAY)
    result = verify_served_chain([chain.leaf.cert, chain.intermediate.cert], "www.example.com", NOW, [chain.root.cert])
    assert result.code == trust.EXPIRED_LEAF


def test_messages_carry_no_python_reprs():
    chain = make_chain()
    for host, certs in (("www.example.com", [chain.leaf.cert]), ("x.example", [chain.leaf.cert, chain.intermediate.cert])):
        result = verify_served_chain(certs, host, NOW, [chain.root.cert])
        assert "<" not in result.reason and "Certificate(" not in result.reason


def test_no_trusted_roots_at_all_is_said_not_raised():
    from sslterm.core.trust import NO_ROOTS

    chain = make_chain("noroots.example")
    result = verify_served_chain([chain.leaf.cert, chain.intermediate.cert], "noroots.example", NOW, roots=[])
    assert (result.trusted, result.code) == (False, NO_ROOTS)
    assert result.reason == "no trusted roots available on this machine: give some with --ca-bundle"
    assert verify_served_chain([chain.leaf.cert], "noroots.example", NOW, roots=[chain.root.cert]).trusted is False  # incomplete
