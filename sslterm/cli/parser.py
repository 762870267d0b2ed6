"""The argument parser: command names and flags here are a contract scripts rely on."""

from __future__ import annotations

import argparse

from sslterm import __version__
from sslterm.cli import create, export, inventory
from sslterm.core.generate import KEY_TYPES

STATUS_CHOICES = ("all", "expired", "valid", "7d", "30d")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sslterm",
        description="Keep SSL/TLS certificates and their keys in one place. Without a command, opens the TUI.",
    )
    parser.add_argument("--db", metavar="PATH", help="database file (default: $SSLTERM_DB or the user data directory)")
    parser.add_argument("--version", action="version", version=f"sslterm {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="COMMAND")

    p = verbs.add_parser("import", help="import certificates, keys and chains from files or directories")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--key", metavar="FILE", help="private key for the certificate(s)")
    p.add_argument("--chain", metavar="FILE", help="chain (intermediate certificates)")
    p.add_argument("--owner", metavar="NAME", help="owner (default: the current OS user)")
    p.add_argument("--name", metavar="NAME", help="certificate name (only when importing one certificate)")
    p.add_argument("--password-file", metavar="FILE", help="file holding the password of encrypted keys or PKCS#12 files")
    p.set_defaults(handler=inventory.cmd_import)

    p = verbs.add_parser("list", help="list certificates")
    p.add_argument("--status", choices=STATUS_CHOICES, default="all")
    p.add_argument("--search", metavar="TEXT", default="", help="match any name of the certificate (case-insensitive)")
    p.add_argument("--owner", metavar="NAME")
    p.add_argument("--sort", choices=("urgency", "domain", "name", "created_at", "updated_at", "not_after", "type", "owner"), default="urgency")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.set_defaults(handler=inventory.cmd_list)

    p = verbs.add_parser("show", help="show one certificate")
    p.add_argument("ref", metavar="ID|DOMAIN")
    p.add_argument("--format", choices=("text", "json", "pem"), default="text")
    p.set_defaults(handler=inventory.cmd_show)

    p = verbs.add_parser("history", help="every certificate event for a domain, newest first")
    p.add_argument("domain", metavar="DOMAIN")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=inventory.cmd_history)

    p = verbs.add_parser("export", help="write a certificate (and optionally its key) to files")
    p.add_argument("ref", metavar="ID|DOMAIN")
    p.add_argument("--out", metavar="DIR", required=True)
    p.add_argument("--format", choices=("pem", "der", "pfx"), default="pem")
    p.add_argument("--with-key", action="store_true", help="also write the private key (0600)")
    p.add_argument("--password-file", metavar="FILE", help="encrypt the .pfx with the password in FILE")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(handler=export.cmd_export)

    p = verbs.add_parser("new", help="create a self-signed certificate or a certificate request (CSR)")
    p.add_argument("kind", choices=("self-signed", "csr"))
    p.add_argument("--domain", required=True)
    p.add_argument("--san", action="append", default=[], metavar="NAME", help="additional name (repeatable; wildcards and IPs allowed)")
    p.add_argument("--key-type", choices=KEY_TYPES, default="rsa2048")
    p.add_argument("--country", metavar="CC")
    p.add_argument("--region", metavar="R")
    p.add_argument("--city", metavar="C")
    p.add_argument("--org", metavar="O")
    p.add_argument("--unit", metavar="U")
    p.add_argument("--email", metavar="E")
    p.add_argument("--days", type=int, metavar="N", help="validity in days (default 365)")
    p.add_argument("--not-before", metavar="DATE")
    p.add_argument("--not-after", metavar="DATE")
    p.add_argument("--owner", metavar="NAME")
    p.add_argument("--name", metavar="NAME")
    p.add_argument("--out", metavar="DIR", help="csr: also write <name>.csr to DIR")
    p.set_defaults(handler=create.cmd_new)

    p = verbs.add_parser("delete", help="delete (archive) a certificate; its history is kept")
    p.add_argument("ref", metavar="ID|DOMAIN")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.set_defaults(handler=inventory.cmd_delete)

    p = verbs.add_parser("demo", help="fill the database with a realistic demo inventory")
    p.set_defaults(handler=create.cmd_demo)
    return parser
