"""Snapshot tests pin every main screen at 80x24, from demo data at a fixed time.

The scenes are the ones the screenshot script renders for the README.
Update after an intended change with ``pytest tests/snapshots --snapshot-update``
and look at the SVGs before committing them.
"""

from __future__ import annotations

import pytest

from sslterm.tui.screenshots import SCENES, build_app, play, scene_db_path

SIZE = (80, 24)


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_screen(scene, snap_compare):
    app = build_app(scene_db_path(), scene.demo)  # a fixed path: the empty screen names it

    async def run_before(pilot):
        await play(pilot, scene)

    try:
        assert snap_compare(app, terminal_size=scene.size or SIZE, run_before=run_before)
    finally:
        app.services.store.close()
