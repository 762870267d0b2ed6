"""The argument parser: command names and flags here are a contract scripts rely on."""

from __future__ import annotations

import argparse
import importlib
from typing import Any, Callable, Sequence

from sslterm import __version__
from sslterm.core.endpoints import PROTOCOLS
from sslterm.core.keytypes import KEY_TYPES


def _command(module: str, name: str) -> Callable[[Any, argparse.Namespace], int]:
    """The handler ``sslterm.cli.<module>.<name>``, imported only when its command runs.

    Importing every command (cryptography, the ACME client, the checker) cost
    ~0.15 s on each start, which the TUI's first paint paid for nothing.
    """

    def run(ctx: Any, args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(f"sslterm.cli.{module}"), name)(ctx, args)  # type: ignore[no-any-return]

    run.__qualname__ = f"{module}.{name}"
    return run


STATUS_CHOICES = ("all", "expired", "valid", "7d", "30d")


class _Verbs:
    """The commands of the parser, of which only ``wanted`` is built when it is given.

    Building every command's parser took ~20 ms of each run (argparse asks gettext
    for a translation of each message, with a few file lookups each time), a tenth
    of a ``check --domain`` that Nagios runs every minute per service.
    """

    def __init__(self, commands: Any, wanted: str | None) -> None:
        self._commands, self.wanted = commands, wanted
        self.seen: list[str] = []

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        self.seen.append(name)
        if self.wanted is None or name == self.wanted:
            return self._commands.add_parser(name, **kwargs)
        return _UNBUILT


class _Unbuilt:
    """A command not being run: what would configure it does nothing."""

    def __getattr__(self, name: str) -> Callable[..., _Unbuilt]:
        return lambda *args, **kwargs: self


_UNBUILT = _Unbuilt()
_GLOBAL_VALUES = ("--db", "--db-password-file", "--check-interval")  # global options that take the next token


def command_of(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs (its first word that is not a global option), or None (the TUI, or help)."""
    tokens = iter(argv)
    for token in tokens:
        if token in ("-h", "--help", "--"):
            return None
        if token in _GLOBAL_VALUES:
            next(tokens, None)
        elif not token.startswith("-"):
            return token
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The parser for ``argv``: with only the command it runs (every command when it names none, or an unknown one)."""
    wanted = command_of(argv) if argv is not None else None
    parser, verbs = _build(wanted)
    if wanted is not None and wanted not in verbs.seen:
        parser, _ = _build(None)  # a mistyped command: argparse lists them all
    return parser


def _epilog() -> str:
    """The top-level help's last words: which database a command without --db uses."""
    from sslterm.core.errors import InputError
    from sslterm.store.engines import location_from

    try:
        where = str(location_from(None))
    except InputError:
        where = "what $SSLTERM_DB names (it is not a valid path or URL)"
    return f"The database is {where} (change it with --db PATH|URL or $SSLTERM_DB). 'sslterm COMMAND --help' tells more about each command."


def _build(wanted: str | None) -> tuple[argparse.ArgumentParser, _Verbs]:
    parser = argparse.ArgumentParser(
        prog="sslterm",
        description="Keep SSL/TLS certificates and their keys in one place. Without a command, opens the TUI.",
        epilog=_epilog() if wanted is None else None,  # shown only by the top level's help, which builds every command
    )
    parser.add_argument("--db", metavar="PATH|URL",
                        help="database file, or postgresql://user@host:port/dbname for a team's store; before or after the command "
                             "(default: $SSLTERM_DB or the user data directory)")
    parser.add_argument("--db-password-file", metavar="FILE",
                        help="a PostgreSQL store's password, on the file's first line (default: ~/.pgpass or $PGPASSFILE; never on the command line)")
    parser.add_argument("--version", action="version", version=f"sslterm {__version__}")
    parser.add_argument("--check-interval", type=float, default=600, metavar="SECONDS", help="TUI: seconds between background checks (0: off; default 600)")
    verbs = _Verbs(parser.add_subparsers(dest="verb", metavar="COMMAND"), wanted)

    p = verbs.add_parser("import", help="import certificates, keys and chains from files or directories")
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--key", metavar="FILE", help="private key for the certificate(s)")
    p.add_argument("--chain", metavar="FILE", help="chain (intermediate certificates)")
    p.add_argument("--owner", metavar="NAME", help="owner (default: the current OS user)")
    p.add_argument("--name", metavar="NAME", help="certificate name (only when importing one certificate)")
    p.add_argument("--password-file", metavar="FILE",
                   help="file holding the password of encrypted keys, PKCS#12 files or JKS/JCEKS keystores (the store password)")
    p.add_argument("--key-password-file", metavar="FILE",
                   help="keystore entries whose key has its own password: ALIAS=PASSWORD lines (or one line for every entry)")
    p.add_argument("--no-ca", dest="track_ca", action="store_false",
                   help="keep CA certificates that chain no leaf as chain material only, instead of tracking them as type ca")
    p.add_argument("--no-supersede", dest="supersede", action="store_false",
                   help="never treat a certificate as a new version of a stored one (two live certificates with the same names)")
    p.set_defaults(handler=_command("inventory", "cmd_import"))

    p = verbs.add_parser("list", help="list certificates")
    p.add_argument("--status", choices=STATUS_CHOICES, default="all")
    p.add_argument("--search", metavar="TEXT", default="", help="match any name of the certificate (case-insensitive)")
    p.add_argument("--owner", metavar="NAME")
    p.add_argument("--sort", choices=("urgency", "domain", "name", "created_at", "updated_at", "not_after", "type", "owner"), default="urgency")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--all-versions", action="store_true", help="include the archived versions of every lineage")
    p.set_defaults(handler=_command("inventory", "cmd_list"))

    p = verbs.add_parser("show", help="show one certificate")
    p.add_argument("ref", metavar="ID|DOMAIN")
    p.add_argument("--format", choices=("text", "json", "pem"), default="text")
    p.set_defaults(handler=_command("inventory", "cmd_show"))

    p = verbs.add_parser("history", help="every version of a domain's certificates, then every event, newest first")
    p.add_argument("domain", metavar="DOMAIN", nargs="?", help="the domain (not needed with --verify)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--verify", action="store_true", help="check the hash chain of the whole history; exit 1 at the first broken link")
    p.set_defaults(handler=_command("inventory", "cmd_history"))

    p = verbs.add_parser("export", help="write a certificate (and optionally its key) to files")
    p.add_argument("ref", metavar="ID|DOMAIN")
    p.add_argument("--out", metavar="DIR", required=True)
    p.add_argument("--format", choices=("pem", "der", "pfx", "k8s-secret"), default="pem",
                   help="k8s-secret: a kubernetes.io/tls Secret YAML for 'kubectl apply -f' (needs --with-key)")
    p.add_argument("--with-key", action="store_true", help="also write the private key (0600)")
    p.add_argument("--password-file", metavar="FILE", help="encrypt the .pfx with the password in FILE (asked when it holds the key)")
    p.add_argument("--encrypt-key", action="store_true", help="pem/der: encrypt the key file with a passphrase ($SSLTERM_NEW_PASSPHRASE or asked)")
    p.add_argument("--force", action="store_true", help="overwrite existing files")
    p.set_defaults(handler=_command("export", "cmd_export"))

    p = verbs.add_parser("new", help="create a self-signed certificate, a certificate request (CSR), or obtain one by ACME")
    p.add_argument("kind", choices=("self-signed", "csr", "acme"))
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
    acme = p.add_argument_group("acme (Auto SSL)")
    acme.add_argument("--directory", metavar="URL", default="letsencrypt",
                      help="ACME directory: letsencrypt (default), letsencrypt-staging, or any URL (ZeroSSL, step-ca, a company CA)")
    acme.add_argument("--webroot", metavar="DIR", help="answer http-01 by writing DIR/.well-known/acme-challenge/<token>")
    acme.add_argument("--standalone", type=int, metavar="PORT", help="answer http-01 with a built-in HTTP responder on PORT")
    acme.add_argument("--ca-bundle", metavar="FILE", help="CA certificates to trust for a private ACME server's HTTPS")
    p.set_defaults(handler=_command("create", "cmd_new"))

    p = verbs.add_parser("delete", help="delete (archive) a certificate; its history is kept")
    p.add_argument("ref", metavar="ID|DOMAIN")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p.add_argument("--purge", action="store_true", help="also destroy the private keys of the certificate and all its versions")
    p.set_defaults(handler=_command("inventory", "cmd_delete"))

    p = verbs.add_parser("check", help="renew what is due, probe endpoints, report (exit 0 OK, 1 WARNING, 2 CRITICAL)")
    p.add_argument("--renew", action=argparse.BooleanOptionalAction, default=True, help="renew renewable certificates in their window (default: on)")
    p.add_argument("--probe", action=argparse.BooleanOptionalAction, default=True, help="probe the endpoints operators entered (default: on)")
    p.add_argument("--deploy", action=argparse.BooleanOptionalAction, default=True, help="deploy new versions to their targets (default: on)")
    p.add_argument("--warn-days", type=int, metavar="N",
                   help="WARNING at min(N days, a third of the lifetime) left (default: 'sslterm thresholds', 30)")
    p.add_argument("--crit-days", type=int, metavar="N",
                   help="CRITICAL at min(N days, a sixth of the lifetime) left (default: 'sslterm thresholds', 7)")
    p.add_argument("--ca-bundle", metavar="FILE", help="PEM file of CA certificates to trust besides the system's")
    one = p.add_mutually_exclusive_group()
    one.add_argument("--domain", metavar="DOMAIN", help="check one domain only, Nagios plugin style (nothing renewed, deployed or sent)")
    one.add_argument("--endpoint", metavar="HOST[:PORT]", help="check one endpoint only, Nagios plugin style (smtp://HOST[:PORT] for STARTTLS)")
    p.add_argument("--sni", metavar="NAME", help="with --endpoint, for one not registered: the server name to send and verify")
    p.add_argument("--protocol", choices=PROTOCOLS, help="with --endpoint, for one not registered: what it speaks before TLS "
                   "(default: from its URL or well-known port, else tls)")
    p.add_argument("--notify", action=argparse.BooleanOptionalAction, default=True, help="send notifications to the channels (default: on)")
    p.add_argument("--resend-hours", type=float, default=24, metavar="H", help="remind of an unresolved CRITICAL finding every H hours (default 24)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--watch", action="store_true", help="repeat every --interval seconds until stopped (for systemd)")
    p.add_argument("--interval", type=float, default=600, metavar="SECONDS", help="seconds between passes with --watch (default 600)")
    p.add_argument("--concurrency", type=int, default=64, metavar="N", help="probes at once (default 64)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="connect and handshake timeout per probe (default 5)")
    p.add_argument("--lease", type=float, default=600, metavar="SECONDS",
                   help="with several checkers on one store: how long a claimed renewal, deploy or probe is held against the others "
                        "(a checker that dies frees its claims after this; default 600)")
    p.set_defaults(handler=_command("checking", "cmd_check"))

    p = verbs.add_parser("endpoint", help="manage the endpoints the checker probes")
    ends = p.add_subparsers(dest="endpoint_verb", metavar="ACTION", required=True)
    e = ends.add_parser("add", help="probe HOST[:PORT] for DOMAIN (smtp://HOST[:PORT] and the like for STARTTLS)")
    e.add_argument("domain", metavar="DOMAIN")
    e.add_argument("address", metavar="HOST[:PORT]")
    e.add_argument("--sni", metavar="NAME", help="server name to send (default: the host, or the domain for an IP)")
    e.add_argument("--protocol", choices=PROTOCOLS,
                   help="what the server speaks before TLS (default: from the URL or the well-known port, else tls)")
    e.add_argument("--ca-bundle", metavar="FILE", help="PEM file of CA certificates to trust for this endpoint (a private CA)")
    e.set_defaults(handler=_command("checking", "cmd_endpoint_add"))
    e = ends.add_parser("import", help="add or update endpoints from a file: CSV (domain,host,port,sni,protocol) "
                        "or one 'DOMAIN HOST[:PORT] [--sni NAME] [--protocol P]' per line")
    e.add_argument("file", metavar="FILE", help="the file ('-' reads standard input)")
    e.add_argument("--format", choices=("text", "json"), default="text")
    e.set_defaults(handler=_command("checking", "cmd_endpoint_import"))
    e = ends.add_parser("list", help="list endpoints and their last probe")
    e.add_argument("--format", choices=("table", "json", "csv"), default="table", help="csv is what 'endpoint import' reads")
    e.set_defaults(handler=_command("checking", "cmd_endpoint_list"))
    e = ends.add_parser("remove", help="stop probing HOST[:PORT] for DOMAIN")
    e.add_argument("domain", metavar="DOMAIN")
    e.add_argument("address", metavar="HOST[:PORT]")
    e.set_defaults(handler=_command("checking", "cmd_endpoint_remove"))

    p = verbs.add_parser("discover", help="take in what servers already use: nginx, apache, haproxy, or scan hosts")
    finds = p.add_subparsers(dest="discover_verb", metavar="SOURCE", required=True)
    for server, config_help in (("nginx", "read these files instead of running 'nginx -T'"),
                                ("apache", "read this apache2.conf / httpd.conf (default: the one apachectl -V names)"),
                                ("haproxy", "the HAProxy configuration (default /etc/haproxy/haproxy.cfg)")):
        f = finds.add_parser(server, help=f"import the certificates {server} serves, add its endpoints, propose deploy targets")
        f.add_argument("--config", metavar="FILE", default="/etc/haproxy/haproxy.cfg" if server == "haproxy" else None, help=config_help)
        if server == "nginx":
            f.add_argument("--nginx", metavar="BINARY", help="the nginx to run (default: nginx on PATH)")
        if server == "apache":
            f.add_argument("--apachectl", metavar="BINARY", help="the apachectl to ask (default: apache2ctl or apachectl on PATH)")
        f.add_argument("--dry-run", action="store_true", help="show what was found and what would be added; change nothing")
        f.add_argument("--yes", action="store_true", help="add the proposed deploy targets without asking (for scripts)")
        f.add_argument("--owner", metavar="USER", help="owner of imported certificates (default: you)")
        f.set_defaults(handler=_command("discovering", f"cmd_discover_{server}"))
    f = finds.add_parser("scan", help="probe HOST... on --ports and track what each serves (certificates and endpoints)")
    f.add_argument("hosts", metavar="HOST", nargs="+", help="host names, IP addresses or an IPv4 network (10.0.0.0/28)")
    f.add_argument("--ports", default="443", metavar="LIST", help="ports to probe, e.g. 443,8443,25 (default 443); 25, 587, 143 … speak STARTTLS")
    f.add_argument("--max", type=int, default=4096, metavar="N", help="refuse a scan of more than N host:port pairs (default 4096)")
    f.add_argument("--concurrency", type=int, default=64, metavar="N", help="probes at once (default 64)")
    f.add_argument("--timeout", type=float, default=5.0, metavar="SECONDS", help="connect and handshake timeout per probe (default 5)")
    f.add_argument("--dry-run", action="store_true", help="probe and show what was found; store nothing")
    f.add_argument("--owner", metavar="USER", help="owner of the tracked certificates (default: you)")
    f.set_defaults(handler=_command("discovering", "cmd_discover_scan"))

    p = verbs.add_parser("deploy", help="write each new version where it is served, reload, verify (try --dry-run first)")
    deploys = p.add_subparsers(dest="deploy_verb", metavar="ACTION", required=True)
    d = deploys.add_parser("add", help="add a deploy target to a certificate's lineage")
    d.add_argument("ref", metavar="ID|DOMAIN")
    for part, what in (("cert", "the certificate"), ("key", "the private key (0600)"), ("chain", "the chain"),
                       ("fullchain", "certificate and chain"), ("combined", "key, certificate and chain in one file (HAProxy)"),
                       ("pfx", "PKCS#12 with key and chain (needs --password-file)")):
        d.add_argument(f"--{part}", metavar="PATH", help=f"write {what} to PATH")
    d.add_argument("--password-file", metavar="FILE", help="the PFX password (stored encrypted)")
    d.add_argument("--owner", metavar="USER", help="owner of the written files")
    d.add_argument("--group", metavar="GROUP", help="group of the written files")
    d.add_argument("--mode", metavar="MODE", help="mode of certificate files (default 0644)")
    d.add_argument("--key-mode", metavar="MODE", help="mode of key, combined and PFX files (default 0600; never readable by others)")
    d.add_argument("--check", metavar="CMD", help="run before the reload; a failure restores the previous files (e.g. 'nginx -t')")
    d.add_argument("--reload", metavar="CMD", help="how the service picks up the files (e.g. 'systemctl reload nginx')")
    d.add_argument("--shell", action="store_true", help="run --check and --reload through /bin/sh (default: split into argv)")
    d.add_argument("--timeout", type=int, default=30, metavar="S", help="seconds each command may take (default 30)")
    d.set_defaults(handler=_command("deploying", "cmd_deploy_add"))
    d = deploys.add_parser("list", help="list deploy targets and their last deploy")
    d.add_argument("--format", choices=("table", "json"), default="table")
    d.set_defaults(handler=_command("deploying", "cmd_deploy_list"))
    d = deploys.add_parser("remove", help="remove a deploy target (the files it wrote stay)")
    d.add_argument("target", metavar="TARGET")
    d.set_defaults(handler=_command("deploying", "cmd_deploy_remove"))
    d = deploys.add_parser("run", help="deploy now (exit 0 verified, 1 unverified, 2 failed)")
    d.add_argument("ref", metavar="ID|DOMAIN", nargs="?", default="", help="a certificate's targets (or target:N for one target)")
    d.add_argument("--all", action="store_true", help="every target")
    d.add_argument("--target", action="store_true", help="REF is a target id")
    d.add_argument("--dry-run", action="store_true", help="print what would be written and run; write and run nothing")
    d.set_defaults(handler=_command("deploying", "cmd_deploy_run"))

    p = verbs.add_parser("renewal-window", help="show or set how many days before expiry renewal starts")
    p.add_argument("--days", type=int, metavar="N", help="new window in days")
    p.add_argument("--cert", metavar="ID|DOMAIN", help="one certificate instead of the default")
    p.add_argument("--default", action="store_true", help="with --cert: go back to the default window")
    p.set_defaults(handler=_command("checking", "cmd_renewal_window"))

    p = verbs.add_parser("thresholds", help="show or set when a certificate is a warning or critical finding")
    p.add_argument("--warn-days", type=int, metavar="N", help="warning at min(N days, a third of the lifetime); with --cert: exactly N")
    p.add_argument("--crit-days", type=int, metavar="N", help="critical at min(N days, a sixth of the lifetime); with --cert: exactly N")
    p.add_argument("--cert", metavar="ID|DOMAIN", help="the certificate's lineage instead of the global setting")
    p.add_argument("--default", action="store_true", help="go back to the default (30 and 7 days, scaled with the lifetime)")
    p.set_defaults(handler=_command("alerting", "cmd_thresholds"))

    p = verbs.add_parser("notify", help="manage where notifications go (any apprise URL: mailto://, json://, slack://, ...)")
    notes = p.add_subparsers(dest="notify_verb", metavar="ACTION", required=True)
    n = notes.add_parser("add", help="add a channel")
    n.add_argument("url", metavar="URL", help="an apprise URL, e.g. mailtos://user@smtp.example.com?to=ops@example.com")
    n.add_argument("--owner", metavar="NAME", help="only the certificates of this owner (seed 000's Username)")
    n.add_argument("--label", metavar="TEXT", default="", help="a name for the channel")
    n.add_argument("--min-severity", choices=("warning", "critical"), default="warning", help="the least severe finding sent (default warning)")
    n.add_argument("--password-file", metavar="FILE", help="the URL user's password (stored encrypted, never shown)")
    n.set_defaults(handler=_command("alerting", "cmd_notify_add"))
    n = notes.add_parser("list", help="list channels, their last send and what waits in the outbox")
    n.add_argument("--format", choices=("table", "json"), default="table")
    n.set_defaults(handler=_command("alerting", "cmd_notify_list"))
    n = notes.add_parser("remove", help="remove a channel (its unsent messages go with it)")
    n.add_argument("id", metavar="ID", type=int)
    n.set_defaults(handler=_command("alerting", "cmd_notify_remove"))
    n = notes.add_parser("test", help="send a sample message through a channel and print its answer")
    n.add_argument("id", metavar="ID", type=int)
    n.set_defaults(handler=_command("alerting", "cmd_notify_test"))

    p = verbs.add_parser("problems", help="every open finding, most severe first (as the last checker pass left them)")
    probs = p.add_subparsers(dest="problems_verb", metavar="ACTION")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.set_defaults(handler=_command("alerting", "cmd_problems"))
    a = probs.add_parser("ack", help="acknowledge a finding: no reminders until DATE or until it changes")
    a.add_argument("key", metavar="KEY", help="the finding's key (see 'sslterm problems --format json')")
    a.add_argument("--until", metavar="YYYY-MM-DD", help="end of the acknowledgement (default: until the finding changes)")
    a.set_defaults(handler=_command("alerting", "cmd_problems_ack"))

    p = verbs.add_parser("metrics", help="Prometheus metrics of the store (stdout, a textfile, or served)")
    out = p.add_mutually_exclusive_group()
    out.add_argument("--textfile", metavar="PATH", help="write node_exporter's textfile atomically")
    out.add_argument("--listen", metavar="HOST:PORT", help="serve /metrics on HOST:PORT until stopped")
    p.set_defaults(handler=_command("metrics", "cmd_metrics"))

    p = verbs.add_parser("init", help="create an empty database (every command but import, new and demo needs one)")
    p.add_argument("--passphrase", action="store_true", help="wrap the data key with a passphrase ($SSLTERM_PASSPHRASE, or asked)")
    p.set_defaults(handler=_command("create", "cmd_init"))

    p = verbs.add_parser("backup", help="a consistent copy of the store and its data key, while it is in use")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--passphrase", action="store_true", help="wrap the copy's data key with a passphrase of its own ($SSLTERM_NEW_PASSPHRASE or asked)")
    p.add_argument("--verify", action="store_true", help="open the copy and decrypt every key in it")
    p.add_argument("--force", action="store_true", help="replace an existing file at PATH")
    p.set_defaults(handler=_command("safety", "cmd_backup"))

    p = verbs.add_parser("restore", help="replace the store with a backup (refuses a newer store without --force)")
    p.add_argument("path", metavar="PATH")
    p.add_argument("--force", action="store_true", help="restore even over a store with newer history")
    p.set_defaults(handler=_command("safety", "cmd_restore"))

    p = verbs.add_parser("passphrase", help="set, change or remove the passphrase that wraps the data key")
    p.add_argument("action", choices=("set", "change", "remove"))
    p.set_defaults(handler=_command("safety", "cmd_passphrase"))

    p = verbs.add_parser("access", help="a team store's key slots: who can open the stored keys (PostgreSQL)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    a = actions.add_parser("list", help="the key slots: label, kind, when and by whom added")
    a.add_argument("--format", choices=("table", "json"), default="table")
    a.set_defaults(handler=_command("team", "cmd_access_list"))
    a = actions.add_parser("add", help="a slot for another operator: a passphrase ($SSLTERM_NEW_PASSPHRASE or asked) or a key file")
    a.add_argument("label", metavar="LABEL", help="who or what the slot is for (a name, a checker's host)")
    a.add_argument("--key-file", metavar="FILE", help="the slot opens with this file's bytes (at least 32) instead of a passphrase")
    a.add_argument("--new", action="store_true", help="with --key-file: write a fresh 64-byte key file there first (0600)")
    a.set_defaults(handler=_command("team", "cmd_access_add"))
    a = actions.add_parser("remove", help="remove a slot, then rotate the data key so that slot opens nothing still stored")
    a.add_argument("label", metavar="LABEL")
    a.set_defaults(handler=_command("team", "cmd_access_remove"))
    a = actions.add_parser("rotate", help="a new data key: every stored key re-encrypted, sealed to every slot")
    a.set_defaults(handler=_command("team", "cmd_access_rotate"))

    p = verbs.add_parser("migrate", help="copy the whole store to another database (SQLite <-> PostgreSQL) and verify the copy")
    p.add_argument("--to", required=True, metavar="URL", help="postgresql://user@host:port/dbname (an empty database) or sqlite:PATH (a new file)")
    p.add_argument("--to-password-file", metavar="FILE", help="the target PostgreSQL server's password (default: ~/.pgpass or $PGPASSFILE)")
    p.set_defaults(handler=_command("team", "cmd_migrate"))

    p = verbs.add_parser("demo", help="fill the database with a realistic demo inventory")
    p.set_defaults(handler=_command("create", "cmd_demo"))
    return parser, verbs
