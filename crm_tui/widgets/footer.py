"""Textual's footer, recomposed once per burst of binding changes instead of once per change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """The key bar at the bottom of every screen.

    Textual's footer rebuilds all its keys after every focus or binding change; a
    screen's first visit changes them several times in a row (focus lands, tabs
    activate, bindings refresh), and each rebuild mounts and restyles a dozen
    widgets. Here the changes of one refresh cycle share one rebuild.
    """

    _recompose_scheduled = False

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_scheduled:
            self._recompose_scheduled = True
            self.call_after_refresh(self._recompose_now)

    async def _recompose_now(self) -> None:
        self._recompose_scheduled = False
        await self.recompose()
