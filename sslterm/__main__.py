"""Entry point for ``python -m sslterm``."""

from sslterm.cli import main

raise SystemExit(main())
