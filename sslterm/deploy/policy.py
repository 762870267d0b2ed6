"""How a deploy is verified: its own module, so that a checker pass with nothing to deploy loads no deploy code."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class VerifyPolicy:
    """How long to wait for a reloading server to serve the new version."""

    attempts: int = 8
    delay: float = 0.5
    timeout: float = 5.0
    confirmations: int = 2  # rounds in a row that must see the new version: a reloading server's old workers still answer a while
