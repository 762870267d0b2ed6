"""Where a store lives, and the few things that differ per database engine.

The storage API above (``Store``, ``CheckStore``, ``bulk``…) is written once, in
SQL both engines speak. What cannot be is here, one place per engine:
connecting and checking the connection, the numbered migrations in each
dialect, the trigram search index, abandoning a stale query, noticing other
writers, locking a decision, and wiping a destroyed key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sslterm.core.errors import InputError

SCHEMES = ("postgresql", "postgres")


@dataclass(frozen=True)
class Location:
    """A store: a SQLite file, or a PostgreSQL database (never with its password)."""

    engine: str  # "sqlite" or "postgresql"
    path: Path | None = None
    user: str | None = None
    host: str | None = None
    port: int | None = None
    database: str | None = None
    password_file: Path | None = None

    def __str__(self) -> str:
        if self.engine == "sqlite":
            return str(self.path)
        user = f"{self.user}@" if self.user else ""
        host = self.host or ""
        if host.startswith("/") or ":" in host:
            host = f"[{host}]" if ":" in host and not host.startswith("/") else host
        port = f":{self.port}" if self.port else ""
        if host.startswith("/"):
            return f"postgresql://{user}/{self.database}?host={host}{'&port=' + str(self.port) if self.port else ''}"
        return f"postgresql://{user}{host}{port}/{self.database}"

    @property
    def short(self) -> str:
        """The store in a few words, for a status line: the file's name, or the database and its server."""
        if self.engine == "sqlite":
            assert self.path is not None
            return self.path.name
        host = "local socket" if not self.host or self.host.startswith("/") else self.host
        return f"{self.database} on {host}"

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"


class Engine:
    """What both engines share: the open database and where it is. The queries reach the engine
    through the models' database (``Certificate._meta.database.engine``)."""

    name: str
    shortest_indexed_term: int  # a shorter search term is matched in the list's order, not looked up

    def __init__(self, db, location: Location) -> None:  # type: ignore[no-untyped-def]
        self.db = db
        self.location = location
        self.term_breadth: dict[tuple[tuple[str, ...], int], float] = {}  # broad search terms, and when (queries._indexed)
        db.engine = self


def parse_location(text: str | Path, password_file: str | Path | None = None) -> Location:
    """``postgresql://user@host:port/db`` (``?host=/socket/dir`` for a Unix socket), ``sqlite:PATH`` or a path.

    A password in the URL is refused: argv is visible to every user of the host.
    """
    if isinstance(text, Path):
        return Location("sqlite", path=text.expanduser())
    if text.startswith("sqlite:"):
        rest = text[len("sqlite:"):]
        rest = rest[2:] if rest.startswith("//") else rest
        if not rest:
            raise InputError("sqlite: needs a path, as in sqlite:/var/lib/sslterm/sslterm.db")
        return Location("sqlite", path=Path(rest).expanduser())
    scheme = text.split("://", 1)[0].lower() if "://" in text else ""
    if not scheme:
        return Location("sqlite", path=Path(text).expanduser())
    if scheme not in SCHEMES:
        raise InputError(f"unknown database URL scheme {scheme}://: use postgresql://user@host:port/dbname, sqlite:PATH or a file path")
    parts = urlsplit(text)
    if parts.password is not None:
        raise InputError("put the database password in ~/.pgpass, $PGPASSFILE or --db-password-file, not in the URL "
                         "(a command line is visible to every user of the host)")
    query = dict(pair.split("=", 1) for pair in parts.query.split("&") if "=" in pair)
    database = unquote(parts.path.lstrip("/"))
    if not database:
        raise InputError("the PostgreSQL URL names no database: add it, as in postgresql://sslterm@db.example.com/sslterm")
    try:
        port = parts.port or (int(query["port"]) if "port" in query else None)
    except ValueError:
        raise InputError(f"the port in {text} is not a number") from None
    host = unquote(query["host"]) if "host" in query else parts.hostname
    user = unquote(parts.username) if parts.username else unquote(query["user"]) if "user" in query else None
    return Location("postgresql", user=user, host=host, port=port, database=database,
                    password_file=Path(password_file).expanduser() if password_file else None)


def location_from(db: str | None, password_file: str | None = None) -> Location:
    """The store a command names: ``--db``, else ``$SSLTERM_DB``, else the per-user SQLite default."""
    from sslterm.store.db import default_db_path

    text = db or os.environ.get("SSLTERM_DB")
    password_file = password_file or os.environ.get("SSLTERM_DB_PASSWORD_FILE")
    if text:
        return parse_location(text, password_file)
    if password_file:
        raise InputError("--db-password-file is for a PostgreSQL store: give --db postgresql://… as well")
    return Location("sqlite", path=default_db_path())


def open_engine(location: Location, create: bool = True):  # type: ignore[no-untyped-def]
    """The engine for ``location``, connected, checked and migrated."""
    if location.is_sqlite:
        from sslterm.store.engines.sqlite import SqliteEngine

        assert location.path is not None
        return SqliteEngine.open(location, create)
    from sslterm.store.engines.postgres import PostgresEngine

    return PostgresEngine.open(location, create)
