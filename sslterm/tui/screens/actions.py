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


def start_download(screen: SslTermScreen, record: CertificateRecord) -> None:
    """Ask where and how, confirm a private key explicitly, then write with the export rules."""
    if record.type == "request" and record.not_after is None:
        _download_csr(screen, record)
        return

    def chosen(request: DownloadRequest | None) -> None:
        if request is None:
            return
        if not request.with_key:
            _write(screen, record, request)
            return
        question = Text.assemble(
            "Write the PRIVATE KEY of ", describe(record), f"\nunencrypted to {printable(request.directory)} (mode 0600)?"
        )
        screen.app.push_screen(ConfirmDialog(question, "Include key"), lambda yes: _write(screen, record, request) if yes else None)

    screen.app.push_screen(DownloadDialog(Text.assemble("Download ", describe(record)), record.has_key), chosen)


def _write(screen: SslTermScreen, record: CertificateRecord, request: DownloadRequest) -> None:
    store, now = screen.services.store, screen.services.now()

    def work() -> list[str]:
        return [str(p) for p in export_certificate(store, record.id, request.directory, request.format, request.with_key, now)]

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

        screen.job("download", work, lambda path: screen.notify(f"Wrote:\n{printable(path)}", title="Download", markup=False, timeout=10))

    screen.app.push_screen(DownloadDialog(Text.assemble("Download the CSR of ", describe(record)), False, csr_only=True), chosen)
