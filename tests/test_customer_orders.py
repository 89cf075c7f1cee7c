"""A customer's orders and payments: the store's lists, and the detail's keys (n, p, enter,
delete) driven with the pilot, checked in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from textual import events
from textual.widgets import DataTable, Input, Label, Static

from crm_tui.app import make_app
from crm_tui.screens.dialogs.contact_form import ContactForm
from crm_tui.screens.dialogs.customer_form import CustomerForm
from crm_tui.store import customers as cs
from crm_tui.store import orders
from crm_tui.store.lists import (
    CustomerTimeline,
    customer_collection,
    customer_orders,
)
from tests.test_pipeline_screen import wait_until

FROZEN = dt.datetime(2026, 11, 23, 9, 30)
TODAY = dt.date.today().isoformat()  # forms take today's date (the clock is not theirs)


@pytest.fixture
def billed(db):
    """Initech: an order of 1,000 (400 paid in two payments) and a later one of 250.50;
    Globex: an order of 99 (so that sums stay per customer)."""
    with db.session() as s:
        initech = cs.create_customer(s, {"name": "Initech"})
        globex = cs.create_customer(s, {"name": "Globex"})
        first = orders.create_order(
            s,
            initech.id,
            {"order_date": "2026-10-02", "amount_cents": "1000", "order_no": "SO-1"},
        )
        orders.add_payment(s, first.id, {"paid_on": "2026-10-10", "amount_cents": "150"})
        orders.add_payment(s, first.id, {"paid_on": "2026-10-20", "amount_cents": "250"})
        orders.create_order(
            s, initech.id, {"order_date": "2026-11-05", "amount_cents": "250.50", "product": "Kit"}
        )
        orders.create_order(s, globex.id, {"order_date": "2026-11-01", "amount_cents": "99"})
        db.ids = {"initech": initech.id, "globex": globex.id, "first": first.id}
    return db


def app_on(db):
    return make_app(db.path, lang="en", clock=lambda: FROZEN)


def rows(db, sql: str, *args) -> list[tuple]:
    with db.reading() as conn:
        return [tuple(r) for r in conn.execute(sql, args)]


# --- the store's lists ------------------------------------------------------------


def test_orders_list_newest_first_with_what_was_paid_on_each(billed):
    with billed.reading() as conn:
        got = [tuple(r) for r in customer_orders(conn, billed.ids["initech"])]
    assert [(day, no, product, cents, paid) for _id, day, no, product, cents, paid, _v in got] == [
        ("2026-11-05", None, "Kit", 25050, 0),
        ("2026-10-02", "SO-1", None, 100000, 40000),
    ]


def test_collection_sums_one_customers_orders_and_payments_exactly(billed):
    with billed.reading() as conn:
        assert customer_collection(conn, billed.ids["initech"]) == (125050, 40000)
        assert customer_collection(conn, billed.ids["globex"]) == (9900, 0)
        nobody = cs_id = 999
        assert customer_collection(conn, nobody) == (0, 0), cs_id


def test_the_timeline_lists_payments_under_their_orders_name(billed):
    with billed.reading() as conn:
        timeline = CustomerTimeline(conn, billed.ids["initech"])
        got = [(when, kind, title, detail) for _k, when, kind, title, detail in
               timeline.fetch(0, 10)]  # fmt: skip
    assert got == [
        ("2026-11-05", "order", "Kit", 25050),
        ("2026-10-20", "payment", "SO-1", 25000),
        ("2026-10-10", "payment", "SO-1", 15000),
        ("2026-10-02", "order", "SO-1", 100000),
    ]


def test_a_payment_made_the_day_of_its_order_is_listed_above_the_order(billed):
    """Newest first: paid on the day it was ordered, the payment came after the order."""
    with billed.session() as s:
        same_day = orders.create_order(
            s,
            billed.ids["globex"],
            {"order_date": "2026-11-12", "amount_cents": "60", "order_no": "G-2"},
        )
        orders.add_payment(s, same_day.id, {"paid_on": "2026-11-12", "amount_cents": "60"})
    with billed.reading() as conn:
        got = [(when, kind) for _k, when, kind, _t, _d in
               CustomerTimeline(conn, billed.ids["globex"]).fetch(0, 10)]  # fmt: skip
    assert got == [("2026-11-12", "payment"), ("2026-11-12", "order"), ("2026-11-01", "order")]


# --- the customer detail -------------------------------------------------------------


async def open_initech(pilot):
    await pilot.pause()
    await pilot.press("/", *"Initech", "enter")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    detail = pilot.app.screen
    assert detail.__class__.__name__ == "CustomerDetailScreen"
    return detail


def table_rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def profile_text(detail) -> str:
    """The profile as shown, line by line."""
    profile = detail.query_one("#profile", Static)
    strips = profile.render_lines(profile.content_region.reset_offset)
    return "\n".join(strip.text for strip in strips)


async def test_the_detail_shows_orders_what_is_owed_and_the_collection_rate(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        assert table_rows(detail.query_one("#orders", DataTable)) == [
            ["2026-11-05", "250.50", "250.50"],
            ["2026-10-02", "1,000.00", "600.00"],  # two decimals: the column lines up
        ]
        text = profile_text(detail)
        assert "Total amount       1,250.50" in text
        assert "Collected          400.00 (32%)" in text  # 400 / 1,250.50 = 31.99 %
        assert "Outstanding        850.50" in text  # one rule for all: not "400" above
        assert not detail.query_one("#orders-empty", Label).display


async def test_n_records_an_order_and_the_customers_total_follows(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        detail = await open_initech(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert str(app.screen.query_one(".dialog-title").render()) == "New order"
        assert app.screen.query_one("#field-order_date", Input).value == TODAY
        await pilot.press(*"1,500.50", "tab", *"Support plan", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
        assert any(n.message == "Order saved" for n in app._notifications)
        assert table_rows(detail.query_one("#orders", DataTable))[0] == [
            TODAY, "1,500.50", "1,500.50",
        ]  # fmt: skip
    cid = billed.ids["initech"]
    assert rows(billed, "SELECT amount_cents, product FROM sales_order WHERE customer_id = ?"
                " AND order_date = ?", cid, TODAY) == [(150050, "Support plan")]  # fmt: skip
    assert rows(billed, "SELECT total_amount_cents FROM customer WHERE id = ?", cid) == [(275100,)]


async def test_the_order_and_payment_forms_start_on_the_amount_not_on_todays_date(billed):
    """The date comes filled in with today: what is typed at once is the amount (it went
    into the date, replacing it: `¥1,234.50` as an order date)."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"¥1,234.50", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("down", "down", "p")  # SO-1: 600 owed, filled in and selected
        await pilot.pause()
        assert app.screen.query_one("#field-amount_cents", Input).value == "600.00"
        await pilot.press(*"100", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
    cid = billed.ids["initech"]
    assert rows(billed, "SELECT order_date, amount_cents FROM sales_order WHERE customer_id = ?"
                " AND order_date = ?", cid, TODAY) == [(TODAY, 123450)]  # fmt: skip
    assert rows(billed, "SELECT paid_on, amount_cents FROM payment WHERE order_id = ? "
                "ORDER BY id DESC LIMIT 1", billed.ids["first"]) == [(TODAY, 10000)]  # fmt: skip


async def test_the_fields_to_fix_by_the_buttons_go_as_each_is_mended(billed):
    """ "2 fields to fix: Order date, Amount" stayed by the buttons after both were mended,
    until the next save."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        summary = form.query_one("#form-error", Label)
        await pilot.press("shift+tab", "ctrl+u", *"2099-01-01", "ctrl+s")
        await pilot.pause()
        assert str(summary.render()) == "2 fields to fix: Order date, Amount"
        await pilot.press("tab", *"80")
        await pilot.pause()
        assert str(summary.render()) == "1 field to fix: Order date"
        assert summary.display
        await pilot.press("shift+tab", "ctrl+u", *"2026-11-01")
        await pilot.pause()
        assert not str(summary.render()) and not summary.display
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is detail
    assert rows(
        billed,
        "SELECT amount_cents FROM sales_order WHERE order_date = '2026-11-01' AND customer_id = ?",
        billed.ids["initech"],
    ) == [(8000,)]


async def test_editing_an_order_starts_on_its_first_field(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.focused.id == "field-order_date"


async def test_an_order_form_refuses_a_date_after_today_and_a_missing_amount(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_initech(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        await pilot.press("shift+tab", "ctrl+u", *"2099-01-01", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        error = str(form.query_one("#error-order_date", Label).render())
        assert error.startswith("This date is after today")
        await pilot.press("ctrl+u", *"2026-11-01", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert str(form.query_one("#error-amount_cents", Label).render()) == "Required"
    assert rows(billed, "SELECT count(*) FROM sales_order") == [(3,)]


async def test_an_order_form_refuses_an_order_number_excel_turned_into_scientific_notation(
    billed,
):
    """2.02511E+11, pasted from a sheet, was saved as the order's number: a later
    import's order of the same mangled number then brought this one up to date."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_initech(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        await pilot.press(*"500", "tab", "tab", *"2.02511E+11", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        error = str(form.query_one("#error-order_no", Label).render())
        assert error.startswith("Excel turned the number into scientific notation (“2.02511E+11”)")
        assert "format the column as Text" in error
    assert rows(billed, "SELECT count(*) FROM sales_order") == [(3,)]


async def test_p_records_a_payment_starting_at_what_is_owed_and_refuses_more(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        detail = await open_initech(pilot)
        orders_table = detail.query_one("#orders", DataTable)
        orders_table.focus()
        await pilot.press("down", "p")  # the order of 1,000 with 600 still owed
        await pilot.pause()
        form = app.screen
        assert str(form.query_one(".dialog-title").render()) == (
            "Payment for SO-1: 600 of 1,000 outstanding"
        )
        amount = form.query_one("#field-amount_cents", Input)
        assert amount.value == "600.00"
        await pilot.press("ctrl+u", *"600.01", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        error = str(form.query_one("#error-amount_cents", Label).render())
        assert error == "More than the order's outstanding amount"
        await pilot.press("ctrl+u", *"100", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
        assert any(n.message == "Payment recorded" for n in app._notifications)
        assert table_rows(orders_table)[1] == ["2026-10-02", "1,000.00", "500.00"]
        assert "Collected          500.00 (40%)" in profile_text(detail)
    assert rows(billed, "SELECT paid_on, amount_cents FROM payment ORDER BY id") == [
        ("2026-10-10", 15000), ("2026-10-20", 25000), (TODAY, 10000),
    ]  # fmt: skip


async def test_a_paid_order_and_no_order_say_why_p_does_nothing(billed):
    with billed.session() as s:
        orders.add_payment(s, billed.ids["first"], {"paid_on": "2026-11-01", "amount_cents": "600"})
        cs.create_customer(s, {"name": "Hooli"})
    app = app_on(billed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("down")
        assert table_rows(detail.query_one("#orders", DataTable))[1][2] == "✓"
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is detail
        assert app._notifications and list(app._notifications)[-1].message == (
            "This order is paid in full"
        )
        await pilot.press("escape", "/", "ctrl+u", *"Hooli", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        hooli = app.screen
        hint = hooli.query_one("#orders-empty", Label)
        assert hint.display and str(hint.render()) == "No orders yet: n records one"
        await pilot.press("p")
        await pilot.pause()
        assert app.screen is hooli
        assert list(app._notifications)[-1].message == (
            "No order to record a payment against: n records an order first"
        )


async def test_enter_edits_an_order_and_an_amount_under_what_was_paid_is_refused(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("down", "enter")
        await pilot.pause()
        form = app.screen
        assert str(form.query_one(".dialog-title").render()) == "Edit order  (400 paid)"
        await pilot.press("tab", "ctrl+u", *"300", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        error = str(form.query_one("#error-amount_cents", Label).render())
        assert error == "Less than what has already been paid"
        await pilot.press("ctrl+u", *"1200", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
    assert rows(
        billed, "SELECT amount_cents FROM sales_order WHERE id = ?", billed.ids["first"]
    ) == [(120000,)]


async def test_delete_on_an_order_asks_and_takes_its_payments_with_it(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("down", "delete")
        await pilot.pause()
        question = str(app.screen.query_one("#question").render())
        assert question == "Delete the order “SO-1” (1,000) and its payments (400)?"
        await pilot.press("escape")  # no: nothing goes
        await pilot.pause()
        assert rows(billed, "SELECT count(*) FROM payment") == [(2,)]
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is detail
        assert len(table_rows(detail.query_one("#orders", DataTable))) == 1
    assert rows(billed, "SELECT count(*) FROM payment") == [(0,)]
    cid = billed.ids["initech"]
    assert rows(billed, "SELECT total_amount_cents FROM customer WHERE id = ?", cid) == [(25050,)]


async def test_delete_on_a_payment_in_the_timeline_removes_only_that_payment(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        timeline = detail.query_one("#timeline")
        timeline.focus()
        await pilot.press("down")  # the newest payment (under the newest order)
        assert timeline.cursor_row[2] == "payment"
        await pilot.press("delete")
        await pilot.pause()
        question = str(app.screen.query_one("#question").render())
        assert question == "Delete the payment of 250.00 (2026-10-20)?"
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is detail
    assert rows(billed, "SELECT paid_on FROM payment") == [("2026-10-10",)]


async def test_keys_typed_in_a_burst_before_ctrl_s_are_saved(billed):
    """ctrl+s is handled as it arrives, while the keys typed just before it may still wait
    in the field's queue (a fast typist, a paste, a script): the form saves after them,
    and once (ctrl+s twice)."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        await pilot.press("n")
        await pilot.pause()
        for key in [*"777", "ctrl+s", "ctrl+s"]:  # one read of the terminal: no pause between them
            app._driver.send_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause()
        await pilot.pause()
        assert app.screen is detail
    assert rows(billed, "SELECT amount_cents FROM sales_order WHERE order_date = ?", TODAY) == [
        (77700,)
    ]


async def test_saving_the_customer_or_a_contact_from_the_detail_says_so(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        detail = await open_initech(pilot)
        # (each form waited for: under load a key typed before the form is up is lost)
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ContactForm))
        await pilot.press(*"Peter Gibbons", "ctrl+s")
        await wait_until(pilot, lambda: app.screen is detail)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerForm))
        await pilot.press("escape")  # nothing changed: closed without a word
        await wait_until(pilot, lambda: app.screen is detail)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, CustomerForm))
        await pilot.press("end", *" Inc", "ctrl+s")
        await wait_until(pilot, lambda: app.screen is detail)
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["Contact saved", "Customer saved"]
    assert rows(billed, "SELECT name FROM customer WHERE id = ?", billed.ids["initech"]) == [
        ("Initech Inc",)
    ]


async def test_deleting_a_customer_says_how_much_goes_with_it(billed):
    with billed.session() as s:
        cs.create_contact(s, billed.ids["initech"], {"name": "Bill Lumbergh"})
        cs.create_customer(s, {"name": "Hooli"})
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#profile-pane").focus()
        await pilot.press("delete")
        await pilot.pause()
        assert str(app.screen.query_one("#question").render()) == (
            "Delete customer “Initech” and all it holds: 1 contact, 2 orders, 2 payments?"
        )
        await pilot.press("n", "escape", "/", "ctrl+u", *"Hooli", "enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        app.screen.query_one("#profile-pane").focus()
        await pilot.press("delete")
        await pilot.pause()
        assert str(app.screen.query_one("#question").render()) == (
            "Delete customer “Hooli”? It holds no records."
        )


async def test_p_on_a_payment_in_the_timeline_pays_against_that_payments_order(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        timeline = detail.query_one("#timeline")
        timeline.focus()
        await pilot.press("down")  # a payment of SO-1 (the orders list is on Kit)
        assert timeline.cursor_row[2] == "payment"
        await pilot.press("p")
        await pilot.pause()
        assert str(app.screen.query_one(".dialog-title").render()).startswith("Payment for SO-1:")


async def test_an_order_dated_before_1900_is_refused(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_initech(pilot)
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        await pilot.press("shift+tab", "ctrl+u", *"0001-01-01", "tab", *"100", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert str(form.query_one("#error-order_date", Label).render()) == (
            "This date is before 1900-01-01: check the year"
        )
    assert rows(billed, "SELECT count(*) FROM sales_order") == [(3,)]


async def test_the_profile_shows_when_it_has_the_focus(billed):
    """Tab from the timeline lands on the profile, where delete means the customer: it
    looked the same focused or not."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        pane = detail.query_one("#profile-pane")
        before = pane.styles.border_right
        pane.focus()
        await pilot.pause()
        assert pane.has_focus and pane.styles.border_right != before


async def test_an_order_form_says_a_bad_date_and_a_bad_amount_in_one_save(billed):
    """A date after today was said alone; the amount under what was paid only one save
    later. Nothing is saved while either stands."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("down", "enter")  # SO-1: 1,000, 400 paid
        await pilot.pause()
        form = app.screen
        await pilot.press("ctrl+u", *"2099-01-01", "tab", "ctrl+u", *"300", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        errors = {
            name: str(form.query_one(f"#error-{name}", Label).render())
            for name in ("order_date", "amount_cents")
        }
        assert errors["order_date"].startswith("This date is after today")
        assert errors["amount_cents"] == "Less than what has already been paid"
    assert rows(billed, "SELECT order_date, amount_cents FROM sales_order WHERE id = ?",
                billed.ids["first"]) == [("2026-10-02", 100000)]  # fmt: skip


async def test_a_payment_form_says_a_bad_date_and_a_bad_amount_in_one_save(billed):
    """Before its order and more than is owed: the amount was said one save later."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("down", "p")  # SO-1 of 2026-10-02: 600 owed
        await pilot.pause()
        form = app.screen
        await pilot.press("shift+tab", "ctrl+u", *"2026-10-01", "tab", "ctrl+u", *"700", "ctrl+s")
        await pilot.pause()
        assert app.screen is form
        errors = {
            name: str(form.query_one(f"#error-{name}", Label).render())
            for name in ("paid_on", "amount_cents")
        }
        assert errors == {
            "paid_on": "A payment cannot be before its order (2026-10-02)",
            "amount_cents": "More than the order's outstanding amount",
        }
    assert rows(billed, "SELECT count(*) FROM payment") == [(2,)]


async def test_enter_on_the_timeline_opens_what_each_row_is_about(billed):
    """Enter on a timeline row opens its record, as enter does in the other panes: an
    interaction, a task or an order in its form, a payment's order, a stage change's deal."""
    from crm_tui.store.interactions import log_interaction
    from crm_tui.store.opportunities import create_opportunity
    from crm_tui.store.tasks import create_task

    cid = billed.ids["initech"]
    with billed.session() as s:
        log_interaction(
            s, cid, {"subject": "Call about the kit", "occurred_at": "2026-11-20 10:00"}
        )
        create_task(s, {"customer_id": cid, "title": "Send the quote", "due": "2026-11-25"})
        create_opportunity(s, cid, {"name": "Second line"})
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        timeline = detail.query_one("#timeline")
        timeline.focus()
        seen = {}
        for i in range(timeline.row_count):
            await pilot.press("home", *["down"] * i, "enter")
            await pilot.pause()
            screen = app.screen
            kind = timeline.cursor_row[2]
            if kind == "stage_change":
                seen[kind] = (
                    type(screen).__name__,
                    str(screen.query_one("#detail-title").render()),
                )
            else:
                values = [w.value for w in screen.query(Input) if w.value]
                seen.setdefault(kind, (type(screen).__name__, values))
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is detail
    assert seen["interaction"][0] == "LogInteractionDialog"
    assert "Call about the kit" in seen["interaction"][1]
    assert seen["task"][0] == "TaskFormDialog" and "Send the quote" in seen["task"][1]
    assert seen["order"][0] == "OrderForm"
    assert seen["payment"][0] == "OrderForm" and "SO-1" in seen["payment"][1]  # its order
    assert seen["stage_change"][0] == "OpportunityDetailScreen"
    assert "Second line" in seen["stage_change"][1]


async def test_the_timeline_cursor_follows_a_re_dated_order(billed):
    """The cursor stayed at its place (on another record) when the order it was on
    moved down the timeline with its new date."""
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        timeline = detail.query_one("#timeline")
        timeline.focus()
        await pilot.press("home")
        key = timeline.cursor_id
        assert key.startswith("order:") and timeline.cursor_row[3] == "Kit"  # 2026-11-05
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+u", *"2026-09-01", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
        assert timeline.cursor == 3  # last: below SO-1 (10-02) and its payments
        assert timeline.cursor_id == key


# --- the same order in two windows ---------------------------------------------------


def elsewhere(db, order_id: int, **data) -> None:
    """Another window saves the order (on the version it read: the current one)."""
    with db.session() as s:
        version = orders.get_order(s, order_id).version
        orders.update_order(s, order_id, data, expected_version=version)


async def open_first_order(pilot, detail):
    """enter on SO-1 (1,000, 400 paid) in the orders list: its form."""
    detail.query_one("#orders", DataTable).focus()
    await pilot.press("down", "enter")
    await pilot.pause()
    form = pilot.app.screen
    assert form.__class__.__name__ == "OrderForm"
    return form


def form_error(form) -> str:
    return str(form.query_one("#form-error", Label).render())


async def test_an_order_saved_elsewhere_meanwhile_is_not_overwritten(billed):
    """QA: window A saves a new amount while B has the order open; B then changes only
    the product. B's save was taken, with A's amount undone and nobody told: it is now
    refused, shows A's amount beside B's product, and the next save keeps both."""
    oid = billed.ids["first"]
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        form = await open_first_order(pilot, detail)
        elsewhere(billed, oid, amount_cents="1200")  # window A
        form.query_one("#field-product", Input).value = "Kit Pro"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # refused, the form kept
        assert form_error(form).startswith("Changed elsewhere since you opened it")
        assert form.query_one("#field-amount_cents", Input).value == "1200.00"  # A's
        assert form.query_one("#field-product", Input).value == "Kit Pro"  # what B typed
        assert rows(billed, "SELECT amount_cents, product FROM sales_order WHERE id = ?", oid) == [
            (120000, None)
        ]
        await pilot.press("ctrl+s")  # again, on the version now shown: both changes
        await pilot.pause()
        assert app.screen is detail
        assert table_rows(detail.query_one("#orders", DataTable))[1][1] == "1,200.00"
    assert rows(billed, "SELECT amount_cents, product, version FROM sales_order WHERE id = ?",
                oid) == [(120000, "Kit Pro", 3)]  # fmt: skip


async def test_an_order_amount_changed_on_both_sides_names_it(billed):
    oid = billed.ids["first"]
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        form = await open_first_order(pilot, detail)
        elsewhere(billed, oid, amount_cents="1200")
        form.query_one("#field-amount_cents", Input).value = "1500"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "Also changed elsewhere, yours shown: Amount" in form_error(form)
        assert form.query_one("#field-amount_cents", Input).value == "1500"
    assert rows(billed, "SELECT amount_cents FROM sales_order WHERE id = ?", oid) == [(120000,)]


async def test_an_order_form_and_a_payment_open_on_the_order_as_it_is_now(billed):
    """The detail's list was read before another window changed the order: enter and p
    show its current figures, not the list's (A's screen said 25,000 of 25,000
    outstanding and refused 25,000 as more than outstanding)."""
    oid = billed.ids["first"]
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        elsewhere(billed, oid, amount_cents="900")  # after the list was read
        form = await open_first_order(pilot, detail)
        assert form.query_one("#field-amount_cents", Input).value == "900.00"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is detail
        with billed.session() as s:  # ... and another payment
            orders.add_payment(s, oid, {"paid_on": "2026-11-01", "amount_cents": "100"})
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("p")
        await pilot.pause()
        pay = app.screen
        assert str(pay.query_one(".dialog-title").render()) == (
            "Payment for SO-1: 400 of 900 outstanding"
        )
        assert pay.query_one("#field-amount_cents", Input).value == "400.00"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is detail
    assert rows(billed, "SELECT sum(amount_cents) FROM payment WHERE order_id = ?", oid) == [
        (90000,)
    ]


async def test_a_payment_over_what_is_owed_since_says_the_current_figures(billed):
    oid = billed.ids["first"]
    app = app_on(billed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#orders", DataTable).focus()
        await pilot.press("down", "p")  # 600 of 1,000 outstanding
        await pilot.pause()
        pay = app.screen
        elsewhere(billed, oid, amount_cents="900")  # now 500 of 900
        await pilot.press("ctrl+s")  # the 600 it started with
        await pilot.pause()
        assert app.screen is pay
        assert str(pay.query_one("#error-amount_cents", Label).render()) == (
            "More than the order's outstanding amount, which changed elsewhere since you"
            " opened this: 500 of 900 now"
        )
        await pilot.press("ctrl+u", *"500", "ctrl+s")  # (the amount has the focus)
        await pilot.pause()
        assert app.screen is detail
    assert rows(billed, "SELECT sum(amount_cents) FROM payment WHERE order_id = ?", oid) == [
        (90000,)
    ]


async def test_an_order_deleted_elsewhere_is_said_so_not_a_crash(billed):
    oid = billed.ids["first"]
    app = app_on(billed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        detail = await open_initech(pilot)
        form = await open_first_order(pilot, detail)
        with billed.session() as s:  # another window deletes it
            orders.delete_order(s, oid)
        form.query_one("#field-product", Input).value = "Kit Pro"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # what was typed is not lost
        assert form_error(form) == "Could not save: This order no longer exists"
        await pilot.press("escape", "y")  # (discard what was typed)
        await pilot.pause()
        assert app.screen is detail
        assert len(table_rows(detail.query_one("#orders", DataTable))) == 1  # read again
    assert rows(billed, "SELECT count(*) FROM sales_order WHERE id = ?", oid) == [(0,)]


async def test_enter_and_p_on_an_order_deleted_elsewhere_say_so(billed):
    app = app_on(billed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        detail = await open_initech(pilot)
        table = detail.query_one("#orders", DataTable)
        for key in ("enter", "p"):
            assert len(table_rows(table)) == 2
            newest = int(table.coordinate_to_cell_key((0, 0)).row_key.value)
            with billed.session() as s:  # another window deletes the newest order
                orders.delete_order(s, newest)
            table.focus()
            table.move_cursor(row=0)
            await pilot.press(key)
            await pilot.pause()
            assert app.screen is detail, key
            told = list(app._notifications)[-1].message
            assert told == "This order no longer exists (deleted elsewhere)", key
            assert len(table_rows(table)) == 1, key  # read again
            with billed.session() as s:  # one more for p to be pressed on
                orders.create_order(
                    s, billed.ids["initech"], {"order_date": "2026-11-06", "amount_cents": "5"}
                )
            detail.refresh_data()
