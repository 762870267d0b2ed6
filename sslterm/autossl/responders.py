"""Answer http-01 challenges: token files under a webroot, or a built-in HTTP responder."""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Protocol

from sslterm.core.errors import InputError, SslTermError

CHALLENGE_PREFIX = "/.well-known/acme-challenge/"


class Responder(Protocol):
    def add(self, token: str, content: str) -> None: ...
    def close(self) -> None: ...


class WebrootResponder:
    """Writes ``DIR/.well-known/acme-challenge/<token>`` for the web server already serving DIR."""

    def __init__(self, webroot: Path) -> None:
        if not webroot.is_dir():
            raise InputError(f"webroot {webroot} is not a directory")
        self.directory = webroot / ".well-known" / "acme-challenge"
        self.written: list[Path] = []

    def add(self, token: str, content: str) -> None:
        if "/" in token or token.startswith("."):
            raise SslTermError(f"the CA sent an unsafe token {token!r}")
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            path = self.directory / token
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o644)
            with os.fdopen(fd, "w") as handle:
                handle.write(content)
            os.chmod(path, 0o644)  # the web server must read it whatever our umask
        except OSError as exc:
            raise SslTermError(f"cannot write the challenge file under {self.directory}: {exc.strerror or exc}") from None
        self.written.append(path)

    def close(self) -> None:
        for path in self.written:
            try:
                path.unlink()
            except OSError:
                pass


class StandaloneResponder:
    """A small HTTP server answering only ``/.well-known/acme-challenge/<token>``."""

    def __init__(self, port: int, host: str = "") -> None:
        tokens: dict[str, str] = {}
        self.tokens = tokens

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                token = self.path[len(CHALLENGE_PREFIX):] if self.path.startswith(CHALLENGE_PREFIX) else None
                body = tokens.get(token or "")
                if body is None:
                    self.send_error(404)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

        try:
            self.server = ThreadingHTTPServer((host, port), Handler)
        except OSError as exc:
            raise SslTermError(f"cannot listen on port {port} for the http-01 challenge: {exc.strerror or exc}") from None
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def add(self, token: str, content: str) -> None:
        self.tokens[token] = content

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
