"""The customer detail at 80 columns: names give way, amounts and dates stay whole."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.app import make_app
from crm_tui.store import customers as cs
from crm_tui.store import orders
from crm_tui.store.opportunities import create_opportunity
from crm_tui.widgets.fitted_table import FittedTable

FROZEN = dt.datetime(2026, 11, 23, 9, 30)


@pytest.fixture
def big(db):
    """Initech: a long-named contact and deal, and an order of 1,234,567.89 (1,000 paid)."""
    with db.session() as s:
        c = cs.create_customer(s, {"name": "Initech"})
        cs.create_contact(
            s,
            c.id,
            {
                "name": "Alexandra Konstantinopoulou",
                "title": "Vice President of Procurement",
                "role": "decision_maker",
                "mobile": "13800138000",
                "email": "alexandra.konstantinopoulou@initech.example",
            },
        )
        create_opportunity(
            s,
            c.id,
            {
                "name": "Initech enterprise platform renewal",
                "amount_cents": "1234567.89",
                "expected_close": "2026-12-20",
            },
            stage="proposal",
        )
        order = orders.create_order(
            s, c.id, {"order_date": "2026-10-02", "amount_cents": "1234567.89"}
        )
        orders.add_payment(s, order.id, {"paid_on": "2026-10-10", "amount_cents": "1000"})
        from crm_tui.store.interactions import log_interaction

        log_interaction(
            s, c.id, {"subject": "Check-in", "channel": "visit", "occurred_at": "2026-10-05 10:00"}
        )
    return db


def shown(table: FittedTable) -> tuple[list[str], list[list[str]]]:
    headers = [str(c.label).strip() for c in table.columns.values()]
    rows = [[str(cell).strip() for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return headers, rows


async def open_detail(pilot):
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert pilot.app.screen.__class__.__name__ == "CustomerDetailScreen"
    return pilot.app.screen


async def test_at_80_columns_amounts_stay_whole_and_names_are_cut(big):
    app = make_app(big.path, lang="en", clock=lambda: FROZEN)
    async with app.run_test(size=(80, 30)) as pilot:
        detail = await open_detail(pilot)
        for table_id in ("contacts", "deals", "orders"):  # nothing wider than its table
            table = detail.query_one(f"#{table_id}", FittedTable)
            assert table.virtual_size.width <= table.scrollable_content_region.width
        headers, rows = shown(detail.query_one("#deals", FittedTable))
        assert headers == ["Opportunity", "Stage", "Amount"]  # the close date made way
        assert rows[0][1:] == ["Proposal", "1,234,567.89"]
        assert rows[0][0].startswith("Initech") and rows[0][0].endswith("…")
        headers, rows = shown(detail.query_one("#contacts", FittedTable))
        assert headers == ["Name", "Title", "Mobile"]  # role and e-mail made way
        name, title, mobile = rows[0]
        assert name.endswith("…") and title.endswith("…") and mobile == "13800138000"
        assert shown(detail.query_one("#orders", FittedTable)) == (
            ["Date", "Amount"],  # what is owed made way for amounts of millions
            [["2026-10-02", "1,234,567.89"]],
        )
        timeline = detail.query_one("#timeline")
        lines = [timeline.render_line(y).text for y in range(1, 5)]
        assert any("Order  1,234,567.89 " in line for line in lines), lines  # folded in
        assert any("Stage  → Proposal · Init" in line for line in lines), lines
        assert any("Check-in · Visit" in line for line in lines), lines  # the subject first


async def test_wide_enough_every_column_is_whole(big):
    app = make_app(big.path, lang="en", clock=lambda: FROZEN)
    async with app.run_test(size=(200, 30)) as pilot:
        detail = await open_detail(pilot)
        headers, rows = shown(detail.query_one("#deals", FittedTable))
        assert headers == ["Opportunity", "Stage", "Amount", "Close date"]
        assert rows[0] == [
            "Initech enterprise platform renewal",
            "Proposal",
            "1,234,567.89",
            "2026-12-20",
        ]
        headers, rows = shown(detail.query_one("#contacts", FittedTable))
        assert rows[0][0] == "★ Alexandra Konstantinopoulou"
        assert rows[0][4] == "alexandra.konstantinopoulou@initech.example"
        assert shown(detail.query_one("#orders", FittedTable))[1] == [
            ["2026-10-02", "1,234,567.89", "1,233,567.89"]
        ]


async def test_at_80_by_24_what_is_owed_stays_for_amounts_below_a_million(db):
    """At 24 rows the profile pane scrolls: its scroll bar took the room of Owed."""
    with db.session() as s:
        c = cs.create_customer(s, {"name": "Initech", "needs": "A long text " * 12})
        order = orders.create_order(s, c.id, {"order_date": "2026-03-17", "amount_cents": "378800"})
        orders.add_payment(s, order.id, {"paid_on": "2026-03-20", "amount_cents": "189400"})
    app = make_app(db.path, lang="en", clock=lambda: FROZEN)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_detail(pilot)
        assert shown(detail.query_one("#orders", FittedTable)) == (
            ["Date", "Amount", "Owed"],
            [["2026-03-17", "378,800.00", "189,400.00"]],
        )


async def test_back_from_a_wide_terminal_the_tables_have_no_blank_rows(big):
    app = make_app(big.path, lang="en", clock=lambda: FROZEN)
    async with app.run_test(size=(80, 30)) as pilot:
        detail = await open_detail(pilot)
        heights = {t: detail.query_one(f"#{t}").size.height for t in ("contacts", "deals")}
        await pilot.resize_terminal(160, 30)
        await pilot.pause()
        await pilot.resize_terminal(80, 30)
        await pilot.pause()
        await pilot.pause()
        assert {t: detail.query_one(f"#{t}").size.height for t in heights} == heights


async def test_the_delete_question_names_the_whole_deal(big):
    """At 80 columns the question quoted the cut cell: "Initech enterpr…"."""
    app = make_app(big.path, lang="en", clock=lambda: FROZEN)
    async with app.run_test(size=(80, 30)) as pilot:
        detail = await open_detail(pilot)
        detail.query_one("#deals").focus()
        await pilot.press("delete")
        await pilot.pause()
        assert str(app.screen.query_one("#question").render()) == (
            "Delete the opportunity “Initech enterprise platform renewal” and its stage history?"
        )
