"""Winning a deal: the actual close date and final amount, and what becomes of the order."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from textual import on
from textual.widgets import Input, Label, Select

from crm_tui.dates import parse_date
from crm_tui.i18n import _
from crm_tui.store.validation import ValidationError, display_amount, format_amount, parse_money
from crm_tui.widgets.form import FieldDef, FormScreen

#: How far back a close date may go: an older one is almost surely a typo (the year).
MAX_DAYS_BACK = 365
#: A final amount this many times the expected one asks for a second ctrl+s.
AMOUNT_CHECK_FACTOR = 10


def check_close_date(text: str | None, today: dt.date, field: str = "actual_close") -> dt.date:
    """The actual close date typed as ``text``, or ValidationError on ``field``: required,
    not after ``today``, not more than :data:`MAX_DAYS_BACK` days before it.

    The won and lost dialogs and the opportunity form (editing a won or lost deal) check it."""
    if not text:
        raise ValidationError(field, _("Required"))
    try:
        close = parse_date(text, today, past=True)  # a close has happened: 11-20, fri back
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None
    if close > today:
        # said under the field, whose label names it (成交日期 or 输单日期)
        message = _("This date is after today ({today})").format(today=today.isoformat())
        raise ValidationError(field, message)
    if close < today - dt.timedelta(days=MAX_DAYS_BACK):
        raise ValidationError(
            field, _("More than a year ago: check the year ({date})").format(date=close.isoformat())
        )
    return close


class EntryDayCheck:
    """Asks a second ctrl+s for a close date before the day the deal was entered.

    A deal entered in the CRM today may well have been won last week (the rep's first
    days with the app), but more often such a date is a typo, and it would put the win
    into a weekly report already sent. Called with the checked close date, it raises
    ValidationError once per date, then lets that date through.
    """

    def __init__(self, created: dt.date | None) -> None:
        self.created = created
        self.asked: dt.date | None = None

    def __call__(self, close: dt.date) -> dt.date:
        if self.created is not None and close < self.created and close != self.asked:
            self.asked = close
            raise ValidationError(
                "actual_close",
                _("Before the deal was entered ({created}): ctrl+s again to keep it").format(
                    created=self.created.isoformat()
                ),
            )
        return close


def order_options(
    orders: Sequence[tuple], final_cents: int | None = None
) -> tuple[list[tuple[str, str]], str]:
    """The "create the order" choices and the default, given the deal's existing orders.

    A deal won before (then moved back) usually has its order already: winning it again
    must not add a second one unasked, so the default becomes No and says why. With one
    order, "update" makes that order follow the final amount: the default when the
    final amount (``final_cents``) differs from the order's.
    """
    if not orders:
        return [(_("Yes"), "yes"), (_("No"), "no")], "yes"
    if len(orders) == 1:
        _oid, day, cents, *_rest = orders[0]
        no = _("No: it has an order already ({date}, {amount})").format(
            date=day, amount=display_amount(cents)
        )
        update = _("Update that order to the final amount")
        default = "update" if final_cents and final_cents != cents else "no"
        return [(no, "no"), (update, "update"), (_("Yes: one more order"), "yes")], default
    no = _("No: it has {count} orders already ({amount} in all)").format(
        count=len(orders), amount=display_amount(sum(o[2] for o in orders))
    )
    return [(no, "no"), (_("Yes: one more order"), "yes")], "no"


class WonDialog(FormScreen[dict]):
    """Dismisses with ``{"actual_close", "amount_cents", "create_order", "update_order"}``
    or None (cancelled). ``update_order`` is the id of the order whose amount becomes the
    final amount, or None.

    ``orders``: (id, date, amount, paid) of the orders the deal already has; ``created``
    the day the deal was entered (None for a deal being entered: see EntryDayCheck).
    """

    DEFAULT_CSS = """
    WonDialog #order-note { display: none; width: 100%; color: $warning; }
    WonDialog #order-note.visible { display: block; }
    """

    def __init__(
        self,
        deal_name: str,
        amount_cents: int,
        today: dt.date,
        *,
        orders: Sequence[tuple] = (),
        created: dt.date | None = None,
    ) -> None:
        self.today = today
        self.entry_day = EntryDayCheck(created)
        self.expected_cents = amount_cents
        self.orders = list(orders)
        self._confirmed_cents: int | None = None  # a large amount, confirmed by a 2nd ctrl+s
        options, default = order_options(orders, amount_cents)
        #: the order choice this dialog set itself; once the user picks one, it stays
        self._auto_choice: str | None = default
        self._choice_touched = False
        fields = [
            FieldDef("actual_close", _("Actual close date"), "date", required=True,
                     value=today.isoformat(), preset=True),
            FieldDef("amount_cents", _("Final amount"), "money", required=True,
                     value=format_amount(amount_cents) if amount_cents else None),
            FieldDef("create_order", _("Create the order now"), "choice", required=True,
                     options=options, value=default),
        ]  # fmt: skip
        super().__init__(fields, title=_("Won: {name}"), title_name=deal_name)

    # --- the one existing order and the final amount --------------------------

    @property
    def single_order(self) -> tuple | None:
        return self.orders[0] if len(self.orders) == 1 else None

    def on_mount(self) -> None:
        error = self.query_one("#error-amount_cents", Label)
        note = Label("", id="order-note", markup=False)
        error.parent.mount(note, after=error)  # type: ignore[union-attr]
        self._show_order_note(self.expected_cents)

    def _typed_cents(self) -> int | None:
        try:
            return parse_money("amount_cents", self.query_one("#field-amount_cents", Input).value)
        except ValidationError:
            return None

    def _show_order_note(self, cents: int | None) -> None:
        """Say inline when the final amount differs from the deal's order."""
        order = self.single_order
        notes = self.query("#order-note")
        if not notes:
            return
        note = notes.first(Label)
        differs = order is not None and bool(cents) and cents != order[2]
        note.update(
            _("Its order is {amount}: choose below whether it follows the final amount").format(
                amount=display_amount(order[2])
            )
            if differs and order is not None
            else ""
        )
        note.set_class(differs, "visible")

    @on(Input.Changed, "#field-amount_cents")
    def _amount_changed(self, event: Input.Changed) -> None:
        order = self.single_order
        if order is None:
            return
        cents = self._typed_cents()
        self._show_order_note(cents)
        if self._choice_touched or cents is None:
            return
        wanted = "update" if cents and cents != order[2] else "no"
        choice = self.query_one("#field-create_order", Select)
        if choice.value != wanted:
            self._auto_choice = wanted
            choice.value = wanted

    @on(Select.Changed, "#field-create_order")
    def _choice_changed(self, event: Select.Changed) -> None:
        if event.value != self._auto_choice:
            self._choice_touched = True

    # --- saving ----------------------------------------------------------------

    def save(self, values: dict[str, Any]) -> dict:
        """The close date and amount, or every problem with them at once."""
        problems: list[ValidationError] = []
        close = cents = None
        try:
            close = self.entry_day(check_close_date(values.get("actual_close"), self.today))
        except ValidationError as exc:
            problems.append(exc)
        try:
            cents = self._checked_amount(values.get("amount_cents"), values.get("create_order"))
        except ValidationError as exc:
            problems.append(exc)
        if problems:
            raise ValidationError.of(problems)
        choice = values.get("create_order")
        order = self.single_order
        update = choice == "update" and order is not None and cents != order[2]
        return {
            "actual_close": close,
            "amount_cents": cents,
            "create_order": choice == "yes",
            "update_order": order[0] if update else None,  # type: ignore[index]
        }

    def _checked_amount(self, text: str | None, choice: str | None) -> int:
        """The final amount: given, asked twice when ten times the expected, not below
        what was paid on the order it updates."""
        cents = parse_money("amount_cents", text)
        if cents is None:
            raise ValidationError("amount_cents", _("Enter the amount the deal was won for"))
        if cents <= 0:  # (typed: "0" is not "nothing typed")
            raise ValidationError("amount_cents", _("The amount must be more than zero"))
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
        order = self.single_order
        if choice == "update" and order is not None and cents != order[2] and cents < order[3]:
            raise ValidationError("create_order", _("Less than what has already been paid"))
        return cents
