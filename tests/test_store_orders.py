"""Orders and payments: validation, exact totals on the customer, order numbers, payments."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.store import orders
from crm_tui.store.common import raw
from crm_tui.store.customers import create_customer
from crm_tui.store.lists import customer_collection
from crm_tui.store.models import Customer, Payment
from crm_tui.store.opportunities import create_opportunity
from crm_tui.store.validation import ValidationError


@pytest.fixture
def customer(session):
    return create_customer(session, {"name": "Acme Ltd"})


def _fresh(session, cid):
    c = session.get(Customer, cid)
    session.refresh(c)
    return c


def test_totals_follow_orders_exactly(session, customer):
    a = orders.create_order(
        session, customer.id, {"order_date": "2026-10-01", "amount_cents": "0.10"}
    )
    orders.create_order(session, customer.id, {"order_date": "2026-11-05", "amount_cents": "0.20"})
    c = _fresh(session, customer.id)
    assert (c.total_amount_cents, c.last_order) == (30, dt.date(2026, 11, 5))
    orders.create_order(
        session, customer.id, {"order_date": "2026-09-01", "amount_cents": "1,000,000.01"}
    )
    assert _fresh(session, customer.id).total_amount_cents == 100000031
    orders.update_order(session, a.id, {"amount_cents": "5"})
    assert _fresh(session, customer.id).total_amount_cents == 100000521
    latest = orders.list_orders(session, customer.id)[0]
    orders.delete_order(session, latest.id)
    c = _fresh(session, customer.id)
    assert c.last_order == dt.date(2026, 10, 1)
    for o in orders.list_orders(session, customer.id):
        orders.delete_order(session, o.id)
    c = _fresh(session, customer.id)
    assert (c.total_amount_cents, c.last_order) == (0, None)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount_cents": "10"}, "order_date"),
        ({"order_date": "2026-11-01"}, "amount_cents"),
        ({"order_date": "2026-11-01", "amount_cents": "0"}, "amount_cents"),
        ({"order_date": "2026-11-01", "amount_cents": "1.234"}, "amount_cents"),
        ({"order_date": "2026-11-01", "amount_cents": "-5"}, "amount_cents"),
        # Decimal() reads these as numbers; a person did not mean 1,000 / 10 / 100
        ({"order_date": "2026-11-01", "amount_cents": "1e3"}, "amount_cents"),
        ({"order_date": "2026-11-01", "amount_cents": "1_0"}, "amount_cents"),
        ({"order_date": "2026-11-01", "amount_cents": "1,00"}, "amount_cents"),
        ({"order_date": "someday", "amount_cents": "5"}, "order_date"),
        (
            {"order_date": "2026-11-01", "amount_cents": "5", "product": "11010519491231002X"},
            "product",
        ),
        (
            {"order_date": "2026-11-01", "amount_cents": "5", "order_no": "6222 0212 3456 7894"},
            "order_no",
        ),
        # Excel's scientific notation: the number's digits are gone
        ({"order_date": "2026-11-01", "amount_cents": "5", "order_no": "2.02511E+11"}, "order_no"),
        ({"order_date": "2026-11-01", "amount_cents": "5", "order_no": "1e+11"}, "order_no"),
    ],
)
def test_validation(session, customer, data, field):
    with pytest.raises(ValidationError) as err:
        orders.create_order(session, customer.id, data)
    assert err.value.field == field
    assert _fresh(session, customer.id).total_amount_cents == 0


def test_order_number_unique(session, customer):
    orders.create_order(
        session, customer.id, {"order_date": "2026-11-01", "amount_cents": "1", "order_no": "SO-1"}
    )
    with pytest.raises(ValidationError) as err:
        orders.create_order(
            session,
            customer.id,
            {"order_date": "2026-11-01", "amount_cents": "1", "order_no": "SO-1"},
        )
    assert err.value.field == "order_no"


def test_a_used_order_number_is_said_in_the_same_save_as_a_bad_amount(session, customer):
    """One save lists every problem: the number was said only once the amount was mended."""
    first = orders.create_order(
        session, customer.id, {"order_date": "2026-11-01", "amount_cents": "9", "order_no": "SO-1"}
    )
    second = orders.create_order(
        session, customer.id, {"order_date": "2026-11-02", "amount_cents": "5"}
    )
    with pytest.raises(ValidationError) as err:
        orders.create_order(
            session, customer.id, {"order_date": "", "amount_cents": "abc", "order_no": "SO-1"}
        )
    assert [field for field, _m in err.value.errors] == ["order_date", "amount_cents", "order_no"]
    orders.add_payment(session, second.id, {"paid_on": "2026-11-03", "amount_cents": "4"})
    with pytest.raises(ValidationError) as err:
        orders.update_order(session, second.id, {"amount_cents": "3", "order_no": "SO-1"})
    assert err.value.errors == [
        ("amount_cents", "Less than what has already been paid"),
        ("order_no", "Order number already used: SO-1"),
    ]
    orders.update_order(session, first.id, {"order_no": "SO-1", "amount_cents": "8"})  # its own


def test_order_from_opportunity_of_same_customer(session, customer):
    other = create_customer(session, {"name": "Other"})
    opp = create_opportunity(session, other.id, {"name": "deal"})
    with pytest.raises(ValidationError):
        orders.create_order(
            session,
            customer.id,
            {"order_date": "2026-11-01", "amount_cents": "1", "opportunity_id": opp.id},
        )
    o = orders.create_order(
        session,
        other.id,
        {"order_date": "2026-11-01", "amount_cents": "1", "opportunity_id": opp.id},
    )
    assert o.opportunity_id == opp.id


def test_payments(session, customer):
    o = orders.create_order(
        session, customer.id, {"order_date": "2026-11-01", "amount_cents": "100"}
    )
    orders.add_payment(session, o.id, {"paid_on": "2026-11-02", "amount_cents": "33.33"})
    orders.add_payment(session, o.id, {"paid_on": "2026-11-03", "amount_cents": "33.33"})
    with pytest.raises(ValidationError):
        orders.add_payment(session, o.id, {"paid_on": "2026-11-04", "amount_cents": "33.35"})
    assert orders.paid_cents(session, o.id) == 6666
    assert customer_collection(raw(session), customer.id) == (10000, 6666)
    with pytest.raises(ValidationError):
        orders.update_order(session, o.id, {"amount_cents": "50"})
    p = orders.list_payments(session, o.id)[0]
    orders.delete_payment(session, p.id)
    assert orders.paid_cents(session, o.id) == 3333
    orders.delete_order(session, o.id)
    session.expire_all()
    assert session.get(Payment, p.id + 1) is None


def test_set_order_amount_returns_the_old_amount_and_totals_follow(session, customer):
    """A deal won again for another final amount: its order follows, and undo can put it back."""
    o = orders.create_order(
        session, customer.id, {"order_date": "2026-11-01", "amount_cents": "100.00"}
    )
    orders.create_order(session, customer.id, {"order_date": "2026-10-01", "amount_cents": "1.00"})
    assert orders.set_order_amount(session, o.id, 12000) == 10000
    assert _fresh(session, customer.id).total_amount_cents == 12100
    assert orders.set_order_amount(session, o.id, 10000) == 12000
    assert _fresh(session, customer.id).total_amount_cents == 10100
    orders.add_payment(session, o.id, {"paid_on": "2026-11-02", "amount_cents": "50.00"})
    with pytest.raises(ValidationError) as err:
        orders.set_order_amount(session, o.id, 4000)  # less than paid
    assert err.value.field == "amount_cents"
    assert _fresh(session, customer.id).total_amount_cents == 10100


@pytest.mark.parametrize(
    ("text", "cents"),
    [("1,234.50", 123450), ("¥1,200", 120000), ("1 234", 123400), (".5", 50), ("5.", 500),
     ("12,345,678", 1234567800), ("+7", 700), ("50万", 50_000_000), ("50万元", 50_000_000),
     ("1.5万", 1_500_000), ("50w", 50_000_000), ("1.2亿", 12_000_000_000), ("30k", 3_000_000),
     ("1.23456万", 1_234_560), ("1，000.50", 100050), ("１，０００．５", 100050)],
)  # fmt: skip
def test_amounts_as_people_write_them(text, cents):
    from crm_tui.store.validation import parse_money

    assert parse_money("amount_cents", text) == cents


@pytest.mark.parametrize(
    "text", ["万", "5万万", "1.2345678万", "-5万", "5m", "1" + "0" * 26, "9" * 19 + "亿"]
)
def test_a_multiplier_alone_or_twice_is_not_an_amount(text):
    from crm_tui.store.validation import parse_money

    with pytest.raises(ValidationError):
        parse_money("amount_cents", text)


def test_a_payment_cannot_be_before_its_order(session, customer):
    o = orders.create_order(
        session, customer.id, {"order_date": "2026-11-02", "amount_cents": "100.00"}
    )
    with pytest.raises(ValidationError) as err:
        orders.add_payment(session, o.id, {"paid_on": "2026-11-01", "amount_cents": "10"})
    assert err.value.field == "paid_on"
    assert err.value.message == "A payment cannot be before its order (2026-11-02)"
    assert orders.add_payment(session, o.id, {"paid_on": "2026-11-02", "amount_cents": "10"}).id


def test_an_order_cannot_be_redated_after_its_first_payment(session, customer):
    """A payment before its order makes no sense either way round."""
    o = orders.create_order(
        session, customer.id, {"order_date": "2026-11-02", "amount_cents": "100.00"}
    )
    orders.add_payment(session, o.id, {"paid_on": "2026-11-05", "amount_cents": "10"})
    orders.add_payment(session, o.id, {"paid_on": "2026-11-04", "amount_cents": "10"})
    with pytest.raises(ValidationError) as err:
        orders.update_order(session, o.id, {"order_date": "2026-11-06", "amount_cents": "-1"})
    assert err.value.errors == [
        ("amount_cents", "An amount cannot be negative"),
        ("order_date", "After this order's first payment (2026-11-04)"),
    ]
    assert orders.get_order(session, o.id).order_date.isoformat() == "2026-11-02"
    assert orders.update_order(session, o.id, {"order_date": "2026-11-04"}).order_date.day == 4


def test_an_order_whose_payment_came_before_it_can_still_be_edited(session, customer):
    """A payment dated before its order (by hand, or an older version) blocked every
    later edit of the order, its date untouched: only a changed date is checked."""
    o = orders.create_order(
        session, customer.id, {"order_date": "2026-11-02", "amount_cents": "100.00"}
    )
    pay = orders.add_payment(session, o.id, {"paid_on": "2026-11-05", "amount_cents": "10"})
    session.flush()
    raw(session).execute("UPDATE payment SET paid_on = '2000-01-01' WHERE id = ?", (pay.id,))
    session.expire_all()
    edited = orders.update_order(
        session, o.id, {"order_date": "2026-11-02", "amount_cents": "100.00", "product": "Kit"}
    )
    assert edited.product == "Kit"
    with pytest.raises(ValidationError):
        orders.update_order(session, o.id, {"order_date": "2026-11-03"})


def test_the_order_number_has_one_name_in_chinese(session, customer):
    """The form's label is 订单号; its error said 订单编号."""
    from crm_tui.i18n import _, set_language

    orders.create_order(
        session, customer.id, {"order_date": "2026-11-02", "amount_cents": "1", "order_no": "A1"}
    )
    set_language("zh")  # (conftest sets English back)
    with pytest.raises(ValidationError) as err:
        orders.create_order(
            session,
            customer.id,
            {"order_date": "2026-11-02", "amount_cents": "1", "order_no": "A1"},
        )
    assert _("Order number") == "订单号"
    assert err.value.message == "订单号已被使用：A1"


@pytest.mark.parametrize(
    ("amounts", "shown"),
    [
        ((922000, 1614150, None), ["9,220.00", "16,141.50", ""]),  # one has cents: all do
        ((922000, 1614100), ["9,220", "16,141"]),
        ((-50, 100), ["-0.50", "1.00"]),
    ],
)
def test_amounts_shown_together_follow_one_rule(amounts, shown):
    from crm_tui.store.validation import display_amounts

    assert display_amounts(*amounts) == shown


def test_an_order_for_a_customer_deleted_elsewhere_says_so(session, customer):
    """The order form of a customer deleted in another window said "Pick a customer",
    with no customer to pick on the form."""
    from crm_tui.store.common import NotFoundError
    from crm_tui.store.customers import delete_customer
    from crm_tui.store.opportunities import create_opportunity

    delete_customer(session, customer.id)
    with pytest.raises(NotFoundError, match="This customer no longer exists"):
        orders.create_order(session, customer.id, {"order_date": "2026-11-02", "amount_cents": "1"})
    with pytest.raises(NotFoundError, match="This customer no longer exists"):
        create_opportunity(session, customer.id, {"name": "Robot cell"})


# --- two windows on one order ---------------------------------------------------------


def test_an_order_changed_elsewhere_is_refused_with_its_current_values(db):
    """Windows A and B open one order; A saves a new amount; B's save of an old version
    is refused (it wrote A's amount back before), and says the current values."""
    from crm_tui.store.common import ConflictError

    with db.session() as s:
        cid = create_customer(s, {"name": "Acme Ltd"}).id
        o = orders.create_order(
            s, cid, {"order_date": "2026-10-01", "amount_cents": "23000", "product": "Kit"}
        )
        oid, opened = o.id, o.version
    assert opened == 1
    with db.session() as a:  # window A
        orders.update_order(a, oid, {"amount_cents": "25000"}, expected_version=opened)
    with db.session() as b, pytest.raises(ConflictError) as err:  # window B, on what it read
        orders.update_order(b, oid, {"product": "Kit Pro"}, expected_version=opened)
    assert "changed elsewhere" in str(err.value)
    fresh = err.value.fresh
    assert (fresh.amount_cents, fresh.product, fresh.version) == (2500000, "Kit", 2)
    with db.session() as s:
        kept = orders.get_order(s, oid)
        assert (kept.amount_cents, kept.product, kept.version) == (2500000, "Kit", 2)
        assert s.get(Customer, cid).total_amount_cents == 2500000
        # B again, from the version it was shown: both changes kept
        orders.update_order(s, oid, {"product": "Kit Pro"}, expected_version=fresh.version)
    with db.session() as s:
        kept = orders.get_order(s, oid)
        assert (kept.amount_cents, kept.product, kept.version) == (2500000, "Kit Pro", 3)


def test_every_change_to_an_order_moves_its_version_on(session, customer):
    """What a form open on the order must hear of: an edit without a version (a deal won
    again, set_order_amount) moves it on too; a payment does not change the order."""
    o = orders.create_order(session, customer.id, {"order_date": "2026-10-01", "amount_cents": "9"})
    assert o.version == 1
    orders.update_order(session, o.id, {"product": "Kit"})
    orders.set_order_amount(session, o.id, 1200)
    assert orders.get_order(session, o.id).version == 3
    orders.add_payment(session, o.id, {"paid_on": "2026-10-02", "amount_cents": "1"})
    assert orders.get_order(session, o.id).version == 3


def test_an_order_deleted_elsewhere_is_said_so_on_save(db):
    from crm_tui.store.common import NotFoundError

    with db.session() as s:
        cid = create_customer(s, {"name": "Acme Ltd"}).id
        oid = orders.create_order(s, cid, {"order_date": "2026-10-01", "amount_cents": "9"}).id
    with db.session() as s:
        orders.delete_order(s, oid)
    with db.session() as s, pytest.raises(NotFoundError, match="This order no longer exists"):
        orders.update_order(s, oid, {"product": "Kit"}, expected_version=1)


def test_imported_orders_start_at_version_1_and_a_changed_one_moves_on(db, tmp_path):
    """crm import writes orders in bulk without naming the version (the column's default
    gives 1); an order a re-import changes moves on, so a form open on it is told."""
    from crm_tui.store.importing import import_file

    with db.session() as s:
        create_customer(s, {"name": "ACME"})
    f = tmp_path / "orders.csv"
    f.write_text("customer,date,amount,order_no\nACME,2026-01-02,100,SO-1\nACME,2026-01-03,5,\n")
    import_file(db.path, "orders", f)
    f.write_text("customer,date,amount,order_no\nACME,2026-01-02,120,SO-1\n")
    import_file(db.path, "orders", f, again=True)
    with db.reading() as conn:
        got = conn.execute("SELECT order_no, amount_cents, version FROM sales_order ORDER BY id")
        assert [tuple(r) for r in got] == [("SO-1", 12000, 2), (None, 500, 1)]
