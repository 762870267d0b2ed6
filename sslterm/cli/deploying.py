"""sslterm deploy add|list|remove|run: where a lineage's current version is written and how it is picked up."""

from __future__ import annotations

import argparse
import asyncio

from sslterm.cli.context import Context
from sslterm.cli.inventory import read_password
from sslterm.cli.output import safe, table, to_json
from sslterm.core.deploy import PARTS, DeployTargetRecord, check_parts, command_text, parse_command, parse_mode
from sslterm.core.errors import InputError
from sslterm.core.records import iso
from sslterm.store.deploy_targets import DeployStore

EXIT_CODES = {"failed": 2, "unverified": 1}


def cmd_deploy_add(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.deploy.files import resolve_owner

    record = ctx.store.resolve(args.ref)
    password = read_password(args.password_file)
    parts = check_parts({part: getattr(args, part) for part in PARTS if getattr(args, part)}, password is not None)
    resolve_owner(args.owner, args.group)  # an unknown user or group is an error now, not at the first deploy
    target = DeployStore(ctx.store).add(
        record.id, parts, ctx.clock.now(), owner=args.owner, group=args.group,
        mode=parse_mode(args.mode, private=False), key_mode=parse_mode(args.key_mode, private=True),
        check=parse_command(args.check, args.shell), reload=parse_command(args.reload, args.shell), shell=args.shell,
        timeout=args.timeout, pfx_password=password,
    )
    print(f"added deploy target {target.id} for {safe(target.domain)} (lineage {target.lineage_id}); each new version will write:")
    _print_target(target)
    print(f"nothing is written yet: see what would happen with 'sslterm deploy run {target.id} --dry-run', then run it")
    return 0


def cmd_deploy_list(ctx: Context, args: argparse.Namespace) -> int:
    targets = DeployStore(ctx.store).targets()
    if args.format == "json":
        print(to_json([t.to_json() for t in targets]))
        return 0
    if not targets:
        print("no deploy targets: add one with 'sslterm deploy add DOMAIN --fullchain PATH --key PATH --reload CMD'")
        return 0
    rows = [(t.id, t.domain, f"v{t.version}" if t.version else "", ", ".join(f"{k}={v}" for k, v in t.parts.items()),
             command_text(t.reload, t.shell) or "", t.last_result or "never", iso(t.last_at) or "") for t in targets]
    print(table(("ID", "DOMAIN", "CURRENT", "FILES", "RELOAD", "LAST", "AT"), rows))
    return 0


def cmd_deploy_remove(ctx: Context, args: argparse.Namespace) -> int:
    target = DeployStore(ctx.store).remove(_target_id(args.target), ctx.clock.now())
    print(f"removed deploy target {target.id} of {safe(target.domain)}; files already written stay where they are")
    return 0


def cmd_deploy_run(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.deploy.service import deploy

    deploys = DeployStore(ctx.store)
    if args.all == bool(args.ref):
        raise InputError("name one certificate or target (ID, DOMAIN or TARGET), or pass --all")
    if args.all:
        targets = deploys.targets()
    elif args.ref.startswith("target:") or args.target:
        targets = [deploys.get(_target_id(args.ref))]
    else:
        targets = deploys.targets(ctx.store.resolve(args.ref).lineage_id)
    if not targets:
        raise InputError("no deploy target for that: add one with 'sslterm deploy add'")
    now, worst = ctx.clock.now(), 0

    async def run_all() -> list:  # type: ignore[type-arg]
        return [await deploy(ctx.store, target, now, dry_run=args.dry_run) for target in targets]

    for outcome in asyncio.run(run_all()):
        worst = max(worst, EXIT_CODES.get(outcome.result, 0))
        print(f"{outcome.result:<10}  target {outcome.target.id}  {safe(outcome.target.domain)}: {safe(outcome.message)}")
        if args.dry_run:
            for item in outcome.files:
                print(f"  would write {safe(item.path)}  ({item.part}, {item.mode:04o}, {len(item.data)} bytes)")
            for command in outcome.commands:
                print(f"  would run   {safe(command)}")
    return worst


def _print_target(target: DeployTargetRecord) -> None:
    owner = ":".join(x for x in (target.owner, target.group) if x)
    for part, path in target.parts.items():
        mode = target.key_mode if part in ("key", "combined", "pfx") else target.mode
        print(f"  {part:<9}  {safe(path)}  ({mode:04o}{', ' + safe(owner) if owner else ''})")
    for label, argv in (("check", target.check), ("reload", target.reload)):
        if argv:
            print(f"  {label:<9}  {safe(command_text(argv, target.shell) or '')}  (timeout {target.timeout} s)")


def _target_id(text: str) -> int:
    raw = text.removeprefix("target:")
    if not raw.isdigit():
        raise InputError(f"{text!r} is not a deploy target id: see 'sslterm deploy list'")
    return int(raw)
