"""KeyFooter shows what Textual's Footer shows, with less work as it mounts."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from sslterm.tui.widgets.key_footer import KeyFooter
from tests.tui.conftest import SIZE


class Keys(App[None]):
    """Four shown keys, one of which is only offered while ``armed``."""

    BINDINGS = [Binding("a", "add", "Add"), Binding("d", "delete", "Delete"), Binding("r", "refresh", "Refresh"),
                Binding("x", "fire", "Fire"), Binding("q", "quit", "Quit", show=False)]
    armed = reactive(True, bindings=True)

    def __init__(self, footer: type[Footer], compact: bool = False) -> None:
        super().__init__()
        self.footer_type, self.compact = footer, compact
        self.styled: list[str] = []  # the keys of FooterKeys whose styles were recomputed

    def compose(self) -> ComposeResult:
        yield self.footer_type(compact=self.compact)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.armed if action == "fire" else True

    def update_styles(self, node, animate: bool = True) -> None:  # type: ignore[no-untyped-def]
        if isinstance(node, FooterKey):
            self.styled.append(node.key)
        super().update_styles(node, animate)


def footer_line(app: App[None]) -> str:
    """The bottom line of the terminal, as painted."""
    update = app.screen._compositor.render_full_update()
    return "".join(strip.text for strip in update.strips[-1])  # type: ignore[attr-defined]


async def shown(footer: type[Footer], compact: bool = False, armed: bool = True) -> tuple[str, list[str]]:
    app = Keys(footer, compact)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.armed = armed
        await pilot.pause()
        await pilot.pause()
        return footer_line(app), app.styled


async def test_the_footer_reads_as_textuals_and_never_flips_a_keys_class():
    ours, ours_styled = await shown(KeyFooter)
    theirs, theirs_styled = await shown(Footer)
    assert ours == theirs
    assert "Add" in ours and "Fire" in ours and "Quit" not in ours
    bound = {"a", "d", "r", "x"}
    assert not bound & set(ours_styled)  # each bound key starts as the footer is: no class to flip
    assert bound <= set(theirs_styled)  # Textual's restyles every one


@pytest.mark.parametrize("armed", [True, False])
async def test_a_compact_footer_reads_as_textuals(armed):
    ours, _ = await shown(KeyFooter, compact=True, armed=armed)
    theirs, _ = await shown(Footer, compact=True, armed=armed)
    assert ours == theirs and ("Fire" in ours) is armed


async def test_the_footer_recomposes_once_for_changes_in_one_go_and_never_for_no_change():
    app = Keys(KeyFooter)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        footer = app.query_one(KeyFooter)
        recomposes = []
        original = footer.recompose

        async def counted() -> None:
            recomposes.append(1)
            await original()

        footer.recompose = counted  # type: ignore[method-assign]
        app.armed = False
        app.refresh_bindings()
        app.refresh_bindings()
        await pilot.pause()
        await pilot.pause()
        assert len(recomposes) == 1
        assert "Fire" not in footer_line(app) and "Refresh" in footer_line(app)  # the bindings as they were when it ran
        app.armed = True
        await pilot.pause()
        await pilot.pause()
        assert len(recomposes) == 2 and "Fire" in footer_line(app)
        app.refresh_bindings()  # nothing the footer shows has changed
        await pilot.pause()
        await pilot.pause()
        assert len(recomposes) == 2
