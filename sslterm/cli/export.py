"""sslterm export."""

from __future__ import annotations

import argparse
from pathlib import Path

from sslterm.cli.context import Context
from sslterm.cli.inventory import read_password
from sslterm.cli.output import safe
from sslterm.store.exporting import export_certificate


def cmd_export(ctx: Context, args: argparse.Namespace) -> int:
    import sys

    from sslterm.cli.safety import new_passphrase
    from sslterm.core.errors import InputError

    record = ctx.store.resolve(args.ref)
    pfx_password = read_password(args.password_file)
    key_passphrase = None
    if args.with_key and args.format == "pfx" and not pfx_password:
        if not sys.stdin.isatty():
            raise InputError("a PFX holding the private key needs a password: --password-file FILE")
        pfx_password = new_passphrase("Password for the PFX: ").encode()
    if args.encrypt_key:
        if not args.with_key or args.format == "pfx":
            raise InputError("--encrypt-key goes with --with-key and the pem or der format (a PFX has its own password)")
        key_passphrase = new_passphrase("Passphrase for the exported key: ").encode()
    written = export_certificate(
        ctx.store, record.id, Path(args.out).expanduser(), args.format, args.with_key,
        ctx.clock.now(), force=args.force, pfx_password=pfx_password, key_passphrase=key_passphrase,
    )
    for path in written:
        print(f"wrote {safe(path)}")
    if args.with_key and args.format != "pfx" and key_passphrase is None:
        print("note: the private key is written unencrypted (mode 0600); --encrypt-key protects it with a passphrase", file=sys.stderr)
    return 0
