"""Apache httpd: the ``<VirtualHost>`` blocks with ``SSLEngine on`` and their certificate files.

The main file is the one ``apachectl -V`` names (``HTTPD_ROOT`` and
``SERVER_CONFIG_FILE``) unless one is given; ``Include`` and ``IncludeOptional``
are followed (globs, relative to ``ServerRoot``), directives are matched without
case, and lines ending in a backslash continue.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sslterm.core.errors import InputError
from sslterm.discovery.sites import CertFiles, Listen, ServerConfig, Site, probe_host, split_address, usable_name

MAX_INCLUDE_DEPTH = 16
DEFAULT_CONFIGS = ("/etc/apache2/apache2.conf", "/etc/httpd/conf/httpd.conf")


@dataclass
class _VirtualHost:
    where: str
    addresses: list[str]
    directives: dict[str, list[str]] = field(default_factory=dict)  # lower-case name -> last value's words
    names: list[str] = field(default_factory=list)
    certs: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)


def load(config: Path | None, apachectl: str | None = None) -> ServerConfig:
    binary = apachectl or shutil.which("apache2ctl") or shutil.which("apachectl") or "apachectl"
    if config is None:
        config = _config_from_apachectl(binary)
    main = config.expanduser().absolute()
    state = _State(server_root=str(main.parent.parent if main.parent.name == "conf" else main.parent))
    _read(str(main), state, 0)
    result = ServerConfig("apache", [], check=(binary, "configtest"), reload=(binary, "graceful"), notes=state.notes)
    for host in state.hosts:
        if host.directives.get("sslengine", [""])[0].lower() != "on":
            continue
        listens = []
        for address in host.addresses:
            parsed = split_address(address.replace("*", "") if address.startswith("*:") else address, 443)
            if parsed is None:
                result.notes.append(f"{host.where}: VirtualHost address {address} is not host:port: not probed")
                continue
            listens.append(Listen(probe_host(parsed[0] or "*"), parsed[1]))
        names = [n.lower() for n in host.names if usable_name(n.lower())]
        files = [CertFiles(cert, host.keys[i] if i < len(host.keys) else None) for i, cert in enumerate(host.certs)]
        site = Site(host.where, list(dict.fromkeys(names)), list(dict.fromkeys(listens)), files)
        if not files:
            site.notes.append("SSLEngine on without SSLCertificateFile")
        result.sites.append(site)
    return result


def _config_from_apachectl(binary: str) -> Path:
    try:
        output = subprocess.run([binary, "-V"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        output = ""
    root = re.search(r'-D HTTPD_ROOT="([^"]+)"', output)
    conf = re.search(r'-D SERVER_CONFIG_FILE="([^"]+)"', output)
    if conf:
        path = Path(conf.group(1))
        return path if path.is_absolute() or not root else Path(root.group(1)) / path
    for candidate in DEFAULT_CONFIGS:
        if os.path.exists(candidate):
            return Path(candidate)
    raise InputError("no Apache configuration found (apachectl -V names none): give it with --config FILE")


@dataclass
class _State:
    server_root: str
    hosts: list[_VirtualHost] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    current: _VirtualHost | None = None


def _read(path: str, state: _State, depth: int) -> None:
    if depth > MAX_INCLUDE_DEPTH:
        raise InputError(f"{path}: includes nest more than {MAX_INCLUDE_DEPTH} deep (an include loop?)")
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    for number, line in _logical_lines(text):
        try:
            words = shlex.split(line, comments=False)
        except ValueError:
            words = line.split()
        if not words:
            continue
        name = words[0].lower()
        if name.startswith("<virtualhost"):
            addresses = [w.rstrip(">") for w in [words[0][len("<virtualhost"):]] + words[1:] if w.rstrip(">")]
            state.current = _VirtualHost(f"{path}:{number}", addresses)
            state.hosts.append(state.current)
        elif name == "</virtualhost>":
            state.current = None
        elif name == "serverroot" and len(words) > 1:
            state.server_root = words[1]
        elif name in ("include", "includeoptional") and len(words) > 1:
            pattern = words[1] if os.path.isabs(words[1]) else os.path.join(state.server_root, words[1])
            matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) or os.path.isfile(pattern) else []
            if os.path.isdir(pattern):
                matches = sorted(glob.glob(os.path.join(pattern, "*")))
            if not matches and name == "include" and not glob.has_magic(pattern):
                state.notes.append(f"{path}:{number}: Include {words[1]} names no file")
            for match in matches:
                _read(match, state, depth + 1)
        elif state.current is not None and len(words) > 1:
            host = state.current
            host.directives[name] = words[1:]
            if name == "servername":
                host.names.insert(0, words[1].split(":")[0])
            elif name == "serveralias":
                host.names.extend(words[1:])
            elif name == "sslcertificatefile":
                host.certs.append(_absolute(words[1], state.server_root))
            elif name == "sslcertificatekeyfile":
                host.keys.append(_absolute(words[1], state.server_root))


def _absolute(path: str, root: str) -> str:
    return path if os.path.isabs(path) else os.path.join(root, path)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) with ``\\``-continued lines joined and comments dropped."""
    lines, pending, start = [], "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending, start = pending + line[:-1] + " ", start or number
            continue
        lines.append((start or number, pending + line))
        pending, start = "", 0
    return lines
