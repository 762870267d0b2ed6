"""Textual's Footer, without the restyling that made it a fifth of the list's first paint."""

from __future__ import annotations

from typing import Hashable

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


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

    def compose(self) -> ComposeResult:
        if self._bindings_ready:
            self._showing = self._keys_to_show()
        for widget in super().compose():
            if not self.compact and isinstance(widget, FooterKey) and not widget.has_class("-command-palette"):  # that one is never bound
                widget.set_reactive(FooterKey.compact, False)
            yield widget

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
