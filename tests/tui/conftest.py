"""TUI fixtures: the real App from the shared factory, a tmp store, a fixed clock and size."""

from __future__ import annotations

import pytest
from cryptography import x509

from sslterm.core.clock import FixedClock
from sslterm.tui.app import make_app
from tests.factories import DAY, NOW, make_cert

SIZE = (80, 24)


async def settle(pilot, delay: float = 0.0) -> None:
    """Let timers fire, then wait for every worker and the repaint that follows."""
    if delay:
        await pilot.pause(delay)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def add(store, cn: str, days: float, owner: str = "alice", sans: list[str] | None = None, key: bool = True, serial: int = 1):
    issued = make_cert(cn, sans=[x509.DNSName(n) for n in (sans or [cn])], not_after=NOW + days * DAY, not_before=NOW - 30 * DAY, serial=serial)
    return store.add_certificate(issued.cert, [], issued.key if key else None, type="existing", owner=owner, now=NOW - 30 * DAY).record


@pytest.fixture
def inventory(store):
    """Five certificates, one per bucket boundary, in a known urgency order."""
    records = {
        "expired.example": add(store, "expired.example", -2, serial=1),
        "three.example": add(store, "three.example", 3, owner="bob", serial=2),
        "twenty.example": add(store, "twenty.example", 20, sans=["twenty.example", "www.twenty.example"], serial=3),
        "ninety.example": add(store, "ninety.example", 90, owner="bob", serial=4),
        "xn--bcher-kva.example": add(store, "xn--bcher-kva.example", 200, serial=5),
    }
    return records


@pytest.fixture
def app(store):
    return make_app(store, FixedClock(NOW))


def static_text(widget) -> str:
    """The plain text a Static shows (rendered through rich, so tables and Text both work)."""
    import io

    from rich.console import Console

    console = Console(width=120, file=io.StringIO(), record=True, color_system=None)
    content = widget.content
    console.print(content if not isinstance(content, str) else content, markup=False)
    return console.export_text()


def screen_text(app) -> str:
    """Everything the current screen's Static widgets show, one string."""
    from textual.widgets import Static

    from sslterm.tui.widgets.sections import Sections

    shown = [static_text(w) for w in app.screen.query(Static)]
    shown += [w.render().plain for w in app.screen.query(Sections)]  # laid out by sslterm, not by a Static
    return "\n".join(shown)
