"""Real TLS servers on 127.0.0.1 for the checker tests, run on a loop in a background thread."""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization


class ServerThread:
    """Runs asyncio servers on their own loop; each ``add_*`` returns the bound port."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers: list[asyncio.base_events.Server] = []
        self.held: list[asyncio.StreamWriter] = []
        self.completed = 0  # TLS handshakes the add_tls servers saw through to the end

    def _start(self, handler, ssl_context=None) -> int:  # type: ignore[no-untyped-def]
        async def start() -> int:
            server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ssl_context)
            self.servers.append(server)
            return server.sockets[0].getsockname()[1]

        return asyncio.run_coroutine_threadsafe(start(), self.loop).result(10)

    def add_tls(self, directory: Path, name: str, certs: list, key) -> int:  # type: ignore[no-untyped-def]
        """A TLS server presenting ``certs`` (leaf first) with ``key``."""
        chain = directory / f"{name}.pem"
        key_file = directory / f"{name}.key"
        chain.write_bytes(b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs))
        key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(chain, key_file)

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.completed += 1  # (asyncio calls the handler once the server's side of the handshake is done)
            try:
                await reader.read(1024)
            except (ConnectionError, ssl.SSLError, OSError):
                pass
            finally:
                writer.close()

        return self._start(handler, context)

    def add_plaintext(self) -> int:
        """Accepts TCP and answers with HTTP, so a TLS handshake fails."""
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"HTTP/1.0 400 Bad Request\r\n\r\n")
            await writer.drain()
            writer.close()

        return self._start(handler)

    def add_cut(self) -> int:
        """Reads the start of the ClientHello, then drops the connection mid-handshake."""
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.read(10)
            writer.transport.abort()

        return self._start(handler)

    def add_silent(self) -> int:
        """Accepts TCP and never says a word."""
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.held.append(writer)
            await asyncio.sleep(3600)

        return self._start(handler)

    def close(self) -> None:
        async def stop() -> None:
            for writer in self.held:
                writer.transport.abort()
            for server in self.servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()
