"""sslterm discover: take in what servers already use (nginx, apache, haproxy) or serve (scan).

Each finding is shown first. The certificate files are imported by the same
rules as ``sslterm import`` (lineages included), the endpoints go in as
``endpoint import`` puts them (idempotent), and deploy targets are only
proposed: they are added after a confirmation, or with ``--yes``. With
``--dry-run`` every file is read and nothing is written.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from sslterm.cli.context import Context
from sslterm.cli.output import safe
from sslterm.core.deploy import command_text
from sslterm.core.discover import Candidate, Scan
from sslterm.core.endpoint_file import EndpointSpec
from sslterm.core.endpoints import endpoint_url, format_address
from sslterm.core.errors import InputError
from sslterm.discovery.sites import CertFiles, ServerConfig, Site, usable_name

CERTBOT_FILE = re.compile(r"/(live|archive)/[^/]+/(fullchain|cert|chain|privkey)\d*\.pem$")  # certbot's own tree


@dataclass
class _Plan:
    """What a discovery would store: certificates per file pair, endpoints, proposed targets."""

    certificates: dict[CertFiles, list[Candidate]] = field(default_factory=dict)
    endpoints: list[EndpointSpec] = field(default_factory=list)
    targets: list[tuple[CertFiles, dict[str, str], str]] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    failed: int = 0


def cmd_discover_nginx(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.discovery import nginx

    if args.config:
        config = nginx.from_files(Path(args.config), binary=args.nginx or "nginx")
    else:
        binary, dump = nginx.run_dump(args.nginx)
        config = nginx.from_dump(dump, binary=binary)
    return _discover(ctx, args, config)


def cmd_discover_apache(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.discovery import apache

    return _discover(ctx, args, apache.load(Path(args.config) if args.config else None, args.apachectl))


def cmd_discover_haproxy(ctx: Context, args: argparse.Namespace) -> int:
    from sslterm.discovery import haproxy

    return _discover(ctx, args, haproxy.load(Path(args.config)))


def _discover(ctx: Context, args: argparse.Namespace, config: ServerConfig) -> int:
    plan = _plan(config)
    out = [f"{config.server}: {len(config.sites)} TLS site(s)"] + plan.lines
    out += [f"note      {safe(note)}" for note in config.notes]
    if args.dry_run:
        out += [f"would import   {safe(c.summary.primary_name)} (expires {c.summary.not_after:%Y-%m-%d}"
                f"{', with key' if c.key else ', no key'}) from {safe(files.cert)}"
                for files, found in plan.certificates.items() for c in found]
        out += [f"would add      endpoint {safe(e.domain)} {safe(endpoint_url(e.host, e.port, e.protocol))}" for e in plan.endpoints]
        out += [f"would propose  deploy target for {safe(domain)}: {_target_text(parts, config)}" for _, parts, domain in plan.targets]
        out.append("nothing was changed (--dry-run)")
        print("\n".join(out))
        return 1 if plan.failed else 0
    out += _store(ctx, args, config, plan)
    print("\n".join(out))
    return 1 if plan.failed else 0


def _plan(config: ServerConfig) -> _Plan:
    plan = _Plan()
    for site in config.sites:
        plan.lines.append(f"site      {safe(site.source)}: {safe(', '.join(site.names) or '(no server name)')} on "
                          f"{', '.join(safe(format_address(listen.host, listen.port)) for listen in site.listens)}")
        plan.lines += [f"note      {safe(site.source)}: {safe(note)}" for note in site.notes]
        for files in site.files:
            if files not in plan.certificates:
                plan.certificates[files] = _read(files, plan)
                _propose(files, plan)
        for name in _domains(site, plan):
            for listen in site.listens:
                spec = EndpointSpec(0, name, listen.host, listen.port, None, "tls")
                if spec not in plan.endpoints:
                    plan.endpoints.append(spec)
    return plan


def _read(files: CertFiles, plan: _Plan) -> list[Candidate]:
    key = Path(files.key) if files.key and files.key != files.cert else None
    scan = Scan([Path(files.cert)], None, key, None, track_ca=False)
    found = scan.read_all()
    for rejection in scan.rejections:
        plan.failed += 1
        plan.lines.append(f"rejected  {safe(rejection.source)}: {safe(rejection.reason)}")
    if not found and not scan.rejections:
        plan.failed += 1
        plan.lines.append(f"rejected  {safe(files.cert)}: no server certificate in it")
    return found


def _propose(files: CertFiles, plan: _Plan) -> None:
    if CERTBOT_FILE.search(files.cert):
        plan.lines.append(f"note      {safe(files.cert)} is in certbot's tree: certbot renews it, so no deploy target is proposed")
        return
    found = plan.certificates.get(files) or []
    if not found:
        return
    if files.key is None or files.key == files.cert:
        parts = {"combined": files.cert} if files.key == files.cert else {"fullchain" if found[0].chain else "cert": files.cert}
    else:
        parts = {"fullchain" if found[0].chain else "cert": files.cert, "key": files.key}
    plan.targets.append((files, parts, found[0].summary.primary_name))


def _domains(site: Site, plan: _Plan) -> list[str]:
    """The site's usable names, or for a site without any, its certificates' own host names."""
    if site.names:
        return site.names
    names = [name for files in site.files for c in plan.certificates.get(files, []) for name in c.summary.hostnames]
    return [name for name in dict.fromkeys(names) if usable_name(name)]


def _store(ctx: Context, args: argparse.Namespace, config: ServerConfig, plan: _Plan) -> list[str]:
    from sslterm.store.bulk import import_many
    from sslterm.store.checks import CheckStore

    now, owner, out = ctx.clock.now(), args.owner or ctx.user, []
    ids: dict[CertFiles, int] = {}
    for files, found in plan.certificates.items():
        for outcome in import_many(ctx.store, found, owner=owner, now=now):
            if outcome.error is not None:
                plan.failed += 1
                out.append(f"rejected  {safe(outcome.item.source)}: {safe(outcome.error)}")
                continue
            ids[files] = outcome.cert_id  # type: ignore[assignment]
            label = {"present": "already present", "key added": "already present (key added)"}.get(outcome.outcome or "", "imported")
            out.append(f"{label}  {safe(outcome.domain)} (id {outcome.cert_id}{', with key' if outcome.has_key else ''}) "
                       f"from {safe(files.cert)}")
    for outcome in CheckStore(ctx.store).import_endpoints(plan.endpoints, now):
        if outcome.outcome == "error":
            plan.failed += 1
        out.append(f"endpoint  {outcome.outcome:<9} {safe(outcome.message)}")
    out += _targets(ctx, args, config, plan, ids)
    return out


def _targets(ctx: Context, args: argparse.Namespace, config: ServerConfig, plan: _Plan, ids: dict[CertFiles, int]) -> list[str]:
    from sslterm.store.deploy_targets import DeployStore

    deploys = DeployStore(ctx.store)
    existing = {tuple(sorted(t.parts.items())): t.id for t in deploys.targets()}
    proposals, out = [], []
    for files, parts, domain in plan.targets:
        if files not in ids:
            continue
        if tuple(sorted(parts.items())) in existing:
            out.append(f"target    unchanged deploy target {existing[tuple(sorted(parts.items()))]} for {safe(domain)}")
        else:
            proposals.append((files, parts, domain))
    if not proposals:
        return out
    out += [f"proposed  deploy target for {safe(domain)}: {_target_text(parts, config)}" for _, parts, domain in proposals]
    if not args.yes and not _confirm(out, len(proposals)):
        return out + [f"not added: {len(proposals)} deploy target(s) need a confirmation; run again with --yes to add them"]
    for files, parts, domain in proposals:
        try:
            target = deploys.add(ids[files], parts, ctx.clock.now(), check=config.check, reload=config.reload)
        except InputError as exc:
            plan.failed += 1
            out.append(f"rejected  deploy target for {safe(domain)}: {safe(exc)}")
            continue
        out.append(f"target    added deploy target {target.id} for {safe(target.domain)}")
    return out


def _confirm(out: list[str], count: int) -> bool:
    if not sys.stdin.isatty():
        return False
    print("\n".join(out))
    out.clear()
    answer = input(f"Add these {count} deploy target(s)? [y/N] ")
    return answer.strip().lower() in ("y", "yes")


def _target_text(parts: dict[str, str], config: ServerConfig) -> str:
    files = " ".join(f"{part}={safe(path)}" for part, path in parts.items())
    return f"{files}; check '{safe(command_text(config.check, False))}'; reload '{safe(command_text(config.reload, False))}'"


def cmd_discover_scan(ctx: Context, args: argparse.Namespace) -> int:
    """Exit 0 when every probe read a certificate, 1 when some did not (each is one line)."""
    from sslterm.core.certinfo import summarize_certificate
    from sslterm.core.endpoints import is_ip
    from sslterm.discovery.scan import parse_ports, scan, scan_targets
    from sslterm.store.checks import CheckStore

    if args.concurrency < 1 or args.timeout <= 0:
        raise InputError("--concurrency must be at least 1 and --timeout more than 0")
    targets = scan_targets(args.hosts, parse_ports(args.ports), limit=args.max)
    results = asyncio.run(scan(targets, concurrency=args.concurrency, timeout=args.timeout))
    now, owner, lines, failed = ctx.clock.now(), args.owner or ctx.user, [], 0
    specs, served = [], []
    for result in results:
        where = endpoint_url(result.endpoint.host, result.endpoint.port, result.endpoint.protocol)
        if not result.ok or result.leaf is None:
            failed += 1
            lines.append(f"failed    {safe(where)}: {safe(result.error or 'no certificate')}")
            continue
        summary = summarize_certificate(result.leaf)
        names = [n for n in summary.hostnames if usable_name(n)]
        domain = result.endpoint.host if not is_ip(result.endpoint.host) else (names[0] if names else None)
        if domain is None:
            failed += 1
            lines.append(f"failed    {safe(where)}: serves {safe(summary.primary_name)}, which names no host to track it by")
            continue
        lines.append(f"serves    {safe(where)}: {safe(summary.primary_name)} (expires {summary.not_after:%Y-%m-%d}, "
                     f"issuer {safe(summary.issuer_text)})")
        served.append((result, domain))
        specs.append(EndpointSpec(0, domain, result.endpoint.host, result.endpoint.port, None, result.endpoint.protocol))
    if args.dry_run:
        lines.append(f"{len(served)} of {len(results)} probe(s) read a certificate; nothing was changed (--dry-run)")
        print("\n".join(lines))
        return 1 if failed else 0
    stored: dict[str, int] = {}
    for result, domain in served:
        outcome = ctx.store.add_certificate(result.leaf, list(result.chain[1:]), None, type="existing", owner=owner, now=now)
        stored[outcome.record.fingerprint_sha256] = outcome.record.id
    for outcome in CheckStore(ctx.store).import_endpoints(specs, now):
        lines.append(f"endpoint  {outcome.outcome:<9} {safe(outcome.message)}")
    lines.append(f"{len(served)} of {len(results)} probe(s) read a certificate: {len(stored)} certificate(s) tracked")
    print("\n".join(lines))
    return 1 if failed else 0

