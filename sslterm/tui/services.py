"""What screens need from outside the TUI, passed in (never imported as globals)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sslterm.core.clock import Clock
from sslterm.store import Store


@dataclass
class Services:
    """The store and the clock; one instance per App, handed to every screen."""

    store: Store
    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()
