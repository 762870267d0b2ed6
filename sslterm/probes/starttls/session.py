"""The clear-text half of a STARTTLS probe: bounded reads, and what we were waiting for."""

from __future__ import annotations

import asyncio

MAX_LINE = 8192  # bytes in one reply line
MAX_LINES = 200  # lines in one multi-line reply
NOT_OFFERED = "the server does not offer STARTTLS"


class StartTlsError(Exception):
    """The server did not let the connection become TLS; the message says what it did."""


class Session:
    """One clear-text conversation: ``stage`` names what we wait for, for timeouts and closes."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, server_name: str, port: int) -> None:
        self.reader = reader
        self.writer = writer
        self.server_name = server_name
        self.port = port
        self.stage = "the server's greeting"

    def send(self, data: str | bytes) -> None:
        self.writer.write(data.encode("ascii") if isinstance(data, str) else data)

    async def line(self) -> str:
        """One line without its CRLF; a closed connection is a StartTlsError naming the stage."""
        try:
            raw = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as exc:
            raise StartTlsError(self.closed() + (f" (it sent {quote(exc.partial)})" if exc.partial.strip() else "")) from None
        except asyncio.LimitOverrunError:
            raise StartTlsError(f"the server sent a line longer than {MAX_LINE} bytes while we waited for {self.stage}") from None
        return raw.decode("latin-1").rstrip("\r\n")

    async def exactly(self, count: int) -> bytes:
        try:
            return await self.reader.readexactly(count)
        except asyncio.IncompleteReadError as exc:
            raise StartTlsError(self.closed() + (f" (it sent {quote(exc.partial)})" if exc.partial.strip() else "")) from None

    async def until(self, markers: tuple[bytes, ...], limit: int = 65536) -> bytes:
        """Read until one of ``markers`` has arrived (XML streams have no lines)."""
        data = b""
        while not any(marker in data for marker in markers):
            if len(data) > limit:
                raise StartTlsError(f"the server sent more than {limit} bytes without {self.stage}")
            chunk = await self.reader.read(4096)
            if not chunk:
                raise StartTlsError(self.closed() + (f" (it sent {quote(data)})" if data.strip() else ""))
            data += chunk
        return data

    def closed(self) -> str:
        return f"the server closed the connection while we waited for {self.stage}"


def quote(text: str | bytes, limit: int = 80) -> str:
    """What a server said, fit for a message: printable, one line, at most ``limit`` characters."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    clean = "".join(ch if ch.isprintable() else " " for ch in text)
    clean = " ".join(clean.split())
    return "“" + (clean[: limit - 1] + "…" if len(clean) > limit else clean) + "”"
