"""The store's key operations: destroying, re-wrapping, checking and attaching private keys.

A mixin of :class:`sslterm.store.store.Store`, kept apart so the store's file stays about certificates.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sslterm.core.records import CertificateRecord
from sslterm.store.models import Certificate

if TYPE_CHECKING:
    from sslterm.core.parse import PrivateKey


# Every secret the vault encrypts: (table, column, what binds a blob to its row besides the uid).
SECRET_COLUMNS = (
    ("certificate", "key_blob", ""),
    ("acmeaccount", "key_blob", "acme:"),
    ("channel", "url_blob", ""),
    ("deploytarget", "pfx_password_blob", ""),
)


class KeyOperations:
    """Needs the store's ``db``, ``vault``, ``_row``, ``_event``, ``_store_key``, ``_persist_check_blob``, ``delete`` and ``get``."""

    def prepare_keys(self) -> None:
        """Create the data key now (wrapped with the passphrase, if one was given) rather than at the first key."""
        with self.db.atomic():
            self.vault.encrypt(b"", "prepare")
            self._persist_check_blob()

    def rewrap_keys(self, passphrase: str | None) -> None:
        """Wrap the data key with a new passphrase (None: none); every stored key stays as it is."""
        with self.db.atomic():
            self.vault.rewrap(passphrase)
            self._persist_check_blob()

    def secret_blobs(self):  # type: ignore[no-untyped-def]
        """(table, column, id, binding, blob) of every encrypted secret: keys, ACME account keys, channel URLs, PFX passwords."""
        for table, column, prefix in SECRET_COLUMNS:
            for row_id, uid, blob in self.db.execute_sql(f'SELECT id, uid, "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL ORDER BY id'):
                yield table, column, row_id, prefix + uid, bytes(blob)

    def decrypt_every_key(self) -> int:
        """Decrypt (and drop) every stored private key and secret; returns how many. Raises on the first that fails."""
        count = 0
        for _, _, _, binding, blob in self.secret_blobs():
            self.vault.decrypt(blob, binding)
            count += 1
        return count

    def add_loose_key(self, public_key_sha256: str, key: PrivateKey, now: datetime) -> tuple[str, list[int]]:
        """A private key imported without its certificate: stored with every stored certificate it matches.

        Returns ``("key added", ids)``, ``("present", ids)`` when they all have it already,
        or ``("no match", [])``.
        """
        with self.db.atomic():
            rows = list(Certificate.select().where((Certificate.public_key_sha256 == public_key_sha256)
                                                   & Certificate.cert_pem.is_null(False)))
            missing = [row for row in rows if row.key_blob is None]
            for row in missing:
                self._store_key(row, key)
                self._event("key_added", row, now, detail="private key imported on its own")
            if missing:
                return "key added", [row.id for row in missing]
            return ("present", [row.id for row in rows]) if rows else ("no match", [])

    def purge(self, cert_id: int, now: datetime) -> tuple[CertificateRecord, int, bool]:
        """Archive a certificate and destroy the private keys of its whole lineage.

        The key rows are overwritten before they are cleared (``secure_delete`` zeroes
        freed pages in the file) and the WAL is checkpointed and truncated, so the
        encrypted keys are gone from the database and its WAL. Returns the record, how
        many keys were destroyed, and whether the WAL could be emptied (another
        process reading the store keeps it until it closes).
        """
        with self.db.atomic():
            row = self._row(cert_id)
            versions = list(Certificate.select().where(
                (Certificate.lineage == row.lineage_id) & Certificate.key_blob.is_null(False))) if row.lineage_id else [row]
            for version in versions:
                self.engine.wipe_key(version.id)
                self._event("key_purged", version, now, detail="private key destroyed (overwritten, then removed)")
            if not row.archived:
                self.delete(cert_id, now)
        return self.get(cert_id), len(versions), self.engine.flush_wiped()
