"""A modal record form: labelled fields, inline errors, `ctrl+s` saves, `escape` cancels.

Subclasses describe their fields with :class:`FieldDef` and implement
:meth:`FormScreen.save`, which calls a store command with the typed text and
returns the result the form dismisses with. A store ``ValidationError`` is shown
under the field it names and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, TextArea

from crm_tui.i18n import _, label
from crm_tui.store.validation import ValidationError
from crm_tui.widgets.localized import Localized

ResultT = TypeVar("ResultT")


@dataclass
class FieldDef:
    """One form field. ``kind``: text, textarea, choice, date, datetime, money, int."""

    name: str
    label: str
    kind: str = "text"
    required: bool = False
    value: Any = None
    vocabulary: Any = None
    options: list[tuple[str, Any]] | None = None  # for choice fields without a vocabulary
    placeholder: str = ""


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return str(value)


class FormScreen(Localized, ModalScreen[ResultT], Generic[ResultT]):
    """Base for record forms."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]

    form_title: str = ""

    def __init__(self, fields: list[FieldDef], *, title: str | None = None) -> None:
        super().__init__()
        self.fields = fields
        self.title_text = title or self.form_title
        self._initial: dict[str, Any] = {}

    # --- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="dialog form"):
            yield Label(self.title_text, classes="dialog-title")
            with VerticalScroll(id="form-fields"):
                for f in self.fields:
                    text = f.label + (" *" if f.required else "")
                    with Horizontal(classes="form-row"):
                        yield Label(text, classes="field-label", id=f"label-{f.name}")
                        with Vertical(classes="form-input"):
                            yield self._make_input(f)
                            yield Label("", classes="field-error", id=f"error-{f.name}")
            yield Label("", id="form-error", classes="field-error")
            with Horizontal(classes="buttons"):
                yield Button(_("Save (ctrl+s)"), id="save", variant="primary")
                yield Button(_("Cancel (esc)"), id="cancel")

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
            placeholder = "2026-11-30, 11-30, today, +3d, mon"
        if f.kind == "datetime" and not placeholder:
            placeholder = _("now, or e.g. today 14:30, 2026-11-30 09:00")
        return Input(_as_text(f.value), id=wid, placeholder=placeholder, compact=True)

    def on_mount(self) -> None:
        self._initial = self.values()
        if self.fields:
            self.query_one(f"#field-{self.fields[0].name}").focus()

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
        if hasattr(self, "version") and hasattr(record, "version"):
            self.version = record.version
        self._initial = self.values()

    def dirty(self) -> bool:
        return self.values() != self._initial

    def show_error(self, field: str | None, message: str) -> None:
        self.clear_errors()
        target = f"#error-{field}" if field and self.query(f"#error-{field}") else "#form-error"
        error = self.query_one(target, Label)
        error.update(message)
        error.add_class("visible")
        if field and self.query(f"#field-{field}"):
            widget = self.query_one(f"#field-{field}")
            widget.focus()
            widget.scroll_visible()

    def clear_errors(self) -> None:
        for error in self.query(".field-error"):
            error.update("")  # type: ignore[attr-defined]
            error.remove_class("visible")

    # --- actions -----------------------------------------------------------

    def save(self, values: dict[str, Any]) -> ResultT:
        """Write the record; raise ValidationError for bad input. Subclasses implement."""
        raise NotImplementedError

    def action_save(self) -> None:
        try:
            result = self.save(self.values())
        except ValidationError as exc:
            self.show_error(exc.field, exc.message)
            return
        except Exception as exc:  # a failed save must never lose the typed form
            from crm_tui.store.common import ConflictError

            if isinstance(exc, ConflictError):
                if exc.fresh is not None:
                    self.load_record(exc.fresh)
                self.show_error(None, str(exc))
                return
            self.show_error(None, _("Could not save: {error}").format(error=exc))
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
