"""Entry point for ``python -m sslterm``."""

from sslterm.cli import entry

raise SystemExit(entry())
