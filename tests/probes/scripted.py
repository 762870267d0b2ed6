"""Small servers that follow each protocol's RFC exchange up to STARTTLS, then hand over to TLS.

FTP (RFC 4217), LDAP (RFC 4511 §4.14), XMPP (RFC 6120 §5) and MySQL's SSLRequest
have no light Debian server a test can start in a moment; these speak exactly the
exchange a client sees, with a real TLS handshake after it. The misbehaving ones
(no STARTTLS, accept then close, stall) are what the probe must classify.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import struct
import threading

from tests.checker.servers import ServerThread

MYSQL_CLIENT_SSL = 0x0800


def _exactly(conn: socket.socket, count: int) -> bytes:
    """``count`` bytes, reading no byte beyond them."""
    data = b""
    while len(data) < count:
        chunk = conn.recv(count - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _context(chain_file: str, key_file: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_file, key_file)
    return context


class Scripted:
    """Scripted servers on one ServerThread; each ``add_*`` returns its port."""

    def __init__(self, servers: ServerThread, chain_file: str, key_file: str) -> None:
        self.servers = servers
        self.context = _context(chain_file, key_file)
        self._listeners: list[socket.socket] = []

    def close(self) -> None:
        for listener in self._listeners:
            listener.close()

    def _serve_exactly(self, script) -> int:  # type: ignore[no-untyped-def]
        """Blocking sockets, each read taking no more than it asks for: a MySQL client starts TLS right
        after its SSLRequest without waiting for an answer, and a StreamReader would swallow the
        ClientHello that arrives with the request (start_tls never sees those bytes)."""
        listener = socket.create_server(("127.0.0.1", 0))
        self._listeners.append(listener)

        def handle(conn: socket.socket) -> None:
            with conn:
                try:
                    conn.settimeout(5)
                    if script(conn):
                        with self.context.wrap_socket(conn, server_side=True) as tls:
                            tls.recv(1024)
                except (OSError, ssl.SSLError):
                    pass

        def accept() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:  # closed
                    return
                threading.Thread(target=handle, args=(conn,), daemon=True).start()

        threading.Thread(target=accept, daemon=True).start()
        return listener.getsockname()[1]

    def _serve(self, script) -> int:  # type: ignore[no-untyped-def]
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                if await script(reader, writer):
                    await writer.start_tls(self.context)
                    await reader.read(1024)
            except (ConnectionError, ssl.SSLError, OSError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.transport.abort()

        return self.servers._start(handler)  # noqa: SLF001 - the thread's own way to start a server

    def add_ftp(self) -> int:
        async def script(reader, writer) -> bool:  # type: ignore[no-untyped-def]
            writer.write(b"220-Welcome to the test FTP server\r\n220 Ready\r\n")
            line = await reader.readline()
            if line.strip().upper() != b"AUTH TLS":
                writer.write(b"500 Unknown command\r\n")
                return False
            writer.write(b"234 AUTH TLS successful\r\n")
            await writer.drain()
            return True

        return self._serve(script)

    def add_ldap(self, result_code: int = 0) -> int:
        async def script(reader, writer) -> bool:  # type: ignore[no-untyped-def]
            head = await reader.readexactly(2)
            body = await reader.readexactly(head[1])
            assert b"1.3.6.1.4.1.1466.20037" in body and body[3] == 0x77, body  # an ExtendedRequest for StartTLS
            message_id = body[2]
            diagnostic = b"" if result_code == 0 else b"TLS is not configured"
            response = b"\x0a\x01" + bytes([result_code]) + b"\x04\x00\x04" + bytes([len(diagnostic)]) + diagnostic
            op = b"\x78" + bytes([len(response)]) + response
            message = b"\x02\x01" + bytes([message_id]) + op
            writer.write(b"\x30" + bytes([len(message)]) + message)
            await writer.drain()
            return result_code == 0

        return self._serve(script)

    def add_xmpp(self, offer: bool = True) -> int:
        async def script(reader, writer) -> bool:  # type: ignore[no-untyped-def]
            opening = await reader.readuntil(b">")
            if opening.startswith(b"<?xml"):
                opening = await reader.readuntil(b">")
            assert b"<stream:stream" in opening, opening
            features = b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" if offer else b""
            writer.write(b"<?xml version='1.0'?><stream:stream from='chat.example.test' id='s1' version='1.0' "
                         b"xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
                         b"<stream:features>" + features + b"<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                         b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>")
            if not offer:
                await reader.read(1024)
                return False
            request = await reader.readuntil(b"/>")
            assert b"<starttls" in request, request
            writer.write(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
            await writer.drain()
            return True

        return self._serve(script)

    def add_mysql(self, ssl_capable: bool = True) -> int:
        def script(conn: socket.socket) -> bool:
            capabilities = 0xFFFF if ssl_capable else 0xFFFF & ~MYSQL_CLIENT_SSL
            payload = (b"\x0a" + b"8.0.36-test\x00" + struct.pack("<I", 7) + b"abcdefgh" + b"\x00"
                       + struct.pack("<H", capabilities) + b"\x2d" + struct.pack("<H", 2) + struct.pack("<H", 0x81FF)
                       + b"\x15" + b"\x00" * 10 + b"ijklmnopqrst\x00" + b"mysql_native_password\x00")
            conn.sendall(len(payload).to_bytes(3, "little") + b"\x00" + payload)
            if not ssl_capable:
                conn.recv(1024)
                return False
            header = _exactly(conn, 4)
            body = _exactly(conn, int.from_bytes(header[:3], "little"))
            assert header[3] == 1 and len(body) == 32 and struct.unpack("<I", body[:4])[0] & MYSQL_CLIENT_SSL, body
            return True

        return self._serve_exactly(script)

    def add_smtp_without_starttls(self) -> int:
        async def script(reader, writer) -> bool:  # type: ignore[no-untyped-def]
            writer.write(b"220 plain.example.test ESMTP\r\n")
            await reader.readline()
            writer.write(b"250-plain.example.test\r\n250-SIZE 10240000\r\n250 8BITMIME\r\n")
            await reader.read(1024)
            return False

        return self._serve(script)

    def add_smtp_closing_after_starttls(self) -> int:
        async def script(reader, writer) -> bool:  # type: ignore[no-untyped-def]
            writer.write(b"220 flaky.example.test ESMTP\r\n")
            await reader.readline()
            writer.write(b"250-flaky.example.test\r\n250 STARTTLS\r\n")
            await reader.readline()
            writer.write(b"220 Go ahead\r\n")
            await writer.drain()
            return False  # and close instead of the handshake

        return self._serve(script)

    def add_smtp_stalling_after_greeting(self) -> int:
        async def script(reader, writer) -> bool:  # type: ignore[no-untyped-def]
            writer.write(b"220 slow.example.test ESMTP\r\n")
            await writer.drain()
            await asyncio.sleep(3600)
            return False

        return self._serve(script)
