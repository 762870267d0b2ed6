"""sslterm notify, problems, thresholds, renewal-window and metrics as scripts use them."""

from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from tests.factories import DAY, NOW, make_cert


def put(store, cn, days, owner="ops", lifetime=90):
    issued = make_cert(cn, not_before=NOW + (days - lifetime) * DAY, not_after=NOW + days * DAY)
    return store.add_certificate(issued.cert, [], issued.key, type="existing", owner=owner, now=NOW).record


def test_notify_add_list_test_remove(run, webhook, smtp, tmp_path, db_path):
    secret = tmp_path / "smtp-password"
    secret.write_text("hunter2-very-secret\n")
    code, out, err = run("notify", "add", f"mailto://alerts@127.0.0.1:{smtp.port}?from=sslterm@example.com&to=ops@example.com",
                         "--password-file", str(secret), "--label", "mail", "--min-severity", "critical")
    assert code == 0, err
    assert "hunter2" not in out and "added channel 1" in out
    assert run("notify", "add", webhook.url(), "--owner", "alice")[0] == 0
    code, out, _ = run("notify", "list", "--format", "json")
    channels = json.loads(out)
    assert [(c["id"], c["owner"], c["min_severity"], c["label"]) for c in channels] == [(1, None, "critical", "mail"), (2, "alice", "warning", "")]
    assert all("hunter2" not in c["url"] for c in channels)
    assert b"hunter2" not in db_path.read_bytes()  # stored encrypted, like keys
    code, out, _ = run("notify", "test", "2")
    assert code == 0 and out.startswith("channel 2: sent") and webhook.bodies[-1]["title"] == "sslterm: test message"
    smtp.stop()
    code, out, _ = run("notify", "test", "1")
    assert code == 1 and out.startswith("channel 1: FAILED") and "hunter2" not in out
    assert run("notify", "remove", "2")[0] == 0
    code, _, err = run("notify", "remove", "2")
    assert code != 0 and "no notification channel 2" in err


def test_notify_add_refuses_what_apprise_cannot_use(run):
    code, _, err = run("notify", "add", "nosuch://example")
    assert code != 0 and "apprise cannot use this 'nosuch://' URL" in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_problems_lists_open_findings_and_ack_stops_reminders(run, store, webhook):
    put(store, "late.example", 3)
    put(store, "later.example", 20)
    assert run("notify", "add", webhook.url())[0] == 0
    assert run("check", "--no-probe")[0] == 2
    code, out, _ = run("problems", "--format", "json")
    problems = json.loads(out)
    assert [(p["kind"], p["domain"]) for p in problems] == [("critical", "late.example"), ("warning", "later.example")]
    code, out, _ = run("problems", "ack", problems[0]["key"], "--until", "2026-07-01")
    assert code == 0 and "acknowledged critical on late.example until 2026-07-01" in out
    code, out, _ = run("problems")
    assert "acknowledged" in out.splitlines()[1]
    code, _, err = run("problems", "ack", "expiry|certificate:999")
    assert code != 0 and "no longer open" in err


def test_thresholds_global_and_per_lineage(run, store):
    cert = put(store, "short.example", 4, lifetime=6)
    code, out, _ = run("thresholds", "--cert", str(cert.id))
    assert "warning at 2 days left, critical at 24 hours left (the default rule)" in out
    assert run("check", "--no-probe")[0] == 0  # 4 of 6 days left: quiet
    assert run("thresholds", "--cert", str(cert.id), "--warn-days", "5", "--crit-days", "1")[0] == 0
    assert run("check", "--no-probe")[0] == 1
    assert run("thresholds", "--warn-days", "40")[0] == 0
    code, out, _ = run("thresholds")
    assert out.startswith("warning at min(40 days, a third of the lifetime) left; critical at min(7 days")
    code, _, err = run("thresholds", "--warn-days", "3", "--crit-days", "9")
    assert code != 0 and "no larger than the warning" in err


def test_renewal_window_shows_the_window_really_used(run, store):
    issued = make_cert("six.example", not_before=NOW, not_after=NOW + 6 * DAY)
    record = store.add_certificate(issued.cert, [], issued.key, type="self-signed", owner="ops", now=NOW).record
    code, out, _ = run("renewal-window", "--cert", str(record.id))
    assert "2 days before expiry" in out and "a third of its 6-day lifetime" in out


def test_metrics_parse_and_match_the_store(run, store, tmp_path):
    soon = put(store, "soon.example", 3, owner="alice")
    gone = put(store, "gone.example", -1)
    assert run("check", "--no-probe")[0] == 2
    code, out, _ = run("metrics")
    families = {f.name: f for f in text_string_to_metric_families(out)}
    after = {s.labels["domain"]: s for s in families["x509_cert_not_after"].samples}
    assert after["soon.example"].value == soon.not_after.timestamp()
    assert after["soon.example"].labels["subject_CN"] == "soon.example" and after["soon.example"].labels["owner"] == "alice"
    expired = {s.labels["domain"]: s.value for s in families["x509_cert_expired"].samples}
    assert expired == {"soon.example": 0.0, "gone.example": 1.0}
    assert gone.id
    assert families["sslterm_last_check_timestamp_seconds"].samples[0].value == NOW.timestamp()
    findings = {(s.labels["kind"], s.labels["severity"]): s.value for s in families["sslterm_findings"].samples}
    assert findings[("expired", "critical")] == 1 and findings[("critical", "critical")] == 1
    textfile = tmp_path / "node" / "sslterm.prom"
    textfile.parent.mkdir()
    assert run("metrics", "--textfile", str(textfile))[0] == 0
    assert "x509_cert_not_after" in textfile.read_text() and list(textfile.parent.iterdir()) == [textfile]


def test_metrics_listen_serves_fresh_values_on_127_0_0_1(run, store, db_path):
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from tests.notify.conftest import free_port

    put(store, "served.example", 40)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "SSLTERM_NOW": NOW.isoformat()}
    server = subprocess.Popen([sys.executable, "-m", "sslterm", "--db", str(db_path), "metrics", "--listen", f"127.0.0.1:{port}"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()  # noqa: S310 - loopback
                break
            except OSError:
                assert time.monotonic() < deadline and server.poll() is None, server.stderr.read() if server.poll() is not None else "timeout"
                time.sleep(0.1)
        assert 'domain="served.example"' in body
        put(store, "added.example", 50)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2).read().decode()  # noqa: S310 - loopback
        assert 'domain="added.example"' in body  # each scrape reads the store again
    finally:
        server.terminate()
        out, err = server.communicate(timeout=10)
    assert server.returncode == 0, err
    assert "serving http://127.0.0.1:" in out
