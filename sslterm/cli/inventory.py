"""import, list, show, history and delete."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from sslterm.cli.context import Context
from sslterm.cli.output import safe, table, to_csv, to_json
from sslterm.core.describe import describe, sections
from sslterm.core.discover import Scan
from sslterm.core.errors import InputError
from sslterm.core.records import iso
from sslterm.core.status import Bucket
from sslterm.store import ListQuery
from sslterm.core.display import openssl_serial

LIST_COLUMNS = ("id", "domain", "name", "owner", "type", "status", "days_left", "not_after", "created_at", "updated_at")
LINEAGE_LABELS = {"superseded": "renewed: supersedes #", "history": "history of #"}


def read_key_passwords(path: str | None) -> dict[str, bytes] | None:
    """Keystore key passwords: ``ALIAS=PASSWORD`` lines, or one line that applies to every entry."""
    if not path:
        return None
    try:
        lines = [line for line in Path(path).read_bytes().splitlines() if line.strip()]
    except OSError as exc:
        raise InputError(f"cannot read key password file {path}: {exc.strerror or exc}") from None
    if len(lines) == 1 and b"=" not in lines[0]:
        return {"*": lines[0]}
    passwords = {}
    for number, line in enumerate(lines, 1):
        alias, sep, password = line.partition(b"=")
        if not sep or not alias.strip():
            raise InputError(f"{path}: line {number} is not ALIAS=PASSWORD")
        passwords[alias.strip().decode("utf-8", "replace")] = password
    return passwords


def read_password(path: str | None) -> bytes | None:
    """The first line of a password file (trailing newline removed), or None."""
    if not path:
        return None
    try:
        return Path(path).read_bytes().splitlines()[0] if Path(path).stat().st_size else b""
    except (OSError, IndexError) as exc:
        raise InputError(f"cannot read password file {path}: {getattr(exc, 'strerror', None) or exc}") from None


def cmd_import(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.store.bulk import import_many, import_scan

    scan = Scan(
        [Path(p) for p in args.paths], read_password(args.password_file),
        Path(args.key) if args.key else None, Path(args.chain) if args.chain else None, track_ca=args.track_ca,
        key_passwords=read_key_passwords(args.key_password_file),
    )
    owner, now = args.owner or ctx.user, ctx.clock.now()
    if args.name:
        found = scan.read_all()
        if len(found) > 1:
            raise InputError(f"--name applies to one certificate, but {len(found)} were found")
        outcomes = import_many(ctx.store, found, owner=owner, now=now, name=args.name, supersede=args.supersede)
    else:  # stores while the files are still being read
        outcomes = import_scan(ctx.store, scan, owner=owner, now=now, supersede=args.supersede)
    lines = [f"rejected  {safe(rejection.source)}: {safe(rejection.reason)}" for rejection in scan.rejections]
    rejected = len(scan.rejections)
    labels = {"imported": "imported", "present": "already present", "key added": "already present (key added)", "attached": "imported (completes request)"}
    for outcome in outcomes:
        if outcome.error is not None:
            rejected += 1
            lines.append(f"rejected  {safe(outcome.item.source)}: {safe(outcome.error)}")
        else:
            key_note = ", with key" if outcome.has_key else ""
            label = labels.get(outcome.outcome or "imported") or f"{LINEAGE_LABELS[outcome.outcome or '']}{outcome.other_id}"
            lines.append(f"{label}  {safe(outcome.domain)} (id {outcome.cert_id}{key_note}) from {safe(outcome.item.source)}")
    loose = _loose_keys(ctx, scan, outcomes, now)
    for outcome_line, failed in loose:
        lines.append(outcome_line)
        rejected += failed
    lines += _deploy_new_versions(ctx, [o.cert_id for o in outcomes if o.outcome == "superseded" and o.cert_id is not None], now)
    if lines:
        sys.stdout.write("\n".join(lines) + "\n")
    if not outcomes and not scan.rejections and not loose:
        if scan.ca_found:
            print(f"no leaf certificate found; {scan.ca_found} CA certificate(s) read as chain material only "
                  "(without --no-ca they are tracked as type ca)", file=sys.stderr)
        else:
            print("nothing to import: no certificate found", file=sys.stderr)
        return 1
    return 1 if rejected else 0


def _loose_keys(ctx: Context, scan: Scan, outcomes, now) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Keys that came without their certificate: each one joins the stored certificate it matches, or gets a line."""
    paired = {o.item.summary.public_key_sha256 for o in outcomes}
    lines = []
    for spki, path, key in scan.loose_keys(paired):
        result, ids = ctx.store.add_loose_key(spki, key, now)
        where = ", ".join(f"id {i}" for i in ids)
        if result == "key added":
            lines.append((f"key added  to certificate {where} from {safe(path)}", 0))
        elif result == "present":
            lines.append((f"already present  key of certificate {where} from {safe(path)}", 0))
        else:
            lines.append((f"rejected  {safe(path)}: this private key matches no stored certificate; import it with its certificate", 1))
    return lines


def _deploy_new_versions(ctx: Context, cert_ids: list[int], now) -> list[str]:  # type: ignore[no-untyped-def]
    """A version that superseded another goes to its lineage's deploy targets at once, as a renewal would."""
    lineages = {ctx.store.get(cert_id).lineage_id for cert_id in cert_ids}
    if not lineages:
        return []
    from sslterm.store.deploy_targets import DeployStore

    if not any(DeployStore(ctx.store).targets(lineage) for lineage in lineages if lineage is not None):
        return []
    import asyncio

    from sslterm.deploy.service import deploy_lineage

    async def run() -> list[str]:
        done = []
        for lineage in sorted(x for x in lineages if x is not None):
            done += [f"deploy {o.result}  {safe(o.target.domain)} (target {o.target.id}): {safe(o.message)}"
                     for o in await deploy_lineage(ctx.store, lineage, now)]
        return done

    return asyncio.run(run())


def cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    query = ListQuery(bucket=Bucket(args.status), search=args.search, owner=args.owner, sort=args.sort, all_versions=args.all_versions)
    now = ctx.clock.now()
    records = ctx.store.list(query, now)
    if args.format == "json":
        print(to_json([r.to_json(now) for r in records]))
        return 0
    rows = [
        (r.id, r.domain, r.name, r.owner, r.type_label if args.format == "table" else r.type, r.status(now).value,
         "N/A" if r.days_left(now) is None else r.days_left(now), iso(r.not_after), iso(r.created_at), iso(r.updated_at))
        for r in records
    ]
    if args.format == "csv":
        print(to_csv(LIST_COLUMNS, rows))
    else:
        print(table([c.upper() for c in LIST_COLUMNS], rows) if rows else "no certificates match")
    return 0


def cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    store, now = ctx.store, ctx.clock.now()
    record = store.resolve(args.ref)
    material = store.material(record.id)
    if args.format == "pem":
        if material.certificate is None:
            assert material.request is not None
            print(material.request.public_bytes(serialization.Encoding.PEM).decode(), end="")
            return 0
        for cert in [material.certificate, *material.chain]:
            print(cert.public_bytes(serialization.Encoding.PEM).decode(), end="")
        return 0
    description = describe(record, material.certificate, material.chain, now)
    if args.format == "json":
        data = record.to_json(now)
        data["findings"] = [asdict(f) for f in description.findings]
        data["sections"] = {title: dict(rows) for title, rows in sections(description, now)}
        print(to_json(data))
        return 0
    for title, rows in sections(description, now):
        print(f"{title}:")
        width = max(len(k) for k, _ in rows)
        for key, value in rows:
            print(f"  {safe(key).ljust(width)}  {safe(value)}")
    return 0


def cmd_history(ctx: Context, args: argparse.Namespace) -> int:
    if args.verify:
        return _verify_history(ctx)
    if not args.domain:
        raise InputError("name a domain, or pass --verify to check the whole history")
    now = ctx.clock.now()
    versions, events = ctx.store.versions(args.domain), ctx.store.history(args.domain)
    if args.format == "json":
        print(to_json({"versions": [v.to_json(now) for v in versions], "events": [e.to_json(now) for e in events]}))
        return 0
    if not events and not versions:
        print(f"no history for {safe(args.domain)}")
        return 0
    if versions:
        rows = [(v.id, v.lineage_id, v.version_label, iso(v.added_at), iso(v.not_after), v.status(now).value + ("" if not v.archived else " (archived)"),
                 v.type_label, openssl_serial(v.serial), ", ".join(v.web_domains)) for v in versions]
        print(table(("ID", "LINEAGE", "VERSION", "CREATE AT", "EXPIRED DATE", "STATUS", "TYPE", "SERIAL", "WEB-DOMAINS"), rows))
        print()
    rows = []
    for e in events:
        c = e.certificate
        rows.append((iso(e.at), e.kind, c.id if c else "", c.version_label if c else "", c.name if c else e.domain or "", e.user, e.detail))
    print(table(("AT", "EVENT", "ID", "VERSION", "CERTIFICATE", "USER", "DETAIL"), rows))
    return 0


def _verify_history(ctx: Context) -> int:
    check = ctx.store.verify_history()
    if check.broken_id is None:
        print(f"history intact: {check.checked} events, each continuing the hash chain")
        return 0
    from datetime import UTC, datetime

    when = iso(datetime.fromtimestamp(check.broken_at, UTC)) if check.broken_at is not None else "?"
    what = f" ({when}, {check.broken_kind}" + (f", certificate {check.broken_certificate})" if check.broken_certificate else ")")
    print(f"history broken at event {check.broken_id}{safe(what)}: {check.reason}; {check.checked} events before it are intact",
          file=sys.stderr)
    return 1


def cmd_delete(ctx: Context, args: argparse.Namespace) -> int:
    store = ctx.store
    record = store.resolve(args.ref)
    what = f"certificate {record.id} ({safe(record.name)}, {safe(record.domain)})"
    consequence = ("Its PRIVATE KEY and those of all its versions are DESTROYED, for good; the certificates stay in history."
                   if args.purge else "It stays in the domain's history.")
    if not args.yes:
        if not sys.stdin.isatty():
            raise InputError(f"refusing to delete {what} without confirmation: pass --yes")
        answer = input(f"Delete {what}? {consequence} [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("not deleted")
            return 1
    if not args.purge:
        store.delete(record.id, ctx.clock.now())
        print(f"deleted {what}")
        return 0
    _, keys, wal_clear = store.purge(record.id, ctx.clock.now())
    print(f"deleted {what} and destroyed {keys} private key(s)")
    if not wal_clear:
        print("note: another sslterm process is reading the store; its WAL keeps the old pages until it closes", file=sys.stderr)
    return 0
