"""Who can open a shared store's keys: its key slots, added, listed, removed, and the data key rotated.

Only a PostgreSQL store has slots (a SQLite store's data key is in its key file,
wrapped by ``sslterm passphrase``). Adding a slot needs a slot that opens now
(the caller's own secret); removing one rotates the data key, so the removed
slot's copy opens nothing that is still stored. Each change is a history event.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sslterm.core.errors import InputError, NotFoundError
from sslterm.store.keyslots import KEY_FILE, PASSPHRASE, SlotRecord, insert_slot, seal
from sslterm.store.migrations import put_setting

if TYPE_CHECKING:
    from sslterm.store.store import Store


class AccessStore:
    def __init__(self, store: Store) -> None:
        if store.location.is_sqlite:
            raise InputError(f"key slots are for a team's PostgreSQL store; {store.location} keeps its data key in its key file "
                             "(wrap it with 'sslterm passphrase')")
        self.store = store

    def slots(self) -> list[SlotRecord]:
        cursor = self.store.db.execute_sql('SELECT uid, label, kind, created_at, created_by FROM "keyslot" ORDER BY id')
        return [SlotRecord(uid, label, kind, datetime.fromtimestamp(at, UTC), by) for uid, label, kind, at, by in cursor]

    def add(self, label: str, kind: str, secret: bytes | str, now: datetime) -> SlotRecord:
        """A new slot for ``secret`` around the same data key (unlocked with the caller's own secret first)."""
        label = " ".join(label.split())
        if not label:
            raise InputError("a key slot needs a label: who or what it is for (a name, a host)")
        if kind not in (PASSPHRASE, KEY_FILE):
            raise InputError(f"unknown key slot kind {kind}")
        data_key = self.store.vault.data_key()  # the caller's own slot must open first
        with self.store.db.atomic():
            self.store.engine.decide("keyslots")
            if any(slot.label == label for slot in self.slots()):
                raise InputError(f"a key slot labelled {label!r} exists already: remove it first, or choose another label")
            insert_slot(self.store.db, label, kind, secret, data_key, self.store.user, now)
            self.store._event("access_added", None, now, detail=f"key slot {label} ({kind})")
        return next(slot for slot in self.slots() if slot.label == label)

    def remove(self, label: str, now: datetime) -> tuple[SlotRecord, int]:
        """Remove a slot, then rotate the data key; returns the slot and how many secrets were re-encrypted."""
        self.store.vault.data_key()
        with self.store.db.atomic():
            self.store.engine.decide("keyslots")
            slots = self.slots()
            slot = next((s for s in slots if s.label == label), None)
            if slot is None:
                raise NotFoundError(f"no key slot labelled {label!r}: 'sslterm access list' shows them")
            if len(slots) == 1:
                raise InputError("that is the store's last key slot: add another first, or the keys could never be opened again")
            self.store.db.execute_sql('DELETE FROM "keyslot" WHERE uid = ?', [slot.uid])
            self.store._event("access_removed", None, now, detail=f"key slot {label} ({slot.kind})")
            count = self._rotate(now)
        return slot, count

    def rotate(self, now: datetime) -> int:
        """A new data key: every secret re-encrypted, sealed to every slot (no slot's secret needed but the caller's)."""
        self.store.vault.data_key()
        with self.store.db.atomic():
            self.store.engine.decide("keyslots")
            return self._rotate(now)

    def _rotate(self, now: datetime) -> int:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        from sslterm.store.vault import check_blob_for, holding

        store, db = self.store, self.store.db
        new_key = AESGCM.generate_key(bit_length=256)
        new = holding(new_key)
        updates: dict[tuple[str, str], list[tuple[bytes, int]]] = {}
        count = 0
        for table, column, row_id, binding, blob in list(store.secret_blobs()):
            updates.setdefault((table, column), []).append((new.encrypt(store.vault.decrypt(blob, binding), binding), row_id))
            count += 1
        for (table, column), rows in updates.items():
            db.cursor().executemany(f'UPDATE "{table}" SET "{column}" = ? WHERE id = ?', rows)
        for uid, public in list(db.execute_sql('SELECT uid, public_key FROM "keyslot"')):
            db.execute_sql('UPDATE "keyslot" SET sealed_key = ? WHERE uid = ?', [seal(uid, bytes(public), new_key), uid])
        check = check_blob_for(new_key)
        put_setting("key_check", check.hex())
        store._event("data_key_rotated", None, now, detail=f"{count} secrets re-encrypted under a new data key")
        store.vault.adopt(new_key, check)
        return count
