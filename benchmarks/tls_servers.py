"""N TLS servers and M SMTP servers with STARTTLS on 127.0.0.1 in one process, for the probe benchmark.

Usage: python benchmarks/tls_servers.py CHAIN.pem KEY.pem N [M=0]
Prints "PORTS <port>..." (TLS) and "SMTP <port>..." (STARTTLS) and serves until killed.
"""

from __future__ import annotations

import asyncio
import ssl
import sys


async def main(chain: str, key: str, count: int, smtp_count: int) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            writer.transport.abort()

    async def smtp(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """RFC 3207: greeting, EHLO listing STARTTLS, 220 to STARTTLS, then the TLS handshake."""
        try:
            writer.write(b"220 bench.example ESMTP\r\n")
            while True:
                line = (await reader.readline()).strip().upper()
                if not line or line == b"QUIT":
                    break
                if line.startswith((b"EHLO", b"HELO")):
                    writer.write(b"250-bench.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
                elif line == b"STARTTLS":
                    writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                    await writer.drain()
                    await writer.start_tls(context)
                    await reader.read(1)
                    break
                else:
                    writer.write(b"502 5.5.2 Command not recognised\r\n")
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            writer.transport.abort()

    ports, smtp_ports = [], []
    for _ in range(count):
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context, backlog=512)
        ports.append(server.sockets[0].getsockname()[1])
    for _ in range(smtp_count):
        server = await asyncio.start_server(smtp, "127.0.0.1", 0, backlog=512)
        smtp_ports.append(server.sockets[0].getsockname()[1])
    print("PORTS " + " ".join(map(str, ports)), flush=True)
    print("SMTP " + " ".join(map(str, smtp_ports)), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0))
