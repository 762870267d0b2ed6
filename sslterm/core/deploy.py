"""Deploy targets as data: which files a lineage's current version becomes, and the hooks' environment.

Pure: nothing here writes a file or runs a command (see :mod:`sslterm.deploy`).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from sslterm.core.errors import InputError
from sslterm.core.records import iso

if TYPE_CHECKING:
    from sslterm.core.parse import PrivateKey

PARTS = ("cert", "key", "chain", "fullchain", "combined", "pfx")
PRIVATE_PARTS = frozenset({"key", "combined", "pfx"})
CERT_MODE, KEY_MODE = 0o644, 0o600
DEFAULT_TIMEOUT = 30
RESULTS = ("deployed", "verified", "unverified", "failed")


@dataclass(frozen=True)
class DeployTargetRecord:
    """A deploy target of a lineage and what its last deploy did."""

    id: int
    lineage_id: int
    domain: str
    certificate_id: int | None  # the lineage's current version, if it has one
    version: int | None
    parts: dict[str, str]
    owner: str | None = None
    group: str | None = None
    mode: int = CERT_MODE
    key_mode: int = KEY_MODE
    check: tuple[str, ...] = ()
    reload: tuple[str, ...] = ()
    shell: bool = False
    timeout: int = DEFAULT_TIMEOUT
    has_pfx_password: bool = False
    last_at: datetime | None = None
    last_result: str | None = None
    last_certificate_id: int | None = None
    last_version: int | None = None
    last_message: str | None = None

    @property
    def up_to_date(self) -> bool:
        """The current version was written here and the service took it (or verification is pending)."""
        return self.last_certificate_id == self.certificate_id and self.last_result in ("deployed", "verified", "unverified")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "lineage_id": self.lineage_id, "domain": self.domain, "certificate_id": self.certificate_id,
            "version": self.version, "parts": dict(self.parts), "owner": self.owner, "group": self.group,
            "mode": f"{self.mode:04o}", "key_mode": f"{self.key_mode:04o}", "check": command_text(self.check, self.shell),
            "reload": command_text(self.reload, self.shell), "shell": self.shell, "timeout": self.timeout,
            "last_at": iso(self.last_at), "last_result": self.last_result, "last_certificate_id": self.last_certificate_id,
            "last_version": self.last_version, "last_message": self.last_message,
        }


@dataclass(frozen=True)
class DeployFile:
    """One file of a deploy: where, what, and with which mode."""

    part: str
    path: Path
    data: bytes = field(repr=False)
    mode: int

    @property
    def private(self) -> bool:
        return self.part in PRIVATE_PARTS


def parse_mode(text: str | None, private: bool) -> int | None:
    """An octal mode such as ``0640``; a private file may never be readable by others."""
    if text is None:
        return None
    try:
        mode = int(text, 8)
    except ValueError:
        raise InputError(f"mode {text!r} is not an octal mode such as 0644") from None
    if not 0 <= mode <= 0o777:
        raise InputError(f"mode {text!r} is not between 0000 and 0777")
    if private and mode & 0o007:
        raise InputError(f"mode {text} would let every local user read the private key: use 0600 or 0640")
    return mode


def parse_command(text: str | None, shell: bool) -> tuple[str, ...]:
    """A hook command: split like a shell would (``shlex``) unless it is to run through one."""
    if text is None or not text.strip():
        return ()
    if shell:
        return (text,)
    try:
        argv = tuple(shlex.split(text))
    except ValueError as exc:
        raise InputError(f"cannot split command {text!r}: {exc}") from None
    return argv


def command_text(argv: tuple[str, ...], shell: bool) -> str | None:
    if not argv:
        return None
    return argv[0] if shell else shlex.join(argv)


def check_parts(parts: dict[str, str], has_password: bool) -> dict[str, str]:
    """Absolute, distinct paths for known parts; at least one part; a PFX needs its password."""
    if not parts:
        raise InputError("a deploy target needs at least one file: --cert, --key, --chain, --fullchain, --combined or --pfx")
    clean: dict[str, str] = {}
    for part, raw in parts.items():
        if part not in PARTS:
            raise InputError(f"unknown part {part!r}: use one of {', '.join(PARTS)}")
        path = Path(raw).expanduser()
        if not path.is_absolute():
            raise InputError(f"{part} path {raw!r} is not absolute: give the full path the server reads")
        clean[part] = str(path)
    if len(set(clean.values())) != len(clean):
        raise InputError("two parts of one target name the same file")
    if "pfx" in clean and not has_password:
        raise InputError("a PFX target needs its password: --password-file FILE")
    return clean


@dataclass(frozen=True)
class TargetSpec:
    """A deploy target as typed in one line: ``fullchain=/etc/nginx/ssl/x.pem key=/etc/nginx/ssl/x.key reload="…"``."""

    parts: dict[str, str]
    check: tuple[str, ...] = ()
    reload: tuple[str, ...] = ()
    owner: str | None = None
    group: str | None = None
    mode: int | None = None
    key_mode: int | None = None
    timeout: int = DEFAULT_TIMEOUT


def parse_target_spec(text: str) -> TargetSpec:
    """Read ``name=value`` words (quoted as a shell would): parts, check, reload, owner, group, mode, key-mode, timeout."""
    try:
        words = shlex.split(text)
    except ValueError as exc:
        raise InputError(f"cannot read the target: {exc}") from None
    values: dict[str, str] = {}
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or not value:
            raise InputError(f"{word!r} is not name=value, e.g. fullchain=/etc/nginx/ssl/site.pem")
        values[name.lower()] = value
    known = set(PARTS) | {"check", "reload", "owner", "group", "mode", "key-mode", "timeout"}
    unknown = sorted(set(values) - known)
    if unknown:
        raise InputError(f"unknown setting {unknown[0]!r}: use {', '.join(PARTS)}, check, reload, owner, group, mode, key-mode or timeout")
    if "pfx" in values:
        raise InputError("a PFX target needs a password file: add it with sslterm deploy add --pfx PATH --password-file FILE")
    timeout = values.get("timeout", str(DEFAULT_TIMEOUT))
    if not timeout.isdigit() or not 1 <= int(timeout) <= 3600:
        raise InputError("timeout is a number of seconds from 1 to 3600")
    return TargetSpec(
        parts=check_parts({p: values[p] for p in PARTS if p in values}, has_password=False),
        check=parse_command(values.get("check"), False), reload=parse_command(values.get("reload"), False),
        owner=values.get("owner"), group=values.get("group"), mode=parse_mode(values.get("mode"), private=False),
        key_mode=parse_mode(values.get("key-mode"), private=True), timeout=int(timeout),
    )


def spec_text(target: DeployTargetRecord) -> str:
    """The one-line form :func:`parse_target_spec` reads, for editing a target."""
    words = [f"{part}={shlex.quote(path)}" for part, path in target.parts.items() if part != "pfx"]
    for name, argv in (("check", target.check), ("reload", target.reload)):
        if argv and not target.shell:
            words.append(f"{name}={shlex.quote(shlex.join(argv))}")
    words += [f"{name}={value}" for name, value in (("owner", target.owner), ("group", target.group)) if value]
    if target.mode != CERT_MODE:
        words.append(f"mode={target.mode:04o}")
    if target.key_mode != KEY_MODE:
        words.append(f"key-mode={target.key_mode:04o}")
    if target.timeout != DEFAULT_TIMEOUT:
        words.append(f"timeout={target.timeout}")
    return " ".join(words)


def describe_target(target: DeployTargetRecord) -> str:
    """One line: the files, the reload, and what the last deploy did."""
    files = ", ".join(f"{part} {path}" for part, path in target.parts.items())
    reload = command_text(target.reload, target.shell)
    last = "never deployed" if target.last_result is None else (
        f"last {target.last_result} {iso(target.last_at)} (v{target.last_version}): {target.last_message}")
    return f"{files}" + (f"; reload: {reload}" if reload else "") + f"; {last}"


def build_files(target: DeployTargetRecord, cert: x509.Certificate, chain: list[x509.Certificate], key: PrivateKey | None,
                pfx_password: bytes | None) -> list[DeployFile]:
    """The bytes of every part of ``target`` for this certificate (the key only where a part needs it)."""
    pem = cert.public_bytes(serialization.Encoding.PEM)
    chain_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    files = []
    for part, path in target.parts.items():
        if part in PRIVATE_PARTS and key is None:
            raise InputError(f"the {part} file needs the private key, and this version has none stored")
        if part == "cert":
            data = pem
        elif part == "chain":
            data = chain_pem
        elif part == "fullchain":
            data = pem + chain_pem
        elif part == "key":
            data = _key_pem(key)  # type: ignore[arg-type]
        elif part == "combined":
            data = _key_pem(key) + pem + chain_pem  # type: ignore[arg-type]
        else:
            from cryptography.hazmat.primitives.serialization import pkcs12  # (only a PKCS#12 target needs it)

            encryption = serialization.BestAvailableEncryption(pfx_password or b"")
            data = pkcs12.serialize_key_and_certificates(b"sslterm", key, cert, chain or None, encryption)  # type: ignore[arg-type]
        files.append(DeployFile(part, Path(path), data, target.key_mode if part in PRIVATE_PARTS else target.mode))
    return files


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def hook_environment(base: dict[str, str], target: DeployTargetRecord, names: tuple[str, ...], version: int) -> dict[str, str]:
    """What a check or reload command is told, in certbot's spirit (``RENEWED_LINEAGE``…) and sslterm's names.

    Built as a fresh dict from ``base`` for each command, so nothing leaks from one hook into the next.
    """
    env = dict(base)
    env.update({
        "SSLTERM_DOMAIN": target.domain,
        "SSLTERM_NAMES": " ".join(names),
        "SSLTERM_VERSION": str(version),
        "SSLTERM_LINEAGE": str(target.lineage_id),
    })
    for part in PARTS:
        env[f"SSLTERM_{part.upper()}_PATH"] = target.parts.get(part, "")
    return env
