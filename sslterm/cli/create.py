"""sslterm new and sslterm demo."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sslterm.cli.context import Context
from sslterm.cli.output import safe
from sslterm.core.clock import parse_moment
from sslterm.core.errors import InputError
from sslterm.core.files import ensure_private_dir, safe_filename, write_file
from sslterm.core.generate import subject_request, validity
from sslterm.store.creating import create_request, create_self_signed


def cmd_new(ctx: Context, args: argparse.Namespace) -> int:
    now = ctx.clock.now()
    req = subject_request(
        args.domain, args.san, country=args.country, region=args.region, city=args.city,
        organization=args.org, unit=args.unit, email=args.email, key_type=args.key_type,
    )
    owner = args.owner or ctx.user
    if args.kind == "acme":
        return _new_acme(ctx, args, owner, now)
    if args.webroot or args.standalone is not None or args.ca_bundle:
        raise InputError("--webroot, --standalone and --ca-bundle belong to 'sslterm new acme'")
    if args.kind == "csr":
        if args.days or args.not_before or args.not_after:
            raise InputError("a CSR carries no dates: the CA sets them (drop --days/--not-before/--not-after)")
        record, csr_pem = create_request(ctx.store, req, owner=owner, now=now, name=args.name)
        print(f"created request {record.id} for {safe(record.domain)} (pending until the issued certificate is imported)")
        if args.out:
            out = Path(args.out).expanduser()
            ensure_private_dir(out)
            path = write_file(out, f"{safe_filename(record.name)}.csr", csr_pem, 0o644)
            print(f"wrote {safe(path)}")
        else:
            print(csr_pem.decode(), end="")
        return 0
    if args.days is not None and (args.not_before or args.not_after):
        raise InputError("give either --days or --not-before/--not-after, not both")
    period = validity(
        now, days=args.days,
        not_before=parse_moment(args.not_before, "--not-before") if args.not_before else None,
        not_after=parse_moment(args.not_after, "--not-after") if args.not_after else None,
    )
    record = create_self_signed(ctx.store, req, period, owner=owner, now=now, name=args.name)
    print(f"created self-signed certificate {record.id} for {safe(record.domain)}, valid until {record.not_after:%Y-%m-%d}")
    return 0


def _new_acme(ctx: Context, args: argparse.Namespace, owner: str, now) -> int:  # type: ignore[no-untyped-def]
    from sslterm.autossl.client import AcmeSettings
    from sslterm.autossl.service import obtain_certificate

    if args.days or args.not_before or args.not_after:
        raise InputError("an ACME certificate's dates are set by the CA (drop --days/--not-before/--not-after)")
    if not args.email:
        raise InputError("'sslterm new acme' needs --email for the ACME account")
    if bool(args.webroot) == (args.standalone is not None):
        raise InputError("choose one challenge method: --webroot DIR or --standalone PORT")
    from sslterm.core.names import normalize_email

    settings = AcmeSettings(
        directory=args.directory, email=normalize_email(args.email),
        challenge="webroot" if args.webroot else "standalone", webroot=args.webroot,
        port=args.standalone, ca_bundle=args.ca_bundle, key_type=args.key_type,
    )

    def progress(step: str, message: str) -> None:
        print(f"{step:<10} {safe(message)}", file=sys.stderr, flush=True)

    record = obtain_certificate(ctx.store, settings, args.domain, args.san, owner=owner, now=now, name=args.name, progress=progress)
    print(f"obtained certificate {record.id} for {safe(record.domain)} (auto), valid until {record.not_after:%Y-%m-%d}")
    return 0


def cmd_demo(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.store.demo import load_demo

    count = load_demo(ctx.store, ctx.clock.now())
    print(f"demo inventory loaded: {count} certificates in {safe(str(ctx.location))}")
    return 0


def cmd_init(ctx: Context, args: argparse.Namespace) -> int:
    """Create an empty store (and its data key, wrapped with a passphrase when asked)."""
    import os

    from sslterm.cli.context import key_file_from_env
    from sslterm.core.errors import InputError
    from sslterm.store import Store

    location = ctx.location
    if location.path is not None and location.path.exists():
        raise InputError(f"a database already exists at {location.path}: nothing to do")
    passphrase = os.environ.get("SSLTERM_PASSPHRASE") or None
    key_file = key_file_from_env()
    if location.path is None and not passphrase and key_file is None:
        import sys

        if not sys.stdin.isatty():
            raise InputError("a PostgreSQL store starts with its first key slot: set SSLTERM_PASSPHRASE (or SSLTERM_KEY_FILE) "
                             "to its secret; nothing was created")
        passphrase = _ask_passphrase()
    elif args.passphrase:
        passphrase = passphrase or _ask_passphrase()
    if location.path is None:
        from sslterm.store.engines.postgres import store_exists

        if store_exists(location):
            raise InputError(f"{location} already holds an sslterm store: nothing to do")
    store = Store.open(location, ctx.user, passphrase, key_file=key_file)
    try:
        store.prepare_keys()
    finally:
        store.close()
    if location.path is None:
        how = "with the first key slot, yours (add the other operators' with 'sslterm access add')"
    elif passphrase:
        how = "with its keys wrapped by your passphrase (set SSLTERM_PASSPHRASE to use them)"
    else:
        how = "(keys encrypted with the key file beside it)"
    print(f"created {safe(str(location))} {how}")
    return 0


def _ask_passphrase() -> str:
    import getpass
    import sys

    from sslterm.core.errors import InputError

    if not sys.stdin.isatty():
        raise InputError("--passphrase needs a terminal to ask, or SSLTERM_PASSPHRASE set")
    first = getpass.getpass("Passphrase for the stored keys: ")
    if len(first) < 8:
        raise InputError("the passphrase is shorter than 8 characters")
    if getpass.getpass("Again: ") != first:
        raise InputError("the two passphrases differ: nothing was created")
    return first
