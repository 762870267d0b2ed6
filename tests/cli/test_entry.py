"""The ``sslterm`` process itself: what ``entry`` adds around ``main``."""

from __future__ import annotations

import subprocess
import sys

ENTRY = """
import gc, sys
from sslterm.cli import entry
sys.argv = ["sslterm", *sys.argv[1:]]
code = entry()
print(code, gc.get_freeze_count() > 0)
"""


def run_entry(*argv: str) -> tuple[list[str], str]:
    done = subprocess.run([sys.executable, "-c", ENTRY, *argv], capture_output=True, text=True, timeout=60)
    return done.stdout.split(), done.stderr


def test_the_command_returns_its_exit_code_and_leaves_its_objects_to_the_exit(tmp_path):
    out, _ = run_entry("--db", str(tmp_path / "s.db"), "init")
    assert out[-2:] == ["0", "True"]  # what it held is not walked by the interpreter's last collection
    assert (tmp_path / "s.db").exists()


def test_a_failing_command_keeps_its_code_and_its_one_line_error(tmp_path):
    out, err = run_entry("--db", str(tmp_path / "missing.db"), "list")
    assert out[-2:] == ["1", "True"]
    assert err.strip().startswith("sslterm: error: no database at") and len(err.strip().splitlines()) == 1


def test_python_dash_m_runs_the_same_entry(tmp_path):
    done = subprocess.run([sys.executable, "-m", "sslterm", "--db", str(tmp_path / "missing.db"), "list"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "run 'sslterm init'" in done.stderr
