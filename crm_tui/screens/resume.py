"""Screens that re-read their data each time they are shown, once per visit."""

from __future__ import annotations

from textual import events


class ReloadOnResume:
    """Mixin for a Textual ``Screen``: calls :meth:`reload_on_resume` once per visit.

    Textual posts ``ScreenResume`` twice on a mode's first visit (when the mode's
    screen is created and when it becomes current), with no ``ScreenSuspend``
    between them. Each made the screen read the store and Textual restyle every
    widget on it, doubling the cost of every screen's first visit; the second is
    now dropped (``prevent_default`` also skips ``Screen``'s own handler).

    The first resume also skips ``Screen``'s restyle of every widget: the screen has
    just been composed, and each widget was styled from the current stylesheet when it
    was registered (after all its siblings, so positional selectors are right too).
    Later resumes restyle as Textual does (the CSS or the theme may have changed).
    """

    _resumed_this_visit = False
    _resumed_before = False

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if self._resumed_this_visit:
            event.prevent_default()
            return
        if not self._resumed_before:
            self._resumed_before = True
            event.refresh_styles = False
        self._resumed_this_visit = self.reload_on_resume()

    def on_screen_suspend(self) -> None:
        self._resumed_this_visit = False

    def reload_on_resume(self) -> bool:
        """Re-read what the screen shows; False when it cannot yet (not mounted)."""
        return True
