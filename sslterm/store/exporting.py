"""Write a stored certificate to files: the one implementation behind ``export`` and TUI download."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sslterm.core.errors import ExportError
from sslterm.core.export import export_files
from sslterm.core.files import ensure_private_dir, write_set
from sslterm.store.store import Store


def export_certificate(
    store: Store,
    cert_id: int,
    out_dir: Path,
    fmt: str,
    with_key: bool,
    now: datetime,
    force: bool = False,
    pfx_password: bytes | None = None,
    base_name: str | None = None,
    key_passphrase: bytes | None = None,
) -> list[Path]:
    """Write the files for ``cert_id`` into ``out_dir`` and record an ``exported`` event.

    Files are named after the certificate's name, or ``base_name`` (the TUI names
    downloaded versions ``<name>.v<N>``).

    The key is written (0600) only when ``with_key``; existing files are never
    overwritten without ``force``; symlinks at the destination are refused.
    Nothing is written unless every file can be (the names are checked first).
    """
    record = store.get(cert_id)
    material = store.material(cert_id, with_key=with_key)
    if material.certificate is None:
        raise ExportError(f"certificate {cert_id} is a pending request with no issued certificate yet")
    if with_key and material.key is None:
        raise ExportError(f"certificate {cert_id} has no private key stored: export without --with-key")
    files = export_files(base_name or record.name, material.certificate, material.chain, material.key if with_key else None, fmt, pfx_password, key_passphrase)
    ensure_private_dir(out_dir)
    if not out_dir.is_dir():
        raise ExportError(f"{out_dir} is not a directory")
    written = write_set(out_dir, [(item.name, item.data, item.mode) for item in files], force)  # all or nothing
    names = ", ".join(p.name for p in written)
    store.record_export(cert_id, now, f"{fmt} to {out_dir}: {names}" + (" (with private key)" if with_key else ""))
    return written
