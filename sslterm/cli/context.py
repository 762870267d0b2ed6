"""What every command needs: the store (opened lazily), the clock, the user."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from sslterm.core.clock import Clock, clock_from_env
from sslterm.store import Store
from sslterm.store.audit import os_user
from sslterm.store.db import default_db_path


def current_user() -> str:
    """Who history records: the OS user of the real uid (``$USER`` and ``$LOGNAME`` can say anything)."""
    return os_user()


CREATING_VERBS = {None, "import", "new", "demo", "init", "restore"}  # the TUI (no verb) starts with an empty store


@dataclass
class Context:
    db_path: Path
    clock: Clock
    user: str
    create: bool = True  # may this command create the database? Only those that fill it (and the TUI)
    _store: Store | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        path = Path(args.db).expanduser() if getattr(args, "db", None) else default_db_path()
        return cls(db_path=path, clock=clock_from_env(), user=current_user(), create=getattr(args, "verb", None) in CREATING_VERBS)

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.db_path, self.user, os.environ.get("SSLTERM_PASSPHRASE") or None, create=self.create)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
