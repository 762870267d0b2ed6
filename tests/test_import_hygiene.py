"""Layering is executable: headless code never loads textual, the core never loads peewee."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def loaded_after(code: str) -> set[str]:
    script = f"{code}\nimport sys\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    return set(result.stdout.split())


def test_headless_commands_never_import_textual_or_rich(tmp_path):
    modules = loaded_after(f"from sslterm.cli import main\nmain(['--db', r'{tmp_path / 'h.db'}', 'list', '--format', 'json'])")
    assert "textual" not in modules and "rich" not in modules
    assert "peewee" in modules  # the check above did run a real command


def test_the_core_imports_only_the_standard_library_and_cryptography():
    modules = loaded_after(
        "import sslterm.core.parse, sslterm.core.certinfo, sslterm.core.validate, sslterm.core.generate, "
        "sslterm.core.status, sslterm.core.describe, sslterm.core.discover, sslterm.core.export, sslterm.core.files"
    )
    assert not {"peewee", "textual", "rich", "platformdirs"} & modules


def test_import_linter_layers_contract_holds():
    """cli -> tui -> checker|store -> core, as declared in pyproject.toml."""
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint) if lint.exists() else "lint-imports", "--no-cache"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


def test_the_list_starts_without_loading_x509_or_the_checker():
    """The TUI's start-up imports what the list needs: X.509 parsing and the checker load on first use."""
    script = ("import sslterm.cli.context, sslterm.tui.launch, sslterm.tui.app, sys\n"
              "print(' '.join(sorted(sys.modules)))")
    modules = set(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True).stdout.split())
    assert "textual.app" in modules and "sslterm.store.store" in modules  # it did load the app and the store
    assert not {"cryptography.x509", "sslterm.checker.run", "sslterm.core.certinfo"} & modules


def test_a_check_with_nothing_to_deploy_loads_no_deploy_or_key_reading_code(tmp_path):
    """A cron or Nagios check pays for what it does: deploy code loads when a target has a version to write."""
    db = tmp_path / "c.db"
    subprocess.run([sys.executable, "-m", "sslterm", "--db", str(db), "init"], capture_output=True, cwd=ROOT, check=True)
    script = (f"from sslterm.cli import main\nmain(['--db', r'{db}', 'check', '--no-notify', '--format', 'json'])\n"
              "import sys\nprint('MODULES', ' '.join(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True).stdout
    modules = set(out.rpartition("MODULES ")[2].split())
    assert "sslterm.checker.run" in modules and "sslterm.store.deploy_targets" in modules  # the pass ran, deploys included
    assert not {"sslterm.deploy.service", "sslterm.core.parse", "sslterm.core.certinfo",
                "cryptography.hazmat.primitives.serialization.pkcs12"} & modules
