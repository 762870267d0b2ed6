"""sslterm check, sslterm endpoint and sslterm renewal-window."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import threading
from pathlib import Path

from sslterm.cli.context import Context
from sslterm.cli.output import safe, table, to_csv, to_json
from sslterm.core.endpoints import parse_address
from sslterm.core.records import iso
from sslterm.store.checks import CheckStore, outcome_summary


def cmd_check(ctx: Context, args: argparse.Namespace) -> int:
    from datetime import timedelta

    from sslterm.checker.run import CheckOptions, check_pass
    from sslterm.core.errors import InputError
    from sslterm.core.trust import load_ca_bundle
    from sslterm.store.claims import default_holder

    if args.warn_days is not None and args.crit_days is not None and args.crit_days > args.warn_days:
        raise InputError("--crit-days must not be larger than --warn-days")
    if args.resend_hours <= 0:
        raise InputError("--resend-hours must be more than 0")
    bundle = tuple(load_ca_bundle(args.ca_bundle)) if args.ca_bundle else ()
    options = CheckOptions(renew=args.renew, probe=args.probe, deploy=args.deploy, warn_days=args.warn_days, crit_days=args.crit_days,
                           concurrency=args.concurrency, timeout=args.timeout, ca_bundle=bundle, notify=args.notify,
                           domain=args.domain, endpoint=args.endpoint, sni=args.sni, protocol=args.protocol,
                           resend=timedelta(hours=args.resend_hours), holder=default_holder(), lease=timedelta(seconds=args.lease))
    if not args.watch or options.single:
        report = asyncio.run(check_pass(ctx.store, ctx.clock.now(), options))
        _print_report(report, args.format)
        return report.exit_code
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.is_set():
        report = asyncio.run(check_pass(ctx.store, ctx.clock.now(), options))
        _print_report(report, args.format)
        sys.stdout.flush()
        stop.wait(args.interval)
    return 0


def _print_report(report, fmt: str) -> None:  # type: ignore[no-untyped-def]
    if fmt == "json":
        print(to_json(report.to_json()))
        return
    print(safe(report.summary()))
    if report.target is not None:  # Nagios: one line, then the other findings as long output
        from sslterm.core.findings import by_urgency

        for problem in by_urgency(report.problems)[1:]:
            print(f"{problem.severity:<8}  {problem.kind:<14}  {safe(problem.domain)}: {safe(problem.message)}")
        return
    for renewal in report.renewals:
        print(f"renewed   {safe(renewal.domain)}: certificate {renewal.old_id} -> {renewal.new_id}, expires {renewal.not_after:%Y-%m-%d}")
    for done in report.deployments:
        print(f"deploy    {safe(done.domain)}: target {done.target_id} {done.result}: {safe(done.message)}")
    from sslterm.core.findings import by_urgency

    for problem in by_urgency(report.problems):  # most urgent first, as the Problems screen
        where = f" {problem.endpoint}" if problem.endpoint else ""
        print(f"{problem.severity:<8}  {problem.kind:<14}  {safe(problem.domain)}{safe(where)}: {safe(problem.message)}")


def cmd_endpoint_add(ctx: Context, args: argparse.Namespace) -> int:
    where = parse_address(args.address, args.protocol)
    bundle = _bundle_path(args.ca_bundle) if args.ca_bundle else None
    record = CheckStore(ctx.store).add_endpoint(args.domain, where.host, where.port, args.sni, ctx.clock.now(), ca_bundle=bundle,
                                                protocol=where.protocol)
    print(f"added endpoint {safe(record.url)} for {safe(record.domain)}" + (f" (SNI {safe(record.sni)})" if record.sni else ""))
    return 0


def _bundle_path(path: str) -> str:
    """A CA bundle's absolute path, refused now (not at the first probe) if it is not a bundle."""
    from sslterm.core.trust import load_ca_bundle

    load_ca_bundle(path)
    return str(Path(path).expanduser().resolve())


def cmd_endpoint_import(ctx: Context, args: argparse.Namespace) -> int:
    """Exit 0 when every line went in (added, updated or unchanged), 1 when some line was refused."""
    from dataclasses import replace

    from sslterm.core.endpoint_file import (
        BadLine,
        decode_endpoint_file,
        read_endpoint_file,
        read_endpoints,
    )
    from sslterm.core.errors import SslTermError
    if args.file == "-":
        specs = read_endpoints(decode_endpoint_file(sys.stdin.buffer.read(), "standard input"))
    else:
        specs = read_endpoint_file(args.file)
    checked = []
    for spec in specs:  # a CA bundle is read now, as 'endpoint add' does, and stored by its absolute path
        if isinstance(spec, BadLine) or not spec.ca_bundle:
            checked.append(spec)
            continue
        try:
            checked.append(replace(spec, ca_bundle=_bundle_path(spec.ca_bundle)))
        except SslTermError as exc:
            checked.append(BadLine(spec.line, str(exc)))
    outcomes = CheckStore(ctx.store).import_endpoints(checked, ctx.clock.now())
    if args.format == "json":
        print(to_json([o._asdict() for o in outcomes]))
    else:
        for outcome in outcomes:
            print(f"line {outcome.line}: {outcome.outcome:<9} {safe(outcome.message)}")
        print(outcome_summary(outcomes))
    return 1 if any(o.outcome == "error" for o in outcomes) else 0


def cmd_endpoint_remove(ctx: Context, args: argparse.Namespace) -> int:
    where = parse_address(args.address)
    CheckStore(ctx.store).remove_endpoint(args.domain, where.host, where.port, ctx.clock.now())
    print(f"removed endpoint {safe(where.text)} from {safe(args.domain)}")
    return 0


def cmd_endpoint_list(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.core.endpoint_file import CSV_COLUMNS

    endpoints = CheckStore(ctx.store).endpoints()
    if args.format == "json":
        print(to_json([e.to_json() for e in endpoints]))
        return 0
    if args.format == "csv":
        print(to_csv(CSV_COLUMNS, [(e.domain, e.host, e.port, e.sni, e.protocol, e.ca_bundle) for e in endpoints]))
        return 0
    if not endpoints:
        print("no endpoints: add one with 'sslterm endpoint add DOMAIN HOST[:PORT]'")
        return 0
    rows = []
    for e in endpoints:
        state = "not probed yet" if e.last_probe_at is None else e.last_error or ("drift" if e.drift else "ok") + ("" if e.trusted else ", untrusted")
        rows.append((e.domain, e.url, e.sni or "", e.certificate_id or "", iso(e.last_probe_at) or "", state))
    print(table(("DOMAIN", "ENDPOINT", "SNI", "CERT", "LAST PROBE", "RESULT"), rows))
    return 0


def cmd_renewal_window(ctx: Context, args: argparse.Namespace) -> int:
    checks = CheckStore(ctx.store)
    if args.cert:
        record = ctx.store.resolve(args.cert)
        if args.days is None and not args.default:
            print(f"certificate {record.id}: {_window_text(record, checks)}")
            return 0
        checks.set_window_days(record.id, None if args.default else args.days, ctx.clock.now())
        print(f"certificate {record.id} renews {'on the default window' if args.default else f'{args.days} days before expiry'}")
        return 0
    if args.days is None:
        print(f"default renewal window: {checks.default_window_days()} days before expiry")
        return 0
    checks.set_default_window_days(args.days)
    print(f"default renewal window set to {args.days} days before expiry")
    return 0


def _window_text(record, checks: CheckStore) -> str:  # type: ignore[no-untyped-def]
    """The window the checker will really use: the default is min(days, a third of the lifetime)."""
    from sslterm.core.renewal import renewal_window

    days = record.renew_before_days or checks.default_window_days()
    if record.not_before is None or record.not_after is None:
        return f"{days} days" + ("" if record.renew_before_days else " (the default)")
    window = renewal_window(record.not_before, record.not_after, days, explicit=record.renew_before_days is not None)
    hours = window.total_seconds() / 3600
    shown = f"{window.days} days" if hours >= 48 else f"{hours:g} hours"
    if record.renew_before_days:
        return f"{shown} before expiry (set on this certificate)"
    scaled = "" if window.days >= days else f", a third of its {(record.not_after - record.not_before).days}-day lifetime"
    return f"{shown} before expiry (the default: min({days} days, a third of the lifetime){scaled})"
