"""What Auto SSL keeps: ACME account keys (encrypted) and per-certificate ACME settings."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sslterm.core.parse import load_checked_key, pkcs8_der
from sslterm.store.models import AcmeAccount, AcmeSetting
from sslterm.store.store import Store


class AcmeState:
    """Account keys and settings, in the store's database and transactions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def account_key(self, directory: str, email: str) -> tuple[Any | None, str | None]:
        """The decrypted account key and URL for (directory, email), or (None, None)."""
        row = AcmeAccount.get_or_none((AcmeAccount.directory == directory) & (AcmeAccount.email == email))
        if row is None:
            return None, None
        der = self.store.vault.decrypt(bytes(row.key_blob), f"acme:{row.uid}")
        return load_checked_key(der), row.account_url  # authenticated: as stored

    def save_account(self, directory: str, email: str, key: Any, account_url: str, now: datetime) -> None:
        """Keep the account key (encrypted, bound to its row), inside the caller's transaction."""
        if AcmeAccount.get_or_none((AcmeAccount.directory == directory) & (AcmeAccount.email == email)):
            AcmeAccount.update(account_url=account_url).where((AcmeAccount.directory == directory) & (AcmeAccount.email == email)).execute()
            return
        uid = uuid.uuid4().hex
        der = pkcs8_der(key)
        blob = self.store.vault.encrypt(der, f"acme:{uid}")
        AcmeAccount.create(directory=directory, email=email, uid=uid, key_blob=blob, account_url=account_url, created_at=now)
        self.store._persist_check_blob()

    def settings(self, cert_id: int) -> dict[str, Any] | None:
        row = AcmeSetting.get_or_none(AcmeSetting.certificate == cert_id)
        if row is None:
            return None
        return {k: getattr(row, k) for k in ("directory", "email", "challenge", "webroot", "port", "ca_bundle", "key_type")}

    def save_settings(self, cert_id: int, settings: Any) -> None:
        values = asdict(settings)
        update = {getattr(AcmeSetting, key): value for key, value in values.items()}
        AcmeSetting.insert(certificate=cert_id, **values).on_conflict(conflict_target=[AcmeSetting.certificate], update=update).execute()
