"""Find certificates, keys and chains that belong together in files and directories.

Handles the usual layouts: ``/etc/letsencrypt/live/<name>/`` (cert.pem,
chain.pem, fullchain.pem, privkey.pem), ``/etc/ssl/{certs,private}``, and any
folder of .crt/.key/.pem/.pfx files. Certificates are paired with keys by
public key and with chains by issuer signature, never by file name.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes

from sslterm.core.certinfo import public_key_fingerprint
from sslterm.core.errors import ParseError, PasswordError, SslTermError
from sslterm.core.parse import MAX_INPUT_BYTES, PrivateKey, read_file
from sslterm.core.validate import order_chain

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".cert", ".der", ".key", ".p7b", ".p7c", ".pfx", ".p12", ".csr"}


@dataclass
class Candidate:
    """One certificate to import, with the key and chain found for it."""

    certificate: x509.Certificate
    source: Path
    key: PrivateKey | None = None
    chain: list[x509.Certificate] = field(default_factory=list)


@dataclass(frozen=True)
class Rejection:
    """A file that could not be used, and why."""

    source: Path
    reason: str


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


def _fingerprint(cert: x509.Certificate) -> bytes:
    return cert.fingerprint(hashes.SHA256())


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False
    except Exception:  # noqa: BLE001 - an undecodable extension: treat as a leaf
        return False


def walk(paths: list[Path]) -> tuple[list[tuple[Path, bool]], list[Rejection]]:
    """Expand files and directories (recursively) into (file, named explicitly) pairs."""
    files: list[tuple[Path, bool]] = []
    rejections: list[Rejection] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    candidate = Path(root) / name
                    if _looks_like_material(candidate):
                        files.append((candidate, False))
        elif path.exists():
            files.append((path, True))
        else:
            rejections.append(Rejection(path, "no such file or directory"))
    return files, rejections


def _looks_like_material(path: Path) -> bool:
    if path.suffix.lower() in CERT_SUFFIXES:
        return True
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            return False
        with path.open("rb") as handle:
            return b"-----BEGIN " in handle.read(65536)
    except OSError:
        return False


def discover(
    paths: list[Path],
    password: bytes | None = None,
    key_file: Path | None = None,
    chain_file: Path | None = None,
) -> Discovery:
    """Read every file under ``paths`` and group leaf certificates with their key and chain."""
    found = Discovery()
    files, found.rejections = walk(paths)
    certs: dict[bytes, tuple[x509.Certificate, Path, bool]] = {}
    keys: list[PrivateKey] = []
    extra_chain: list[x509.Certificate] = []
    for path, explicit in files:
        try:
            bundle = read_file(path, password)
        except (ParseError, PasswordError) as exc:
            if explicit or path.suffix.lower() in CERT_SUFFIXES:
                found.rejections.append(Rejection(path, _strip_path(str(exc), path)))
            continue
        only_ca = bool(bundle.certificates) and all(_is_ca(c) for c in bundle.certificates)
        for cert in bundle.certificates:
            certs.setdefault(_fingerprint(cert), (cert, path, explicit and only_ca and len(bundle.certificates) == 1))
        keys.extend(bundle.keys)
    for path, label in ((key_file, "key"), (chain_file, "chain")):
        if path is None:
            continue
        try:
            bundle = read_file(path, password)
        except SslTermError as exc:
            found.rejections.append(Rejection(path, f"--{label}: {_strip_path(str(exc), path)}"))
            continue
        keys[:0] = bundle.keys
        extra_chain.extend(bundle.certificates)
    keys_by_spki = {}
    for key in keys:
        keys_by_spki.setdefault(public_key_fingerprint(key.public_key()), key)
    pool = [c for c, _, _ in certs.values()] + extra_chain
    for cert, path, lone_ca in certs.values():
        if _is_ca(cert) and not lone_ca:
            continue
        ordered, _, _ = order_chain(cert, pool)
        found.candidates.append(
            Candidate(cert, path, keys_by_spki.get(public_key_fingerprint(cert.public_key())), ordered[1:])
        )
    return found


def _strip_path(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
