"""Write a deploy's files all or nothing, and put the previous ones back when asked.

Each file is written to a temporary file in its own directory (created with its
final mode before any byte, owner and group set, fsynced), and only when every
temporary file exists are they renamed over the targets. Parent directories must
exist: they are never created. A target that is a symbolic link is refused.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from sslterm.core.deploy import DeployFile
from sslterm.core.errors import SslTermError


class DeployError(SslTermError):
    """A deploy that could not be done; nothing it would have written is left behind."""


@dataclass(frozen=True)
class Previous:
    """What stood at a path before a deploy (None: nothing did)."""

    path: Path
    data: bytes | None
    mode: int = 0
    uid: int = -1
    gid: int = -1


@dataclass
class Installed:
    """The files a deploy wrote and what they replaced, for :func:`restore`."""

    previous: list[Previous] = field(default_factory=list)


def resolve_owner(owner: str | None, group: str | None) -> tuple[int, int]:
    """(uid, gid) for chown, -1 where unchanged; unknown names are a clear error."""
    try:
        uid = pwd.getpwnam(owner).pw_uid if owner else -1
    except KeyError:
        raise DeployError(f"no user {owner!r} on this host: check --owner") from None
    try:
        gid = grp.getgrnam(group).gr_gid if group else -1
    except KeyError:
        raise DeployError(f"no group {group!r} on this host: check --group") from None
    return uid, gid


def preflight(files: list[DeployFile]) -> None:
    """Refuse before writing anything: a missing or world-writable parent, a link or a directory at a target."""
    for item in files:
        parent = item.path.parent
        if not parent.is_dir():
            raise DeployError(f"{parent} does not exist: create it first (sslterm never creates deploy directories)")
        info = os.stat(parent)
        if info.st_mode & stat.S_IWOTH and not info.st_mode & stat.S_ISVTX:
            raise DeployError(f"{parent} is writable by every local user: refusing to put {item.part} there")
        if item.path.is_symlink():
            raise DeployError(f"{item.path} is a symbolic link: refusing to write through it (point the target at the real file)")
        if item.path.exists() and not item.path.is_file():
            raise DeployError(f"{item.path} is not a regular file")


def install(files: list[DeployFile], uid: int = -1, gid: int = -1) -> Installed:
    """Write every file, or none of them; returns what they replaced."""
    preflight(files)
    temps: list[tuple[Path, DeployFile]] = []
    try:
        for item in files:
            temps.append((_write_temp(item.path, item.data, item.mode, uid, gid), item))
        installed = Installed([_previous(item.path) for _, item in temps])
        done: list[Previous] = []
        try:
            for (temp, item), before in zip(temps, installed.previous):
                os.replace(temp, item.path)
                done.append(before)
        except OSError as exc:
            restore(Installed(done))
            raise DeployError(f"cannot replace {item.path}: {exc.strerror or exc}; the previous files are back") from None
        return installed
    finally:
        for temp, _ in temps:
            if os.path.lexists(temp):
                os.unlink(temp)


def restore(installed: Installed) -> None:
    """Put back what :func:`install` replaced (byte for byte, mode and owner), removing files that were new."""
    for before in reversed(installed.previous):
        if before.data is None:
            if before.path.is_file() and not before.path.is_symlink():
                before.path.unlink()
            continue
        temp = _write_temp(before.path, before.data, before.mode, before.uid, before.gid)
        os.replace(temp, before.path)


def _previous(path: Path) -> Previous:
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Previous(path, None)
    return Previous(path, path.read_bytes(), stat.S_IMODE(info.st_mode), info.st_uid, info.st_gid)


def _write_temp(path: Path, data: bytes, mode: int, uid: int, gid: int) -> Path:
    """A new file beside ``path`` with ``mode`` from its creation (a key is never readable by others, even empty)."""
    temp = path.with_name(f".{path.name}.sslterm-{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(temp, flags, mode & 0o700)  # owner-only until owner, group and mode are set
    except OSError as exc:
        raise DeployError(f"cannot write in {path.parent}: {exc.strerror or exc}") from None
    try:
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        os.unlink(temp)
        raise DeployError(f"cannot write {path}: {exc.strerror or exc}") from None
    os.close(fd)
    return temp
