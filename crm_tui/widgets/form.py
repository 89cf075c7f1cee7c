"""A modal record form: labelled fields, inline errors, `ctrl+s` saves, `escape` cancels.

Subclasses describe their fields with :class:`FieldDef` and implement
:meth:`FormScreen.save`, which calls a store command with the typed text and
returns the result the form dismisses with. A store ``ValidationError`` is shown
under the field it names and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, TextArea

from crm_tui.dates import date_placeholder
from crm_tui.i18n import _, label
from crm_tui.store.validation import ValidationError
from crm_tui.widgets.fitted_title import FittedTitle
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized

ResultT = TypeVar("ResultT")


@dataclass
class FieldDef:
    """One form field. ``kind``: text, textarea, choice, date, datetime, money, int.

    ``preset``: ``value`` is one the form fills in for a new record and that is mostly
    kept (today's date, the month the report was on), not one to type: the focus starts
    past it (see :meth:`FormScreen.first_focus`).
    """

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    value: Any = None
    vocabulary: Any = None
    options: list[tuple[str, Any]] | None = None  # for choice fields without a vocabulary
    placeholder: str = ""
    preset: bool = False


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


def _shown_value(f: FieldDef, value: Any) -> str:
    """A field's value as the form shows it: a choice by its label, not its key."""
    if value is None or value == "":
        return "—"
    if f.vocabulary is not None:
        from crm_tui.i18n import label

        return label(f.vocabulary, value)
    for text, key in f.options or ():
        if key == value:
            return str(text)
    return str(value)


def _error_label(wid: str) -> Label:
    """An error line as wide as its column, so that a long message (an unreadable date
    lists the forms it accepts) wraps onto a second line instead of being cut off."""
    error = Label("", classes="field-error", id=wid, markup=False)
    error.styles.width = "100%"
    return error


#: Dialog rows around the field list: border and padding (4), title (2), a two-line
#: form error (2) and the buttons with their margin (4).
_CHROME_ROWS = 12


class FormScreen(Localized, ModalScreen[ResultT], Generic[ResultT]):
    """Base for record forms."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    form_title: str = ""
    #: the save button's label (translated when shown); a filter applies, it saves nothing
    save_label: str = "Save (ctrl+s)"
    #: the field focused when the form opens (when None: see first_focus)
    first_field: str | None = None

    def __init__(
        self, fields: list[FieldDef], *, title: str | None = None, title_name: str | None = None
    ) -> None:
        """``title_name``: the record the form is about, for a ``title`` with ``{name}``
        (a long name is cut with "…", the rest of the title stays)."""
        super().__init__()
        self.fields = fields
        self.title_name = title_name
        if fields:  # focused as soon as it is composed, so keys typed at once land in it
            self.AUTO_FOCUS = f"#field-{self.first_focus()}"
        self.title_text = title or self.form_title
        if title_name is not None:
            self.title_text = self.title_text.format(name=title_name)
            self._title_parts = (title or "").partition("{name}")
        self._initial: dict[str, Any] = {}
        #: a save waits for the keys typed before it (action_save)
        self._save_waits = False
        #: the value each shown field error was about
        self._error_values: dict[str, Any] = {}
        #: the fields the error line by the buttons names, in form order (see show_errors)
        self._summarised: list[str] = []
        #: the messages under the form about no field of it
        self._general: list[str] = []

    # --- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog form"):
            if self.title_name is None:
                yield Label(self.title_text, classes="dialog-title", markup=False)
            else:
                title = FittedTitle(classes="dialog-title")
                lead, _name, tail = self._title_parts
                title.show(self.title_name, tail, lead=lead)
                yield title
            with VerticalScroll(id="form-fields"):
                for f in self.fields:
                    text = f.label + (" *" if f.required else "")
                    with Horizontal(classes="form-row"):
                        yield Label(text, classes="field-label", id=f"label-{f.name}")
                        with Vertical(classes="form-input"):
                            yield self._make_input(f)
                            yield _error_label(f"error-{f.name}")
            yield _error_label("form-error")
            with Horizontal(classes="buttons"):
                yield Button(_(self.save_label), id="save", variant="primary")
                yield Button(_("Cancel (esc)"), id="cancel")
        # the form's own keys at the bottom (the screen's behind it, which a form does not
        # take, showed there before)
        yield Footer()

    def _make_input(self, f: FieldDef):
        wid = f"field-{f.name}"
        if f.kind == "choice":
            if f.options is not None:
                options = f.options
            else:
                options = [(label(f.vocabulary, k), k) for k in f.vocabulary.keys]
            value = f.value if f.value in {v for _l, v in options} else Select.NULL
            return Select(
                options, value=value, id=wid, allow_blank=not f.required, prompt="—", compact=True
            )
        if f.kind == "textarea":
            area = TextArea(_as_text(f.value), id=wid, classes="form-textarea")
            area.show_line_numbers = False
            return area
        placeholder = f.placeholder
        if f.kind == "date" and not placeholder:
            placeholder = date_placeholder()
        if f.kind == "datetime" and not placeholder:
            placeholder = _("now, or e.g. today 14:30, 2026-11-30 09:00")
        return Input(_as_text(f.value), id=wid, placeholder=placeholder, compact=True)

    def first_focus(self) -> str:
        """The field the focus starts on: the one the form names (``first_field``), else
        the first field that is not a preset. Typing at once goes there: into today's date
        it replaced the date (an order's amount typed into its order date, a target's
        amount into its month). A form editing a record has no presets: its first field."""
        if self.first_field:
            return self.first_field
        return next((f.name for f in self.fields if not f.preset), self.fields[0].name)

    def on_mount(self) -> None:
        self._initial = self.values()
        self._fit_fields(self.app.size.height)
        if self.fields:
            # Textual would centre it (the layout not done yet, it does not know it fits):
            # the fields above it, the interaction's channel, went off the top unseen
            self.query_one(f"#field-{self.first_focus()}").focus(scroll_visible=False)
            self.call_after_refresh(self._scroll_to_focused)

    def _scroll_to_focused(self) -> None:
        """The focused field in view, scrolling no more than that takes."""
        fields = self.query_one("#form-fields")
        fields.scroll_home(animate=False)
        if self.focused is not None:
            fields.scroll_to_widget(self.focused, animate=False)

    def on_resize(self, event: events.Resize) -> None:
        self._fit_fields(event.size.height)

    def _fit_fields(self, screen_rows: int) -> None:
        """Let the field list scroll within what the terminal leaves, so the form's error
        line and its buttons always stay on screen (.dialog is at most 90 % high)."""
        fields = self.query_one("#form-fields")
        fields.styles.max_height = max(3, int(screen_rows * 0.9) - _CHROME_ROWS)

    # --- values ------------------------------------------------------------

    def values(self) -> dict[str, Any]:
        """Current field values: text for inputs (None when blank), keys for choices."""
        out: dict[str, Any] = {}
        for f in self.fields:
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Select):
                out[f.name] = None if widget.value == Select.NULL else widget.value
            elif isinstance(widget, TextArea):
                out[f.name] = widget.text.strip() or None
            else:
                out[f.name] = widget.value.strip() or None  # type: ignore[attr-defined]
        return out

    def load_record(self, record: Any) -> None:
        """Show a record's current values (after a conflict) and edit from its version on."""
        import datetime as dt

        from crm_tui.store.validation import format_amount

        for f in self.fields:
            if not hasattr(record, f.name):
                continue
            value = getattr(record, f.name)
            widget = self.query_one(f"#field-{f.name}")
            if isinstance(widget, Select):
                if isinstance(value, bool):  # a flag is offered as Yes / No
                    value = "yes" if value else "no"
                widget.value = Select.NULL if value is None else value
                continue
            if f.kind == "money":
                text = format_amount(value)
            elif isinstance(value, dt.datetime):
                text = value.strftime("%Y-%m-%d %H:%M")
            elif isinstance(value, dt.date):
                text = value.isoformat()
            else:
                text = _as_text(value)
            if isinstance(widget, TextArea):
                widget.text = text
            else:
                widget.value = text  # type: ignore[attr-defined]
        for name, value in self.extra_values(record).items():
            self._show_value(name, value)
        if hasattr(self, "version") and hasattr(record, "version"):
            self.version = record.version
        self._initial = self.values()

    def extra_values(self, record: Any) -> dict[str, Any]:
        """Fields that are not attributes of ``record`` (a customer's tags), as
        :meth:`values` reads them, for :meth:`load_record`. None by default."""
        return {}

    def _show_value(self, name: str, value: Any) -> None:
        """Put a value as :meth:`values` reads it (text, or a choice's key) back in its field."""
        widget = self.query_one(f"#field-{name}")
        if isinstance(widget, Select):
            widget.value = Select.NULL if value is None else value
        elif isinstance(widget, TextArea):
            widget.text = value or ""
        else:
            widget.value = value or ""  # type: ignore[attr-defined]

    @on(Input.Changed)
    @on(Select.Changed)
    @on(TextArea.Changed)
    def _hide_stale_error(self, event: Message) -> None:
        """A field's error goes once its value differs from the one it was about (the
        next save checks again); a change event still queued from before the save is not one."""
        field_id = getattr(event.control, "id", None) or ""
        name = field_id.removeprefix("field-")
        if name not in self._error_values or not self.query(f"#error-{name}"):
            return
        if self.values().get(name) != self._error_values[name]:
            del self._error_values[name]
            error = self.query_one(f"#error-{name}", Label)
            error.update("")
            error.remove_class("visible")
            if name in self._summarised:  # and from the line by the buttons
                self._summarised.remove(name)
                self._show_form_error()

    def dirty(self) -> bool:
        return self.values() != self._initial

    def show_error(self, field: str | None, message: str) -> None:
        self.show_errors([(field, message)])

    def show_errors(self, errors: list[tuple[str | None, str]]) -> None:
        """Each message under its field (the first such field in the form focused, so the
        rep reads down from it); a message about no field, or one this form does not
        show, goes under the form."""
        self.clear_errors()
        general = self._general
        focused = False
        place = {f.name: i for i, f in enumerate(self.fields)}
        flagged: list[str] = []
        for field, message in sorted(errors, key=lambda e: place.get(e[0] or "", len(place))):
            if not (field and self.query(f"#error-{field}")):
                general.append(message)
                continue
            if field not in flagged:
                flagged.append(field)
            error = self.query_one(f"#error-{field}", Label)
            error.update(message)
            error.add_class("visible")
            self._error_values[field] = self.values().get(field)
            if not focused and self.query(f"#field-{field}"):
                widget = self.query_one(f"#field-{field}")
                widget.focus()
                widget.scroll_visible()
                # then its whole message (two lines for a date), once laid out
                self.call_after_refresh(error.scroll_visible, animate=False)
                focused = True
        if len(flagged) > 1:
            # said by the buttons, which stay in view: in a tall form on a small terminal
            # only the first field's message shows, and the others were found one save later
            self._summarised = flagged
        self._show_form_error()

    def _show_form_error(self) -> None:
        """The line by the buttons: the fields still to fix (each mended one leaves it, as
        its own message goes: "2 fields to fix" stayed until the next save), then the
        messages about no field."""
        lines = list(self._general)
        if self._summarised:
            labels = {f.name: f.label for f in self.fields}
            n = len(self._summarised)
            text = _("{n} fields to fix: {fields}") if n > 1 else _("1 field to fix: {fields}")
            fields = _(", ").join(labels[f] for f in self._summarised)
            lines.insert(0, text.format(n=n, fields=fields))
        error = self.query_one("#form-error", Label)
        error.update("\n".join(lines))
        error.set_class(bool(lines), "visible")

    def clear_errors(self) -> None:
        self._error_values.clear()
        self._summarised = []
        self._general = []
        for error in self.query(".field-error"):
            error.update("")  # type: ignore[attr-defined]
            error.remove_class("visible")

    # --- actions -----------------------------------------------------------

    def save(self, values: dict[str, Any]) -> ResultT:
        """Write the record; raise ValidationError for bad input. Subclasses implement."""
        raise NotImplementedError

    def action_save(self) -> None:
        """Save once the keys typed before ctrl+s are in their field.

        ctrl+s is a priority binding, handled as soon as it arrives, while keys that came
        with it in one read of the terminal (a fast typist, a paste, a script) may still
        be waiting in a field's queue (the focused one's, or the one a tab just left): the
        save waits its turn in every field's queue, so it reads what those keys typed.
        A second ctrl+s meanwhile is the same save.
        """
        if self._save_waits:
            return
        fields = [self.query_one(f"#field-{f.name}") for f in self.fields]
        waiting = {id(w) for w in fields}

        def reached(widget) -> None:
            waiting.discard(id(widget))
            if not waiting:
                self._save_waits = False
                self._save_now()

        self._save_waits = True
        for widget in fields:
            if not widget.call_later(reached, widget):  # closing: it has nothing queued
                waiting.discard(id(widget))
        if not waiting:
            self._save_waits = False
            self._save_now()

    def _save_now(self) -> None:
        try:
            result = self.save(self.values())
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        except Exception as exc:  # a failed save must never lose the typed form
            from crm_tui.store.common import ConflictError

            if isinstance(exc, ConflictError):
                message = str(exc)
                if exc.fresh is not None:
                    opened, typed = self._initial, self.values()
                    mine = {k: v for k, v in typed.items() if v != opened.get(k)}
                    self.load_record(exc.fresh)  # the latest values, and their version
                    theirs = self._initial
                    for name, value in mine.items():  # ... except what was typed here
                        self._show_value(name, value)
                    if mine:
                        message = _(
                            "Changed elsewhere since you opened it: the fields you did not "
                            "change now show the latest values. Save again to keep yours."
                        )
                    # each with the value saved elsewhere: the rep chooses, seeing both
                    both = [
                        _("{field} (elsewhere: “{value}”)").format(
                            field=f.label, value=_shown_value(f, theirs.get(f.name))
                        )
                        for f in self.fields
                        if f.name in mine and theirs.get(f.name) != opened.get(f.name)
                    ]
                    if both:
                        message += " " + _("Also changed elsewhere, yours shown: {fields}").format(
                            fields=_(", ").join(both)
                        )
                self.show_error(None, message)
                return
            problem = self.app.problem_text(exc)  # type: ignore[attr-defined]
            self.show_error(None, _("Could not save: {error}").format(error=problem))
            return
        self.dismiss(result)

    def action_cancel(self) -> None:
        if not self.dirty():
            self.dismiss(None)
            return
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog(_("Discard what you typed?"), yes=_("Discard"), danger=True), answered
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        elif event.button.id == "cancel":
            self.action_cancel()
