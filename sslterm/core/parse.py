"""Read whatever a user pastes or points at into certificates, keys and requests.

Accepted: PEM with one or many blocks (text, headers, CRLF, BOM or garbage
around them), DER certificates, PKCS#7 (PEM or DER), PKCS#12 (with or without
password), private keys in PKCS#1/PKCS#8/SEC1 (PEM or DER, encrypted or not)
and certificate signing requests.
"""

from __future__ import annotations

import binascii
import os

import re
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from sslterm.core.errors import library_reason, ParseError, PasswordError
from sslterm.core.k8s import is_secret, secret_pems
from sslterm.core.keystore import is_keystore, read_keystore

MAX_INPUT_BYTES = 1024 * 1024
_READ_SIZE = 65536

PrivateKey = Union[
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
]

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9 #]+)-----\r?\n(.*?)-----END \1-----", re.DOTALL
)
_LONE_CERTIFICATE = re.compile(rb"\A\s*-----BEGIN CERTIFICATE-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE-----\s*\Z")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE"}
_KEY_LABELS = {b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"ENCRYPTED PRIVATE KEY", b"DSA PRIVATE KEY"}
_CSR_LABELS = {b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"}
_PKCS7_LABELS = {b"PKCS7", b"CMS"}
# Blocks that are legitimately found beside certificates and carry nothing we keep.
_IGNORED_LABELS = {b"EC PARAMETERS", b"PUBLIC KEY", b"RSA PUBLIC KEY", b"X509 CRL", b"DH PARAMETERS"}


@dataclass
class Bundle:
    """Everything found in one input, in the order it appeared."""

    certificates: list[x509.Certificate] = field(default_factory=list)
    keys: list[PrivateKey] = field(default_factory=list)
    requests: list[x509.CertificateSigningRequest] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.certificates or self.keys or self.requests)


def read_file(path: Path, password: bytes | None = None) -> Bundle:
    """Read a file with :func:`read_bundle`, refusing anything over 1 MiB before parsing it."""
    data = read_input(path)
    try:
        return read_bundle(data, password)
    except (ParseError, PasswordError) as exc:
        raise type(exc)(f"{path}: {exc}") from None


def read_input(path: str | Path) -> bytes:
    """A file's bytes, refused once they pass 1 MiB.

    Imports read a hundred thousand of these: plain reads on the descriptor,
    with no buffered file object and no fstat, take a third less time, and one
    read of 64 KiB is the whole of nearly every certificate file.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            parts, total = [], 0
            while part := os.read(fd, _READ_SIZE):
                total += len(part)
                if total > MAX_INPUT_BYTES:
                    raise ParseError(f"{path}: more than 1 MiB, the limit for certificate files")
                parts.append(part)
            return parts[0] if len(parts) == 1 else b"".join(parts)
        finally:
            os.close(fd)
    except OSError as exc:
        raise ParseError(f"{path}: cannot read ({exc.strerror or exc})") from None


def lone_certificate_der(data: bytes) -> bytes | None:
    """The DER of input that is exactly one PEM certificate block, else None.

    The common file of a fleet; reading it needs no block search, header
    stripping or re-encoding. The caller still parses the DER with cryptography.
    """
    match = _LONE_CERTIFICATE.match(data)
    if match is None:
        return None
    try:
        return binascii.a2b_base64(match.group(1), strict_mode=False)
    except binascii.Error:
        return None


def read_bundle(data: bytes | str, password: bytes | None = None, key_passwords: Mapping[str, bytes] | None = None) -> Bundle:
    """Parse certificates, private keys and requests out of ``data``.

    Args:
        data: the raw input (PEM text, DER, PKCS#7, PKCS#12, a JKS/JCEKS keystore, a Kubernetes TLS Secret).
        password: for encrypted keys, PKCS#12 files and keystores.
        key_passwords: a keystore entry's own key password, by alias (``*``: any entry).

    Raises:
        ParseError: nothing usable was found, or a block is damaged.
        PasswordError: a password is needed and missing, or wrong.
    """
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if len(data) > MAX_INPUT_BYTES:
        raise ParseError(f"input of {len(data)} bytes is over the 1 MiB limit")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if not data.strip():
        raise ParseError("the input is empty: paste or point at a certificate, key or request")
    if is_keystore(data):
        bundle = _read_keystore(data, password, key_passwords)
    elif is_secret(data):
        bundle = _read_pem(b"\n".join(secret_pems(data)), password)
    elif b"-----BEGIN " in data:
        bundle = _read_pem(data, password)
    else:
        bundle = _read_der(data, password)
    if bundle.empty:
        raise ParseError("no certificate, private key or request found in the input")
    return bundle


def _read_keystore(data: bytes, password: bytes | None, key_passwords: Mapping[str, bytes] | None) -> Bundle:
    contents = read_keystore(data, password, key_passwords)
    bundle = Bundle()
    bundle.certificates = [_guard("certificate", lambda der=der: x509.load_der_x509_certificate(der)) for der in contents.certificates]
    bundle.keys = [_load_key(der, None, pem=False) for der in contents.keys]
    return bundle


def _read_pem(data: bytes, password: bytes | None) -> Bundle:
    bundle = Bundle()
    normalized = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    for match in _PEM_BLOCK.finditer(normalized):
        label = match.group(1)
        block = match.group(0) + b"\n"
        if label in _CERT_LABELS:
            bundle.certificates.append(_guard("certificate", lambda: x509.load_pem_x509_certificate(_strip_pem_headers(block))))
        elif label in _KEY_LABELS:
            bundle.keys.append(_load_key(block, password, pem=True))
        elif label in _CSR_LABELS:
            bundle.requests.append(_guard("certificate request", lambda: x509.load_pem_x509_csr(_strip_pem_headers(block))))
        elif label in _PKCS7_LABELS:
            bundle.certificates.extend(_guard("PKCS#7 bundle", lambda: pkcs7.load_pem_pkcs7_certificates(block)))
        elif label == b"TRUSTED CERTIFICATE":
            raise ParseError("OpenSSL 'TRUSTED CERTIFICATE' blocks are not supported: convert with 'openssl x509' first")
        elif label not in _IGNORED_LABELS:
            raise ParseError(f"unsupported PEM block '{label.decode(errors='replace')}'")
    if bundle.empty and not _PEM_BLOCK.search(normalized):
        raise ParseError("a PEM block starts but never ends ('-----END ...-----' is missing)")
    return bundle


def _strip_pem_headers(block: bytes) -> bytes:
    """Drop RFC 1421 header lines (``Name: value``) some tools leave inside a block."""
    if b":" not in block:
        return block
    lines = block.split(b"\n")
    body = [line.strip() for line in lines[1:-2] if b":" not in line and line.strip()]
    return b"\n".join([lines[0], *body, lines[-2], b""])


def _read_der(data: bytes, password: bytes | None) -> Bundle:
    if _looks_like_pkcs12(data):
        return _read_pkcs12(data, password)
    attempts = (
        lambda: Bundle(certificates=[x509.load_der_x509_certificate(data)]),
        lambda: Bundle(certificates=pkcs7.load_der_pkcs7_certificates(data)),
        lambda: Bundle(requests=[x509.load_der_x509_csr(data)]),
    )
    for attempt in attempts:
        try:
            return attempt()
        except Exception:  # noqa: BLE001 - cryptography raises several types for "not this format"
            continue
    try:
        return Bundle(keys=[_load_key(data, password, pem=False)])
    except (PasswordError, _BrokenKey):
        raise
    except ParseError:
        raise ParseError("not a PEM, DER, PKCS#7, PKCS#12 certificate, key or request") from None


def _looks_like_pkcs12(data: bytes) -> bool:
    """A PFX is a SEQUENCE whose first element is INTEGER 3 (RFC 7292 version)."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    length_octets = data[1] - 0x80 if data[1] & 0x80 else 0
    start = 2 + length_octets
    return data[start : start + 3] == b"\x02\x01\x03"


def _read_pkcs12(data: bytes, password: bytes | None) -> Bundle:
    try:
        loaded = pkcs12.load_pkcs12(data, password)
    except Exception as exc:  # noqa: BLE001 - ValueError for bad passwords, others for damage
        if "could not deserialize" in str(exc).lower():  # truncated or corrupt: no password would help
            raise ParseError("damaged PKCS#12 file: it is truncated or corrupt, and no password can open it") from None
        if password is None:
            raise PasswordError("this PKCS#12 file is password-protected: give its password") from None
        if "password" in str(exc).lower() or "mac" in str(exc).lower():
            raise PasswordError("wrong password for this PKCS#12 file") from None
        raise ParseError(f"damaged PKCS#12 file ({_one_line(exc)})") from None
    bundle = Bundle()
    if loaded.cert is not None:
        bundle.certificates.append(loaded.cert.certificate)
    bundle.certificates.extend(c.certificate for c in loaded.additional_certs)
    if loaded.key is not None:
        bundle.keys.append(loaded.key)  # type: ignore[arg-type]
    return bundle


def _load_key(data: bytes, password: bytes | None, pem: bool) -> PrivateKey:
    loader = serialization.load_pem_private_key if pem else serialization.load_der_private_key
    try:
        key = loader(data, password=password, unsafe_skip_rsa_key_validation=True)
    except TypeError as exc:
        text = str(exc).lower()
        if "not encrypted" in text:
            return _load_key(data, None, pem)
        if "password was not given" in text:
            raise PasswordError("the private key is encrypted: give its passphrase") from None
        raise ParseError(f"unreadable private key ({_one_line(exc)})") from None
    except ValueError as exc:
        if password is not None and ("decrypt" in str(exc).lower() or "password" in str(exc).lower()):
            raise PasswordError("wrong passphrase for the encrypted private key") from None
        raise ParseError(f"unreadable private key ({_one_line(exc)})") from None
    except Exception as exc:  # noqa: BLE001 - UnsupportedAlgorithm and friends
        raise ParseError(f"unsupported private key ({_one_line(exc)})") from None
    if isinstance(key, rsa.RSAPrivateKey):
        _check_rsa_round_trip(key)
    return key  # type: ignore[return-value]


class _BrokenKey(ParseError):
    """A key that parsed but does not work: reported as such, whatever the input format."""


_ROUND_TRIP = b"sslterm: does this private key work for its public key?"


def _check_rsa_round_trip(key: rsa.RSAPrivateKey) -> None:
    """Refuse an RSA key whose private parts do not produce signatures its public key accepts.

    OpenSSL's full check also tests p and q for primality: ~40 ms for a 2048-bit
    key on a small machine and ~300 ms for 4096, which made importing a fleet's
    keys take minutes. A signature round trip (~0.7 ms) shows what matters here:
    the key works, and works for the public key certificates are matched against.
    """
    try:
        signature = key.sign(_ROUND_TRIP, padding.PKCS1v15(), hashes.SHA256())
        key.public_key().verify(signature, _ROUND_TRIP, padding.PKCS1v15(), hashes.SHA256())
    except Exception:  # noqa: BLE001 - InvalidSignature or an OpenSSL error: either way the key is broken
        raise _BrokenKey("damaged RSA private key: its private parts do not match its public key") from None


def pkcs8_der(key: PrivateKey) -> bytes:
    """A private key as unencrypted PKCS#8 DER: how keys travel between processes and into the vault."""
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def load_checked_key(der: bytes) -> PrivateKey:
    """A PKCS#8 key that sslterm itself checked before (when it was read, or stored encrypted)."""
    return serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)  # type: ignore[return-value]


def _guard(what: str, load):  # type: ignore[no-untyped-def]
    try:
        return load()
    except Exception as exc:  # noqa: BLE001 - cryptography raises ValueError and others
        raise ParseError(f"damaged {what} ({_one_line(exc)})") from None


def _one_line(exc: BaseException) -> str:
    return library_reason(exc)
