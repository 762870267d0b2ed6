"""Deploying to a real nginx: renewed by the checker, written, checked, reloaded, verified; restored on failure."""

from __future__ import annotations

import json
import os
import stat
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from sslterm.cli import main
from sslterm.core.records import iso
from tests.deploy.nginx import served_sha256
from tests.factories import make_cert

NOW = datetime.now(UTC).replace(microsecond=0)  # nginx and the probes run on real time


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    db = tmp_path / "s.db"

    def run(*args: str, at: datetime | None = None) -> tuple[int, str]:
        monkeypatch.setenv("SSLTERM_NOW", iso(at or NOW) or "")
        code = main(["--db", str(db), *args])
        out, err = capsys.readouterr()
        assert "Traceback" not in err, err
        return code, out + err

    run.db = db  # type: ignore[attr-defined]
    return run


def fingerprint_of(path: Path) -> str:
    return x509.load_pem_x509_certificates(path.read_bytes())[0].fingerprint(hashes.SHA256()).hex()


def current(cli, domain: str) -> dict:  # type: ignore[no-untyped-def]
    return json.loads(cli("show", domain, "--format", "json")[1])


def site(cli, nginx, name: str, **target: str):  # type: ignore[no-untyped-def]
    """A self-signed lineage served by a new nginx site, with a deploy target and an endpoint."""
    domain = f"{name}.deploy.example"
    assert cli("new", "self-signed", "--domain", domain, "--days", "90", "--key-type", "ec256")[0] == 0
    port, fullchain, key = nginx.add_site(name, domain, make_cert("placeholder.example"))
    options = {"--fullchain": str(fullchain), "--key": str(key), "--check": nginx.check_command, "--reload": nginx.reload_command, **target}
    code, out = cli("deploy", "add", domain, *[x for pair in options.items() for x in pair])
    assert code == 0 and str(fullchain) in out and "--dry-run" in out, out
    assert cli("endpoint", "add", domain, f"127.0.0.1:{port}", "--sni", domain)[0] == 0
    return domain, port, fullchain, key


def test_a_renewal_by_the_checker_reaches_nginx_and_is_verified(cli, nginx):
    domain, port, fullchain, key = site(cli, nginx, "renewed")
    code, out = cli("deploy", "run", domain)
    assert code == 0 and out.startswith("verified"), out
    first = current(cli, domain)
    assert served_sha256(port, domain) == first["fingerprint_sha256"]
    inside = NOW + timedelta(days=80)  # within 30 days of expiry: the checker renews
    code, out = cli("check", "--format", "json", at=inside)
    report = json.loads(out)
    assert [r["old_id"] for r in report["renewed"]] == [first["id"]]
    renewed = current(cli, domain)
    assert [(d["result"], d["version"]) for d in report["deployed"]] == [("verified", 2)], report["deployed"]
    assert fingerprint_of(fullchain) == renewed["fingerprint_sha256"] == served_sha256(port, domain)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and stat.S_IMODE(fullchain.stat().st_mode) == 0o644
    loaded = serialization.load_pem_private_key(key.read_bytes(), None)
    assert loaded.public_key().public_numbers() == x509.load_pem_x509_certificate(fullchain.read_bytes()).public_key().public_numbers()
    endpoint = json.loads(cli("endpoint", "list", "--format", "json", at=inside)[1])[0]
    assert endpoint["served_sha256"] == renewed["fingerprint_sha256"] and endpoint["drift"] is False
    kinds = [e["event"] for e in json.loads(cli("history", domain, "--format", "json")[1])["events"] if e["certificate_id"] == renewed["id"]]
    assert "deployed" in kinds and "verified" in kinds
    assert not any(p["kind"].startswith("deploy") for p in report["problems"])


def test_a_failing_check_restores_the_previous_files_and_is_critical(cli, nginx):
    domain, port, fullchain, key = site(cli, nginx, "broken")
    assert cli("deploy", "run", domain)[0] == 0
    before = {p: p.read_bytes() for p in (fullchain, key)}
    served = served_sha256(port, domain)
    broken = nginx.root / "sites" / "zz-broken.conf"
    broken.write_text("this_is_not_a_directive on;\n")
    try:
        code, out = cli("check", "--format", "json", at=NOW + timedelta(days=80))
        report = json.loads(out)
        assert code == 2 and report["deployed"][0]["result"] == "failed"
        (problem,) = [p for p in report["problems"] if p["kind"] == "deploy-failed"]
        assert problem["severity"] == "CRITICAL" and 'unknown directive "this_is_not_a_directive"' in problem["message"]
        assert {p: p.read_bytes() for p in (fullchain, key)} == before  # byte for byte
        assert served_sha256(port, domain) == served
        again = json.loads(cli("check", "--format", "json", "--no-probe", at=NOW + timedelta(days=80, hours=1))[1])
        assert [d["result"] for d in again["deployed"]] == ["failed"]  # retried on the next pass, still failing
        events = json.loads(cli("history", domain, "--format", "json")[1])["events"]
        assert [e["event"] for e in events].count("deploy_failed") == 1  # the same failure is one event
    finally:
        broken.unlink()
    code, out = cli("check", "--format", "json", "--no-probe", at=NOW + timedelta(days=80, hours=2))
    assert [d["result"] for d in json.loads(out)["deployed"]] == ["verified"]  # fixed: the next pass deploys it


def test_a_reload_that_changes_nothing_is_unverified(cli, nginx, tmp_path):
    domain, port, fullchain, key = site(cli, nginx, "noop", **{"--reload": "true", "--check": ""})
    code, out = cli("deploy", "run", domain)
    assert code == 1 and out.startswith("unverified") and "reload done but not serving v1" in out, out
    report = json.loads(cli("check", "--format", "json", "--no-renew", "--no-probe")[1])
    assert [p["kind"] for p in report["problems"] if p["kind"].startswith("deploy")] == ["deploy-unverified"]


def test_a_hanging_reload_is_killed_at_its_timeout_and_nothing_stays(cli, nginx, tmp_path):
    out_dir = tmp_path / "hang"
    out_dir.mkdir()
    domain, port, fullchain, key = site(cli, nginx, "hang")
    code, out = cli("deploy", "add", domain, "--fullchain", str(out_dir / "f.pem"), "--key", str(out_dir / "k.pem"),
                    "--reload", f"{sys.executable} -c 'import time; time.sleep(60)'", "--timeout", "1")
    target = out.split("deploy target ")[1].split()[0]
    code, out = cli("deploy", "run", f"target:{target}")
    assert code == 2 and "killed after 1 s (timeout)" in out, out
    assert sorted(os.listdir(out_dir)) == []  # new files removed again, no temporary file left


def test_bad_targets_are_one_clear_error_and_write_nothing(cli, nginx, tmp_path):
    domain = "bad.deploy.example"
    assert cli("new", "self-signed", "--domain", domain, "--days", "90")[0] == 0
    real = tmp_path / "real.pem"
    real.write_text("keep me")
    link = tmp_path / "link.pem"
    link.symlink_to(real)
    cases = {
        "missing": ("--fullchain", str(tmp_path / "nope" / "f.pem"), "does not exist: create it first"),
        "symlink": ("--fullchain", str(link), "is a symbolic link"),
    }
    for flag, path, message in cases.values():
        code, out = cli("deploy", "add", domain, flag, path)
        assert code == 0, out
    code, out = cli("deploy", "run", domain)
    assert code == 2 and all(message in out for _, _, message in cases.values()), out
    assert real.read_text() == "keep me" and not (tmp_path / "nope").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("s.db")) == ["link.pem", "real.pem"]
    code, out = cli("deploy", "add", domain, "--key", str(tmp_path / "k.pem"), "--key-mode", "0644")
    assert code == 1 and "every local user read the private key" in out
    code, out = cli("deploy", "add", domain, "--cert", "relative.pem")
    assert code == 1 and "is not absolute" in out


def test_a_read_only_directory_is_one_clear_error(tmp_path):
    """As the user sslterm runs as, a directory it cannot write is refused before anything is written."""
    import shutil
    import tempfile

    from sslterm.core.deploy import DeployFile
    from sslterm.deploy.files import DeployError, install

    directory = Path(tempfile.mkdtemp(prefix="sslterm-ro-", dir="/tmp"))  # reachable by an unprivileged user
    try:
        (directory / "cert.pem").write_text("old")
        directory.chmod(0o755 if os.geteuid() == 0 else 0o555)
        read, write = os.pipe()
        child = os.fork()
        if child == 0:  # the child drops to nobody when run as root, for whom 0755 is read-only
            try:
                if os.geteuid() == 0:
                    import pwd

                    nobody = pwd.getpwnam("nobody")
                    os.setgid(nobody.pw_gid)
                    os.setuid(nobody.pw_uid)
                install([DeployFile("cert", directory / "cert.pem", b"new", 0o644)])
                message = "written"
            except DeployError as exc:
                message = str(exc)
            os.write(write, message.encode())
            os._exit(0)
        os.close(write)
        os.waitpid(child, 0)
        message = os.read(read, 4096).decode()
        os.close(read)
        assert message == f"cannot write in {directory}: Permission denied"
        assert (directory / "cert.pem").read_text() == "old" and os.listdir(directory) == ["cert.pem"]
    finally:
        directory.chmod(0o755)
        shutil.rmtree(directory)


@pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root")
def test_modes_and_ownership_of_every_written_file(cli, tmp_path):
    import grp
    import pwd

    domain = "owned.deploy.example"
    assert cli("new", "self-signed", "--domain", domain, "--days", "90")[0] == 0
    out_dir = tmp_path / "owned"
    out_dir.mkdir()
    group = grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    parts = {part: out_dir / f"x.{part}" for part in ("cert", "key", "chain", "fullchain", "combined", "pfx")}
    (tmp_path / "pw").write_text("secret\n")
    args = [x for part, path in parts.items() for x in (f"--{part}", str(path))]
    code, out = cli("deploy", "add", domain, *args, "--password-file", str(tmp_path / "pw"), "--owner", "nobody", "--group", group,
                    "--mode", "0640", "--key-mode", "0640")
    assert code == 0, out
    code, out = cli("deploy", "run", domain, "--dry-run")
    assert code == 0 and out.count("  would write ") == 6 and os.listdir(out_dir) == []  # a dry run writes nothing
    code, out = cli("deploy", "run", domain)
    assert code == 0 and "no endpoint to verify" in out, out
    for part, path in parts.items():
        info = path.stat()
        assert (stat.S_IMODE(info.st_mode), pwd.getpwuid(info.st_uid).pw_name, grp.getgrgid(info.st_gid).gr_name) == (0o640, "nobody", group), part
    from cryptography.hazmat.primitives.serialization import pkcs12

    loaded = pkcs12.load_pkcs12(parts["pfx"].read_bytes(), b"secret")
    assert loaded.key is not None and loaded.cert is not None
    combined = parts["combined"].read_bytes()
    assert combined.index(b"PRIVATE KEY") < combined.index(b"CERTIFICATE")
    assert parts["chain"].read_bytes() == b""  # self-signed: an empty chain, as the target asked for one


def test_hook_commands_get_the_certbot_like_environment(cli, tmp_path):
    domain = "env.deploy.example"
    assert cli("new", "self-signed", "--domain", domain, "--san", "www.env.deploy.example", "--days", "90")[0] == 0
    dump = tmp_path / "env.json"
    script = f"import json, os; json.dump({{k: v for k, v in os.environ.items() if k.startswith('SSLTERM_')}}, open({str(dump)!r}, 'w'))"
    code, out = cli("deploy", "add", domain, "--cert", str(tmp_path / "c.pem"), "--key", str(tmp_path / "k.pem"),
                    "--reload", f"{sys.executable} -c \"{script}\"")
    assert code == 0, out
    assert cli("deploy", "run", domain)[0] == 0
    env = json.loads(dump.read_text())
    assert env["SSLTERM_DOMAIN"] == domain and env["SSLTERM_NAMES"] == f"{domain} www.{domain}"
    assert env["SSLTERM_CERT_PATH"] == str(tmp_path / "c.pem") and env["SSLTERM_KEY_PATH"] == str(tmp_path / "k.pem")
    assert env["SSLTERM_FULLCHAIN_PATH"] == "" and env["SSLTERM_VERSION"] == "1"
