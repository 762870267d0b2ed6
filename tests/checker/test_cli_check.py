"""sslterm check and sslterm endpoint: exit codes, first line, JSON, and a concurrent TUI writer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography import x509

from sslterm.core.errors import NotFoundError
from sslterm.store import ListQuery, Store
from tests.factories import DAY, NOW, make_cert, make_chain

ROOT = Path(__file__).resolve().parents[2]


def put(store, cn, days):
    issued = make_cert(cn, not_before=NOW - 300 * DAY, not_after=NOW + days * DAY)
    store.add_certificate(issued.cert, [], issued.key, type="existing", owner="ops", now=NOW)


@pytest.mark.parametrize("days,code,status", [(200, 0, "OK"), (20, 1, "WARNING"), (5, 2, "CRITICAL"), (-1, 2, "CRITICAL")])
def test_exit_codes_follow_the_nagios_convention(store, run, days, code, status):
    put(store, "c.example", days)
    got, out, _ = run("check", "--no-probe")
    assert got == code
    assert out.splitlines()[0].startswith(f"SSLTERM {status} - ")
    assert "|" in out.splitlines()[0]


def test_warn_and_crit_days_are_flags(store, run):
    put(store, "c.example", 20)
    assert run("check", "--no-probe", "--warn-days", "10", "--crit-days", "3")[0] == 0
    assert run("check", "--no-probe", "--warn-days", "40", "--crit-days", "25")[0] == 2


def test_json_lists_every_problem_with_domain_endpoint_and_kind(store, run, servers, tmp_path):
    put(store, "soon.example", 3)
    chain = make_chain("web.example", sans=[x509.DNSName("web.example")])
    other = make_chain("web.example", sans=[x509.DNSName("web.example")])
    store.add_certificate(chain.leaf.cert, [chain.intermediate.cert], None, type="existing", owner="ops", now=NOW)
    port = servers.add_tls(tmp_path, "w", [other.leaf.cert, other.intermediate.cert], other.leaf.key)
    code, out, err = run("endpoint", "add", "web.example", f"127.0.0.1:{port}", "--sni", "web.example")
    assert code == 0, err
    listed = json.loads(run("endpoint", "list", "--format", "json")[1])
    assert listed[0]["host"] == "127.0.0.1" and listed[0]["port"] == port and listed[0]["sni"] == "web.example"
    code, out, _ = run("check", "--format", "json")
    data = json.loads(out)
    assert code == 2 and data["status"] == "CRITICAL" and data["exit_code"] == 2
    problems = {(p["kind"], p["domain"], p["endpoint"]) for p in data["problems"]}
    assert ("critical", "soon.example", None) in problems
    assert ("drift", "web.example", f"127.0.0.1:{port}") in problems
    assert all(set(p) >= {"kind", "domain", "endpoint", "severity", "message"} for p in data["problems"])
    assert run("endpoint", "remove", "web.example", f"127.0.0.1:{port}")[0] == 0
    assert json.loads(run("endpoint", "list", "--format", "json")[1]) == []
    code, _, err = run("endpoint", "remove", "web.example", f"127.0.0.1:{port}")
    assert code == 1 and "has no endpoint" in err


def test_bad_endpoint_input_is_one_line(run):
    code, _, err = run("endpoint", "add", "bad domain", "127.0.0.1:443")
    assert code == 1 and "contains a space" in err and len(err.strip().splitlines()) == 1
    code, _, err = run("endpoint", "add", "ok.example", "127.0.0.1:http")
    assert code == 1 and "not a number" in err


def test_watch_mode_and_a_concurrent_writer_lose_nothing(db_path, store):
    from sslterm.core.generate import subject_request, validity
    from sslterm.store.creating import create_self_signed

    for i in range(12):
        create_self_signed(store, subject_request(f"r{i}.example", key_type="ec256"), validity(NOW - 80 * DAY, days=90), owner="ops", now=NOW - 80 * DAY)
    target = store.list(ListQuery(), NOW)[0]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SSLTERM_NOW": NOW.isoformat()}
    checker = subprocess.Popen([sys.executable, "-m", "sslterm", "--db", str(db_path), "check", "--watch", "--interval", "0.05", "--no-probe"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        other = Store.open(db_path, user="operator")
        for i in range(40):  # the operator's writes while the checker renews
            for _attempt in range(5):  # the checker may renew the certificate between resolving it and writing
                try:
                    other.attach_web_domain(other.resolve(target.domain).id, f"w{i}.example", NOW)
                    break
                except NotFoundError:
                    continue
        other.close()
        time.sleep(0.5)
    finally:
        checker.terminate()
        out, err = checker.communicate(timeout=30)
    assert checker.returncode == 0, err
    assert "locked" not in err and "Traceback" not in err
    assert "renewed" in out
    current = store.resolve(target.domain)
    assert {f"w{i}.example" for i in range(40)} <= set(current.web_domains)
    assert store.count(ListQuery(), NOW) == 12
