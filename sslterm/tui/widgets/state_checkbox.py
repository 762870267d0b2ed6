"""A checkbox whose state is in its glyph, not only its colour (✓ ticked, blank not)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox


class StateCheckbox(Checkbox):
    """Textual's Checkbox draws the same X ticked or not, told apart by colour alone."""

    @property
    def _button(self) -> Content:
        self.BUTTON_INNER = "✓" if self.value else " "
        return super()._button
