"""Measure how long background work holds up the TUI's event loop, on an existing database.

Usage: python benchmarks/stall_probe.py DB  (prints one JSON line)
Run by scale_bench.py after tui_probe.py, on the same store; it changes the store
(renewals, an import beside it), so it runs last.

The app runs as in production (Textual's test pilot only supplies the terminal).
A 5 ms ticker on the app's own event loop records its largest lateness while each
job runs the way the TUI runs it: in a thread worker (``run_job``), so the loop
only ever waits for the GIL.

- keygen: an RSA-4096 key, as the wizard's Create makes one (three in a row).
- create: an existing certificate with its key and chain stored, as the wizard's
  Create stores one (twenty in a row).
- probes: a checker pass that probes 200 TLS servers on 127.0.0.1 (run as the TUI's checker runs one).
- renewal: a checker pass that renews everything due in the store (the bench's
  self-signed certificates near expiry, and its "auto" ones, which fail: they
  have no ACME settings).
- import: ``sslterm import`` of 5,000 PEM files into the same database, in its
  own process beside the TUI, as an operator would run it.
- idle: the loop with nothing running, for comparison.

Beside each figure is what the machine alone did meanwhile: the same ticker in a
separate process, which no thread of the app can hold up. This shared machine
stalls such a timer by up to ~35 ms on its own, more while the kernel writes out
a freshly written database, so a job's own stall is its figure above that one.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from probe_bench import ticker, write_cert  # noqa: E402
from scale_bench import write_pems  # noqa: E402

from sslterm.checker.run import CheckOptions  # noqa: E402
from sslterm.core.clock import SystemClock  # noqa: E402
from sslterm.core.generate import generate_key  # noqa: E402
from sslterm.store import Store  # noqa: E402
from sslterm.store.checks import CheckStore  # noqa: E402
from sslterm.tui.app import checker_pass, make_app  # noqa: E402
from sslterm.tui.screens.base import run_job  # noqa: E402

ENDPOINTS = 200
IMPORT_FILES = 5000


def leaves_with_chain(count: int) -> tuple[list[tuple[x509.Certificate, ec.EllipticCurvePrivateKey]], x509.Certificate]:
    """``count`` leaf certificates with their keys, issued by one intermediate (the chain)."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Stall Bench CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key()).serial_number(1)
          .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=3650))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(ca_key, hashes.SHA256()))
    leaves = []
    for i in range(count):
        key = ec.generate_private_key(ec.SECP256R1())
        name = f"stall{i}.bench.example"
        leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])).issuer_name(ca_name)
                .public_key(key.public_key()).serial_number(i + 2).not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=90))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), False).sign(ca_key, hashes.SHA256()))
        leaves.append((leaf, key))
    return leaves, ca


async def machine_ticker() -> None:
    """The baseline (``--machine``): tick until standard input closes, then print the largest lateness in ms."""
    stop = asyncio.Event()
    asyncio.get_running_loop().add_reader(0, lambda: sys.stdin.buffer.read1() or stop.set())
    print("ready", flush=True)
    print(await ticker(stop) * 1000, flush=True)


async def lag_until(begin: Callable[[], Callable[[], bool]]) -> dict[str, float]:
    """Largest lateness of this loop's ticker, and of a separate process's, while the work ``begin()``
    starts runs (``begin`` returns a check that is true once it has finished)."""
    machine = subprocess.Popen([sys.executable, __file__, "--machine"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert machine.stdout is not None
    if (await asyncio.to_thread(machine.stdout.readline)).strip() != "ready":  # waited for off the loop: the app's frames go on
        raise RuntimeError("the machine ticker did not start")
    await asyncio.sleep(0.2)  # let the app settle before ticking
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(stop))
    await asyncio.sleep(0.05)
    start = time.perf_counter()
    finished = begin()
    while not finished():
        await asyncio.sleep(0.005)
    elapsed = time.perf_counter() - start
    stop.set()
    lag = await tick  # before waiting for the machine ticker, which would block this loop
    machine_ms = float(machine.communicate("")[0])
    return {"max_lag_ms": lag * 1000, "machine_lag_ms": machine_ms, "seconds": elapsed}


async def lag_while(app: Any, jobs: list[Callable[[], Any]]) -> dict[str, float]:
    """The loop's largest stall while ``jobs`` run one after another in a TUI job."""
    workers = []

    def begin() -> Callable[[], bool]:
        workers.append(run_job(app.screen, "stall-bench", lambda: [job() for job in jobs]))
        return lambda: workers[0].is_finished

    result = await lag_until(begin)
    if workers[0].error is not None:
        raise workers[0].error
    return result


async def lag_beside(command: list[str]) -> dict[str, float]:
    """The loop's largest stall while another process runs ``command``."""
    processes = []

    def begin() -> Callable[[], bool]:
        processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return lambda: processes[0].poll() is not None

    result = await lag_until(begin)
    if processes[0].returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(command)} exited with {processes[0].returncode}")
    return result


async def measure(db: Path, tmp: Path) -> dict[str, object]:
    chain_file, key_file = write_cert(tmp)
    servers = subprocess.Popen([sys.executable, str(HERE / "tls_servers.py"), str(chain_file), str(key_file), str(ENDPOINTS)],
                               stdout=subprocess.PIPE, text=True)
    write_pems(tmp / "import", IMPORT_FILES)
    leaves, ca = leaves_with_chain(20)
    store = Store.open(db, user="bench")
    try:
        ports = [int(p) for p in (servers.stdout.readline() if servers.stdout else "").split()[1:]]
        now = SystemClock().now()
        checks = CheckStore(store)
        for i, port in enumerate(ports):
            checks.add_endpoint(f"stall{i}.probe.example", "127.0.0.1", port, "bench.example", now)
        app = make_app(store, SystemClock())
        result: dict[str, object] = {}
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause(1.0)  # first paint and the list's first page
            result["idle"] = await lag_while(app, [lambda: time.sleep(1.0)])
            result["keygen"] = await lag_while(app, [lambda: generate_key("rsa4096")] * 3)
            result["create"] = await lag_while(app, [
                (lambda leaf=leaf, key=key: store.add_certificate(leaf, [ca], key, type="existing", owner="bench", now=SystemClock().now()))
                for leaf, key in leaves])
            probe_only = CheckOptions(renew=False, trust_roots=())
            result["probes"] = await lag_while(app, [lambda: checker_pass(store, SystemClock().now(), probe_only)])
            renew_only = CheckOptions(probe=False)
            result["renewal"] = await lag_while(app, [lambda: checker_pass(store, SystemClock().now(), renew_only)])
            result["import"] = await lag_beside([sys.executable, "-m", "sslterm", "--db", str(db), "import", str(tmp / "import"), "--owner", "bench"])
        return result
    finally:
        servers.kill()
        servers.wait()
        store.close()


if __name__ == "__main__" and sys.argv[1:] == ["--machine"]:
    asyncio.run(machine_ticker())
elif __name__ == "__main__":
    with tempfile.TemporaryDirectory(prefix="sslterm-stall-") as directory:
        print(json.dumps(asyncio.run(measure(Path(sys.argv[1]), Path(directory)))))
