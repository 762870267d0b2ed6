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

import base64
import errno
import os
import stat
from concurrent.futures import ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping
from typing import Iterator

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sslterm.core.certinfo import CertSummary, public_key_fingerprint, summarize_certificate
from sslterm.core.errors import ParseError, PasswordError, SslTermError, library_reason
from sslterm.core.parse import MAX_INPUT_BYTES, PrivateKey, load_checked_key, lone_certificate_der, pkcs8_der, read_bundle, read_file, read_input
from sslterm.core.validate import order_chain

CERT_SUFFIXES = {".pem", ".crt", ".cer", ".cert", ".der", ".key", ".p7b", ".p7c", ".pfx", ".p12", ".csr"}
KeyPasswords = Mapping[str, bytes] | None  # a keystore entry's own key password by alias, "*" for any
POOL_THRESHOLD = 2000  # files; below this a pool costs more to start than it saves
POOL_CHUNK = 250
STEAL_AFTER_S = 0.01  # a worker finishes a chunk in ~25 ms: wait this long for it before parsing one here


@dataclass
class Candidate:
    """One certificate to import, with the key and chain found for it."""

    pem: str
    source: str
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

    source: str
    reason: str


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)


@dataclass(frozen=True)
class ParsedFile:
    """What one file held, in picklable form (so it can come back from a worker process)."""

    path: str
    explicit: bool
    certificates: tuple[tuple[str, CertSummary], ...] = ()
    keys: tuple[bytes, ...] = ()  # PKCS#8 DER, only ever held in memory
    error: str | None = None


def walk(paths: list[Path]) -> tuple[list[tuple[str, bool]], list[Rejection]]:
    """Expand files and directories (recursively) into (file, named explicitly) pairs.

    Paths stay strings: a fleet has a hundred thousand files, and a Path object each
    costs more than parsing some of them.
    """
    files: list[tuple[str, bool]] = []
    rejections: list[Rejection] = []

    def unreadable(error: OSError) -> None:
        rejections.append(Rejection(str(error.filename), f"cannot read this directory: {error.strerror or error}"))

    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path, onerror=unreadable):
                dirs.sort()
                for name in sorted(names):
                    candidate = os.path.join(root, name)
                    problem = _not_a_file(candidate)
                    if problem is not None:
                        if os.path.splitext(name)[1].lower() in CERT_SUFFIXES or problem.startswith(("a symbolic link loop", "cannot")):
                            rejections.append(Rejection(candidate, problem))
                    elif _looks_like_material(candidate, name):
                        files.append((candidate, False))
        elif (problem := _not_a_file(str(path))) is None:
            files.append((str(path), True))
        else:
            rejections.append(Rejection(str(path), problem))
    return files, rejections


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _not_a_file(path: str) -> str | None:
    """Why ``path`` is not read (never opened: a FIFO would block the import for ever), or None for a regular file."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "a symbolic link loop: skipped"
        if exc.errno == errno.ENOENT:
            return "no such file or directory" if not os.path.islink(path) else "a broken symbolic link: skipped"
        return f"cannot read: {exc.strerror or exc}"
    if stat.S_ISREG(mode):
        return None
    for test, kind in _KINDS:
        if test(mode):
            return f"{kind}, not a file: skipped without opening it"
    return "not a regular file: skipped"


def _looks_like_material(path: str, name: str) -> bool:
    if os.path.splitext(name)[1].lower() in CERT_SUFFIXES:
        return True
    try:
        if os.stat(path).st_size > MAX_INPUT_BYTES:
            return False
        with open(path, "rb") as handle:
            return b"-----BEGIN " in handle.read(65536)
    except OSError:
        return False


def parse_file(path: str, explicit: bool, password: bytes | None, key_passwords: KeyPasswords = None) -> ParsedFile:
    """Read one file into PEM text and summaries (runs in a worker process for big imports)."""
    try:
        data = read_input(path)
    except ParseError as exc:
        return ParsedFile(path, explicit, error=_strip_path(str(exc), path))
    try:
        return _parse_data(path, explicit, data, password, key_passwords)
    except Exception as exc:  # noqa: BLE001 - one file's problem is that file's line; it never stops the import
        return ParsedFile(path, explicit, error=unreadable_reason(exc))


def _parse_data(path: str, explicit: bool, data: bytes, password: bytes | None, key_passwords: KeyPasswords = None) -> ParsedFile:
    der = lone_certificate_der(data)
    if der is not None:  # the usual file: one certificate, read without the general parser
        try:
            cert = x509.load_der_x509_certificate(der)
        except ValueError:
            pass  # damaged: the general parser below names the problem
        else:
            return ParsedFile(path, explicit, ((pem_text(der), summarize_certificate(cert, der)),))
    try:
        bundle = read_bundle(data, password, key_passwords)
    except (ParseError, PasswordError) as exc:
        return ParsedFile(path, explicit, error=_strip_path(str(exc), path))
    certs = []
    for cert in bundle.certificates:
        der = cert.public_bytes(serialization.Encoding.DER)
        certs.append((pem_text(der), summarize_certificate(cert, der)))
    keys = tuple(pkcs8_der(k) for k in bundle.keys)
    return ParsedFile(path, explicit, tuple(certs), keys)


def unreadable_reason(exc: Exception) -> str:
    """A sentence for a certificate the library could parse but not use (never a repr)."""
    from cryptography.exceptions import UnsupportedAlgorithm

    detail = library_reason(exc)
    if isinstance(exc, UnsupportedAlgorithm):
        return f"unsupported certificate: {detail} (sslterm reads RSA, EC, Ed25519, Ed448 and DSA keys)"
    if isinstance(exc, ValueError):
        return f"damaged certificate: {detail}"
    return f"cannot read this certificate: {detail or type(exc).__name__}"


def pem_text(der: bytes) -> str:
    """PEM for a certificate's DER, as ``public_bytes(PEM)`` writes it (one encoding saved per file)."""
    body = base64.b64encode(der).decode("ascii")
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n"


def _parse_chunk(chunk: list[tuple[str, bool]], password: bytes | None, key_passwords: KeyPasswords = None) -> list[ParsedFile]:
    return [parse_file(path, explicit, password, key_passwords) for path, explicit in chunk]


def parse_all(files: list[tuple[str, bool]], password: bytes | None, workers: int | None = None,
              key_passwords: KeyPasswords = None) -> Iterator[ParsedFile]:
    """Parse every file, in file order, in a process pool when there are many.

    Results are yielded as they arrive, so the caller can store the first files
    while the workers are still reading the rest. The pool leaves one core to the
    caller, which is busy storing; whenever the caller would wait for the next
    chunk it parses one itself (see :func:`_shared`). ``workers=0`` parses in
    this process.
    """
    count = workers if workers is not None else max(1, (os.cpu_count() or 1) - 1)
    if count < 1 or len(files) < POOL_THRESHOLD:
        for path, explicit in files:
            yield parse_file(path, explicit, password, key_passwords)
        return
    chunks = [files[i : i + POOL_CHUNK] for i in range(0, len(files), POOL_CHUNK)]
    with ProcessPoolExecutor(max_workers=count, initializer=_quiet_worker) as pool:
        for part in _shared(pool, chunks, password, key_passwords):
            yield from part


def _quiet_worker() -> None:
    """Workers print nothing of their own: a library warning there would reach the terminal."""
    import warnings

    warnings.simplefilter("ignore")


def _shared(pool: ProcessPoolExecutor, chunks: list[list[tuple[str, bool]]], password: bytes | None,
            key_passwords: KeyPasswords = None) -> Iterator[list[ParsedFile]]:
    """Each chunk's results in order, the caller parsing from the back whenever the next is not ready.

    A future no worker has started can be cancelled and its chunk parsed here
    instead; taking the last one leaves the workers on the chunks needed next.
    The caller first waits a little, so that when it is the slower side it does
    not take work a worker was about to finish.
    """
    futures = [pool.submit(_parse_chunk, chunk, password, key_passwords) for chunk in chunks]
    parsed_here: dict[int, list[ParsedFile]] = {}
    last = len(futures) - 1
    try:
        for index, future in enumerate(futures):
            while index not in parsed_here and last > index and not wait([future], timeout=STEAL_AFTER_S).done:
                if futures[last].cancel():
                    parsed_here[last] = _parse_chunk(chunks[last], password, key_passwords)
                last -= 1
            yield parsed_here.pop(index) if index in parsed_here else future.result()
    finally:  # stopped early (Ctrl-C, an error while storing): leave the rest unread, as Executor.map does
        for future in futures:
            future.cancel()


class Scan:
    """Discovery as a stream: leaf certificates as files are parsed, keys and chains once all are.

    Certificates are paired with keys by public key and with chains by issuer
    signature, and either may sit in any file of the tree, so :meth:`pair` is
    only right after :meth:`candidates` is exhausted. Importers store each leaf
    as it arrives and add keys and chains at the end.
    """

    def __init__(self, paths: list[Path], password: bytes | None = None, key_file: Path | None = None,
                 chain_file: Path | None = None, workers: int | None = None, track_ca: bool = True,
                 key_passwords: KeyPasswords = None) -> None:
        self.password, self.workers, self.track_ca, self.key_passwords = password, workers, track_ca, key_passwords
        self.ca_found = 0  # CA certificates read (tracked or kept as chain material)
        self.files, self.rejections = walk(paths)
        self._key_ders: list[bytes] = []
        self._key_paths: list[str] = []  # the file each of _key_ders came from
        self._ca_pems: list[str] = []
        self._extra_keys: list[PrivateKey] = []
        self._extra_chain: list[x509.Certificate] = []
        for path, label in ((key_file, "key"), (chain_file, "chain")):
            if path is None:
                continue
            try:
                bundle = read_file(path, password)
            except SslTermError as exc:
                self.rejections.append(Rejection(str(path), f"--{label}: {_strip_path(str(exc), str(path))}"))
                continue
            self._extra_keys.extend(bundle.keys)  # type: ignore[arg-type]
            self._extra_chain.extend(bundle.certificates)
        self._keys_by_spki: dict[str, PrivateKey] | None = None
        self._key_source: dict[str, str] = {}
        self._pool: list[x509.Certificate] = []

    def candidates(self) -> Iterator[Candidate]:
        """Each leaf certificate once (first file wins), without key or chain yet; then each CA
        certificate that is no leaf's chain link (with ``track_ca``), to be tracked as type ``ca``."""
        seen: set[str] = set()
        issuers: set[str] = set()  # of the leaves: the CA certificates with these subjects are chain links
        cas: list[Candidate] = []
        for parsed in parse_all(self.files, self.password, self.workers, self.key_passwords):
            if parsed.error is not None:
                if parsed.explicit or os.path.splitext(parsed.path)[1].lower() in CERT_SUFFIXES:
                    self.rejections.append(Rejection(parsed.path, parsed.error))
                continue
            self._key_ders.extend(parsed.keys)
            self._key_paths.extend(parsed.path for _ in parsed.keys)
            for pem, summary in parsed.certificates:
                if summary.sha256 in seen:
                    continue
                seen.add(summary.sha256)
                if summary.is_ca:
                    self._ca_pems.append(pem)  # only CA certificates can be links of a chain
                    cas.append(Candidate(pem, parsed.path, summary))
                    continue
                issuers.add(summary.issuer_text)
                yield Candidate(pem, parsed.path, summary)
        self.ca_found = len(cas)
        if self.track_ca:
            yield from _not_links(cas, issuers)
        keys = self._extra_keys + [load_checked_key(der) for der in self._key_ders]  # checked in the worker  # type: ignore[misc]
        paths = ["--key"] * len(self._extra_keys) + self._key_paths
        self._keys_by_spki, self._key_source = {}, {}
        for key, path in zip(keys, paths):
            spki = public_key_fingerprint(key.public_key())  # type: ignore[union-attr]
            self._keys_by_spki.setdefault(spki, key)
            self._key_source.setdefault(spki, path)
        self._pool = [x509.load_pem_x509_certificate(pem.encode()) for pem in self._ca_pems] + self._extra_chain

    def read_all(self) -> list[Candidate]:
        """Every leaf certificate with its key and chain, once every file is read."""
        return [self.pair(c) for c in list(self.candidates())]

    def loose_keys(self, certificates: set[str]) -> list[tuple[str, str, PrivateKey]]:
        """(public key SHA-256, file, key) of each key that matches none of ``certificates`` (public key hashes)."""
        if self._keys_by_spki is None:
            raise RuntimeError("loose_keys() before every file was read")
        return [(spki, self._key_source[spki], key) for spki, key in self._keys_by_spki.items() if spki not in certificates]

    def pair(self, candidate: Candidate) -> Candidate:
        """Give ``candidate`` the key and chain found anywhere in the scan."""
        if self._keys_by_spki is None:
            raise RuntimeError("pair() before every file was read")
        candidate.key = self._keys_by_spki.get(candidate.summary.public_key_sha256)
        if self._pool:
            candidate.chain = order_chain(candidate.certificate, self._pool)[0][1:]
        return candidate


def _not_links(cas: list[Candidate], leaf_issuers: set[str]) -> list[Candidate]:
    """The CA certificates that chain no leaf of the import: the ones a directory of CAs is made of.

    Links are found by name, as chains are built: an issuer of a leaf, then the issuer
    of a link, and so on. Those stay chain material (each leaf's chain shows their expiry).
    """
    by_subject: dict[str, list[Candidate]] = {}
    for ca in cas:
        by_subject.setdefault(ca.summary.subject_text, []).append(ca)
    links: set[str] = set()
    wanted = list(leaf_issuers)
    while wanted:
        for ca in by_subject.get(wanted.pop(), []):
            if ca.summary.sha256 not in links:
                links.add(ca.summary.sha256)
                if ca.summary.issuer_text != ca.summary.subject_text:
                    wanted.append(ca.summary.issuer_text)
    return [ca for ca in cas if ca.summary.sha256 not in links]


def discover(
    paths: list[Path],
    password: bytes | None = None,
    key_file: Path | None = None,
    chain_file: Path | None = None,
    workers: int | None = None,
) -> Discovery:
    """Read every file under ``paths`` and group leaf certificates with their key and chain."""
    scan = Scan(paths, password, key_file, chain_file, workers)
    found = scan.read_all()
    return Discovery(found, scan.rejections)


def _strip_path(message: str, path: str) -> str:
    prefix = f"{path}: "
    return message[len(prefix):] if message.startswith(prefix) else message
