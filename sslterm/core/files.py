"""Write files safely: exact modes whatever the umask, no symlinks followed, no overwrite by accident."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

from sslterm.core.errors import ExportError

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(name: str, fallback: str = "certificate") -> str:
    """A file name made from an untrusted certificate name that cannot escape its directory.

    ``*.example.com`` becomes ``wildcard.example.com``; separators, control
    characters and leading dots are replaced; the result is at most 100 characters.
    """
    text = name.replace("*", "wildcard")
    text = _UNSAFE.sub("_", text)
    text = re.sub(r"\.{2,}", ".", text).strip("._-")
    return text[:100] or fallback


def ensure_private_dir(path: Path) -> None:
    """Create ``path`` and every missing parent with mode 0700, whatever the umask.

    ``mkdir(parents=True)`` would give the parents the umask's mode (0777 under umask 000),
    letting another local user swap in a directory of their own.
    """
    if path.is_dir():
        return
    missing = []
    level = path
    while not level.exists():
        missing.append(level)
        if level.parent == level:
            break
        level = level.parent
    try:
        for directory in reversed(missing):
            directory.mkdir(mode=0o700)
            os.chmod(directory, 0o700)
    except FileExistsError:
        if not path.is_dir():
            raise ExportError(f"cannot create directory {path}: a file of that name exists") from None
    except OSError as exc:
        raise ExportError(f"cannot create directory {path}: {exc.strerror or exc}") from None


def write_file(directory: Path, name: str, data: bytes, mode: int, force: bool = False) -> Path:
    """Write ``data`` to ``directory/name`` with exactly ``mode`` (one file of :func:`write_set`).

    Refuses to overwrite an existing file unless ``force``, and never follows a symlink at the destination.
    """
    return write_set(directory, [(name, data, mode)], force)[0]


def create_private_file(path: Path, data: bytes) -> None:
    """Create a new 0600 file (used for key files); fails if it exists."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


STAGING_PREFIX = ".sslterm-export."
_OLD_TEMP = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")  # what write_file's temporary files were called


def write_set(directory: Path, files: list[tuple[str, bytes, int]], force: bool = False) -> list[Path]:
    """Write several files so that they appear together, and a killed run leaves nothing behind.

    Every file is first written (with its mode from creation) into a private 0700
    staging directory inside ``directory``, then linked into place (replaced, with
    ``force``), then the staging directory is removed. A run killed on the way leaves
    that staging directory; the next run into ``directory`` finds it, removes the
    files it had already put in place (the same inode) and the directory itself,
    so an interrupted set never stays half there and no key is left in a temporary file.
    """
    recover(directory)
    for name, _, _ in files:
        if os.sep in name or name in ("", ".", ".."):
            raise ExportError(f"refusing unsafe file name {name!r}")
        target = directory / name
        if target.is_symlink():
            raise ExportError(f"{target} is a symbolic link: refusing to write through it")
        if target.exists() and not force:
            raise ExportError(f"{target} already exists: use --force to overwrite")
    staging = directory / f"{STAGING_PREFIX}{os.getpid()}.{secrets.token_hex(4)}"
    try:
        staging.mkdir(mode=0o700)
        for name, data, mode in files:
            _write_new(staging / name, data, mode)
        placed = []
        for name, _, _ in files:
            if force:
                os.replace(staging / name, directory / name)
            else:
                os.link(staging / name, directory / name)  # fails rather than replace a file that appeared meanwhile
            placed.append(directory / name)
    except FileExistsError as exc:
        _undo(staging, directory)
        raise ExportError(f"{exc.filename2 or exc.filename} already exists: use --force to overwrite") from None
    except OSError as exc:
        _undo(staging, directory)
        raise ExportError(f"cannot write in {directory}: {exc.strerror or exc}; nothing was written") from None
    _remove_tree(staging)
    return placed


def recover(directory: Path) -> None:
    """Undo what an export killed in ``directory`` left: its staging directory and the files it had placed."""
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        if entry.name.startswith(STAGING_PREFIX) and entry.is_dir(follow_symlinks=False) and not _running(entry.name):
            _undo(Path(entry.path), directory)
        elif _OLD_TEMP.match(entry.name) and entry.is_file(follow_symlinks=False):
            os.unlink(entry.path)


def _running(staging_name: str) -> bool:
    pid = staging_name[len(STAGING_PREFIX):].split(".")[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _undo(staging: Path, directory: Path) -> None:
    """Remove the files placed from ``staging`` (same inode: placed by that run), then ``staging``."""
    if not staging.is_dir():
        return
    for item in staging.iterdir():
        placed = directory / item.name
        try:
            if os.path.samefile(item, placed) and not placed.is_symlink():
                placed.unlink()
        except OSError:
            pass
    _remove_tree(staging)


def _remove_tree(staging: Path) -> None:
    for item in staging.iterdir():
        item.unlink()
    staging.rmdir()


def _write_new(path: Path, data: bytes, mode: int) -> None:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags, mode & 0o600)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
