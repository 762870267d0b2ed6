"""Delete and download, shared by the list, detail and history screens."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text

from sslterm.core.display import printable
from sslterm.core.records import CertificateRecord
from sslterm.store.exporting import export_certificate
from sslterm.tui.screens.base import SslTermScreen
from sslterm.tui.screens.dialogs import ConfirmDialog, DownloadDialog, DownloadRequest


def describe(record: CertificateRecord) -> Text:
    return Text(f"certificate {record.id} ({printable(record.name)}, {printable(record.domain)})")


def confirm_delete(screen: SslTermScreen, record: CertificateRecord, after: Callable[[], Any]) -> None:
    """Ask, then archive the certificate in a worker; its history is kept."""
    question = Text.assemble("Delete ", describe(record), "?\n\nIt leaves the list and stays in its domain's history.")

    def answered(yes: bool | None) -> None:
        if not yes:
            return
        store, now = screen.services.store, screen.services.now()
        screen.job("delete", lambda: store.delete(record.id, now), lambda _: (screen.notify(f"Deleted certificate {record.id}.", markup=False), after()))

    screen.app.push_screen(ConfirmDialog(question, "Delete"), answered)


def confirm_purge(screen: SslTermScreen, record: CertificateRecord, after: Callable[[], Any]) -> None:
    """Ask, then archive the certificate and destroy the private keys of its whole lineage."""
    question = Text.assemble(
        "Delete ", describe(record), " and DESTROY its private key?\n\n",
        "The keys of this certificate and of all its versions are overwritten and removed for good: ",
        "they cannot be exported again. The certificates stay in the domain's history.",
    )

    def answered(yes: bool | None) -> None:
        if not yes:
            return
        store, now = screen.services.store, screen.services.now()
        screen.job("purge", lambda: store.purge(record.id, now),
                   lambda result: (screen.notify(f"Deleted certificate {record.id}; {result[1]} private key(s) destroyed.", markup=False), after()))

    screen.app.push_screen(ConfirmDialog(question, "Destroy key"), answered)


def start_download(screen: SslTermScreen, record: CertificateRecord, versioned: bool = False) -> None:
    """Ask where and how, confirm a private key explicitly, then write with the export rules.

    ``versioned`` names the files after the version (``shop.example.v3.crt``), so that
    versions downloaded into one folder never collide. The folder is remembered.
    """
    if record.type == "request" and record.not_after is None:
        _download_csr(screen, record)
        return
    base = f"{record.name}.{record.version_label}" if versioned else None

    def chosen(request: DownloadRequest | None) -> None:
        if request is None:
            return
        screen.services.download_dir = request.directory
        if not request.with_key:
            _write(screen, record, request, base)
            return
        question = Text.assemble(
            "Write the PRIVATE KEY of ", describe(record), f"\nunencrypted to {printable(request.directory)} (mode 0600)?"
        )
        screen.app.push_screen(ConfirmDialog(question, "Include key"), lambda yes: _write(screen, record, request, base) if yes else None)

    title = Text.assemble("Download ", describe(record), f" ({record.version_label})" if versioned else "")
    screen.app.push_screen(DownloadDialog(title, record.has_key, screen.services.download_dir), chosen)


def _write(screen: SslTermScreen, record: CertificateRecord, request: DownloadRequest, base: str | None) -> None:
    store, now = screen.services.store, screen.services.now()

    def work() -> list[str]:
        written = export_certificate(store, record.id, request.directory, request.format, request.with_key, now, base_name=base)
        return [str(p) for p in written]

    screen.job("download", work, lambda paths: screen.notify("Wrote:\n" + "\n".join(printable(p) for p in paths), title="Download", markup=False, timeout=10))


def _download_csr(screen: SslTermScreen, record: CertificateRecord) -> None:
    """A pending request has no certificate yet: download its CSR to send to a CA."""
    from cryptography.hazmat.primitives import serialization

    from sslterm.core.files import ensure_private_dir, safe_filename, write_file

    def chosen(request: DownloadRequest | None) -> None:
        if request is None:
            return
        store, now = screen.services.store, screen.services.now()

        def work() -> str:
            csr = store.material(record.id).request
            assert csr is not None
            ensure_private_dir(request.directory)
            path = write_file(request.directory, f"{safe_filename(record.name)}.csr", csr.public_bytes(serialization.Encoding.PEM), 0o644)
            store.record_export(record.id, now, f"CSR to {request.directory}: {path.name}")
            return str(path)

        screen.services.download_dir = request.directory
        screen.job("download", work, lambda path: screen.notify(f"Wrote:\n{printable(path)}", title="Download", markup=False, timeout=10))

    title = Text.assemble("Download the CSR of ", describe(record))
    screen.app.push_screen(DownloadDialog(title, False, screen.services.download_dir, csr_only=True), chosen)
