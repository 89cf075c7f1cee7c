"""Textual's footer, rebuilt only when the keys it shows change, and only on the screen shown."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.screen import Screen
from textual.widgets import Footer as TextualFooter
from textual.widgets._footer import FooterKey


class FooterKeyRow(ScrollableContainer, can_focus=False):
    """The footer's keys, left of the command palette's key and clipped there.

    In Textual's footer the keys that do not fit run on under the palette key docked
    over them, and the compositor then cuts that key's line at their edges: a wide
    character on a cut turns into spaces ("^p 命令面板" showed as "^p   令面板" at
    80 columns; Textual issue 6357). In a row of their own nothing lies under it.
    The wheel scrolls the row sideways, as it scrolled Textual's footer.
    """

    DEFAULT_CSS = """
    FooterKeyRow {
        layout: horizontal;
        width: 1fr;
        height: 1;
        scrollbar-size: 0 0;
    }
    """

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        if self.allow_horizontal_scroll and self._scroll_right_for_pointer(animate=True):
            event.stop()
            event.prevent_default()

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        if self.allow_horizontal_scroll and self._scroll_left_for_pointer(animate=True):
            event.stop()
            event.prevent_default()


class Footer(TextualFooter):
    """The key bar at the bottom of every screen.

    Textual's footer rebuilds all its keys after every focus or binding change, and
    each rebuild mounts and restyles a dozen widgets. Here:

    * the changes of one refresh cycle share one rebuild;
    * a rebuild that would show the same keys is skipped (a screen's first visit and
      every return to it announce binding changes that change nothing);
    * a screen being left does not rebuild its footer (its keys are checked again
      when it comes back: resuming a screen announces a binding change);
    * each key starts in the footer's compact state instead of being restyled twice
      on mount (Textual's key starts compact, then takes the footer's setting).

    ``ready=True`` shows the keys from the first frame, for screens whose keys do not
    depend on what gets focused (nothing is focused when the screen opens): one
    build with the screen instead of an empty bar then a rebuild and a second layout.
    """

    _recompose_scheduled = False
    #: What the keys on display were built from (None: not built yet).
    _shown: object = None

    def __init__(self, *, ready: bool = False) -> None:
        super().__init__()
        if ready:
            self.set_reactive(TextualFooter._bindings_ready, True)

    def compose(self) -> ComposeResult:
        self._shown = self._keys_signature() if self._bindings_ready else None
        keys, palette = [], []
        for widget in super().compose():
            if isinstance(widget, FooterKey):
                # the value it ends up with: the footer's when bound to it (the palette key is not)
                bound = "compact" in (widget._reactive_connect or {})
                compact = self.compact if bound else FooterKey.compact._default
                widget.set_reactive(FooterKey.compact, compact)
                widget.set_class(compact, "-compact", update=False)
            (palette if widget.has_class("-command-palette") else keys).append(widget)
        if keys:
            yield FooterKeyRow(*keys)
        yield from palette

    def _keys_signature(self) -> object:
        """Everything :meth:`compose` reads to build the keys (compared, never hashed)."""
        app = self.app
        palette = app.COMMAND_PALETTE_BINDING
        shown = tuple(
            (binding, enabled, tooltip, app.get_key_display(binding))
            for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items()
            if binding.show or key == palette
        )
        return (shown, self.compact, self.show_command_palette, app.ENABLE_COMMAND_PALETTE)

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._recompose_scheduled:
            self._recompose_scheduled = True
            self.call_after_refresh(self._recompose_now)

    async def _recompose_now(self) -> None:
        self._recompose_scheduled = False
        if not self.is_attached or not self.screen.is_current:
            return
        if self._keys_signature() == self._shown:
            return
        await self.recompose()
