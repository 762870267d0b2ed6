"""Where the per-user SQLite store lives when no ``--db`` names one."""

from __future__ import annotations

import os
from pathlib import Path


def default_db_path() -> Path:
    """``$SSLTERM_DB`` if it is a path, else ``sslterm.db`` in the user's data directory."""
    env = os.environ.get("SSLTERM_DB")
    if env and "://" not in env and not env.startswith("sqlite:"):
        return Path(env).expanduser()
    import platformdirs  # (only a store named by neither --db nor $SSLTERM_DB needs it)

    return Path(platformdirs.user_data_dir("sslterm", appauthor=False)) / "sslterm.db"
