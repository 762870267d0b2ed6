"""End to end in a real terminal: the installed ``sslterm`` in tmux at 80x24."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sslterm.cli import main as cli_main
from tests.factories import DAY, NOW, make_cert

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (.ci/run installs it)")


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", "-L", "sslterm-test", *args], capture_output=True, text=True, check=True).stdout


def wait_for(text: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux("capture-pane", "-p", "-t", "e2e")
        if text in screen:
            return screen
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never appeared; screen was:\n{screen}")


def test_search_open_detail_back_and_quit(tmp_path: Path, monkeypatch):
    db = tmp_path / "e2e.db"
    monkeypatch.setenv("SSLTERM_NOW", NOW.isoformat())
    assert cli_main(["--db", str(db), "demo"]) == 0
    env = f"TERM=xterm-256color SSLTERM_NOW={NOW.isoformat()} TZ=UTC"
    command = f"env {env} {sys.executable} -m sslterm --db {db}; echo EXITED=$?; sleep 30"
    tmux("new-session", "-d", "-s", "e2e", "-x", "80", "-y", "24", "-c", os.getcwd(), command)
    try:
        screen = wait_for("Expired 6")
        assert "legacy-port…example.com" in screen  # cut in the middle, the TLD kept
        lines = screen.splitlines()
        assert any("SSL domain" in line and "Expired Date" in line and line.rstrip().endswith("Type") for line in lines)
        assert any(line.startswith(" row 1 of 60 · ") for line in lines)  # the status line, whole
        footer = next(line for line in reversed(lines) if line.strip())
        assert "? Help" in footer and "q Quit" in footer and "palette" in footer  # no key cut in half
        tmux("send-keys", "-t", "e2e", "Right", "Right")
        screen = wait_for("Owner")
        assert "legacy-portal.example.com" in screen  # the domain stays (wider now) while the columns scroll
        tmux("send-keys", "-t", "e2e", "Left", "Left")
        new = tmp_path / "new.pem"
        new.write_bytes(make_cert("0-fresh.example", not_before=NOW - 89 * DAY, not_after=NOW + DAY).pem)
        assert cli_main(["--db", str(db), "import", str(new)]) == 0  # another process's write
        wait_for("0-fresh.example", timeout=8)  # shown with no key pressed
        tmux("send-keys", "-t", "e2e", "/")
        time.sleep(0.3)
        tmux("send-keys", "-t", "e2e", "-l", "img.cdn.example.net")
        wait_for("⊇ covered by a wildcard")  # the status line says why the row is there
        screen = wait_for("row 1 of 1 ·")  # the counts follow the rows
        assert "cdn.example.net ⊇" in screen, screen
        tmux("send-keys", "-t", "e2e", "Escape")
        wait_for("row 1 of 61")
        tmux("send-keys", "-t", "e2e", "/")
        time.sleep(0.3)  # a person's pause: "/" moves the focus before the next key lands
        tmux("send-keys", "-t", "e2e", "-l", "grafana")
        screen = wait_for("search: grafana")
        assert "grafana.ops.example" in screen and "legacy-portal" not in screen
        tmux("send-keys", "-t", "e2e", "Enter")  # leave the search box
        time.sleep(0.3)
        tmux("send-keys", "-t", "e2e", "Enter")  # open the highlighted certificate
        screen = wait_for("Certificate information")
        assert "grafana.ops.example" in screen and "Self-signed" in screen
        tmux("send-keys", "-t", "e2e", "Escape")
        wait_for("search: grafana")
        tmux("send-keys", "-t", "e2e", "q")
        assert "EXITED=0" in wait_for("EXITED=")
    finally:
        subprocess.run(["tmux", "-L", "sslterm-test", "kill-server"], capture_output=True)
