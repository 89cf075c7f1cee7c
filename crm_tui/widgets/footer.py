"""The key bar at the bottom of every screen: one widget drawing one line.

Textual's footer is a container holding a widget per key (fifteen on the pipeline):
each screen's first visit composed, styled, laid out and composited them all, about
a fifth of the first visit of the board. This bar draws the same keys, in the same
colours, as text. It reads the screen's active bindings when it paints, and
repaints when they change (focus moves, a binding is enabled or disabled). It never
lays anything out again.

What Textual's footer does that is kept: a key pressed with the mouse acts as if
typed (a disabled one rings the bell); the command palette's key stays at the right
while the other keys end before it at the last one that fits whole, then "…"; the
wheel shifts the keys sideways when they do not fit. Keys sharing an action show once,
as in Textual, and neighbouring keys of one `Binding.Group` share its description
("< > Move stage"): what an 80-column bar has room for.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.strip import Strip

from crm_tui.i18n import _
from crm_tui.widgets.one_line import OneLineBar

#: Cells the wheel shifts the keys by.
WHEEL_STEP = 4
#: Actions whose key stays at the right, beside the palette's, however narrow the bar.
PINNED_ACTIONS = ("help", "app.help")


@dataclass(frozen=True)
class _Key:
    key: str  # what pressing it simulates
    display: str  # how the key is shown ("^p", "⏎")
    description: str
    enabled: bool
    group: Binding.Group | None = None


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    key: _Key


class Footer(OneLineBar, can_focus=False):
    """The keys of the screen it is on, and the command palette's key at the right."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "footer--key",
        "footer--description",
        "footer--separator",
        "footer--hover",
        "footer--disabled",
    }
    DEFAULT_CSS = """
    Footer {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    Footer > .footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    Footer > .footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    Footer > .footer--separator { color: $foreground 20%; }
    Footer > .footer--hover { background: $block-hover-background; }
    Footer > .footer--disabled { text-style: dim; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._offset = 0  # cells of the keys shifted out on the left (the wheel)
        self._hover: _Key | None = None
        self._spans: list[_Span] = []  # where each key was drawn, for the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        self.refresh()

    # --- the keys ------------------------------------------------------------------

    def keys(self) -> tuple[list[_Key], list[_Key]]:
        """The keys to show, left to right, and those kept at the right whatever the
        width: help, then the command palette (a rep at 80 columns still sees `?`)."""
        app = self.app
        shown: list[_Key] = []
        actions: set[str] = set()
        help_key: _Key | None = None
        palette: _Key | None = None
        for key, (_node, binding, enabled, _tooltip) in self.screen.active_bindings.items():
            if app.ENABLE_COMMAND_PALETTE and key == app.COMMAND_PALETTE_BINDING:
                palette = _Key(
                    binding.key, app.get_key_display(binding), binding.description, enabled
                )
            elif binding.show and binding.action not in actions:
                actions.add(binding.action)
                found = _Key(
                    binding.key,
                    app.get_key_display(binding),
                    # (ours are translated already, Localized; Textual's widgets' own,
                    # such as a pick list's "Dismiss menu", are translated here)
                    _(binding.description),
                    enabled,
                    binding.group,
                )
                if binding.action in PINNED_ACTIONS:
                    help_key = found
                else:
                    shown.append(found)
        return shown, [k for k in (help_key, palette) if k is not None]

    # --- drawing ---------------------------------------------------------------------

    def render_bar(self, width: int, base: Style) -> Strip:
        shown, pinned = self.keys()
        right: list[Segment] = []
        right_spans: list[tuple[int, _Key]] = []  # (width, key) of each pinned key
        if pinned:
            # as Textual draws the palette key: a thin rule, then each key and description
            right = [Segment("▏", base + self.get_component_rich_style("footer--separator"))]
            for key in pinned:
                segments = self._key_segments(key, base, compact=True)
                right += segments
                right_spans.append((sum(cell_len(s.text) for s in segments), key))
        right_width = sum(cell_len(s.text) for s in right)
        room = max(0, width - right_width)
        left: list[Segment] = []
        starts: list[tuple[int, int, _Key]] = []
        x = 0
        for index, key in enumerate(shown):
            grouped = key.group is not None
            next_in_group = (
                grouped and index + 1 < len(shown) and shown[index + 1].group == key.group
            )
            segments = self._key_segments(key, base, compact=False, bare=next_in_group)
            size = sum(cell_len(s.text) for s in segments)
            starts.append((x, x + size, key))
            left += segments
            x += size
        # the wheel may have shifted the keys further than there is to see now
        offset = self._offset = max(0, min(self._offset, x - room))
        shown_to = offset + room
        more = ""
        if offset == 0 and x > room:  # unshifted: whole keys only, then "…" (not "o 排")
            # (a group's keys go whole with its description, or not at all)
            ends = [
                end
                for (_start, end, key), after in zip(starts, [*shown[1:], None], strict=True)
                if key.group is None or after is None or after.group != key.group
            ]
            whole = [end for end in ends if end <= room - 1]
            shown_to, more = (whole[-1] if whole else 0), "…"
        spans = [
            _Span(start - offset, end - offset, key)
            for start, end, key in starts
            if end > offset and start - offset < shown_to - offset
        ]
        at = room + 1  # after the rule
        for size, key in right_spans:
            spans.append(_Span(at, at + size, key))
            at += size
        self._spans = spans
        strip = Strip([*Strip(left).crop(offset, shown_to), Segment(more, base)])
        strip = strip.extend_cell_length(room, base)
        return Strip([*strip, *right], width).crop_extend(0, width, base)

    def _key_segments(
        self, key: _Key, base: Style, *, compact: bool, bare: bool = False
    ) -> list[Segment]:
        """A key and its description; `bare`, the key alone (a group's description
        follows its last key)."""
        key_style = base + self.get_component_rich_style("footer--key")
        text_style = base + self.get_component_rich_style("footer--description")
        if not key.enabled:
            dim = self.get_component_rich_style("footer--disabled")
            key_style, text_style = key_style + dim, text_style + dim
        if key == self._hover:
            hover = self.get_component_rich_style("footer--hover")
            key_style, text_style = key_style + hover, text_style + hover
        if compact:  # a pinned key: "^p 命令面板 "
            return [Segment(key.display, key_style), Segment(f" {key.description} ", text_style)]
        if bare:
            return [Segment(f" {key.display}", key_style)]
        description = key.group.description if key.group is not None else key.description
        if not description:
            return [Segment(f" {key.display} ", key_style)]
        return [Segment(f" {key.display} ", key_style), Segment(f"{description} ", text_style)]

    # --- mouse -----------------------------------------------------------------------

    def _key_at(self, x: int) -> _Key | None:
        return next((s.key for s in self._spans if s.start <= x < s.end), None)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        key = self._key_at(event.x)
        if key is None:
            return
        if key.enabled:
            self.app.simulate_key(key.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        hover = self._key_at(event.x)
        if hover != self._hover:
            self._hover = hover
            self.refresh()

    def on_leave(self, _event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._shift(WHEEL_STEP, event)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._shift(-WHEEL_STEP, event)

    def _shift(self, cells: int, event: events.MouseEvent) -> None:
        offset = max(0, self._offset + cells)
        if offset != self._offset:
            self._offset = offset
            self.refresh()  # the repaint keeps it within what can be shifted
        event.stop()
