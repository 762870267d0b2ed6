"""Every input ends as stored or as one named line; the others go on; nothing hangs."""

from __future__ import annotations

import base64
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from sslterm.cli import main
from tests.factories import ec_key, make_cert

ROOT = Path(__file__).resolve().parents[2]


def unknown_key_algorithm(cn: str, serial: int) -> bytes:
    """A certificate whose public key algorithm no library here knows (the id-ecPublicKey OID edited)."""
    der = make_cert(cn, serial=serial).cert.public_bytes(serialization.Encoding.DER)
    edited = der.replace(bytes.fromhex("2a8648ce3d0201"), bytes.fromhex("2a8648ce3d0209"), 1)
    return b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(edited) + b"-----END CERTIFICATE-----\n"


def sslterm(db: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "sslterm", "--db", str(db), *args], capture_output=True, text=True, timeout=timeout, env=env)


def test_fifos_sockets_and_link_loops_are_one_line_each_and_never_opened(tmp_path):
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "good.pem").write_bytes(make_cert("good.example").pem)
    os.mkfifo(tree / "fifo.pem")
    os.mkfifo(tmp_path / "named.pem")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tree / "sock.pem"))
    (tree / "loop-a.pem").symlink_to(tree / "loop-b.pem")
    (tree / "loop-b.pem").symlink_to(tree / "loop-a.pem")
    try:
        result = sslterm(tmp_path / "s.db", "import", str(tree), str(tmp_path / "named.pem"), timeout=30)  # a FIFO opened would hang
    finally:
        sock.close()
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert sum("imported  good.example" in line for line in lines) == 1
    for name, what in (("fifo.pem", "a FIFO"), ("named.pem", "a FIFO"), ("sock.pem", "a socket"),
                       ("loop-a.pem", "a symbolic link loop"), ("loop-b.pem", "a symbolic link loop")):
        assert sum(line.startswith("rejected") and line.split(": ")[0].endswith(name) and what in line for line in lines) == 1, name
    assert len(lines) == 6


@pytest.mark.parametrize("count", [20, 2100])  # 2,100: through the process pool
def test_a_certificate_with_an_unknown_key_is_still_tracked_and_a_damaged_one_is_its_own_line(tmp_path, count):
    tree = tmp_path / "tree"
    tree.mkdir()
    key = ec_key()
    for index in range(count):
        (tree / f"c{index:05d}.pem").write_bytes(make_cert(f"h{index}.example", key=key, serial=index + 10).pem)
    (tree / "c00007-bad.pem").write_bytes(unknown_key_algorithm("bad.example", 3))
    (tree / "zz-truncated.pem").write_bytes(make_cert("cut.example", key=key, serial=5).pem[:200])
    result = sslterm(tmp_path / "s.db", "import", str(tree))
    lines = result.stdout.splitlines()
    assert result.returncode == 1 and "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert sum(line.startswith("imported  ") for line in lines) == count + 1
    (unknown,) = [line for line in lines if "c00007-bad.pem" in line]
    assert unknown.startswith("imported  bad.example")  # tracked for expiry by its dates and names
    assert sum("zz-truncated.pem" in line and line.startswith("rejected") for line in lines) == 1
    shown = sslterm(tmp_path / "s.db", "show", "bad.example").stdout
    assert "unsupported_key: the public key algorithm of 'bad.example' (1.2.840.10045.2.9) is not one sslterm reads" in shown
    again = sslterm(tmp_path / "s.db", "import", str(tree))
    assert again.returncode == 1 and sum(line.startswith("already present") for line in again.stdout.splitlines()) == count + 1


def without_file_override(argv: list[str]) -> list[str]:
    """Root reads any file whatever its mode: run it without CAP_DAC_OVERRIDE/READ_SEARCH, as a user would be."""
    if os.geteuid() != 0:
        return argv
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv (util-linux): cannot drop the file-permission override")
    return [setpriv, "--bounding-set", "-dac_override,-dac_read_search", *argv]


def test_unreadable_files_and_directories_get_a_line(tmp_path):
    tree = tmp_path / "tree"
    (tree / "closed").mkdir(parents=True)
    (tree / "secret.pem").write_bytes(make_cert("s.example").pem)
    (tree / "open.pem").write_bytes(make_cert("o.example").pem)
    (tree / "secret.pem").chmod(0)
    (tree / "closed").chmod(0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        result = subprocess.run(without_file_override([sys.executable, "-m", "sslterm", "--db", str(tmp_path / "s.db"), "import", str(tree)]),
                                capture_output=True, text=True, timeout=60, env=env)
    finally:
        (tree / "closed").chmod(0o700)
    out = result.stdout
    assert result.returncode == 1, result.stderr
    assert "closed: cannot read this directory: Permission denied" in out
    assert sum("secret.pem" in line for line in out.splitlines()) == 1 and "Permission denied" in out
    assert any(line.startswith("imported  o.example") for line in out.splitlines())


def test_an_export_killed_anywhere_leaves_no_key_or_temporary_file_once_run_again(tmp_path):
    import random
    import signal
    import time

    leaf = make_cert("kill.example")
    (tmp_path / "in.pem").write_bytes(leaf.pem + leaf.key_pem)
    db = tmp_path / "s.db"
    assert sslterm(db, "import", str(tmp_path / "in.pem")).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    expected = ["kill.example.crt", "kill.example.fullchain.crt", "kill.example.key"]

    def export(out: Path, *extra: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "sslterm", "--db", str(db), "export", "kill.example", "--out", str(out), "--with-key",
                                 *extra], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    started = time.monotonic()
    assert export(tmp_path / "timing").wait(60) == 0
    duration = time.monotonic() - started
    rng = random.Random(20261201)
    for point in range(20):  # random points in the write window; the exact ones are the test below
        out = tmp_path / f"out{point}"
        process = export(out)
        time.sleep(rng.uniform(0.5, 1.0) * duration)  # the first half is start-up; the write window is near the end
        process.send_signal(signal.SIGKILL)
        process.wait(30)
        assert export(out, "--force").wait(60) == 0, point  # the next run completes (--force: the killed one may have finished)
        assert sorted(os.listdir(out)) == expected, (point, os.listdir(out))  # nothing hidden, nothing half
        assert stat_mode(out / "kill.example.key") == 0o600


def stat_mode(path: Path) -> int:
    import stat

    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("links_before_kill", [0, 1, 2])
def test_a_set_killed_while_being_placed_is_taken_back_by_the_next_run(tmp_path, links_before_kill):
    """kill -9 exactly between two files being put in place: the next run removes the half set and the staging."""
    import signal

    from sslterm.core.files import STAGING_PREFIX, write_set

    out = tmp_path / "out"
    out.mkdir()
    files = [("a.crt", b"cert", 0o644), ("a.fullchain.crt", b"chain", 0o644), ("a.key", b"PRIVATE KEY", 0o600)]
    child = os.fork()
    if child == 0:
        real_link, placed = os.link, []

        def link_then_die(source, target):  # type: ignore[no-untyped-def]
            if len(placed) == links_before_kill:
                os.kill(os.getpid(), signal.SIGKILL)
            real_link(source, target)
            placed.append(target)

        os.link = link_then_die  # type: ignore[assignment]
        write_set(out, files)
        os._exit(0)
    _, status = os.waitpid(child, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    left = os.listdir(out)
    assert any(name.startswith(STAGING_PREFIX) for name in left) and len(left) == 1 + links_before_kill
    staging = next(out.glob(STAGING_PREFIX + "*"))
    assert stat_mode(staging) == 0o700 and stat_mode(staging / "a.key") == 0o600  # the key waited in a private directory
    write_set(out, files)
    assert sorted(os.listdir(out)) == ["a.crt", "a.fullchain.crt", "a.key"] and (out / "a.key").read_bytes() == b"PRIVATE KEY"


def test_a_directory_of_ca_certificates_is_tracked_as_type_ca_unless_no_ca(tmp_path, capsys):
    import json

    from tests.factories import DAY, NOW, make_chain

    cas = tmp_path / "certs"
    cas.mkdir()
    roots = [make_cert(f"Internal Root {i}", ca=True, serial=i + 1, not_after=NOW + (100 + i) * DAY) for i in range(3)]
    for index, root in enumerate(roots):
        (cas / f"root{index}.pem").write_bytes(root.pem)
    db = tmp_path / "s.db"
    assert main(["--db", str(db), "import", "--no-ca", str(cas)]) == 1
    assert "no leaf certificate found; 3 CA certificate(s) read as chain material only" in capsys.readouterr().err
    assert main(["--db", str(db), "import", str(cas)]) == 0
    assert capsys.readouterr().out.count("imported  internal root") == 3
    rows = json.loads((main(["--db", str(db), "list", "--format", "json"]), capsys.readouterr().out)[1])
    assert sorted((r["type"], r["web_domains"]) for r in rows) == [("ca", [])] * 3
    chain = make_chain("leaf.example")  # a leaf with its chain: the links stay chain material
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "fullchain.pem").write_bytes(chain.leaf.pem + chain.intermediate.pem + chain.root.pem)
    assert main(["--db", str(db), "import", str(tmp_path / "site")]) == 0
    out = capsys.readouterr().out
    assert out.count("imported") == 1 and "leaf.example" in out
    shown = json.loads((main(["--db", str(db), "show", "leaf.example", "--format", "json"]), capsys.readouterr().out)[1])
    assert shown["type"] == "existing" and any("chain of 3" in f["message"] for f in shown["findings"])


def test_a_key_given_alone_joins_the_stored_certificate_it_matches(tmp_path, capsys):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, Encoding, PrivateFormat

    leaf, stranger = make_cert("alone.example"), make_cert("stranger.example", serial=2)
    (tmp_path / "cert.pem").write_bytes(leaf.pem)
    (tmp_path / "enc.key").write_bytes(leaf.key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, BestAvailableEncryption(b"key pass")))
    (tmp_path / "pw").write_text("key pass\n")
    (tmp_path / "other.key").write_bytes(stranger.key_pem)
    db = tmp_path / "s.db"
    assert main(["--db", str(db), "import", str(tmp_path / "cert.pem")]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), "import", str(tmp_path / "enc.key"), "--password-file", str(tmp_path / "pw")]) == 0
    assert capsys.readouterr().out.strip() == f"key added  to certificate id 1 from {tmp_path / 'enc.key'}"
    from sslterm.store import Store

    store = Store.open(db, user="t", create=False)
    assert store.material(1, with_key=True).key.public_key().public_numbers() == leaf.cert.public_key().public_numbers()
    store.close()
    assert main(["--db", str(db), "import", str(tmp_path / "other.key")]) == 1
    assert "other.key: this private key matches no stored certificate" in capsys.readouterr().out


def test_library_warnings_never_reach_the_terminal(tmp_path):
    """A negative serial makes cryptography warn; the import says what it did and nothing else."""
    der = make_cert("neg.example", serial=1000).cert.public_bytes(serialization.Encoding.DER)
    negative = der.replace(bytes.fromhex("020203e8"), bytes.fromhex("020283e8"), 1)
    (tmp_path / "neg.pem").write_bytes(b"-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(negative) + b"-----END CERTIFICATE-----\n")
    result = sslterm(tmp_path / "s.db", "import", str(tmp_path / "neg.pem"))
    assert "Warning" not in result.stderr and "warn" not in result.stderr.lower(), result.stderr
    assert result.stdout.startswith(("imported  neg.example", "rejected  ")), result.stdout
