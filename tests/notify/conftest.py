"""A real SMTP server (aiosmtpd) and a real HTTP webhook receiver on 127.0.0.1, started by the tests."""

from __future__ import annotations

import email
import json
import socket
import threading
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: Message

    @property
    def subject(self) -> str:
        return str(email.header.make_header(email.header.decode_header(self.message["Subject"])))

    @property
    def text(self) -> str:
        part = next(p for p in self.message.walk() if p.get_content_type() == "text/plain")
        return part.get_payload(decode=True).decode()


@dataclass
class MailBox:
    """What the SMTP server received; ``stop``/``start`` take it down and up on the same port."""

    port: int
    mails: list[Mail] = field(default_factory=list)
    controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's handler hook
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self, to: str = "ops@example.com") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=sslterm@example.com&to={to}&mode=insecure&cto=2"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp():
    box = MailBox(free_port())
    box.start()
    yield box
    box.stop()


@dataclass
class Hooks:
    port: int
    bodies: list[dict] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def url(self, path: str = "/hook", extra: str = "") -> str:
        return f"json://127.0.0.1:{self.port}{path}?cto=2&rto=2{extra}"


@pytest.fixture
def webhook():
    hooks = Hooks(0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's hook
            length = int(self.headers.get("Content-Length") or 0)
            hooks.bodies.append(json.loads(self.rfile.read(length)))
            hooks.paths.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hooks.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield hooks
    server.shutdown()
    server.server_close()
