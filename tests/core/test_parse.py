"""Reading every input format a user may paste or point at."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from sslterm.core.errors import ParseError, PasswordError, SslTermError
from sslterm.core.parse import MAX_INPUT_BYTES, read_bundle, read_input
from tests.factories import make_chain, make_cert, pem, rsa_key

ENC = serialization.Encoding
FMT = serialization.PrivateFormat


@pytest.fixture(scope="module")
def chain():
    return make_chain()


def test_pem_with_many_blocks_text_crlf_bom_and_garbage(chain):
    text = (
        b"\xef\xbb\xbfBag Attributes\r\n    friendlyName: www\r\nsubject=/CN=www.example.com\r\n"
        + pem(chain.leaf.cert).replace(b"\n", b"\r\n")
        + b"garbage between blocks\n"
        + pem(chain.intermediate.cert)
        + b"trailing text"
    )
    bundle = read_bundle(text)
    assert bundle.certificates == [chain.leaf.cert, chain.intermediate.cert]


def test_rfc1421_headers_inside_a_block_are_ignored(chain):
    lines = pem(chain.leaf.cert).split(b"\n")
    text = b"\n".join([lines[0], b"Comment: exported by a tool", *lines[1:]])
    assert read_bundle(text).certificates == [chain.leaf.cert]


def test_der_certificate(chain):
    assert read_bundle(chain.leaf.cert.public_bytes(ENC.DER)).certificates == [chain.leaf.cert]


@pytest.mark.parametrize("encoding", [ENC.PEM, ENC.DER])
def test_pkcs7_bundle(chain, encoding):
    data = pkcs7.serialize_certificates([chain.leaf.cert, chain.intermediate.cert], encoding)
    assert set(read_bundle(data).certificates) == {chain.leaf.cert, chain.intermediate.cert}


def test_pkcs12_without_password(chain):
    data = pkcs12.serialize_key_and_certificates(b"x", chain.leaf.key, chain.leaf.cert, [chain.intermediate.cert], serialization.NoEncryption())
    bundle = read_bundle(data)
    assert bundle.certificates == [chain.leaf.cert, chain.intermediate.cert]
    assert len(bundle.keys) == 1


def test_pkcs12_with_password_right_wrong_and_missing(chain):
    data = pkcs12.serialize_key_and_certificates(b"x", chain.leaf.key, chain.leaf.cert, None, serialization.BestAvailableEncryption(b"s3cret"))
    assert read_bundle(data, b"s3cret").certificates == [chain.leaf.cert]
    with pytest.raises(PasswordError, match="wrong password"):
        read_bundle(data, b"nope")
    with pytest.raises(PasswordError, match="password-protected"):
        read_bundle(data)


@pytest.mark.parametrize(
    "encoding,fmt",
    [(ENC.PEM, FMT.TraditionalOpenSSL), (ENC.PEM, FMT.PKCS8), (ENC.DER, FMT.PKCS8), (ENC.DER, FMT.TraditionalOpenSSL)],
)
def test_rsa_keys_pkcs1_and_pkcs8(encoding, fmt):
    key = rsa_key()
    data = key.private_bytes(encoding, fmt, serialization.NoEncryption())
    assert read_bundle(data).keys[0].private_numbers() == key.private_numbers()


def test_ec_sec1_key():
    key = make_cert().key
    data = key.private_bytes(ENC.PEM, FMT.TraditionalOpenSSL, serialization.NoEncryption())
    assert b"EC PRIVATE KEY" in data
    assert read_bundle(data).keys[0].private_numbers() == key.private_numbers()


@pytest.mark.parametrize("fmt", [FMT.PKCS8, FMT.TraditionalOpenSSL])
def test_encrypted_key_right_wrong_and_missing_passphrase(fmt):
    key = rsa_key()
    data = key.private_bytes(ENC.PEM, fmt, serialization.BestAvailableEncryption(b"pass"))
    assert read_bundle(data, b"pass").keys[0].private_numbers() == key.private_numbers()
    with pytest.raises(PasswordError, match="wrong passphrase"):
        read_bundle(data, b"bad")
    with pytest.raises(PasswordError, match="encrypted"):
        read_bundle(data)


def test_password_given_for_a_plain_key_is_ignored():
    key = rsa_key()
    data = key.private_bytes(ENC.PEM, FMT.PKCS8, serialization.NoEncryption())
    assert read_bundle(data, b"unused").keys


def test_certificate_request_pem(chain):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    csr = x509.CertificateSigningRequestBuilder().subject_name(chain.leaf.cert.subject).sign(chain.leaf.key, hashes.SHA256())
    assert read_bundle(csr.public_bytes(ENC.PEM)).requests[0].subject == chain.leaf.cert.subject


def test_input_over_one_mebibyte_is_refused_before_parsing():
    with pytest.raises(ParseError, match="1 MiB"):
        read_bundle(b"A" * (MAX_INPUT_BYTES + 1))


@pytest.mark.parametrize("size", [0, 1, 65535, 65536, 65537, 200_000, MAX_INPUT_BYTES])
def test_files_are_read_whole_up_to_one_mebibyte(tmp_path, size):
    path = tmp_path / "input.pem"
    data = bytes(i % 251 for i in range(size))
    path.write_bytes(data)
    assert read_input(path) == data
    assert read_input(str(path)) == data


def test_a_file_over_one_mebibyte_is_refused_with_its_name(tmp_path):
    path = tmp_path / "huge.pem"
    path.write_bytes(b"A" * (MAX_INPUT_BYTES + 1))
    with pytest.raises(ParseError, match=r"huge\.pem: more than 1 MiB"):
        read_input(path)


def test_an_unreadable_path_is_a_one_line_error(tmp_path):
    with pytest.raises(ParseError, match="cannot read"):
        read_input(tmp_path / "missing.pem")
    with pytest.raises(ParseError, match="cannot read"):
        read_input(tmp_path)  # a directory


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "empty"),
        (b"-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n", "no certificate"),
        (b"hello world", "not a PEM"),
        (b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "damaged certificate"),
        (b"-----BEGIN CERTIFICATE-----\nMIIB", "never ends"),
        (b"\x30\x03\x02\x01\x05", "not a PEM"),
    ],
)
def test_bad_input_raises_one_line_sslterm_error(data, message):
    with pytest.raises(SslTermError, match=message) as info:
        read_bundle(data)
    assert "\n" not in str(info.value)


def test_a_lone_certificate_block_is_read_directly_and_gives_what_the_general_parser_gives(tmp_path):
    from sslterm.core.discover import parse_file
    from sslterm.core.parse import lone_certificate_der

    issued = make_cert("lone.example")
    der = issued.cert.public_bytes(serialization.Encoding.DER)
    for variant in (issued.pem, issued.pem.replace(b"\n", b"\r\n"), b"\n  " + issued.pem + b"\n\n"):
        assert lone_certificate_der(variant) == der
    two = issued.pem + make_cert("other.example").pem
    headers = issued.pem.replace(b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\n\n", 1)
    for other in (two, headers, b"\xef\xbb\xbf" + issued.pem, issued.pem.replace(b"BEGIN CERTIFICATE", b"BEGIN X509 CERTIFICATE")):
        assert lone_certificate_der(other) is None
    (tmp_path / "lone.pem").write_bytes(issued.pem)
    (tmp_path / "bom.pem").write_bytes(b"\xef\xbb\xbf" + issued.pem)  # general parser
    fast, general = parse_file(str(tmp_path / "lone.pem"), False, None), parse_file(str(tmp_path / "bom.pem"), False, None)
    assert fast.certificates == general.certificates and fast.error is None
    (tmp_path / "damaged.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    assert "damaged certificate" in parse_file(str(tmp_path / "damaged.pem"), False, None).error


def test_an_rsa_key_whose_private_parts_disagree_is_refused():
    """Keys are checked by a signature round trip (OpenSSL's full check took ~40 ms a key)."""
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_module

    good = rsa_key()
    numbers = good.private_numbers()
    broken_d = rsa_module.RSAPrivateNumbers(  # d off by two, CRT parts off too: signatures come out wrong
        numbers.p, numbers.q, numbers.d + 2, numbers.dmp1 + 2, numbers.dmq1 + 2, numbers.iqmp, numbers.public_numbers)
    broken = broken_d.private_key(unsafe_skip_rsa_key_validation=True)
    for encoding in (ENC.DER, ENC.PEM):
        with pytest.raises(ParseError, match="damaged RSA private key"):
            read_bundle(broken.private_bytes(encoding, FMT.PKCS8, serialization.NoEncryption()))
    assert read_bundle(good.private_bytes(ENC.PEM, FMT.PKCS8, serialization.NoEncryption())).keys[0].private_numbers() == numbers


def test_a_truncated_pkcs12_is_damaged_not_password_protected():
    import pytest
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

    from sslterm.core.errors import ParseError, PasswordError
    from sslterm.core.parse import read_bundle
    from tests.factories import make_cert

    issued = make_cert("p12.example")
    data = pkcs12.serialize_key_and_certificates(b"x", issued.key, issued.cert, None, BestAvailableEncryption(b"pw"))
    with pytest.raises(ParseError, match="damaged PKCS#12 file: it is truncated or corrupt"):
        read_bundle(data[: len(data) // 2])
    with pytest.raises(PasswordError, match="password-protected"):
        read_bundle(data)
    assert read_bundle(data, b"pw").keys
