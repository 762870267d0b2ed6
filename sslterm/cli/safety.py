"""sslterm backup, restore and passphrase: the store's safety net and its keys' protection."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from sslterm.cli.context import Context
from sslterm.cli.output import safe
from sslterm.core.errors import InputError
from sslterm.store.backup import backup, restore, verify_copy


def new_passphrase(prompt: str = "New passphrase for the stored keys: ") -> str:
    """``$SSLTERM_NEW_PASSPHRASE``, or asked twice on the terminal; at least 8 characters."""
    given = os.environ.get("SSLTERM_NEW_PASSPHRASE")
    if given is None:
        if not sys.stdin.isatty():
            raise InputError("no terminal to ask for the new passphrase: set SSLTERM_NEW_PASSPHRASE")
        given = getpass.getpass(prompt)
        if getpass.getpass("Again: ") != given:
            raise InputError("the two passphrases differ: nothing was changed")
    if len(given) < 8:
        raise InputError("the passphrase is shorter than 8 characters: nothing was changed")
    return given


def _current_passphrase(ctx: Context) -> None:
    """Unlock the store's keys with ``$SSLTERM_PASSPHRASE``, or ask for it (the old one is always needed)."""
    vault = ctx.store.vault
    if vault.wrapped and not os.environ.get("SSLTERM_PASSPHRASE"):
        if not sys.stdin.isatty():
            raise InputError("the keys are passphrase-protected: set SSLTERM_PASSPHRASE to the current passphrase")
        vault._passphrase = getpass.getpass("Current passphrase: ")  # noqa: SLF001 - the vault asks nobody itself
    vault.data_key()  # a wrong passphrase stops here, before anything is written


def cmd_passphrase(ctx: Context, args: argparse.Namespace) -> int:
    if not ctx.location.is_sqlite:
        raise InputError("a PostgreSQL store's keys are under key slots, one per operator: "
                         "use 'sslterm access add' for a new passphrase and 'sslterm access remove' for an old one")
    vault = ctx.store.vault
    if args.action == "set" and vault.wrapped:
        raise InputError("the keys already have a passphrase: use 'sslterm passphrase change'")
    if args.action in ("change", "remove") and not vault.wrapped:
        raise InputError("the keys have no passphrase: use 'sslterm passphrase set'")
    _current_passphrase(ctx)
    passphrase = None if args.action == "remove" else new_passphrase()
    ctx.store.rewrap_keys(passphrase)
    done = {"set": "the data key is now wrapped with the passphrase", "change": "the passphrase is changed",
            "remove": "the passphrase is removed: the key file alone now decrypts the stored keys"}[args.action]
    print(f"{done} ({safe(vault.key_path)}); set SSLTERM_PASSPHRASE to read keys" if passphrase else f"{done} ({safe(vault.key_path)})")
    return 0


def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    from pathlib import Path

    passphrase = new_passphrase("Passphrase for the backup's key file: ") if args.passphrase else None
    store = ctx.store
    target = backup(store.db.connection(), ctx.db_path, store.vault, Path(args.path), passphrase, args.force)
    print(f"backed up {safe(ctx.db_path)} to {safe(target)} (0600), its data key to {safe(target)}.key"
          + (" wrapped with the backup's passphrase" if passphrase else ""))
    if args.verify:
        check = verify_copy(target, passphrase or os.environ.get("SSLTERM_PASSPHRASE"))
        print(f"verified: integrity ok, {check.certificates} certificates, {check.keys} keys decrypt, {check.events} events, history chain intact")
    return 0


def cmd_restore(ctx: Context, args: argparse.Namespace) -> int:
    from pathlib import Path

    store = ctx.store
    restore(Path(args.path), store.db.connection(), ctx.db_path, args.force)
    print(f"restored {safe(ctx.db_path)} from {safe(args.path)}")
    return 0
