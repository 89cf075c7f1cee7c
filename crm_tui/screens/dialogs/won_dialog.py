"""Winning a deal: the actual close date and final amount, and whether to create the order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crm_tui.dates import parse_date
from crm_tui.i18n import _
from crm_tui.store.validation import ValidationError, format_amount, parse_money
from crm_tui.widgets.form import FieldDef, FormScreen


class WonDialog(FormScreen[dict]):
    """Dismisses with ``{"actual_close", "amount_cents", "create_order"}`` or None (cancelled)."""

    def __init__(self, deal_name: str, amount_cents: int, today: dt.date) -> None:
        self.today = today
        fields = [
            FieldDef("actual_close", _("Actual close date"), "date", required=True,
                     value=today.isoformat()),
            FieldDef("amount_cents", _("Final amount"), "money", required=True,
                     value=format_amount(amount_cents) if amount_cents else None),
            FieldDef("create_order", _("Create the order now"), "choice", required=True,
                     options=[(_("Yes"), "yes"), (_("No"), "no")], value="yes"),
        ]  # fmt: skip
        super().__init__(fields, title=_("Won: {name}").format(name=deal_name))

    def save(self, values: dict[str, Any]) -> dict:
        text = values.get("actual_close")
        if not text:
            raise ValidationError("actual_close", _("Required"))
        try:
            close = parse_date(text, self.today)
        except ValueError as exc:
            raise ValidationError("actual_close", str(exc)) from None
        cents = parse_money("amount_cents", values.get("amount_cents"))
        if not cents:
            raise ValidationError("amount_cents", _("Enter the amount the deal was won for"))
        return {
            "actual_close": close,
            "amount_cents": cents,
            "create_order": values.get("create_order") == "yes",
        }
