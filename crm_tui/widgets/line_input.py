"""An Input whose paste of several lines is kept whole (its own module: the screens'
search boxes import it at start-up, without the forms' heavier widgets)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from crm_tui.store.validation import one_line


class LineInput(Input):
    """A field of one line (a form's, a search or filter box): a paste of several lines
    is kept whole, its lines joined as the store joins them (validation.one_line;
    Textual's Input keeps the first line and drops the rest unsaid: a name copied from
    two lines of a letterhead searched for its first half)."""

    def _on_paste(self, event: events.Paste) -> None:
        # Textual then runs Input's own handler (each class's in turn) on the joined text
        event.text = one_line(event.text)
