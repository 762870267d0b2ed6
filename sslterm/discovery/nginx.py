"""nginx: the TLS server blocks of the effective configuration.

The configuration comes from ``nginx -T`` (every file nginx read, each after a
``# configuration file PATH:`` line) or from the files on disk. Either way the
main file is parsed and each ``include`` is replaced by the files it matches, as
nginx does, so server blocks in included files and certificates set at ``http``
level (inherited by servers that set none) are seen.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sslterm.core.errors import InputError
from sslterm.discovery.sites import CertFiles, Listen, ServerConfig, Site, probe_host, split_address, usable_name

DUMP_HEADER = "# configuration file "
MAX_INCLUDE_DEPTH = 16


@dataclass
class Directive:
    name: str
    args: list[str]
    file: str
    line: int
    block: list[Directive] | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class _Files:
    """Where included files come from: the dump's sections, or the disk."""

    read: Callable[[str], str]
    match: Callable[[str], list[str]]
    prefix: str
    seen: list[str] = field(default_factory=list)


def from_dump(dump: str, binary: str = "nginx", config: str | None = None) -> ServerConfig:
    """Sites from the text ``nginx -T`` prints."""
    sections: dict[str, str] = {}
    current: str | None = None
    lines: list[str] = []
    for line in dump.splitlines():
        if line.startswith(DUMP_HEADER) and line.rstrip().endswith(":"):
            if current is not None:
                sections[current] = "\n".join(lines)
            current, lines = line[len(DUMP_HEADER):].rstrip()[:-1], []
        elif current is not None:
            lines.append(line)
    if current is not None:
        sections[current] = "\n".join(lines)
    if not sections:
        raise InputError("the nginx -T output names no configuration file: is this nginx's output?")
    main = next(iter(sections))
    files = _Files(read=lambda path: sections[path], prefix=os.path.dirname(main),
                   match=lambda pattern: sorted(p for p in sections if fnmatch.fnmatchcase(p, pattern)))
    return _config(main, files, binary, config)


def from_files(main: Path, binary: str = "nginx") -> ServerConfig:
    """Sites from the configuration files on disk, starting at ``main``."""
    main = main.expanduser().absolute()

    def read(path: str) -> str:
        try:
            return Path(path).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None

    files = _Files(read=read, prefix=str(main.parent), match=lambda pattern: sorted(glob.glob(pattern)))
    return _config(str(main), files, binary, str(main))


def run_dump(binary: str | None = None, config: Path | None = None) -> tuple[str, str]:
    """``nginx -T`` (with ``-c`` for another configuration): (the binary used, its output)."""
    found = binary or shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found is None:
        raise InputError("nginx is not installed or not on PATH: give the configuration with --config FILE")
    argv = [found, "-T"] + (["-c", str(config)] if config else [])
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InputError(f"cannot run {' '.join(argv)}: {getattr(exc, 'strerror', None) or exc}") from None
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["it failed"])[-1]
        raise InputError(f"{' '.join(argv)} failed: {last}")
    return found, result.stdout


def _config(main: str, files: _Files, binary: str, config: str | None) -> ServerConfig:
    tree = _parse_file(main, files, depth=0)
    with_c = ["-c", config] if config else []
    result = ServerConfig("nginx", [], check=(binary, "-t", *with_c), reload=(binary, "-s", "reload", *with_c))
    for http in (d for d in tree if d.name == "http" and d.block is not None):
        inherited = _cert_files(http.block or [], [], result.notes, http.where)
        for server in (d for d in http.block or [] if d.name == "server" and d.block is not None):
            site = _site(server, inherited, result.notes)
            if site is not None:
                result.sites.append(site)
    return result


def _site(server: Directive, inherited: list[CertFiles], notes: list[str]) -> Site | None:
    block = server.block or []
    listens: list[Listen] = []
    ssl_on = any(d.name == "ssl" and d.args[:1] == ["on"] for d in block)  # the old form
    for listen in (d for d in block if d.name == "listen" and d.args):
        params = listen.args[1:]
        if "quic" in params or not (ssl_on or "ssl" in params):
            continue
        address = split_address(listen.args[0], 443 if ssl_on or "ssl" in params else 80)
        if address is None:
            notes.append(f"{listen.where}: listen {listen.args[0]} is not a TCP address: not probed")
            continue
        listens.append(Listen(probe_host(address[0]), address[1]))
    if not listens:
        return None
    names, skipped = [], []
    for directive in (d for d in block if d.name == "server_name"):
        for name in directive.args:
            (names if usable_name(name.lower()) else skipped).append(name.lower())
    site = Site(server.where, list(dict.fromkeys(names)), list(dict.fromkeys(listens)), _cert_files(block, inherited, notes, server.where))
    if skipped:
        site.notes.append(f"server names without endpoints (wildcards, regexes, catch-alls): {', '.join(skipped)}")
    if not site.files:
        site.notes.append("no ssl_certificate for this TLS server block")
    return site


def _cert_files(block: list[Directive], inherited: list[CertFiles], notes: list[str], where: str) -> list[CertFiles]:
    certs = [d for d in block if d.name == "ssl_certificate" and d.args]
    keys = [d for d in block if d.name == "ssl_certificate_key" and d.args]
    if not certs:
        return inherited  # nginx: a server with no ssl_certificate of its own inherits the http level's
    found = []
    for index, cert in enumerate(certs):
        key = keys[index].args[0] if index < len(keys) else None
        if "$" in cert.args[0] or (key and "$" in key):
            notes.append(f"{cert.where}: ssl_certificate {cert.args[0]} uses variables: its files cannot be read ahead of a request")
            continue
        if key and key.startswith(("data:", "engine:", "store:")):
            key = None  # not a file sslterm can read
        found.append(CertFiles(cert.args[0], key))
    return found


def _parse_file(path: str, files: _Files, depth: int) -> list[Directive]:
    if depth > MAX_INCLUDE_DEPTH:
        raise InputError(f"{path}: includes nest more than {MAX_INCLUDE_DEPTH} deep (an include loop?)")
    files.seen.append(path)
    tokens = tokenize(files.read(path), path)
    directives, position = _parse_block(tokens, 0, path, top=True)
    return _expand(directives, files, depth)


def _expand(directives: list[Directive], files: _Files, depth: int) -> list[Directive]:
    """Replace each ``include`` by what it names, inside blocks too."""
    out: list[Directive] = []
    for directive in directives:
        if directive.name == "include" and directive.args and directive.block is None:
            pattern = directive.args[0] if os.path.isabs(directive.args[0]) else os.path.join(files.prefix, directive.args[0])
            for match in files.match(pattern):
                if not match.endswith(("mime.types", "fastcgi_params", "fastcgi.conf", "uwsgi_params", "scgi_params", "koi-utf",
                                       "koi-win", "win-utf", "proxy_params")):
                    out.extend(_parse_file(match, files, depth + 1))
            continue
        if directive.block is not None:
            directive.block = _expand(directive.block, files, depth)
        out.append(directive)
    return out


@dataclass(frozen=True)
class Token:
    text: str
    line: int
    word: bool  # a word (quoted or not), not one of ; { }


def tokenize(text: str, path: str) -> list[Token]:
    """nginx's lexical rules: words, quoted strings with backslash escapes, ; { }, # comments."""
    tokens: list[Token] = []
    index, line, length = 0, 1, len(text)
    while index < length:
        char = text[index]
        if char == "\n":
            line += 1
            index += 1
        elif char.isspace():
            index += 1
        elif char == "#":
            while index < length and text[index] != "\n":
                index += 1
        elif char in ";{}":
            tokens.append(Token(char, line, False))
            index += 1
        elif char in "\"'":
            start_line, index, value = line, index + 1, []
            while index < length and text[index] != char:
                if text[index] == "\\" and index + 1 < length:
                    index += 1
                if text[index] == "\n":
                    line += 1
                value.append(text[index])
                index += 1
            if index >= length:
                raise InputError(f"{path}:{start_line}: a quoted string is not closed")
            tokens.append(Token("".join(value), start_line, True))
            index += 1
        else:
            start = index
            while index < length and not text[index].isspace() and text[index] not in ";{}\"'" and not (text[index] == "#" and index == start):
                index += 1
            tokens.append(Token(text[start:index], line, True))
    return tokens


def _parse_block(tokens: list[Token], position: int, path: str, top: bool) -> tuple[list[Directive], int]:
    directives: list[Directive] = []
    while position < len(tokens):
        token = tokens[position]
        if not token.word and token.text == "}":
            if top:
                raise InputError(f"{path}:{token.line}: an unexpected '}}'")
            return directives, position + 1
        if not token.word:
            raise InputError(f"{path}:{token.line}: an unexpected '{token.text}'")
        name, args, position = token.text, [], position + 1
        while position < len(tokens) and tokens[position].word:
            args.append(tokens[position].text)
            position += 1
        if position == len(tokens):
            raise InputError(f"{path}:{token.line}: '{name}' is not ended with ';' or a block")
        end = tokens[position]
        if end.text == ";":
            directives.append(Directive(name, args, path, token.line))
            position += 1
        elif end.text == "{":
            block, position = _parse_block(tokens, position + 1, path, top=False)
            directives.append(Directive(name, args, path, token.line, block))
        else:
            raise InputError(f"{path}:{end.line}: an unexpected '}}' after '{name}'")
    if not top:
        raise InputError(f"{path}: a block is not closed with '}}'")
    return directives, position
