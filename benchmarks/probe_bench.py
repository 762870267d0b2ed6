"""Probe benchmark: probes per second against N loopback endpoints, and UI event-loop lag.

Usage: python benchmarks/probe_bench.py [N=500] [ROUNDS=3]

The servers run in a separate process (as real servers would); the client side is
sslterm's probe_all with the default concurrency (64) and timeout (5 s). The lag
figures are what a Textual app's loop would see: a 5 ms ticker on one loop while a
pass probes (a) in a worker thread with its own loop, as the TUI runs it, and (b) on
the same loop, for comparison.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from sslterm.probes.tls import DEFAULT_CONCURRENCY, Endpoint, probe_all

HERE = Path(__file__).resolve().parent


def write_cert(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench.example")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("bench.example")]), False)
            .sign(key, hashes.SHA256()))
    chain, key_file = directory / "chain.pem", directory / "key.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return chain, key_file


async def ticker(stop: asyncio.Event, period: float = 0.005) -> float:
    """Largest lateness of a periodic 5 ms callback, in seconds."""
    worst = 0.0
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        expected = loop.time() + period
        await asyncio.sleep(period)
        worst = max(worst, loop.time() - expected)
    return worst


async def lag_with_thread(endpoints: list[Endpoint]) -> tuple[float, float]:
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(stop))
    start = time.perf_counter()
    thread = threading.Thread(target=lambda: asyncio.run(probe_all(endpoints)))
    thread.start()
    while thread.is_alive():
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - start
    stop.set()
    return await tick, elapsed


async def lag_same_loop(endpoints: list[Endpoint]) -> float:
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(stop))
    await probe_all(endpoints)
    stop.set()
    return await tick


def main() -> int:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    with tempfile.TemporaryDirectory() as tmp:
        chain, key = write_cert(Path(tmp))
        server = subprocess.Popen([sys.executable, str(HERE / "tls_servers.py"), str(chain), str(key), str(count)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            line = server.stdout.readline() if server.stdout else ""
            ports = [int(p) for p in line.split()[1:]]
            endpoints = [Endpoint(f"h{i}.bench.example", "127.0.0.1", port, "bench.example") for i, port in enumerate(ports)]
            print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; {count} endpoints, concurrency {DEFAULT_CONCURRENCY}")
            asyncio.run(probe_all(endpoints[:50]))  # warm up
            for n in range(1, rounds + 1):
                start = time.perf_counter()
                results = asyncio.run(probe_all(endpoints))
                elapsed = time.perf_counter() - start
                failed = sum(1 for r in results if not r.ok)
                print(f"round {n}: {count} probes in {elapsed:.3f} s = {count / elapsed:,.0f} probes/s ({failed} failed)")
            thread_lag, elapsed = asyncio.run(lag_with_thread(endpoints))
            print(f"UI loop lag, pass in a worker thread (as the TUI runs it): max {thread_lag * 1000:.1f} ms over {elapsed:.2f} s")
            same_lag = asyncio.run(lag_same_loop(endpoints))
            print(f"UI loop lag, pass on the UI loop itself (for comparison):  max {same_lag * 1000:.1f} ms")
        finally:
            server.kill()
            server.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
