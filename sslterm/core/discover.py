"""Find certificates, keys and chains that belong together in files and directories.

Handles the usual layouts: ``/etc/letsencrypt/live/<name>/`` (cert.pem,
chain.pem, fullchain.pem, privkey.pem), ``/etc/ssl/{certs,private}``, and any
folder of .crt/.key/.pem/.pfx files. Certificates are paired with keys by
public key and with chains by issuer signature, never by file name.

Reading and summarising files is the expensive part of importing a fleet; for
large directories it runs in a pool of processes, one per core, and only
picklable text and summaries come back.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sslterm.core.certinfo import CertSummary, public_key_fingerprint, summarize_certificate
from sslterm.core.errors import ParseError, PasswordError, SslTermError
from sslterm.core.parse import MAX_INPUT_BYTES, PrivateKey, read_file
from sslterm.core.validate import order_chain

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".cert", ".der", ".key", ".p7b", ".p7c", ".pfx", ".p12", ".csr"}
POOL_THRESHOLD = 2000  # files; below this a pool costs more to start than it saves
POOL_CHUNK = 250


@dataclass
class Candidate:
    """One certificate to import, with the key and chain found for it."""

    pem: str
    source: Path
    summary: CertSummary
    key: PrivateKey | None = None
    chain: list[x509.Certificate] = field(default_factory=list)
    _certificate: x509.Certificate | None = None

    @property
    def certificate(self) -> x509.Certificate:
        if self._certificate is None:
            self._certificate = x509.load_pem_x509_certificate(self.pem.encode("ascii"))
        return self._certificate


@dataclass(frozen=True)
class Rejection:
    """A file that could not be used, and why."""

    source: Path
    reason: str


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedFile:
    """What one file held, in picklable form (so it can come back from a worker process)."""

    path: Path
    explicit: bool
    certificates: tuple[tuple[str, CertSummary], ...] = ()
    keys: tuple[bytes, ...] = ()  # PKCS#8 DER, only ever held in memory
    error: str | None = None


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


def parse_file(path: Path, explicit: bool, password: bytes | None) -> ParsedFile:
    """Read one file into PEM text and summaries (runs in a worker process for big imports)."""
    try:
        bundle = read_file(path, password)
    except (ParseError, PasswordError) as exc:
        return ParsedFile(path, explicit, error=_strip_path(str(exc), path))
    certs = tuple((c.public_bytes(serialization.Encoding.PEM).decode("ascii"), summarize_certificate(c)) for c in bundle.certificates)
    keys = tuple(k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()) for k in bundle.keys)
    return ParsedFile(path, explicit, certs, keys)


def _parse_chunk(chunk: list[tuple[Path, bool]], password: bytes | None) -> list[ParsedFile]:
    return [parse_file(path, explicit, password) for path, explicit in chunk]


def parse_all(files: list[tuple[Path, bool]], password: bytes | None, workers: int | None = None) -> list[ParsedFile]:
    """Parse every file, in a process pool when there are many (order is kept)."""
    count = workers if workers is not None else (os.cpu_count() or 1)
    if count <= 1 or len(files) < POOL_THRESHOLD:
        return _parse_chunk(files, password)
    chunks = [files[i : i + POOL_CHUNK] for i in range(0, len(files), POOL_CHUNK)]
    with ProcessPoolExecutor(max_workers=count) as pool:
        results: list[ParsedFile] = []
        for part in pool.map(_parse_chunk, chunks, [password] * len(chunks)):
            results.extend(part)
    return results


def discover(
    paths: list[Path],
    password: bytes | None = None,
    key_file: Path | None = None,
    chain_file: Path | None = None,
    workers: int | None = None,
) -> Discovery:
    """Read every file under ``paths`` and group leaf certificates with their key and chain."""
    found = Discovery()
    files, found.rejections = walk(paths)
    certs: dict[str, tuple[str, Path, bool, CertSummary]] = {}  # SHA-256 -> (pem, source, lone CA, summary)
    key_ders: list[bytes] = []
    for parsed in parse_all(files, password, workers):
        if parsed.error is not None:
            if parsed.explicit or parsed.path.suffix.lower() in CERT_SUFFIXES:
                found.rejections.append(Rejection(parsed.path, parsed.error))
            continue
        lone_ca = parsed.explicit and len(parsed.certificates) == 1 and parsed.certificates[0][1].is_ca
        for pem, summary in parsed.certificates:
            certs.setdefault(summary.sha256, (pem, parsed.path, lone_ca, summary))
        key_ders.extend(parsed.keys)
    keys = [serialization.load_der_private_key(der, None) for der in key_ders]
    extra_chain: list[x509.Certificate] = []
    for path, label in ((key_file, "key"), (chain_file, "chain")):
        if path is None:
            continue
        try:
            bundle = read_file(path, password)
        except SslTermError as exc:
            found.rejections.append(Rejection(path, f"--{label}: {_strip_path(str(exc), path)}"))
            continue
        keys[:0] = bundle.keys  # type: ignore[arg-type]
        extra_chain.extend(bundle.certificates)
    keys_by_spki: dict[str, PrivateKey] = {}
    for key in keys:
        keys_by_spki.setdefault(public_key_fingerprint(key.public_key()), key)  # type: ignore[arg-type]
    # Only CA certificates can be links of a chain: keep the pool small, or pairing is quadratic.
    pool = [x509.load_pem_x509_certificate(pem.encode()) for pem, _, _, summary in certs.values() if summary.is_ca] + extra_chain
    for pem, path, lone_ca, summary in certs.values():
        if summary.is_ca and not lone_ca:
            continue
        candidate = Candidate(pem, path, summary, keys_by_spki.get(summary.public_key_sha256))
        if pool:
            candidate.chain = order_chain(candidate.certificate, pool)[0][1:]
        found.candidates.append(candidate)
    return found


def _strip_path(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
