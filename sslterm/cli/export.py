"""sslterm export."""

from __future__ import annotations

import argparse
from pathlib import Path

from sslterm.cli.context import Context
from sslterm.cli.inventory import read_password
from sslterm.cli.output import safe
from sslterm.store.exporting import export_certificate


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    record = ctx.store.resolve(args.ref)
    written = export_certificate(
        ctx.store, record.id, Path(args.out).expanduser(), args.format, args.with_key,
        ctx.clock.now(), force=args.force, pfx_password=read_password(args.password_file),
    )
    for path in written:
        print(f"wrote {safe(path)}")
    return 0
