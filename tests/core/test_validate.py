"""Validation orders chains, checks each signature and names what is wrong."""

from __future__ import annotations

import subprocess

import pytest
from cryptography import x509

from sslterm.core.errors import ValidationError
from sslterm.core.validate import key_matches, order_chain, pick_leaf, require_key_match, validate
from tests.factories import DAY, NOW, make_cert, make_chain


@pytest.fixture(scope="module")
def chain():
    return make_chain()


def codes(validation):
    return {f.code for f in validation.findings}


def test_key_match_and_mismatch_names_both_fingerprints(chain):
    assert key_matches(chain.leaf.cert, chain.leaf.key)
    assert not key_matches(chain.leaf.cert, chain.intermediate.key)
    with pytest.raises(ValidationError, match=r"key's public key SHA-256 \w+\.\.\. vs certificate's \w+"):
        require_key_match(chain.leaf.cert, chain.intermediate.key)


def test_chain_in_any_order_is_ordered_leaf_to_root(chain):
    ordered, unused, findings = order_chain(chain.leaf.cert, [chain.root.cert, chain.intermediate.cert])
    assert ordered == [chain.leaf.cert, chain.intermediate.cert, chain.root.cert]
    assert unused == [] and findings == []
    assert pick_leaf([chain.root.cert, chain.intermediate.cert, chain.leaf.cert]) == chain.leaf.cert


def test_complete_chain_with_root_and_matching_key(chain):
    v = validate(chain.leaf.cert, [chain.root.cert, chain.intermediate.cert], NOW, key=chain.leaf.key)
    assert codes(v) == {"key_match", "chain_complete"}
    assert v.problems == ()


def test_missing_intermediate(chain):
    v = validate(chain.leaf.cert, [chain.root.cert], NOW, roots=[])
    assert "missing_intermediate" in codes(v)
    assert "unrelated_certificate" in codes(v)


def test_chain_ending_at_a_trusted_root_is_complete(chain):
    v = validate(chain.leaf.cert, [chain.intermediate.cert], NOW, roots=[chain.root.cert])
    assert "missing_intermediate" not in codes(v)


def test_expired_link_and_expired_leaf():
    c = make_chain(intermediate_not_after=NOW - DAY, leaf_not_after=NOW - DAY)
    v = validate(c.leaf.cert, [c.intermediate.cert, c.root.cert], NOW)
    assert {"expired", "expired_link"} <= codes(v)


def test_not_yet_valid():
    leaf = make_cert("future.example", not_before=NOW + DAY, not_after=NOW + 10 * DAY)
    assert "not_yet_valid" in codes(validate(leaf.cert, [], NOW))


def test_weak_rsa_key_and_sha1_signature(tmp_path):
    # cryptography refuses to sign with SHA-1, so the test makes one the way old tools did.
    out = tmp_path / "weak.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:1024", "-sha1", "-nodes", "-keyout", str(tmp_path / "k.pem"),
         "-out", str(out), "-subj", "/CN=weak.example", "-days", "30"],
        check=True, capture_output=True,
    )
    weak = x509.load_pem_x509_certificate(out.read_bytes())
    found = codes(validate(weak, [], weak.not_valid_before_utc))
    assert {"weak_key", "weak_signature"} <= found


def test_a_forged_link_is_a_bad_signature(chain):
    impostor = make_cert("Test Intermediate CA", ca=True, issuer=chain.root, serial=99)  # same name, other key
    v = validate(chain.leaf.cert, [impostor.cert, chain.root.cert], NOW)
    assert "bad_signature" in codes(v)


def _flipped_signature(cert):  # type: ignore[no-untyped-def]
    """The same certificate with the last byte of its signature changed: it parses, it does not verify."""
    from cryptography import x509 as x
    from cryptography.hazmat.primitives import serialization as ser

    der = bytearray(cert.public_bytes(ser.Encoding.DER))
    der[-1] ^= 0x01
    return x.load_der_x509_certificate(bytes(der))


def test_a_broken_signature_is_bad_signature_not_a_missing_intermediate():
    from sslterm.core.validate import validate
    from tests.factories import NOW, make_cert, make_chain

    self_signed = _flipped_signature(make_cert("forged.example").cert)
    codes = [f.code for f in validate(self_signed, [], NOW).findings]
    assert "bad_signature" in codes and "missing_intermediate" not in codes
    chain = make_chain("leaf.example")
    leaf = _flipped_signature(chain.leaf.cert)
    codes = [f.code for f in validate(leaf, [chain.intermediate.cert], NOW, roots=[chain.root.cert]).findings]
    assert "bad_signature" in codes and "missing_intermediate" not in codes
    codes = [f.code for f in validate(chain.leaf.cert, [chain.intermediate.cert], NOW, roots=[chain.root.cert]).findings]
    assert "bad_signature" not in codes and "chain_complete" in codes


def test_an_unknown_critical_extension_is_its_own_finding():
    from cryptography import x509 as x
    from cryptography.x509.oid import ObjectIdentifier

    from sslterm.core.validate import validate
    from tests.factories import NOW, make_cert

    odd = make_cert("odd.example", extensions=[(x.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"), True)])
    (finding,) = [f for f in validate(odd.cert, [], NOW).findings if f.code == "unknown_critical_extension"]
    assert "1.3.6.1.4.1.99999.1" in finding.message
    assert "unknown_critical_extension" not in [f.code for f in validate(make_cert("plain.example").cert, [], NOW).findings]
