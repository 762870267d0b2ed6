"""sslterm thresholds, sslterm notify and sslterm problems."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from sslterm.cli.context import Context
from sslterm.cli.inventory import read_password
from sslterm.cli.output import safe, table, to_json
from sslterm.core.errors import InputError
from sslterm.core.findings import states_by_urgency
from sslterm.core.records import iso
from sslterm.store.alerting import AlertStore
from sslterm.store.checks import CheckStore


def cmd_thresholds(ctx: Context, args: argparse.Namespace) -> int:
    checks = CheckStore(ctx.store)
    given = args.warn_days is not None or args.crit_days is not None
    if args.cert:
        record = ctx.store.resolve(args.cert)
        if args.default or given:
            checks.set_lineage_thresholds(record.id, None if args.default else args.warn_days,
                                          None if args.default else args.crit_days, ctx.clock.now())
        _print_certificate_thresholds(checks, record.id, ctx)
        return 0
    if args.default or given:
        warn, crit = (None, None) if args.default else (args.warn_days, args.crit_days)
        if not args.default:
            old_warn, old_crit = checks.default_thresholds()
            warn, crit = warn or old_warn, crit or old_crit
        checks.set_default_thresholds(warn, crit)
    warn, crit = checks.default_thresholds()
    print(f"warning at min({warn} days, a third of the lifetime) left; critical at min({crit} days, a sixth of the lifetime) left")
    return 0


def _print_certificate_thresholds(checks: CheckStore, cert_id: int, ctx: Context) -> None:
    from sslterm.checker.run import CheckOptions, Limits

    record = ctx.store.get(cert_id)
    if record.not_before is None or record.not_after is None:
        print(f"certificate {record.id} is a pending request: nothing to warn about yet")
        return
    limit = Limits(checks, CheckOptions()).of(record.not_before, record.not_after, record.lineage_id)
    source = "set on this lineage" if record.lineage_id in checks.lineage_thresholds() else "the default rule"
    print(f"certificate {record.id} ({safe(record.domain)}): warning at {_span(limit.warn_days)} left, "
          f"critical at {_span(limit.crit_days)} left ({source})")


def _span(days: float) -> str:
    return f"{days:g} days" if days >= 2 else f"{days * 24:g} hours"


def cmd_notify_add(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.notify.send import shown_url, with_password

    url = args.url.strip()
    password = read_password(args.password_file)
    if password is not None:
        url = with_password(url, password.decode("utf-8", "replace"))
    shown = shown_url(url)  # also refuses what apprise cannot use
    owner = args.owner.strip() if args.owner else None
    if owner is not None and owner not in ctx.store.owners():
        print(f"note: no certificate belongs to {safe(owner)} yet; the channel hears about theirs once there are some")
    record = AlertStore(ctx.store).add_channel(url, shown, ctx.clock.now(), owner=owner, label=args.label,
                                               min_severity=args.min_severity.upper())
    print(f"added channel {record.id}: {safe(record.url)}" + (f" for {safe(owner)}'s certificates" if owner else " for every certificate")
          + f", {args.min_severity} and above")
    return 0


def cmd_notify_list(ctx: Context, args: argparse.Namespace) -> int:
    channels = AlertStore(ctx.store).channels()
    if args.format == "json":
        print(to_json([c.to_json() for c in channels]))
        return 0
    if not channels:
        print("no channels: add one with 'sslterm notify add URL' (an apprise URL such as mailtos://… or json://…)")
        return 0
    rows = [(c.id, c.label, c.owner or "(everyone)", c.min_severity.lower(), iso(c.last_sent_at) or "never",
             f"failing: {c.last_error}" if c.failing_since else "ok", c.pending, c.url) for c in channels]
    print(table(("ID", "LABEL", "OWNER", "FROM", "LAST SENT", "STATE", "WAITING", "URL"), rows))
    return 0


def cmd_notify_remove(ctx: Context, args: argparse.Namespace) -> int:
    record = AlertStore(ctx.store).remove_channel(args.id, ctx.clock.now())
    print(f"removed channel {record.id}: {safe(record.url)}")
    return 0


def cmd_notify_test(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.notify.send import send

    alerts = AlertStore(ctx.store)
    record = alerts.channel(args.id)
    now = ctx.clock.now()
    answer = send(alerts.channel_url(record.id), "sslterm: test message",
                  f"This is a test from sslterm at {now:%Y-%m-%d %H:%M} UTC. Findings will arrive here"
                  + (f" for {record.owner}'s certificates." if record.owner else "."))
    print(f"channel {record.id}: {'sent' if answer.ok else 'FAILED'}: {safe(answer.detail)}")
    return 0 if answer.ok else 1


def cmd_problems(ctx: Context, args: argparse.Namespace) -> int:
    states = states_by_urgency(list(AlertStore(ctx.store).findings().values()))
    if args.format == "json":
        print(to_json([s.to_json() for s in states]))
        return 0
    last = CheckStore(ctx.store).last_pass()
    if not states:
        print("no open findings" + (f" (last checker pass {iso(last)})" if last else " (no checker pass has run yet: 'sslterm check')"))
        return 0
    now = ctx.clock.now()
    rows = [(s.severity, s.kind, s.domain, s.endpoint or "", f"{s.first_seen:%Y-%m-%d %H:%M}",
             "acknowledged" if s.acknowledged(now) else (f"{s.notified_at:%Y-%m-%d %H:%M}" if s.notified_at else ""), s.message)
            for s in states]
    print(table(("SEVERITY", "KIND", "DOMAIN", "ENDPOINT", "SINCE", "NOTIFIED", "MESSAGE"), rows))
    return 0


def cmd_problems_ack(ctx: Context, args: argparse.Namespace) -> int:
    until = None
    if args.until:
        try:
            until = datetime.fromisoformat(args.until).replace(tzinfo=UTC)
        except ValueError:
            raise InputError(f"--until {args.until!r} is not a date: write YYYY-MM-DD") from None
    state = AlertStore(ctx.store).acknowledge(args.key, ctx.clock.now(), until)
    print(f"acknowledged {safe(state.kind)} on {safe(state.domain)}" + (f" until {until:%Y-%m-%d}" if until else " until it changes"))
    return 0
