"""Textual's Footer, without the restyling that made it a fifth of the list's first paint."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class KeyFooter(Footer):
    """The key bar at the bottom of every screen; looks and behaves as Textual's ``Footer``.

    Two things in Textual 8.2.8's Footer cost ~40 ms before the list's first
    frame, when every key is mounted:

    - Each FooterKey starts compact and is then bound to the footer's
      non-compact setting, so its styles were computed three times (66 style
      updates for the list's 11 keys). Here, in a non-compact footer, each
      bound key starts non-compact: its class never flips. (The command
      palette's key is not bound, and stays compact as in Textual.)
    - Each change of bindings (the screen mounting, focus moving) queued a
      recompose of every key, four before the first frame. Here changes that
      arrive before a queued recompose has run share it: it reads the bindings
      as they are when it runs.
    """

    _recompose_queued = False

    def compose(self) -> ComposeResult:
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
        await self.recompose()
