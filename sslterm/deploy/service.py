"""Deploy a lineage's current version to a target: write, check, reload, verify; restore on failure.

Like certbot's deploy hooks, but a failed check or reload puts the previous files
back and reloads again, and a deploy counts as done only when the lineage's
endpoints serve the new version (a reload that "succeeds" and changes nothing is
``unverified``). Every result is kept on the target, so a failed deploy is retried
by the next checker pass, and is an event in the certificate's history.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass, field
from datetime import datetime

from cryptography.hazmat.primitives import hashes

from sslterm.core.deploy import PRIVATE_PARTS, DeployFile, DeployTargetRecord, build_files, command_text, hook_environment
from sslterm.core.errors import SslTermError
from sslterm.deploy.commands import CommandResult, run_command
from sslterm.deploy.files import DeployError, install, resolve_owner, restore
from sslterm.deploy.policy import VerifyPolicy
from sslterm.probes.tls import Endpoint, probe_all
from sslterm.store import Store
from sslterm.store.checks import CheckStore
from sslterm.store.deploy_targets import DeployStore


@dataclass(frozen=True)
class DeployOutcome:
    """What one deploy did: ``verified``, ``deployed`` (no endpoint to verify), ``unverified``, ``failed`` or ``planned``."""

    target: DeployTargetRecord
    result: str
    message: str
    files: tuple[DeployFile, ...] = field(default=())
    commands: tuple[str, ...] = field(default=())

    @property
    def severity_rank(self) -> int:
        return {"failed": 2, "unverified": 1}.get(self.result, 0)


async def deploy(store: Store, target: DeployTargetRecord, now: datetime, *, dry_run: bool = False,
                 policy: VerifyPolicy = VerifyPolicy()) -> DeployOutcome:
    """Deploy ``target``'s lineage's current version (with ``dry_run``: only say what would be written and run)."""
    deploys = DeployStore(store)
    if target.certificate_id is None:
        return DeployOutcome(target, "failed", "the lineage has no live certificate to deploy")
    try:
        files, env = _plan(store, deploys, target)
    except SslTermError as exc:
        return _failed(deploys, target, str(exc), now, dry_run)
    commands = tuple(c for c in (command_text(target.check, target.shell), command_text(target.reload, target.shell)) if c)
    if dry_run:
        return DeployOutcome(target, "planned", f"would write {len(files)} file(s) for v{target.version}", tuple(files), commands)
    try:
        uid, gid = resolve_owner(target.owner, target.group)
        installed = install(files, uid, gid)
    except (DeployError, OSError) as exc:
        return _failed(deploys, target, f"nothing written: {exc}", now, dry_run)
    for argv, stage in ((target.check, "check"), (target.reload, "reload")):
        if not argv:
            continue
        result = await run_command(argv, target.shell, env, target.timeout)
        if not result.ok:
            restore(installed)
            if stage == "reload":  # the service may have half-read the new files: have it read the old ones again
                await run_command(argv, target.shell, env, target.timeout)
            return _failed(deploys, target, f"{stage} failed, previous files restored: {result.describe()}", now, dry_run)
    written = ", ".join(str(f.path) for f in files)
    deploys.record(target.id, target.certificate_id, "deployed", f"v{target.version} written to {written}", now, event="deployed")
    return await verify(store, target, now, policy, files=tuple(files), commands=commands)


async def verify(store: Store, target: DeployTargetRecord, now: datetime, policy: VerifyPolicy = VerifyPolicy(),
                 files: tuple[DeployFile, ...] = (), commands: tuple[str, ...] = ()) -> DeployOutcome:
    """Probe the lineage's endpoints until they serve the current version (a reloading server takes a moment)."""
    deploys = DeployStore(store)
    assert target.certificate_id is not None
    record = store.get(target.certificate_id)
    endpoints = [e for e in CheckStore(store).endpoints() if e.certificate_id == record.id]
    if not endpoints:
        message = f"v{record.version} deployed; no endpoint to verify it (add one: sslterm endpoint add {record.domain} HOST:PORT)"
        deploys.record(target.id, record.id, "deployed", message, now)
        return DeployOutcome(target, "deployed", message, files, commands)
    wanted = record.fingerprint_sha256
    stale: list[str] = []
    seen_new = 0
    for attempt in range(policy.attempts):
        results = await probe_all([Endpoint(e.domain, e.host, e.port, e.sni, e.protocol) for e in endpoints], timeout=policy.timeout)
        stale = [f"{r.endpoint.address} {'serves ' + _sha(r)[:16] + '…' if r.ok else 'failed: ' + (r.error or 'no certificate')}"
                 for r in results if not r.ok or _sha(r) != wanted]
        seen_new = 0 if stale else seen_new + 1
        if seen_new >= policy.confirmations:
            break
        if attempt + 1 < policy.attempts:
            await asyncio.sleep(policy.delay)
    if not stale and seen_new < policy.confirmations:
        stale = ["the new version was seen only on the last probe"]
    if stale:
        message = f"reload done but not serving v{record.version} ({(wanted or '')[:16]}…): {'; '.join(stale)}"
        deploys.record(target.id, record.id, "unverified", message, now, event="deploy_unverified")
        return DeployOutcome(target, "unverified", message, files, commands)
    message = f"verified: {', '.join(e.url for e in endpoints)} serve v{record.version}"
    deploys.record(target.id, record.id, "verified", message, now, event="verified")
    return DeployOutcome(target, "verified", message, files, commands)


async def deploy_lineage(store: Store, lineage_id: int, now: datetime, policy: VerifyPolicy = VerifyPolicy()) -> list[DeployOutcome]:
    """Deploy a lineage's new current version to each of its targets (after an import, a Replace)."""
    return [await deploy(store, target, now, policy=policy) for target in DeployStore(store).targets(lineage_id)]


def _plan(store: Store, deploys: DeployStore, target: DeployTargetRecord) -> tuple[list[DeployFile], dict[str, str]]:
    assert target.certificate_id is not None
    needs_key = any(part in PRIVATE_PARTS for part in target.parts)
    material = store.material(target.certificate_id, with_key=needs_key)
    if material.certificate is None:
        raise SslTermError(f"certificate {target.certificate_id} has no issued certificate yet")
    record = store.get(target.certificate_id)
    password = deploys.pfx_password(target.id) if "pfx" in target.parts else None
    files = build_files(target, material.certificate, material.chain, material.key, password)
    names = tuple(dict.fromkeys([record.domain, *record.sans]))
    return files, hook_environment(dict(os.environ), target, names, record.version)


def _failed(deploys: DeployStore, target: DeployTargetRecord, message: str, now: datetime, dry_run: bool) -> DeployOutcome:
    if not dry_run and target.certificate_id is not None:
        deploys.record(target.id, target.certificate_id, "failed", message, now, event="deploy_failed")
    return DeployOutcome(target, "failed", message)


def _sha(result) -> str:  # type: ignore[no-untyped-def]
    return result.leaf.fingerprint(hashes.SHA256()).hex() if result.leaf is not None else ""


__all__ = ["CommandResult", "DeployOutcome", "VerifyPolicy", "deploy", "deploy_lineage", "verify"]
