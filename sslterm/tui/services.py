"""What screens need from outside the TUI, passed in (never imported as globals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sslterm.core.clock import Clock
from sslterm.store import Store


@dataclass
class Services:
    """The store and the clock; one instance per App, handed to every screen."""

    store: Store
    clock: Clock
    download_dir: Path | None = None  # the folder of the last download, offered again

    def now(self) -> datetime:
        return self.clock.now()
