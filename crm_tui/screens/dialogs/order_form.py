"""A customer's order (new or edited) and a payment against one, from the customer detail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from crm_tui.i18n import _
from crm_tui.screens.dialogs.typed_dates import saved_with_date_problems
from crm_tui.store.validation import (
    ValidationError,
    display_amount,
    display_amounts,
    format_amount,
)
from crm_tui.widgets.form import FieldDef, FormScreen


def _saved_with_the_date_checked(
    app: Any,
    field: str,
    spec: Callable[[str, Any], dt.date | None],
    values: dict[str, Any],
    write: Callable[[Any], Any],
) -> int:
    """``write(session)``'s record id, saved only when the date in ``field`` is not after
    today nor before 1900 either; the date's problem and the store's are said together
    (the date's alone were said first, the amount's one save later)."""
    problem: ValidationError | None = None
    try:
        _check_day(field, spec(field, values.get(field)))
    except ValidationError as exc:
        problem = exc
    return saved_with_date_problems(app, problem, write)


def _check_day(field: str, day: dt.date | None) -> None:
    """An order or a payment has happened: a date after today is a typing mistake, and
    so is one before 1900 (0001-01-01: the year)."""
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
    product, amount_cents, paid_cents, version) of the order to edit, as ``customer_orders``
    reads it; None for a new order. Saving names that version: an order changed elsewhere
    since is refused and its current values shown (FormScreen), not overwritten."""

    def __init__(self, customer_id: int, order: Any | None = None) -> None:
        self.customer_id = customer_id
        self.order_id = order["id"] if order else None
        self.version = order["version"] if order else None
        self.paid_cents = order["paid_cents"] if order else 0
        o = dict(order) if order else {}
        fields = [
            FieldDef("order_date", _("Order date"), "date", required=True,
                     value=o.get("order_date") or dt.date.today().isoformat(), preset=not o),
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

        def write(session):
            if self.order_id is None:
                return create_order(session, self.customer_id, values)
            return update_order(session, self.order_id, values, expected_version=self.version)

        spec = ORDER_FIELDS["order_date"]
        return _saved_with_the_date_checked(self.app, "order_date", spec, values, write)


class PaymentForm(FormScreen[int]):
    """A payment received against an order; the amount starts at what is still owed.
    Dismisses with the payment's id once saved."""

    def __init__(self, order: Any) -> None:
        self.order_id = order["id"]
        owed = order["amount_cents"] - order["paid_cents"]
        self.owed = owed  # (as the title says it: a save checks it still is)
        fields = [
            FieldDef("paid_on", _("Paid on"), "date", required=True,
                     value=dt.date.today().isoformat(), preset=True),
            FieldDef("amount_cents", _("Amount"), "money", required=True,
                     value=format_amount(owed) if owed > 0 else None),
        ]  # fmt: skip
        name = order["order_no"] or order["product"] or str(order["order_date"])
        owed_text, amount = display_amounts(owed, order["amount_cents"])
        title = _("Payment for {order}: {owed} of {amount} outstanding").format(
            order=name, owed=owed_text, amount=amount
        )
        super().__init__(fields, title=title)

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.fields import PAYMENT_FIELDS
        from crm_tui.store.orders import add_payment

        return _saved_with_the_date_checked(
            self.app, "paid_on", PAYMENT_FIELDS["paid_on"], values,
            lambda session: add_payment(session, self.order_id, values, expected_owed=self.owed),
        )  # fmt: skip
