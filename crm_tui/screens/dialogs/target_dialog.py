"""A month's sales target from the forecast tab: month (YYYY-MM) and amount, checked inline."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.widgets import Input

from crm_tui.i18n import _
from crm_tui.store.database import Database
from crm_tui.store.targets import get_targets, parse_month, set_target
from crm_tui.store.validation import ValidationError, format_amount
from crm_tui.widgets.form import FieldDef, FormScreen


class TargetDialog(FormScreen[tuple[str, bool]]):
    """Saves through ``store.targets.set_target``; dismisses with (the month ``YYYY-MM``,
    whether its target was cleared), or None.

    A blank amount removes the month's target (config.toml's value, if any, applies again).
    """

    def __init__(self, db: Database, month: str, amount_cents: int | None = None) -> None:
        self.db = db
        fields = [
            FieldDef(
                "month", _("Month"), required=True, value=month, placeholder="2026-11", preset=True
            ),
            FieldDef(
                "target",
                _("Target amount"),
                "money",
                value=format_amount(amount_cents) if amount_cents else None,
                placeholder=_("e.g. 120000; blank removes the target"),
            ),
        ]
        super().__init__(fields, title=_("Monthly sales target"))
        self._shown_amount = fields[1].value  # the amount last filled in for a month

    @on(Input.Changed, "#field-month")
    def _month_changed(self, event: Input.Changed) -> None:
        """Another month shows that month's target, unless an amount was typed here."""
        try:
            month = parse_month(event.value)
        except ValidationError:
            return
        amount = self.query_one("#field-target", Input)
        if (amount.value or None) != self._shown_amount:
            return  # typed by the user: keep it
        conn = self.db.connect()
        try:
            stored = get_targets(conn, month, month).get(month)
        finally:
            conn.close()
        untouched = not self.dirty()  # (the month as opened: this is the form's own fill)
        self._shown_amount = format_amount(stored) if stored else None
        amount.value = self._shown_amount or ""
        if untouched:  # nothing typed: escape closes it without "Discard what you typed?"
            self._initial = self.values()
        if amount.has_focus:  # (opened before the report knew it): typing replaces it
            amount.select_all()

    def save(self, values: dict[str, Any]) -> tuple[str, bool]:
        conn = self.db.connect()
        try:
            with conn:  # one transaction: committed on success, rolled back on error
                # (it checks the month and the amount together: both problems in one save)
                set_target(conn, values.get("month") or "", values.get("target"))
        finally:
            conn.close()
        return parse_month(values.get("month") or ""), not (values.get("target") or "").strip()
