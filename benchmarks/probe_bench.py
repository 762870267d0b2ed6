"""Probe benchmark: sslterm against certmonitor on the same loopback servers, and UI event-loop lag.

Usage: python benchmarks/probe_bench.py [COUNTS=200,2000] [ROUNDS=3]

For each count, one process serves that many endpoints on 127.0.0.1, a tenth of
them SMTP servers that upgrade with STARTTLS (RFC 3207), the rest plain TLS.
Then, side by side on those same servers:

- sslterm: ``sslterm check --no-renew --no-deploy --no-notify`` on a store holding
  the endpoints (a whole command, as cron runs it: start-up, store, probes with
  the default concurrency of 64, trust and expiry judged, results saved);
- certmonitor (PyPI), installed in the bench's own venv (``benchmarks/.venv-certmonitor``,
  made on first use): ``scan_hosts`` with 64 workers and its default validators,
  STARTTLS named per endpoint, in a process of its own.

Each is run ROUNDS times; the median wall time is reported, with endpoints per
second and the ratio. At the first count it also prints probes per second of
the probe layer alone and the lag a 5 ms ticker on a UI loop sees while a pass
runs in a worker thread (as the TUI runs it) and on the loop itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
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


CERTMONITOR_RUN = """
import json, sys, time
from certmonitor import scan_hosts
targets = json.load(open(sys.argv[1]))
start = time.perf_counter()
validators = None if sys.argv[2] == "default" else sys.argv[2].split(",")
results = list(scan_hosts(targets, max_workers=64, timeout=5, enabled_validators=validators))
failed = sum(1 for r in results if r.get("error"))
print(json.dumps({"elapsed": time.perf_counter() - start, "count": len(results), "failed": failed}))
"""


def certmonitor_python() -> Path:
    venv = HERE / ".venv-certmonitor"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "certmonitor"], check=True)
    return python


def timed(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1, 2):
        raise SystemExit(f"{' '.join(argv[:4])} failed: {result.stderr.strip()[-400:]}")
    return elapsed, result.stdout


def side_by_side(tmp: Path, tls_ports: list[int], smtp_ports: list[int], rounds: int) -> None:
    count = len(tls_ports) + len(smtp_ports)
    lines = [f"h{i}.bench.example 127.0.0.1:{port} --sni bench.example" for i, port in enumerate(tls_ports)]
    lines += [f"m{i}.bench.example smtp://127.0.0.1:{port} --sni bench.example" for i, port in enumerate(smtp_ports)]
    (tmp / "endpoints.txt").write_text("\n".join(lines) + "\n")
    db = tmp / f"bench-{count}.db"
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    sslterm = [sys.executable, "-m", "sslterm", "--db", str(db)]
    subprocess.run([*sslterm, "init"], check=True, capture_output=True, env=env)
    subprocess.run([*sslterm, "endpoint", "import", str(tmp / "endpoints.txt")], check=True, capture_output=True, env=env)
    check = [*sslterm, "check", "--no-renew", "--no-deploy", "--no-notify", "--format", "json"]
    targets = [{"host": "127.0.0.1", "port": p, "server_hostname": "bench.example"} for p in tls_ports]
    targets += [{"host": "127.0.0.1", "port": p, "server_hostname": "bench.example", "starttls": "smtp"} for p in smtp_ports]
    (tmp / "targets.json").write_text(json.dumps(targets))
    (tmp / "certmonitor_run.py").write_text(CERTMONITOR_RUN)
    python = str(certmonitor_python())
    timed(check, env)  # warm up (page cache, first handshakes)
    ours = []
    for _ in range(rounds):
        elapsed, out = timed(check, env)
        failed = sum(1 for p in json.loads(out)["problems"] if p["kind"] == "probe-failed")
        ours.append(elapsed)
    mine = statistics.median(ours)
    print(f"{count} endpoints ({len(smtp_ports)} STARTTLS): sslterm check {mine:.2f} s = {count / mine:,.0f}/s ({failed} failed)")
    # certmonitor's defaults (expiration, hostname, root_certificate, weak_keys) judge about what 'check' judges;
    # expiration alone is its fastest pass: reading each certificate.
    for validators in ("default", "expiration"):
        peer = [python, str(tmp / "certmonitor_run.py"), str(tmp / "targets.json"), validators]
        theirs = []
        for _ in range(rounds):
            elapsed, out = timed(peer)
            theirs.append(elapsed)
            peer_failed = json.loads(out.strip().splitlines()[-1])["failed"]
        peer_time = statistics.median(theirs)
        print(f"  certmonitor ({validators} validators) {peer_time:.2f} s = {count / peer_time:,.0f}/s ({peer_failed} failed): "
              f"sslterm is {peer_time / mine:.2f}x its endpoints per second (target >= 1.5x)")


def main() -> int:
    counts = [int(c) for c in (sys.argv[1] if len(sys.argv) > 1 else "200,2000").split(",")]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; concurrency {DEFAULT_CONCURRENCY}; median of {rounds}")
    for index, count in enumerate(counts):
        with tempfile.TemporaryDirectory() as tmp:
            chain, key = write_cert(Path(tmp))
            smtp_count = count // 10
            server = subprocess.Popen([sys.executable, str(HERE / "tls_servers.py"), str(chain), str(key), str(count - smtp_count),
                                       str(smtp_count)], stdout=subprocess.PIPE, text=True)
            try:
                tls_ports = [int(p) for p in (server.stdout.readline() if server.stdout else "").split()[1:]]
                smtp_ports = [int(p) for p in (server.stdout.readline() if server.stdout else "").split()[1:]]
                side_by_side(Path(tmp), tls_ports, smtp_ports, rounds)
                if index == 0:
                    probe_layer(tls_ports, smtp_ports)
            finally:
                server.kill()
                server.wait()
    return 0


def probe_layer(tls_ports: list[int], smtp_ports: list[int]) -> None:
    endpoints = [Endpoint(f"h{i}.bench.example", "127.0.0.1", port, "bench.example") for i, port in enumerate(tls_ports)]
    endpoints += [Endpoint(f"m{i}.bench.example", "127.0.0.1", port, "bench.example", "smtp") for i, port in enumerate(smtp_ports)]
    start = time.perf_counter()
    results = asyncio.run(probe_all(endpoints))
    elapsed = time.perf_counter() - start
    failed = sum(1 for r in results if not r.ok)
    print(f"probe layer alone: {len(endpoints)} probes in {elapsed:.3f} s = {len(endpoints) / elapsed:,.0f} probes/s ({failed} failed)")
    thread_lag, elapsed = asyncio.run(lag_with_thread(endpoints))
    print(f"UI loop lag, pass in a worker thread (as the TUI runs it): max {thread_lag * 1000:.1f} ms over {elapsed:.2f} s")
    same_lag = asyncio.run(lag_same_loop(endpoints))
    print(f"UI loop lag, pass on the UI loop itself (for comparison):  max {same_lag * 1000:.1f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
