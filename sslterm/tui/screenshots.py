"""Generate the SVGs in ``screenshots/`` from demo data at a fixed time and size.

Run ``python -m sslterm.tui.screenshots [OUT_DIR]``. The same scenes pin the
snapshot tests, so what the README shows is what the tests check.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Awaitable, Callable, Union

from textual.pilot import Pilot
from textual.widgets import Input

from sslterm.core.clock import FixedClock
from sslterm.store import Store
from sslterm.store.demo import load_demo
from sslterm.tui.app import SslTermApp, make_app

SCREENSHOT_NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
SCREENSHOT_SIZE = (80, 24)  # an SSH window: every screen must work here
WIDE_SIZE = (120, 40)  # and is better larger: written to screenshots/wide/
Step = Union[str, Callable[[Pilot[Any]], Awaitable[None]]]


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for timers, workers and the repaint that follows."""
    await pilot.pause(0.2)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _set_directory(pilot: Pilot[Any]) -> None:
    pilot.app.screen.query_one("#directory", Input).value = "/srv/certs"
    await pilot.pause()


DEPLOY_DIR = Path(tempfile.gettempdir()) / "sslterm-screens" / "cdn"  # fixed, so the capture is the same every run


async def _deploy_selected(pilot: Pilot[Any]) -> None:
    """Give the selected certificate a deploy target and really deploy it (files only, no commands)."""
    from sslterm.deploy.service import deploy
    from sslterm.store.deploy_targets import DeployStore

    app = pilot.app
    record = app.screen.table.selected  # type: ignore[attr-defined]
    DEPLOY_DIR.mkdir(parents=True, exist_ok=True)
    for old in DEPLOY_DIR.iterdir():
        old.unlink()
    store, now = app.services.store, app.services.now()  # type: ignore[attr-defined]
    target = DeployStore(store).add(record.id, {"fullchain": str(DEPLOY_DIR / "fullchain.pem"), "cert": str(DEPLOY_DIR / "cert.pem")}, now)
    await deploy(store, target, now)


async def _checked(pilot: Pilot[Any]) -> None:
    """A checker pass over the demo store (no renewals: new keys would change every capture)."""
    from sslterm.checker.run import CheckOptions, check_pass

    app = pilot.app
    await check_pass(app.services.store, app.services.now(), CheckOptions(renew=False, probe=False, deploy=False))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Scene:
    """A named state of the app, reached by key presses (and small helpers) from the list."""

    name: str
    title: str
    steps: tuple[Step, ...] = field(default=())
    demo: bool = True
    size: tuple[int, int] | None = None  # a terminal of its own (else the script's and the tests' size)


SCENES = [
    Scene("list", "Certificate list, most urgent first"),
    Scene("list-wide", "A wide terminal: every column, Create At (first version) and Update At (last renewal)", size=(172, 30)),
    Scene("list-7-days", "Status filter: 7 days", ("4",)),
    Scene("search", "Search by domain as you type", ("slash", *"shop")),
    Scene("detail", "Certificate information", ("down", "down", "down", "enter")),
    Scene("detail-deploy", "Certificate information: its lineage's deploy target and last deploy",
          ("down", "down", "down", "down", "down", "down", "down", _deploy_selected, "enter", "end")),
    Scene("detail-pem", "Certificate information with its PEM", ("down", "enter", "p", "end")),
    Scene("history", "Per-domain history", ("down", "down", "down", "down", "down", "down", "down", "h")),
    Scene("change", "Change certificate: web-domains and replacement", ("down", "down", "down", "down", "down", "down", "down", "c")),
    Scene("problems", "Problems: every open finding, most severe first (Enter opens, a acknowledges)", (_checked, "p")),
    Scene("delete-confirm", "Delete asks first", ("d",)),
    Scene("download", "Download: directory, format, private key only on request", ("x", _set_directory)),
    Scene("help", "Every key", ("question_mark",)),
    Scene("empty", "An empty inventory says how to start", demo=False),
    Scene("wizard-type", "Add a certificate: choose the type", ("a",)),
    Scene("wizard-self-signed", "Add: the self-signed / request form", ("a", "enter")),
    Scene("wizard-existing", "Add: an existing certificate, pasted or from files", ("a", "down", "down", "enter")),
    Scene("wizard-live", "Add: from a live server", ("a", "down", "down", "down", "enter")),
    Scene("wizard-acme", "Add: Let's Encrypt / ACME", ("a", "down", "down", "down", "down", "enter")),
    Scene("wizard-review", "Add: review before anything is written",
          ("a", "enter", "tab", *"shop.example", "tab", *"www.shop.example", "tab", "tab", *"DE", "ctrl+n")),
    Scene("wizard-error", "Add: each field explains what is wrong", ("a", "enter", "tab", *"bad domain", "tab", "tab", "tab", *"XX", "tab")),
]


def build_app(db_path: Path, demo: bool = True) -> SslTermApp:
    """A store at ``db_path`` (with demo data at the fixed time) and the App on it."""
    store = Store.open(db_path, user="operator")
    if demo:
        load_demo(store, SCREENSHOT_NOW)
    return make_app(store, FixedClock(SCREENSHOT_NOW))


async def play(pilot: Pilot[Any], scene: Scene) -> None:
    """Perform a scene's steps, then freeze blinking cursors so the capture is deterministic."""
    await settle(pilot)
    for step in scene.steps:
        if isinstance(step, str):
            await pilot.press(step)
        else:
            await step(pilot)
    await settle(pilot)
    # A blinking cursor is on or off depending on when the frame is taken (a loaded
    # machine shifts it): pin it visible.
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]
    await pilot.pause()


def scene_db_path(name: str = "sslterm.db") -> Path:
    """A fresh database at a fixed path, so that screens naming it look the same on every run."""
    import shutil

    directory = Path(tempfile.gettempdir()) / "sslterm-screens"
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(mode=0o700)
    return directory / name


async def capture(scene: Scene, out_dir: Path, size: tuple[int, int] = SCREENSHOT_SIZE) -> Path:
    app = build_app(scene_db_path(), scene.demo)
    async with app.run_test(size=size) as pilot:
        await play(pilot, scene)
        target = out_dir / f"{scene.name}.svg"
        app.save_screenshot(filename=target.name, path=str(out_dir))
    app.services.store.close()
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]) if args else Path("screenshots")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "wide").mkdir(exist_ok=True)
    for scene in SCENES:
        path = asyncio.run(capture(scene, out_dir, scene.size or SCREENSHOT_SIZE))
        print(f"wrote {path}")
        if scene.size is None:
            print(f"wrote {asyncio.run(capture(scene, out_dir / 'wide', WIDE_SIZE))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
