"""Winning a deal: the actual close date and final amount, and whether to create the order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from crm_tui.dates import parse_date
from crm_tui.i18n import _
from crm_tui.store.validation import ValidationError, display_amount, format_amount, parse_money
from crm_tui.widgets.form import FieldDef, FormScreen

#: How far back a close date may go: an older one is almost surely a typo (the year).
MAX_DAYS_BACK = 365
#: A final amount this many times the expected one asks for a second ctrl+s.
AMOUNT_CHECK_FACTOR = 10


def order_options(orders: Sequence[tuple]) -> tuple[list[tuple[str, str]], str]:
    """The "create the order" choices and the default, given the deal's existing orders.

    A deal won before (then moved back) usually has its order already: winning it again
    must not add a second one unasked, so the default becomes No and says why.
    """
    if not orders:
        return [(_("Yes"), "yes"), (_("No"), "no")], "yes"
    if len(orders) == 1:
        _oid, day, cents, *_rest = orders[0]
        no = _("No: it has an order already ({date}, {amount})").format(
            date=day, amount=display_amount(cents)
        )
    else:
        no = _("No: it has {count} orders already ({amount} in all)").format(
            count=len(orders), amount=display_amount(sum(o[2] for o in orders))
        )
    return [(no, "no"), (_("Yes: one more order"), "yes")], "no"


class WonDialog(FormScreen[dict]):
    """Dismisses with ``{"actual_close", "amount_cents", "create_order"}`` or None (cancelled).

    ``orders``: (id, date, amount, …) of the orders the deal already has.
    """

    def __init__(
        self, deal_name: str, amount_cents: int, today: dt.date, *, orders: Sequence[tuple] = ()
    ) -> None:
        self.today = today
        self.expected_cents = amount_cents
        self._confirmed_cents: int | None = None  # a large amount, confirmed by a 2nd ctrl+s
        options, default = order_options(orders)
        fields = [
            FieldDef("actual_close", _("Actual close date"), "date", required=True,
                     value=today.isoformat()),
            FieldDef("amount_cents", _("Final amount"), "money", required=True,
                     value=format_amount(amount_cents) if amount_cents else None),
            FieldDef("create_order", _("Create the order now"), "choice", required=True,
                     options=options, value=default),
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
        if close > self.today:
            raise ValidationError(
                "actual_close",
                _("The actual close date cannot be after today ({today})").format(
                    today=self.today.isoformat()
                ),
            )
        if close < self.today - dt.timedelta(days=MAX_DAYS_BACK):
            raise ValidationError(
                "actual_close", _("More than a year ago: check the year ({date})").format(
                    date=close.isoformat()
                ),
            )  # fmt: skip
        cents = parse_money("amount_cents", values.get("amount_cents"))
        if not cents:
            raise ValidationError("amount_cents", _("Enter the amount the deal was won for"))
        expected = self.expected_cents
        if (
            expected > 0
            and cents > expected * AMOUNT_CHECK_FACTOR
            and cents != self._confirmed_cents
        ):
            self._confirmed_cents = cents
            raise ValidationError(
                "amount_cents",
                _("Over ten times the expected {amount}: ctrl+s again to confirm").format(
                    amount=display_amount(expected)
                ),
            )
        return {
            "actual_close": close,
            "amount_cents": cents,
            "create_order": values.get("create_order") == "yes",
        }
