"""sslterm access and migrate: a team's store on PostgreSQL, its key slots, and moving a store there (or back)."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from sslterm.cli.context import Context, key_file_from_env
from sslterm.cli.output import safe
from sslterm.cli.safety import new_passphrase
from sslterm.core.errors import InputError


def _access(ctx: Context):  # type: ignore[no-untyped-def]
    from sslterm.store.access import AccessStore

    return AccessStore(ctx.store)


def cmd_access_list(ctx: Context, args: argparse.Namespace) -> int:
    slots = _access(ctx).slots()
    if args.format == "json":
        print(json.dumps([{"label": s.label, "kind": s.kind, "created_at": s.created_at.isoformat(), "created_by": s.created_by}
                          for s in slots], indent=2))
        return 0
    if not slots:
        print("no key slots yet: the first is made with the first stored key, from SSLTERM_PASSPHRASE or SSLTERM_KEY_FILE")
        return 0
    width = max(len(s.label) for s in slots)
    for s in slots:
        print(f"{safe(s.label):<{width}}  {s.kind:<10}  added {s.created_at:%Y-%m-%d %H:%M} UTC by {safe(s.created_by)}")
    return 0


def cmd_access_add(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.store.keyslots import KEY_FILE, PASSPHRASE, Secret, new_key_file

    access = _access(ctx)
    if args.new and not args.key_file:
        raise InputError("--new writes a key file: give its path with --key-file")
    if args.key_file:
        path = Path(args.key_file).expanduser()
        if args.new:
            new_key_file(path)
        kind, secret = KEY_FILE, Secret(key_file=path).key_file_bytes()
    else:
        kind, secret = PASSPHRASE, new_passphrase(f"Passphrase for the new slot {args.label}: ")
    assert secret
    slot = access.add(args.label, kind, secret, ctx.clock.now())
    how = f"the key file {safe(args.key_file)} (SSLTERM_KEY_FILE)" if kind == KEY_FILE else "its passphrase (SSLTERM_PASSPHRASE)"
    print(f"added key slot {safe(slot.label)}: the stored keys now open with {how} too")
    return 0


def cmd_access_remove(ctx: Context, args: argparse.Namespace) -> int:
    slot, count = _access(ctx).remove(args.label, ctx.clock.now())
    print(f"removed key slot {safe(slot.label)} and rotated the data key: {count} secrets re-encrypted; "
          "that slot's secret opens nothing stored now")
    return 0


def cmd_access_rotate(ctx: Context, args: argparse.Namespace) -> int:
    count = _access(ctx).rotate(ctx.clock.now())
    print(f"rotated the data key: {count} secrets re-encrypted, sealed to every key slot")
    return 0


def cmd_migrate(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.store.engines import parse_location
    from sslterm.store.moving import move

    target = parse_location(args.to, args.to_password_file)
    report = move(ctx.store, target, ctx.user, os.environ.get("SSLTERM_PASSPHRASE") or None, key_file_from_env(), ctx.clock.now())
    rows = report.rows
    print(f"copied {rows['certificate']} certificates, {rows['event']} history events, {rows['endpoint']} endpoints, "
          f"{rows['deploytarget']} deploy targets and {rows['channel']} channels to {safe(str(report.target))}")
    print(f"verified: every table equal to the source, row by row; {report.keys} keys and secrets decrypt from the copy")
    where = "its first key slot (your SSLTERM_PASSPHRASE or SSLTERM_KEY_FILE)" if not target.is_sqlite else "its key file beside it"
    if report.keys:
        print(f"the data key is in {where}")
    print(f"the source {safe(str(ctx.location))} is unchanged; point --db or SSLTERM_DB at the copy to use it")
    return 0
