"""Several checkers on one PostgreSQL store: every due lineage renewed once, every message sent once,
and a checker killed mid-pass leaves its claim to the others once its lease runs out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime

from sslterm.core.generate import subject_request, validity
from sslterm.store import Store
from sslterm.store.alerting import AlertStore
from sslterm.store.creating import create_self_signed
from tests.engines import PG_PASSPHRASE
from tests.factories import DAY, NOW, make_cert
from tests.notify.conftest import webhook  # noqa: F401 - fixture

DUE = 300


def fill_due(location, now: datetime, count: int, expiring: int = 0) -> None:  # type: ignore[no-untyped-def]
    """``count`` self-signed certificates 80 days into 90 (inside the renewal window), and ``expiring``
    uploaded ones with 5 days left, which nothing renews (a finding to notify about)."""
    store = Store.open(location, user="seed", passphrase=PG_PASSPHRASE)
    with store.batch():
        for i in range(count):
            create_self_signed(store, subject_request(f"svc{i}.team.example", key_type="ec256"), validity(now - 80 * DAY, days=90),
                               owner="ops", now=now - 80 * DAY)
        for i in range(expiring):
            issued = make_cert(f"legacy{i}.team.example", not_before=now - 85 * DAY, not_after=now + 5 * DAY, serial=1000 + i)
            store.add_certificate(issued.cert, [], None, type="existing", owner="ops", now=now - 85 * DAY)
    store.close()


def checker(location, *args: str, env: dict[str, str]) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "sslterm", "--db", str(location), "check", "--watch", "--interval", "0.5",
                             "--no-probe", "--format", "json", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def versions(location) -> dict[int, int]:  # type: ignore[no-untyped-def]
    store = Store.open(location, user="test", create=False)
    rows = dict(store.db.execute_sql("SELECT lineage_id, COUNT(*) FROM certificate WHERE type = 'self-signed' GROUP BY lineage_id").fetchall())
    store.close()
    return rows


def reports(process: subprocess.Popen) -> list[dict]:
    out, err = process.communicate(timeout=30)
    assert "Traceback" not in err and "error" not in err, err
    decoder, reports, text = json.JSONDecoder(), [], out.strip()
    while text:
        report, end = decoder.raw_decode(text)
        reports.append(report)
        text = text[end:].strip()
    return reports


def wait_until(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def test_three_checkers_renew_each_lineage_once_and_send_each_message_once(pg_database, webhook):  # noqa: F811
    fill_due(pg_database, NOW, DUE, expiring=5)
    store = Store.open(pg_database, user="ops", passphrase=PG_PASSPHRASE)
    AlertStore(store).add_channel(webhook.url(), webhook.url(), NOW, label="ops")
    store.close()
    env = {**os.environ, "SSLTERM_NOW": NOW.isoformat(), "SSLTERM_PASSPHRASE": PG_PASSPHRASE}
    processes = [checker(pg_database, env=env) for _ in range(3)]
    try:
        wait_until(lambda: len(versions(pg_database)) == DUE and set(versions(pg_database).values()) == {2}, 120, "every lineage renewed")
        time.sleep(2)  # every checker makes more passes over the renewed store
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
    passes = [reports(p) for p in processes]
    assert all(len(r) >= 2 for r in passes), [len(r) for r in passes]  # they ran side by side, more than once
    renewed = [renewal["old_id"] for r in passes for report in r for renewal in report["renewed"]]
    assert len(renewed) == DUE and len(set(renewed)) == DUE  # each lineage renewed by exactly one checker, once
    assert set(versions(pg_database).values()) == {2}
    assert len(webhook.bodies) == 1  # the five expiring certificates are told once, not once per checker
    assert webhook.bodies[0]["message"].count("CRITICAL legacy") == 5, webhook.bodies[0]


def test_a_checker_killed_mid_pass_leaves_its_claim_to_another_after_the_lease(pg_database):
    """The first checker claims the most urgent lineage and is stuck renewing it (the test holds that
    row's lock) when it is killed: its lease outlives it, and the second checker takes the lineage
    over once the lease has run out, not before."""
    import psycopg2

    now = datetime.now(UTC).replace(microsecond=0)  # real time: a lease has to run out
    store = Store.open(pg_database, user="seed", passphrase=PG_PASSPHRASE)
    first_due = create_self_signed(store, subject_request("urgent.team.example", key_type="ec256"), validity(now - 81 * DAY, days=90),
                                   owner="ops", now=now - 81 * DAY)
    store.close()
    fill_due(pg_database, now, 40)
    env = {**os.environ, "SSLTERM_PASSPHRASE": PG_PASSPHRASE}
    env.pop("SSLTERM_NOW", None)
    blocker = psycopg2.connect(dbname=pg_database.database, user=pg_database.user, host=pg_database.host, port=pg_database.port)
    blocker.cursor().execute("SELECT id FROM certificate WHERE id = %s FOR UPDATE", [first_due.id])
    first = checker(pg_database, "--lease", "4", env=env)
    watch = Store.open(pg_database, user="test", create=False)

    def lease() -> list[tuple[str, int]]:
        return watch.db.execute_sql("SELECT holder, until FROM lease WHERE kind = 'renew' AND item_id = ?", [first_due.lineage_id]).fetchall()

    try:
        wait_until(lambda: bool(lease()), 60, "the first checker claiming the urgent lineage")
        os.kill(first.pid, signal.SIGKILL)
        first.communicate(timeout=10)  # (and close its pipes)
        blocker.rollback()  # the dead checker's transaction is gone; its lease row stays
        ((holder, until),) = lease()
        second = checker(pg_database, "--lease", "4", env=env)
        wait_until(lambda: set(versions(pg_database).values()) == {2}, 90, "the second checker finishing the work")
        second.send_signal(signal.SIGTERM)
        passes = reports(second)
    finally:
        watch.close()
        blocker.close()
        for process in (first,):
            if process.poll() is None:
                process.kill()
    assert len(versions(pg_database)) == 41 and set(versions(pg_database).values()) == {2}  # every lineage once, none twice
    (taken,) = [(report["checked_at"], r) for report in passes for r in report["renewed"] if r["old_id"] == first_due.id]
    checked_at = datetime.fromisoformat(taken[0].replace("Z", "+00:00"))
    assert checked_at.timestamp() >= until - 1  # taken over in a pass that began once the lease had (about) run out
    assert [r["old_id"] for r in passes[0]["renewed"]] and first_due.id not in [r["old_id"] for r in passes[0]["renewed"]]
    assert holder.split(":")[1] == str(first.pid)
