"""Textual's Footer, without the restyling that made it a fifth of the list's first paint."""

from __future__ import annotations

from typing import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widget import Widget
from textual.widgets._footer import FooterKey


KEEP_ACTIONS = ("help", "app.pop_screen", "app.quit")  # never dropped: ? lists every key


def key_width(key: FooterKey) -> int:
    """Cells a key takes in a non-compact footer: " k " and " Description " (the palette key is compact)."""
    description = f" {key.description} " if key.description else ""
    return len(key.key_display) + 2 + len(description)


def fit_keys(widgets: list[Widget], width: int) -> list[Widget]:
    """The keys that fit ``width`` whole, dropping the last-listed first (never help, back or quit, never the palette).

    A cut key (``r Refre▏``) tells nothing; a missing one is still in ``?`` and the palette.
    """
    keys = [w for w in widgets if isinstance(w, FooterKey)]
    if len(keys) != len(widgets):
        return widgets  # grouped keys: left as Textual lays them out
    total = sum(key_width(k) for k in keys)
    droppable = [k for k in reversed(keys) if not k.has_class("-command-palette") and k.action not in KEEP_ACTIONS]
    dropped: set[int] = set()
    for key in droppable:
        if total <= width:
            break
        dropped.add(id(key))
        total -= key_width(key)
    return [w for w in widgets if id(w) not in dropped]


class KeyFooter(Footer):
    """The key bar at the bottom of every screen; looks and behaves as Textual's ``Footer``.

    Three things in Textual 8.2.8's Footer cost ~50 ms before the list's first
    frame, when every key is mounted:

    - Each FooterKey starts compact and is then bound to the footer's
      non-compact setting, so its styles were computed three times (66 style
      updates for the list's 11 keys). Here, in a non-compact footer, each
      bound key starts non-compact: its class never flips. (The command
      palette's key is not bound, and stays compact as in Textual.)
    - Each change of bindings (the screen mounting, focus moving) queued a
      recompose of every key, four before the first frame. Here changes that
      arrive while a recompose is queued share it: it reads the bindings as
      they are when it runs.
    - A recompose ran even when the keys it would show were the ones shown.
      Here it runs only when they differ.
    """

    _recompose_queued = False
    _showing: tuple[Hashable, ...] | None = None  # what the keys on screen were composed from
    _width = 0  # the width the keys were fitted to

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._showing = self._keys_to_show()
        self._width = self.app.size.width
        widgets = fit_keys(list(super().compose()), self._width)
        if widgets and all(isinstance(w, FooterKey) for w in widgets):
            self.styles.grid_size_columns = sum(1 for w in widgets if not w.has_class("-command-palette"))
        for widget in widgets:
            if not self.compact and isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):  # that one is never bound
                widget.set_reactive(FooterKey.compact, False)
            yield widget

    def on_resize(self) -> None:
        if self.app.size.width != self._width and self.is_attached:
            self._width = self.app.size.width
            self.call_after_refresh(self.recompose)

    def bindings_changed(self, screen: Screen) -> None:  # type: ignore[type-arg]
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen or self._recompose_queued:
            return
        self._recompose_queued = True
        self.call_after_refresh(self._recompose_now)

    async def _recompose_now(self) -> None:
        self._recompose_queued = False
        if self.is_attached and self._keys_to_show() != self._showing:
            await self.recompose()

    def _keys_to_show(self) -> tuple[Hashable, ...]:
        """Everything :meth:`Footer.compose` reads from the bindings, for every binding it may show."""
        app = self.app
        return tuple(
            (binding.key, app.get_key_display(binding), binding.description, binding.action, binding.group, binding.tooltip, enabled, tooltip)
            for binding_key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or binding_key == app.COMMAND_PALETTE_BINDING
        ) + (self.show_command_palette, app.ENABLE_COMMAND_PALETTE)
