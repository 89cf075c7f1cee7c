"""Order and payment commands; they keep the customer's derived total amount and last order current."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, func, select

from crm_tui.i18n import _
from crm_tui.store.common import ConflictError, NotFoundError
from crm_tui.store.fields import ORDER_FIELDS, PAYMENT_FIELDS, clean_partly
from crm_tui.store.models import Customer, Opportunity, Payment, SalesOrder, now
from crm_tui.store.sqlite import LAST_ORDER_SQL, ORDERS_TOTAL_SQL
from crm_tui.store.validation import ValidationError, display_amounts

_TOTAL = ORDERS_TOTAL_SQL.format(customer="customer")
_LAST = LAST_ORDER_SQL.format(customer="customer")


def refresh_customer_totals(session: Session, customer_ids: list[int]) -> None:
    """Recompute customers' ``total_amount_cents`` and ``last_order`` from their orders (SQL)."""
    for cid in sorted(set(customer_ids)):
        session.execute(
            text(
                f"UPDATE customer SET total_amount_cents = {_TOTAL}, last_order = {_LAST}"
                " WHERE id = :cid"
            ),
            {"cid": cid},
        )
    session.flush()
    # Objects already in the session must not keep the stale derived values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Customer) and obj.id in customer_ids:
            session.expire(obj, ["total_amount_cents", "last_order"])


def _amount_problem(cents: int | None) -> str | None:
    if cents is None:
        return _("Required")
    if cents <= 0:
        return _("The amount must be more than zero")
    return None


def _checked_order(
    session: Session, data: Mapping[str, Any], order_id: int | None = None
) -> dict[str, Any]:
    """The order fields in ``data``, checked; every problem is said at once (a number
    already used beside a bad amount too). ``order_id``: the order being edited."""
    values, problems = clean_partly(ORDER_FIELDS, data)
    if "amount_cents" in values:
        cents = values["amount_cents"]
        problem = _amount_problem(cents)
        if problem is None and order_id is not None and cents < paid_cents(session, order_id):
            problem = _("Less than what has already been paid")
        if problem is not None:
            problems.append(ValidationError("amount_cents", problem))
    if "order_date" in values and values["order_date"] is None:
        problems.append(ValidationError("order_date", _("Required")))
    elif values.get("order_date") and order_id is not None:
        # (a date left as it is never blocks editing the rest: a payment dated before
        # its order by an older version or by hand is said by crm check)
        first = first_payment_on(session, order_id)
        stored = session.get(SalesOrder, order_id)
        same = stored is not None and stored.order_date == values["order_date"]
        if first is not None and values["order_date"] > first and not same:
            message = _("After this order's first payment ({date})").format(date=first.isoformat())
            problems.append(ValidationError("order_date", message))
    order_no = values.get("order_no")
    if order_no:
        other = session.exec(select(SalesOrder.id).where(SalesOrder.order_no == order_no)).first()
        if other is not None and other != order_id:
            message = _("Order number already used: {no}").format(no=order_no)
            problems.append(ValidationError("order_no", message))
    if problems:
        raise ValidationError.of(problems)
    return values


def create_order(session: Session, customer_id: int, data: Mapping[str, Any]) -> SalesOrder:
    """Validate and add an order (customer, date and amount required)."""
    if customer_id is None:
        raise ValidationError("customer_id", _("Pick a customer"))
    if session.get(Customer, customer_id) is None:  # (deleted in another window meanwhile)
        raise NotFoundError(_("This customer no longer exists"))
    values = _checked_order(session, {"order_date": None, "amount_cents": None, **data})
    opp_id = values.get("opportunity_id")
    if opp_id is not None:
        opp = session.get(Opportunity, opp_id)
        if opp is None or opp.customer_id != customer_id:
            raise ValidationError(
                "opportunity_id", _("This opportunity does not belong to the customer")
            )
    order = SalesOrder(
        customer_id=customer_id,
        **{k: v for k, v in values.items() if v is not None},
        created_at=now(),
    )
    session.add(order)
    session.flush()
    refresh_customer_totals(session, [customer_id])
    return order


def get_order(session: Session, order_id: int) -> SalesOrder:
    order = session.get(SalesOrder, order_id)
    if order is None:
        raise NotFoundError(_("This order no longer exists"))
    return order


def update_order(
    session: Session, order_id: int, data: Mapping[str, Any], expected_version: int | None = None
) -> SalesOrder:
    """Change an order's date, amount, product or number (totals follow); refused
    (ConflictError, with the current values) if changed elsewhere since ``expected_version``,
    so that a form opened before another window's save cannot write its old values back."""
    order = get_order(session, order_id)
    session.refresh(order)
    if expected_version is not None and order.version != expected_version:
        raise ConflictError(
            _(
                "This record was changed elsewhere since you opened it; the current values are shown"
            ),
            fresh=SalesOrder(**order.model_dump()),  # (detached: a rollback expires ``order``)
        )
    values = _checked_order(session, data, order_id)
    for key, value in values.items():
        setattr(order, key, value)
    order.version = order.version + 1
    session.add(order)
    session.flush()
    refresh_customer_totals(session, [order.customer_id])
    return order


def set_order_amount(session: Session, order_id: int, cents: int) -> int:
    """Set an order's amount (a deal won again for another final amount) and return the
    amount it had, so that an undo can put it back. Totals follow; less than what has
    been paid is refused, as in :func:`update_order`."""
    before = get_order(session, order_id).amount_cents
    update_order(session, order_id, {"amount_cents": cents})
    return before


def delete_order(session: Session, order_id: int) -> None:
    """Delete an order and its payments (totals follow)."""
    order = get_order(session, order_id)
    customer_id = order.customer_id
    session.delete(order)
    session.flush()
    refresh_customer_totals(session, [customer_id])


def list_orders(session: Session, customer_id: int) -> list[SalesOrder]:
    """A customer's orders, newest first."""
    return list(
        session.exec(
            select(SalesOrder)
            .where(SalesOrder.customer_id == customer_id)
            .order_by(col(SalesOrder.order_date).desc(), col(SalesOrder.id).desc())
        ).all()
    )


# --- payments ---------------------------------------------------------------


def paid_cents(session: Session, order_id: int) -> int:
    return session.exec(
        select(func.coalesce(func.sum(Payment.amount_cents), 0)).where(Payment.order_id == order_id)
    ).one()


def first_payment_on(session: Session, order_id: int) -> dt.date | None:
    """The date of an order's earliest payment (its date may not move past it)."""
    return session.exec(select(func.min(Payment.paid_on)).where(Payment.order_id == order_id)).one()


def add_payment(
    session: Session, order_id: int, data: Mapping[str, Any], expected_owed: int | None = None
) -> Payment:
    """Record a payment against an order; more than the order's outstanding amount is refused.
    ``expected_owed``: the outstanding amount the rep was shown; when it has changed since
    (another window's edit or payment), a refusal says what is outstanding now, instead of
    contradicting the figure on the rep's screen."""
    order = get_order(session, order_id)
    values, problems = clean_partly(PAYMENT_FIELDS, {"paid_on": None, "amount_cents": None, **data})
    day = values.get("paid_on", False)
    if day is None:
        problems.append(ValidationError("paid_on", _("Required")))
    elif day and day < order.order_date:
        message = _("A payment cannot be before its order ({date})")
        problems.append(
            ValidationError("paid_on", message.format(date=order.order_date.isoformat()))
        )
    if "amount_cents" in values:  # (else said by clean_partly)
        cents = values["amount_cents"]
        problem = _amount_problem(cents)
        owed = order.amount_cents - paid_cents(session, order_id)
        if problem is None and cents > owed and expected_owed not in (None, owed):
            now_owed, amount = display_amounts(owed, order.amount_cents)
            problem = _(
                "More than the order's outstanding amount, which changed elsewhere since"
                " you opened this: {owed} of {amount} now"
            ).format(owed=now_owed, amount=amount)
        elif problem is None and cents > owed:
            problem = _("More than the order's outstanding amount")
        if problem is not None:
            problems.append(ValidationError("amount_cents", problem))
    if problems:  # every problem at once (the amount's was said only once the date was right)
        raise ValidationError.of(sorted(problems, key=lambda e: e.field != "paid_on"))
    payment = Payment(order_id=order_id, paid_on=values["paid_on"], amount_cents=cents)
    session.add(payment)
    session.flush()
    return payment


def delete_payment(session: Session, payment_id: int) -> None:
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFoundError(_("This payment no longer exists"))
    session.delete(payment)
    session.flush()


def list_payments(session: Session, order_id: int) -> list[Payment]:
    return list(
        session.exec(
            select(Payment)
            .where(Payment.order_id == order_id)
            .order_by(col(Payment.paid_on), col(Payment.id))
        ).all()
    )
