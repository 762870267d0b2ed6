"""A real certbot tree: Debian's certbot against pebble, renewed, then imported as lineages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509

from sslterm.cli import main
from sslterm.core.records import iso

CERTBOT = shutil.which("certbot") or "/usr/bin/certbot"


@pytest.fixture(scope="module")
def certbot(pebble, tmp_path_factory):
    """Runs certbot with its own config, work and log directories, trusting pebble's HTTPS."""
    if not os.path.exists(CERTBOT):
        pytest.skip("certbot is not installed (.ci/run installs it with apt-get)")
    root = tmp_path_factory.mktemp("certbot")
    env = {**os.environ, "REQUESTS_CA_BUNDLE": str(pebble.ca_bundle)}
    common = ["--non-interactive", "--config-dir", str(root / "etc"), "--work-dir", str(root / "work"), "--logs-dir", str(root / "logs")]

    def run(*args: str) -> Path:
        result = subprocess.run([CERTBOT, *args, *common], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        return root / "etc"

    run("register", "--agree-tos", "--register-unsafely-without-email", "--server", pebble.directory)
    run.issue = lambda name, *domains: run(  # type: ignore[attr-defined]
        "certonly", "--standalone", "--http-01-port", str(pebble.http_port), "--http-01-address", "127.0.0.1",
        "--server", pebble.directory, "--cert-name", name, "--key-type", "ecdsa", *[f"-d{d}" for d in domains])
    run.renew = lambda name: run(  # type: ignore[attr-defined]
        "renew", "--force-renewal", "--no-random-sleep-on-renew", "--cert-name", name, "--standalone", "--http-01-port", str(pebble.http_port),
        "--http-01-address", "127.0.0.1", "--server", pebble.directory)
    return run


def sslterm(db: Path, *args: str, capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    code = main(["--db", str(db), *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


def cert_numbers(config: Path, name: str) -> list[x509.Certificate]:
    archive = config / "archive" / name
    count = len(list(archive.glob("cert*.pem")))
    return [x509.load_pem_x509_certificate((archive / f"cert{n}.pem").read_bytes()) for n in range(1, count + 1)]


def test_a_renewed_certbot_tree_imports_as_one_live_row_per_lineage(certbot, tmp_path, capsys, monkeypatch):
    config = certbot.issue("shop", "shop.certbot.example", "www.shop.certbot.example")
    certbot.issue("blog", "blog.certbot.example")
    certbot.renew("shop")
    certbot.renew("shop")
    db = tmp_path / "s.db"
    shop = cert_numbers(config, "shop")
    assert len(shop) == 3 and len(cert_numbers(config, "blog")) == 1

    code, out = sslterm(db, "import", str(config / "live"), capsys=capsys)
    assert code == 0 and out.count("imported") == 2, out
    code, out = sslterm(db, "import", str(config), capsys=capsys)
    assert code == 0 and out.count("history of #") == 2 and "imported  " not in out, out

    certbot.renew("shop")  # a fourth version, then live/ again as a cron job would
    shop = cert_numbers(config, "shop")
    code, out = sslterm(db, "import", str(config / "live"), capsys=capsys)
    assert code == 0 and "renewed: supersedes #" in out, out

    rows = json.loads(sslterm(db, "list", "--format", "json", capsys=capsys)[1])
    assert sorted(r["domain"] for r in rows) == ["blog.certbot.example", "shop.certbot.example"]
    current = next(r for r in rows if r["domain"] == "shop.certbot.example")
    assert current["serial"] == format(shop[-1].serial_number, "x") and (current["version"], current["versions"]) == (4, 4)
    assert current["web_domains"] == ["shop.certbot.example"] and current["has_key"]

    history = json.loads(sslterm(db, "history", "shop.certbot.example", "--format", "json", capsys=capsys)[1])
    assert [(v["version"], v["serial"], v["archived"]) for v in history["versions"]] == [
        (n, format(c.serial_number, "x"), n < 4) for n, c in reversed(list(enumerate(shop, start=1)))]

    # Between the expiry of version 3 and that of version 4 (seconds apart), only version 4 can be reported.
    between = shop[2].not_valid_after_utc + (shop[3].not_valid_after_utc - shop[2].not_valid_after_utc) / 2
    assert shop[3].not_valid_after_utc - shop[2].not_valid_after_utc >= timedelta(seconds=2)
    monkeypatch.setenv("SSLTERM_NOW", iso(between) or "")
    code, out = sslterm(db, "check", "--no-renew", "--no-probe", "--format", "json", capsys=capsys)
    report = json.loads(out)
    on_shop = [(p["kind"], p["certificate_id"]) for p in report["problems"] if p["domain"] == "shop.certbot.example"]
    assert on_shop == [("critical", current["id"])]  # versions 1-3 have expired by now, and are not reported
    assert {p["certificate_id"] for p in report["problems"]} <= {r["id"] for r in rows}
