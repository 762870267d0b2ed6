"""Deploy targets: kept per lineage, so they follow every new version; each remembers its last deploy."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Iterator

from sslterm.core.deploy import CERT_MODE, DEFAULT_TIMEOUT, KEY_MODE, DeployTargetRecord
from sslterm.core.errors import InputError, NotFoundError
from sslterm.store.models import Certificate, DeployTarget
from sslterm.store.rows import new_uid
from sslterm.store.store import Store


class DeployStore:
    """The deploy side of a :class:`Store` (same database, same transactions)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def add(self, cert_id: int, parts: dict[str, str], now: datetime, *, owner: str | None = None, group: str | None = None,
            mode: int | None = None, key_mode: int | None = None, check: tuple[str, ...] = (), reload: tuple[str, ...] = (),
            shell: bool = False, timeout: int = DEFAULT_TIMEOUT, pfx_password: bytes | None = None) -> DeployTargetRecord:
        """Attach a target to the lineage of live certificate ``cert_id``."""
        if not 1 <= timeout <= 3600:
            raise InputError("the timeout is a number of seconds from 1 to 3600")
        with self.store.db.atomic():
            row = self.store._live_row(cert_id)
            taken = {path for target in DeployTarget.select() for path in json.loads(target.parts_json).values()}
            clash = sorted(taken & set(parts.values()))
            if clash:
                raise InputError(f"{clash[0]} is already written by another deploy target: see 'sslterm deploy list'")
            uid = new_uid()
            blob = self.store.vault.encrypt(pfx_password, uid) if pfx_password is not None else None
            target = DeployTarget.create(
                lineage=row.lineage_id, uid=uid, parts_json=json.dumps(parts), file_owner=owner, file_group=group, mode=mode,
                key_mode=key_mode, check_json=json.dumps(list(check)) if check else None,
                reload_json=json.dumps(list(reload)) if reload else None, shell=shell, timeout=timeout,
                pfx_password_blob=blob, created_at=now,
            )
            self.store._persist_check_blob()
            self.store._event("deploy_target_added", row, now, detail=f"target {target.id}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
        return self.get(target.id)

    def update(self, target_id: int, parts: dict[str, str], now: datetime, *, owner: str | None = None, group: str | None = None,
               mode: int | None = None, key_mode: int | None = None, check: tuple[str, ...] = (), reload: tuple[str, ...] = (),
               timeout: int = DEFAULT_TIMEOUT) -> DeployTargetRecord:
        """Change a target's files and commands (its PFX password and shell setting stay); the next pass deploys it."""
        with self.store.db.atomic():
            record = self.get(target_id)
            others = {path for target in DeployTarget.select().where(DeployTarget.id != target_id)
                      for path in json.loads(target.parts_json).values()}
            clash = sorted(others & set(parts.values()))
            if clash:
                raise InputError(f"{clash[0]} is already written by another deploy target: see 'sslterm deploy list'")
            DeployTarget.update(
                parts_json=json.dumps(parts), file_owner=owner, file_group=group, mode=mode, key_mode=key_mode,
                check_json=json.dumps(list(check)) if check else None, reload_json=json.dumps(list(reload)) if reload else None,
                timeout=timeout, last_result=None, last_certificate=None, last_message=None,
            ).where(DeployTarget.id == target_id).execute()
            row = self.store._row(record.certificate_id) if record.certificate_id else None
            self.store._event("deploy_target_changed", row, now, detail=f"target {target_id}: " + ", ".join(f"{k} {v}" for k, v in parts.items()))
        return self.get(target_id)

    def remove(self, target_id: int, now: datetime) -> DeployTargetRecord:
        with self.store.db.atomic():
            record = self.get(target_id)
            DeployTarget.delete().where(DeployTarget.id == target_id).execute()
            row = self.store._row(record.certificate_id) if record.certificate_id else None
            self.store._event("deploy_target_removed", row, now, detail=f"target {target_id}: " + ", ".join(record.parts.values()))
        return record

    def get(self, target_id: int) -> DeployTargetRecord:
        row = DeployTarget.get_or_none(DeployTarget.id == target_id)
        if row is None:
            raise NotFoundError(f"no deploy target {target_id}: see 'sslterm deploy list'")
        return _record(row)

    def targets(self, lineage_id: int | None = None) -> list[DeployTargetRecord]:
        select = DeployTarget.select().order_by(DeployTarget.id)
        if lineage_id is not None:
            select = select.where(DeployTarget.lineage == lineage_id)
        return [_record(row) for row in select]

    def pending(self) -> Iterator[DeployTargetRecord]:
        """Targets whose lineage has a current version that was not deployed there, or whose last deploy failed."""
        for target in self.targets():
            if target.certificate_id is not None and not target.up_to_date:
                yield target

    def pfx_password(self, target_id: int) -> bytes | None:
        row = DeployTarget.get_by_id(target_id)
        return None if row.pfx_password_blob is None else self.store.vault.decrypt(bytes(row.pfx_password_blob), row.uid)

    def record(self, target_id: int, cert_id: int, result: str, message: str, now: datetime, event: str | None = None) -> None:
        """Remember a deploy's result on the target and, when ``event`` is given, in the certificate's history."""
        with self.store.db.atomic():
            before = DeployTarget.get_by_id(target_id)
            repeated = (before.last_result, before.last_certificate_id, before.last_message) == (result, cert_id, message)
            DeployTarget.update(last_at=now, last_result=result, last_certificate=cert_id, last_message=message).where(
                DeployTarget.id == target_id).execute()
            if event and not repeated:  # a deploy failing the same way on every pass is one event, not one a pass
                self.store._event(event, self.store._row(cert_id), now, detail=f"target {target_id}: {message}")


def _record(row: DeployTarget) -> DeployTargetRecord:
    current = (Certificate.select(Certificate.id, Certificate.domain, Certificate.version)
               .where((Certificate.lineage == row.lineage_id) & (Certificate.archived == False)  # noqa: E712
                      & Certificate.cert_pem.is_null(False))
               .order_by(Certificate.version.desc()).first())
    last = Certificate.get_or_none(Certificate.id == row.last_certificate_id) if row.last_certificate_id else None
    domain = current.domain if current else (last.domain if last else "")
    return DeployTargetRecord(
        id=row.id, lineage_id=row.lineage_id, domain=domain, certificate_id=current.id if current else None,
        version=current.version if current else None, parts=json.loads(row.parts_json), owner=row.file_owner,
        group=row.file_group, mode=CERT_MODE if row.mode is None else row.mode, key_mode=KEY_MODE if row.key_mode is None else row.key_mode,
        check=tuple(json.loads(row.check_json)) if row.check_json else (), reload=tuple(json.loads(row.reload_json)) if row.reload_json else (),
        shell=row.shell, timeout=row.timeout, has_pfx_password=row.pfx_password_blob is not None, last_at=row.last_at,
        last_result=row.last_result, last_certificate_id=row.last_certificate_id, last_version=last.version if last else None,
        last_message=row.last_message,
    )
