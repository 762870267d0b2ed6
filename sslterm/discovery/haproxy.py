"""HAProxy: the ``bind … ssl crt …`` lines of frontends and listen sections.

``crt`` names a combined PEM (certificate, chain and key in one file) or a
directory of them; ``crt-list`` a file listing them. HAProxy picks the
certificate by SNI, so the names come from the certificates themselves.
"""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path

from sslterm.core.errors import InputError
from sslterm.discovery.sites import CertFiles, Listen, ServerConfig, Site, probe_host, split_address

SECTIONS = ("frontend", "listen")
OTHER_SECTIONS = ("global", "defaults", "backend", "userlist", "peers", "resolvers", "mailers", "program", "http-errors", "ring",
                  "cache", "crt-store")
SKIPPED_SUFFIXES = (".key", ".ocsp", ".issuer", ".sctl")  # HAProxy loads these beside a certificate, never as one


def load(config: Path, binary: str | None = None) -> ServerConfig:
    haproxy = binary or shutil.which("haproxy") or "haproxy"
    path = config.expanduser().absolute()
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    result = ServerConfig("haproxy", [], check=(haproxy, "-c", "-f", str(path)), reload=("systemctl", "reload", "haproxy"))
    section = ""
    base = str(path.parent)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        keyword = words[0].lower()
        if keyword in SECTIONS or keyword in OTHER_SECTIONS:
            section = keyword
            continue
        if keyword == "crt-base" and len(words) > 1 and section == "global":
            base = words[1]
        if section not in SECTIONS or keyword != "bind" or len(words) < 2 or "ssl" not in words[2:]:
            continue
        site = _bind(f"{path}:{number}", words, base, result.notes)
        if site is not None:
            result.sites.append(site)
    return result


def _bind(where: str, words: list[str], base: str, notes: list[str]) -> Site | None:
    listens = []
    for address in words[1].split(","):
        parsed = split_address(address, 443)
        if parsed is None:
            notes.append(f"{where}: bind {address} is not a TCP address: not probed")
            continue
        listens.append(Listen(probe_host(parsed[0] or "*"), parsed[1]))
    files: list[CertFiles] = []
    options = words[2:]
    for index, option in enumerate(options[:-1]):
        value = options[index + 1]
        path = value if os.path.isabs(value) else os.path.join(base, value)
        if option == "crt":
            files += _crt(path, notes, where)
        elif option == "crt-list":
            files += _crt_list(path, base, notes, where)
    if not listens:
        return None
    site = Site(where, [], listens, files)
    if not files:
        site.notes.append("bind … ssl without crt")
    return site


def _crt(path: str, notes: list[str], where: str) -> list[CertFiles]:
    if os.path.isdir(path):
        names = sorted(name for name in os.listdir(path) if not name.endswith(SKIPPED_SUFFIXES) and not name.startswith("."))
        return [CertFiles(os.path.join(path, name), os.path.join(path, name)) for name in names
                if os.path.isfile(os.path.join(path, name))]
    key = path + ".key" if os.path.exists(path + ".key") else path  # HAProxy reads CERT.key beside a key-less CERT
    return [CertFiles(path, key)]


def _crt_list(path: str, base: str, notes: list[str], where: str) -> list[CertFiles]:
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        notes.append(f"{where}: cannot read crt-list {path}: {exc.strerror or exc}")
        return []
    files: list[CertFiles] = []
    for line in lines:
        words = line.split("#", 1)[0].split()
        if words:
            files += _crt(words[0] if os.path.isabs(words[0]) else os.path.join(base, words[0]), notes, where)
    return files
