"""What every command needs: the store (opened lazily), the clock, the user."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path

from sslterm.core.clock import Clock, clock_from_env
from sslterm.core.errors import InputError
from sslterm.store import Store
from sslterm.store.audit import os_user
from sslterm.store.engines import Location, location_from


def current_user() -> str:
    """Who history records: the OS user of the real uid (``$USER`` and ``$LOGNAME`` can say anything)."""
    return os_user()


CREATING_VERBS = {None, "import", "new", "demo", "init", "restore"}  # the TUI (no verb) starts with an empty store


def key_file_from_env() -> Path | None:
    """``$SSLTERM_KEY_FILE``: a key slot's secret in a file (PostgreSQL stores)."""
    text = os.environ.get("SSLTERM_KEY_FILE")
    return Path(text).expanduser() if text else None


@dataclass
class Context:
    location: Location
    clock: Clock
    user: str
    create: bool = True  # may this command create the database? Only those that fill it (and the TUI)
    _store: Store | None = field(default=None, repr=False)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> Context:
        location = location_from(getattr(args, "db", None), getattr(args, "db_password_file", None))
        return cls(location=location, clock=clock_from_env(), user=current_user(), create=getattr(args, "verb", None) in CREATING_VERBS)

    @property
    def db_path(self) -> Path:
        """The SQLite file, for the commands that work on the file itself (backup, restore, init)."""
        if self.location.path is None:
            raise InputError(f"this command works on a SQLite file, and {self.location} is a PostgreSQL store: "
                             "use pg_dump for its backups, or 'sslterm migrate --to sqlite:PATH' for a copy")
        return self.location.path

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = Store.open(self.location, self.user, os.environ.get("SSLTERM_PASSPHRASE") or None, create=self.create,
                                     key_file=key_file_from_env())
        return self._store

    def failure(self, exc: BaseException) -> str | None:
        """A sentence for a database failure in ``exc``'s chain (disk full, lost connection…), or None."""
        if self._store is not None:
            return self._store.engine.failure(exc)
        if self.location.path is not None:
            from sslterm.store.engines.sqlite import database_failure

            return database_failure(exc, self.location.path)
        return None

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
