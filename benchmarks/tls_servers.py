"""N TLS servers on 127.0.0.1 in one process, for the probe benchmark.

Usage: python benchmarks/tls_servers.py CHAIN.pem KEY.pem N
Prints the first port then the count ("PORTS <first> <n>") and serves until killed.
"""

from __future__ import annotations

import asyncio
import ssl
import sys


async def main(chain: str, key: str, count: int) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.read(1)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            writer.transport.abort()

    ports = []
    for _ in range(count):
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=context, backlog=512)
        ports.append(server.sockets[0].getsockname()[1])
    print("PORTS " + " ".join(map(str, ports)), flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
