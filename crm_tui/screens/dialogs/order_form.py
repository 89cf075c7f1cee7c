"""A customer's order (new or edited) and a payment against one, from the customer detail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crm_tui.i18n import _
from crm_tui.store.validation import ValidationError, display_amount, format_amount
from crm_tui.widgets.form import FieldDef, FormScreen


def _not_after_today(field: str, day: dt.date | None) -> None:
    """An order or a payment has happened: a date after today is a typing mistake, and
    so is one before the dates a plan may have (0001-01-01)."""
    from crm_tui.dates import FIRST_DAY

    today = dt.date.today()
    if day is not None and day > today:
        raise ValidationError(
            field,
            _("This date is after today ({today})").format(today=today.isoformat()),
        )
    if day is not None and day < FIRST_DAY:
        raise ValidationError(
            field,
            _("This date is before {first}: check the year").format(first=FIRST_DAY.isoformat()),
        )


class OrderForm(FormScreen[int]):
    """Dismisses with the order's id once saved. ``order``: (id, order_date, order_no,
    product, amount_cents, paid_cents) of the order to edit, as ``customer_orders`` reads
    it; None for a new order."""

    def __init__(self, customer_id: int, order: Any | None = None) -> None:
        self.customer_id = customer_id
        self.order_id = order["id"] if order else None
        self.paid_cents = order["paid_cents"] if order else 0
        o = dict(order) if order else {}
        fields = [
            FieldDef("order_date", _("Order date"), "date", required=True,
                     value=o.get("order_date") or dt.date.today().isoformat()),
            FieldDef("amount_cents", _("Amount"), "money", required=True,
                     value=format_amount(o["amount_cents"]) if o else None),
            FieldDef("product", _("Product"), value=o.get("product")),
            FieldDef("order_no", _("Order number"), value=o.get("order_no"),
                     placeholder=_("optional; unique")),
        ]  # fmt: skip
        title = _("Edit order") if order else _("New order")
        if self.paid_cents:
            title += "  " + _("({paid} paid)").format(paid=display_amount(self.paid_cents))
        super().__init__(fields, title=title)

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.fields import ORDER_FIELDS
        from crm_tui.store.orders import create_order, update_order

        # checked here first, so that a date after today is reported with the other fields
        day = ORDER_FIELDS["order_date"]("order_date", values.get("order_date"))
        _not_after_today("order_date", day)
        with self.app.db.session() as session:  # type: ignore[attr-defined]
            if self.order_id is None:
                order = create_order(session, self.customer_id, values)
            else:
                order = update_order(session, self.order_id, values)
            return int(order.id)  # type: ignore[arg-type]


class PaymentForm(FormScreen[int]):
    """A payment received against an order; the amount starts at what is still owed.
    Dismisses with the payment's id once saved."""

    def __init__(self, order: Any) -> None:
        self.order_id = order["id"]
        owed = order["amount_cents"] - order["paid_cents"]
        fields = [
            FieldDef("paid_on", _("Paid on"), "date", required=True,
                     value=dt.date.today().isoformat()),
            FieldDef("amount_cents", _("Amount"), "money", required=True,
                     value=format_amount(owed) if owed > 0 else None),
        ]  # fmt: skip
        name = order["order_no"] or order["product"] or str(order["order_date"])
        title = _("Payment for {order}: {owed} of {amount} outstanding").format(
            order=name, owed=display_amount(owed), amount=display_amount(order["amount_cents"])
        )
        super().__init__(fields, title=title)

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.fields import PAYMENT_FIELDS
        from crm_tui.store.orders import add_payment

        day = PAYMENT_FIELDS["paid_on"]("paid_on", values.get("paid_on"))
        _not_after_today("paid_on", day)
        with self.app.db.session() as session:  # type: ignore[attr-defined]
            return int(add_payment(session, self.order_id, values).id)  # type: ignore[arg-type]
