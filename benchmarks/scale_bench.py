"""Scale benchmark: import, list and the TUI at 10,000, 100,000 and 500,000 certificates.

Usage: python benchmarks/scale_bench.py [SIZES] [--db postgresql://USER@HOST:PORT/DB]   (default 10000,100000,500000, SQLite)
Set SSLTERM_BENCH_KEEP=1 to keep each size's PEM files and database for a closer look.

With ``--db postgresql://…`` the same figures are taken on PostgreSQL: for each size
the bench creates a database of its own on that server (``sslterm_bench_N``, so the
role needs CREATEDB; the database in the URL is only where it connects to do so),
drops it afterwards, and leaves out the stall probe, which is written for a SQLite file.

For each size it writes that many realistic PEM files (2-4 names each, wildcards
and IDNs among them, expiry spread from two months ago to a year ahead, in one
directory per owner), imports the whole tree with one ``sslterm import`` (the
figure is certificates per second of that run, process start-up included),
gives the store its five owners, a realistic mix of types and some archived
history, then times
``sslterm list --status 30d --format json``, measures the TUI in a fresh
process (benchmarks/tui_probe.py), and last the UI event loop's largest stall
while background work runs (benchmarks/stall_probe.py: key generation, storing
a certificate, probes, a renewal pass over the store, an import beside it).
"""

from __future__ import annotations

import compileall
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HERE = Path(__file__).resolve().parent
OWNERS = ["alice", "bob", "ops", "webmaster", "shop-team"]
WORDS = ["shop", "api", "mail", "cdn", "portal", "vpn", "git", "wiki", "sso", "files", "img", "static", "auth", "m", "blog"]


def write_pems(root: Path, count: int) -> float:
    """Realistic certificates, one per file, in one directory per owner; returns seconds taken."""
    rng = random.Random(count)
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Bench Issuing CA"), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Bench")])
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(64)]
    dirs = [root / owner for owner in OWNERS]
    for d in dirs:
        d.mkdir(parents=True)
    start = time.perf_counter()
    for i in range(count):
        word = WORDS[i % len(WORDS)]
        base = f"{word}{i}.example{'-bücher' if i % 97 == 0 else ''}.com"
        base = __import__("idna").encode(base, uts46=True).decode()
        names = [base, f"www.{base}"] + ([f"*.{base}"] if i % 5 == 0 else []) + ([f"m.{base}"] if i % 3 == 0 else [])
        not_after = now + timedelta(days=rng.randint(-60, 400), hours=rng.randint(0, 23))
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, base), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example")]))
            .issuer_name(ca).public_key(keys[i % len(keys)].public_key()).serial_number(i + 1)
            .not_valid_before(not_after - timedelta(days=90 if i % 3 else 398)).not_valid_after(not_after)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
        )
        cert = builder.sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)
        (dirs[i % len(dirs)] / f"{i}.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return time.perf_counter() - start


def sslterm(db: Path | str, *args: str) -> tuple[float, subprocess.CompletedProcess[bytes]]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "sslterm", "--db", str(db), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(done.stderr.decode())
    return elapsed, done


def shape_store(db: Path | str) -> None:
    """Benchmark fixture: five owners, a realistic mix of types and some archived history (direct SQL, either engine)."""
    from sslterm.store import Store

    store = Store.open(db, user="bench", create=False)
    sql = store.db.execute_sql
    with store.db.atomic():
        for owner in OWNERS:
            sql("INSERT INTO owner (name) VALUES (?) ON CONFLICT DO NOTHING", [owner])
        owner_ids = [sql("SELECT id FROM owner WHERE name = ?", [o]).fetchone()[0] for o in OWNERS]
        sql(f"UPDATE certificate SET owner_id = CASE id % 5 {' '.join(f'WHEN {i} THEN {oid}' for i, oid in enumerate(owner_ids))} END")
        sql("UPDATE certificate SET type = 'auto' WHERE id % 10 IN (1, 2, 3)")
        sql("UPDATE certificate SET type = 'self-signed' WHERE id % 10 = 4")
        sql("UPDATE certificate SET archived = 1, archived_at = updated_at WHERE id % 50 = 7")
        last = sql("SELECT COALESCE(MAX(id), 0) FROM event").fetchone()[0]
        sql(f"INSERT INTO event (id, at, kind, certificate_id, domain, \"user\", detail) SELECT id + {last}, updated_at, 'deleted', id, NULL, "
            "'bench', '' FROM certificate WHERE archived = 1")
        store.engine.ids_taken("event")
    store.close()
    if isinstance(db, str):  # what autovacuum does soon after a bulk load: statistics, and the visibility map index-only scans need
        import psycopg2

        from sslterm.store.engines import parse_location
        from sslterm.store.engines.postgres import connect_arguments

        location = parse_location(db)
        connection = psycopg2.connect(dbname=location.database, **connect_arguments(location))
        connection.autocommit = True
        connection.cursor().execute("VACUUM ANALYZE")
        connection.close()


def postgres_database(server: str, count: int, drop: bool = False) -> str:
    """Create (or drop) this size's database on the server of ``server``; its URL."""
    import psycopg2

    from sslterm.store.engines import parse_location
    from sslterm.store.engines.postgres import connect_arguments

    location = parse_location(server)
    name = f"sslterm_bench_{count}"
    connection = psycopg2.connect(dbname=location.database, **connect_arguments(location))
    connection.autocommit = True
    connection.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if not drop:
        connection.cursor().execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return server.rsplit("/", 1)[0] + "/" + name if "?" not in server else server.replace(f"/{location.database}?", f"/{name}?")


def size_of(db: Path | str) -> float:
    if isinstance(db, Path):
        return db.stat().st_size / 2**20
    from sslterm.store import Store

    store = Store.open(db, user="bench", create=False)
    size = store.db.execute_sql("SELECT pg_database_size(current_database())").fetchone()[0] / 2**20
    store.close()
    return size


def run(count: int, server: str | None = None) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix=f"sslterm-bench-{count}-"))
    try:
        gen = write_pems(tmp / "pems", count)
        db: Path | str = postgres_database(server, count) if server else tmp / "bench.db"
        imported, _ = sslterm(db, "import", str(tmp / "pems"), "--owner", OWNERS[0])  # one run over the whole tree
        shape_store(db)
        list_times = [sslterm(db, "list", "--status", "30d", "--format", "json")[0] for _ in range(3)]
        rows = len(json.loads(sslterm(db, "list", "--status", "30d", "--format", "json")[1].stdout))
        launched = {**os.environ, "SSLTERM_BENCH_LAUNCHED": repr(time.time())}
        probe = subprocess.run([sys.executable, str(HERE / "tui_probe.py"), str(db)], capture_output=True, text=True, env=launched)
        if probe.returncode != 0:
            raise RuntimeError(probe.stderr)
        tui = json.loads(probe.stdout.strip().splitlines()[-1])
        size = size_of(db)
        stall = {}
        if server is None:  # last: it changes the store
            stalls = subprocess.run([sys.executable, str(HERE / "stall_probe.py"), str(db)], capture_output=True, text=True)
            if stalls.returncode != 0:
                raise RuntimeError(stalls.stderr)
            stall = json.loads(stalls.stdout.strip().splitlines()[-1])
        return {"n": count, "generate_s": gen, "import_per_s": count / imported, "list_30d_json_s": min(list_times),
                "list_30d_rows": rows, "db_mib": size, **tui, "stall": stall}
    finally:
        if server and not os.environ.get("SSLTERM_BENCH_KEEP"):
            postgres_database(server, count, drop=True)
        if os.environ.get("SSLTERM_BENCH_KEEP"):
            print(f"  kept {tmp}", flush=True)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def cpu_check_ms() -> float:
    """A fixed pure-Python loop, best of five: this machine's speed drifts by a third within
    minutes, so each row is printed with it (lower is faster) to tell the code from the machine."""
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i * i
        best = min(best, time.perf_counter() - start)
    return best * 1000


def bare_paint_s() -> float:
    """A bare Textual app's first paint from launch, best of three (benchmarks/paint_floor.py)."""
    best = float("inf")
    for _ in range(3):
        launched = {**os.environ, "SSLTERM_BENCH_LAUNCHED": repr(time.time())}
        done = subprocess.run([sys.executable, str(HERE / "paint_floor.py")], capture_output=True, text=True, env=launched, check=True)
        best = min(best, float(done.stdout.strip()))
    return best


def main() -> int:
    args = sys.argv[1:]
    server = None
    if "--db" in args:
        at = args.index("--db")
        server = args[at + 1]
        del args[at:at + 2]
    sizes = [int(s) for s in (args[0] if args else "10000,100000,500000").split(",")]
    # Time the app as installed: pip compiles bytecode when it installs a package, but an
    # editable checkout under PYTHONDONTWRITEBYTECODE=1 (as on the bench machine) would compile
    # every sslterm module from source at each start, ~40 ms of every first paint.
    import sslterm

    compileall.compile_dir(Path(sslterm.__file__).parent, quiet=1)
    engine = f"PostgreSQL at {server}" if server else f"SQLite {sqlite3.sqlite_version}"
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}, {engine}")
    header = f"{'N':>8} {'import/s':>9} {'list30d':>8} {'paint':>7} {'bare':>6} {'search95':>9} {'filter95':>9} {'pgdn95':>7} {'counts95':>9} {'RSS':>8} {'cpu-check':>10}"
    print(header)
    for count in sizes:
        r = run(count, server)
        r["cpu_check_ms"] = cpu_check_ms()
        r["bare_paint_s"] = bare_paint_s()
        print(f"{r['n']:>8,} {r['import_per_s']:>9,.0f} {r['list_30d_json_s']:>7.2f}s {r['first_paint_s']:>6.2f}s {r['bare_paint_s']:>5.2f}s "
              f"{r['search_p95_ms']:>7.1f}ms {r['filter_p95_ms']:>7.1f}ms {r['page_down_p95_ms']:>5.1f}ms {r['counts_p95_ms']:>7.1f}ms "
              f"{r['rss_mib']:>6.0f}MiB {r['cpu_check_ms']:>8.0f}ms", flush=True)
        if not r["stall"]:
            print("  " + json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}), flush=True)
            continue
        print("  UI loop stall (max lag) while background work runs: "
              + ", ".join(f"{job} {s['max_lag_ms']:.1f}ms" for job, s in r["stall"].items()), flush=True)
        print("  the machine alone meanwhile (a separate process's timer):   "
              + ", ".join(f"{job} {s['machine_lag_ms']:.1f}ms" for job, s in r["stall"].items()), flush=True)
        print("  each job's duration: " + ", ".join(f"{job} {s['seconds']:.1f}s" for job, s in r["stall"].items()), flush=True)
        print("  " + json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in r.items()}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
