"""Turn a certificate, its chain and key into the files ``sslterm export`` writes."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12

from sslterm.core.errors import InputError
from sslterm.core.files import safe_filename
from sslterm.core.k8s import secret_yaml
from sslterm.core.parse import PrivateKey

FORMATS = ("pem", "der", "pfx", "k8s-secret")
PUBLIC_MODE = 0o644
PRIVATE_MODE = 0o600


@dataclass(frozen=True)
class ExportFile:
    """One file to write: its name, content and mode."""

    name: str
    data: bytes
    mode: int


def export_files(
    name: str,
    cert: x509.Certificate,
    chain: list[x509.Certificate],
    key: PrivateKey | None,
    fmt: str = "pem",
    pfx_password: bytes | None = None,
    key_passphrase: bytes | None = None,
) -> list[ExportFile]:
    """The files for one certificate in ``fmt``; the key is included only when given.

    pem: ``<name>.crt``, ``<name>.chain.crt`` (only with a chain), ``<name>.fullchain.crt``, ``<name>.key``.
    der: ``<name>.der``, ``<name>.chain.p7b``, ``<name>.key.der`` (PKCS#8).
    pfx: ``<name>.pfx`` holding certificate, chain and (when given) key.
    k8s-secret: ``<name>.secret.yaml``, a ``kubernetes.io/tls`` Secret (full chain and key; the key is required).
    """
    base = safe_filename(name)
    if fmt == "pem":
        return _pem_files(base, cert, chain, key, key_passphrase)
    if fmt == "der":
        return _der_files(base, cert, chain, key, key_passphrase)
    if fmt == "pfx":
        encryption = (
            serialization.BestAvailableEncryption(pfx_password) if pfx_password else serialization.NoEncryption()
        )
        data = pkcs12.serialize_key_and_certificates(
            base.encode(), key, cert, chain or None, encryption  # type: ignore[arg-type]
        )
        return [ExportFile(f"{base}.pfx", data, PRIVATE_MODE if key is not None else PUBLIC_MODE)]
    if fmt == "k8s-secret":
        if key is None:
            raise InputError("a kubernetes.io/tls Secret holds the private key too: export it with the key", "format")
        if key_passphrase is not None:
            raise InputError("a Kubernetes Secret's key cannot be encrypted: the Secret itself is what to protect", "format")
        fullchain = b"".join(_pem(c) for c in [cert, *chain])
        return [ExportFile(f"{base}.secret.yaml", secret_yaml(name, fullchain, private_key_pem(key)), PRIVATE_MODE)]
    raise InputError(f"export format {fmt!r} is not one of {', '.join(FORMATS)}", "format")


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_encryption(passphrase: bytes | None) -> serialization.KeySerializationEncryption:
    return serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()


def _pem_files(base: str, cert: x509.Certificate, chain: list[x509.Certificate], key: PrivateKey | None,
               passphrase: bytes | None = None) -> list[ExportFile]:
    chain_pem = b"".join(_pem(c) for c in chain)
    files = [ExportFile(f"{base}.crt", _pem(cert), PUBLIC_MODE)]
    if chain:  # a self-signed certificate has no chain: no empty file for it
        files.append(ExportFile(f"{base}.chain.crt", chain_pem, PUBLIC_MODE))
    files.append(ExportFile(f"{base}.fullchain.crt", _pem(cert) + chain_pem, PUBLIC_MODE))
    if key is not None:
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, _key_encryption(passphrase))
        files.append(ExportFile(f"{base}.key", data, PRIVATE_MODE))
    return files


def _der_files(base: str, cert: x509.Certificate, chain: list[x509.Certificate], key: PrivateKey | None,
               passphrase: bytes | None = None) -> list[ExportFile]:
    files = [ExportFile(f"{base}.der", cert.public_bytes(serialization.Encoding.DER), PUBLIC_MODE)]
    if chain:
        files.append(ExportFile(f"{base}.chain.p7b", pkcs7.serialize_certificates(chain, serialization.Encoding.DER), PUBLIC_MODE))
    if key is not None:
        der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, _key_encryption(passphrase))
        files.append(ExportFile(f"{base}.key.der", der, PRIVATE_MODE))
    return files


def private_key_pem(key: PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM (for export files written 0600 and for storage before encryption)."""
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
