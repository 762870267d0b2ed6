"""sslterm metrics: Prometheus text exposition on stdout, as a node_exporter textfile, or served."""

from __future__ import annotations

import argparse
import signal
import threading

from sslterm.cli.context import Context
from sslterm.core.errors import InputError


def cmd_metrics(ctx: Context, args: argparse.Namespace) -> int:
    from prometheus_client import generate_latest, write_to_textfile

    from sslterm.metrics.exposition import registry_for

    registry = registry_for(ctx.store, ctx.clock.now)
    if args.textfile:
        try:
            write_to_textfile(args.textfile, registry)  # a temporary file renamed into place: never half-read
        except OSError as exc:
            raise InputError(f"cannot write {args.textfile}: {exc.strerror or exc}") from None
        print(f"wrote {args.textfile}")
        return 0
    if args.listen:
        return _serve(registry, args.listen)
    print(generate_latest(registry).decode(), end="")
    return 0


def _serve(registry, listen: str) -> int:  # type: ignore[no-untyped-def]
    from prometheus_client import start_http_server

    from sslterm.core.endpoints import parse_address

    address = parse_address(listen)
    host, port = address.host, address.port
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as exc:
        raise InputError(f"cannot listen on {listen}: {exc.strerror or exc}") from None
    print(f"serving http://{listen}/metrics (stop with Ctrl-C)", flush=True)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    server.shutdown()
    thread.join(timeout=5)
    return 0
