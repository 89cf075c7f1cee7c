"""Pilot tests of the pipeline kanban (screen 2) with a frozen clock, plus snapshots."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from rich.cells import cell_len
from rich.style import Style
from textual import events
from textual.geometry import Region

from crm_tui.app import make_app
from crm_tui.i18n import _, set_language
from crm_tui.screens.dialogs.confirm import ConfirmDialog
from crm_tui.screens.dialogs.lost_dialog import LostDialog
from crm_tui.screens.dialogs.opportunity_form import OpportunityForm
from crm_tui.screens.dialogs.won_dialog import WonDialog
from crm_tui.screens.opportunity_detail import OpportunityDetail
from crm_tui.screens.pipeline import BOARD_STAGES, PipelineScreen
from crm_tui.screens.pipeline_moves import OrderQuestion
from crm_tui.store import opportunities as ops
from crm_tui.store.customers import create_customer
from crm_tui.store.database import Database
from crm_tui.store.models import Customer, Opportunity, SalesOrder
from crm_tui.widgets.kanban import CARD_HEIGHT

NOW = dt.datetime(2026, 11, 23, 10, 0, 0)
TODAY = NOW.date()


def days_ago(n: int) -> dt.datetime:
    return NOW - dt.timedelta(days=n)


def seed(path) -> dict[str, int]:
    """A small board: one deal per situation the tests look at."""
    db = Database(path)
    ids: dict[str, int] = {}
    with db.session() as s:
        acme = create_customer(s, {"name": "Acme Robotics Ltd", "level": "A"})
        star = create_customer(s, {"name": "北京星辰科技有限公司", "level": "C"})
        specs = [
            ("fresh", acme.id, "ERP rollout", "initial_contact", "1,000.00", "2026-12-10", 2, None),
            ("old", star.id, "机械臂 X200", "initial_contact", "2,500.50", "2026-12-20", 20, None),
            ("late", acme.id, "Warehouse scanners", "proposal", "12,000", "2026-12-01", 3, "2026-11-20"),
            ("big", star.id, "智能工厂二期", "negotiation", "50,000", "2026-11-30", 1, "2026-11-25"),
            ("gone", acme.id, "Support contract", "needs_confirmed", "800", None, 5, None),
            ("won_new", acme.id, "Pilot line", "won", "3,000", "2026-11-10", 13, None),
            ("won_old", star.id, "Old order", "won", "9,000", "2026-08-01", 100, None),
        ]  # fmt: skip
        for key, cid, name, stage, amount, close, age, due in specs:
            data = {"name": name, "amount_cents": amount, "expected_close": close}
            if due:
                data |= {"next_action": "Call back", "next_action_due": due}
            opp = ops.create_opportunity(s, cid, data, stage=stage, when=days_ago(age))
            opp.last_interaction_at = days_ago(1)
            ids[key] = opp.id
        s.get(Opportunity, ids["won_new"]).actual_close = dt.date(2026, 11, 10)
        s.get(Opportunity, ids["won_old"]).actual_close = dt.date(2026, 8, 1)
        s.get(Opportunity, ids["old"]).last_interaction_at = None
        for key in ("fresh", "big"):
            ops.toggle_criterion(s, ids[key], 0)
            ops.toggle_criterion(s, ids[key], 1)
    db.close()
    return ids


@pytest.fixture
def board(tmp_path):
    path = tmp_path / "crm.db"
    return path, seed(path)


def app_for(path, lang: str = "en"):
    return make_app(path, lang=lang, clock=lambda: NOW)


async def open_pipeline(pilot) -> PipelineScreen:
    await pilot.pause()
    await pilot.press("2")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, PipelineScreen)
    return screen


async def wait_until(pilot, condition, tries: int = 100) -> None:
    """Let the app run until ``condition()`` holds (no sleeps; fails after ``tries`` frames)."""
    for _try in range(tries):
        if condition():
            return
        await pilot.pause()
    raise AssertionError("condition not reached")


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def select(screen: PipelineScreen, opp_id: int) -> None:
    screen.reload(select=opp_id)
    assert screen.current_id() == opp_id


def read(path, model, record_id):
    db = Database(path)
    try:
        with db.session() as s:
            return s.get(model, record_id)
    finally:
        db.close()


def changes(path, opp_id) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT from_stage, to_stage, changed_at FROM stage_change "
            "WHERE opportunity_id = ? ORDER BY id",
            (opp_id,),
        ).fetchall()
    finally:
        conn.close()


async def test_columns_show_what_the_store_computes(board):
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        expected = ops.column_summaries(screen.conn, ops.BoardFilter(), TODAY)
        for stage in BOARD_STAGES:
            col = screen.column(stage)
            assert col.summary == expected[stage]
            assert col.cards.count == expected[stage].count
        ic = screen.column("initial_contact")
        assert ic.summary.amount_cents == 350050
        assert ic.summary.weighted_cents == 35005
        assert ic.header_text().splitlines() == [
            "Initial contact 2", "Total 3,500.50", "Weighted 350.05",
        ]  # fmt: skip
        # won: only the last 30 days until `a` shows all
        assert screen.column("won").cards.count == 1
        await pilot.press("a")
        assert screen.column("won").cards.count == 2
        assert screen.column("won").summary.amount_cents == 1200000


async def test_each_visit_reads_the_board_once(board, monkeypatch):
    """Textual announces a mode's first visit twice; the board is still read once per visit."""
    from crm_tui.store import board as board_queries

    calls = []
    real = board_queries.column_summaries
    monkeypatch.setattr(
        board_queries, "column_summaries", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        assert len(calls) == 1
        assert screen.column("initial_contact").cards.count == 2
        await pilot.press("1")
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()
        assert len(calls) == 2  # coming back re-reads: data may have changed elsewhere


async def test_cards_sorted_and_marked_with_frozen_clock(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        cards = screen.column("initial_contact").cards
        assert [cards.card(i).id for i in range(cards.count)] == [ids["fresh"], ids["old"]]
        fresh, old = cards.card(0), cards.card(1)
        assert not fresh.stalled and not fresh.overdue and fresh.criteria == (2, 2)
        assert old.stalled and not old.overdue and old.criteria == (0, 2)
        late = screen.column("proposal").cards.card(0)
        assert late.overdue and not late.stalled
        text = "".join(seg.text for y in range(6, 12) for seg in cards.render_line(y)._segments)
        assert "stuck" in text and "0/2" in text


async def test_move_next_records_change_and_probability(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["fresh"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
        assert screen.column_index == BOARD_STAGES.index("needs_confirmed")
        assert screen.column("initial_contact").summary.count == 1
    opp = read(path, Opportunity, ids["fresh"])
    assert (opp.stage, opp.probability, opp.criteria_done) == ("needs_confirmed", 25, "")
    assert changes(path, ids["fresh"])[-1] == (
        "initial_contact",
        "needs_confirmed",
        "2026-11-23 10:00:00",
    )


async def test_a_move_says_when_a_probability_set_by_hand_stays(board):
    """A hand-set 33% followed the deal through every move, with nothing on screen to
    say it did not take the stage's 25%."""
    path, ids = board
    db = Database(path)
    with db.session() as s:
        ops.update_opportunity(s, ids["fresh"], {"probability": 33})
    db.close()
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["fresh"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
        said = messages(app)
    assert "Its probability stays 33%, set by hand (e clears it to follow the stage)" in said
    assert read(path, Opportunity, ids["fresh"]).probability == 33


async def test_a_save_that_fails_unexpectedly_never_leaves_the_board_saving(board, monkeypatch):
    """An error past the save's own handling (here: recording the undo entry) is said,
    and the next move goes through instead of "Still saving the last move…" for good."""
    import crm_tui.screens.pipeline_moves as moves

    path, ids = board
    app = app_for(path)

    def broken(*args, **kwargs):
        raise RuntimeError("undo entry went wrong")

    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["fresh"])
        monkeypatch.setattr(moves, "UndoEntry", broken)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert any("undo entry went wrong" in m for m in said), said
        assert not screen.saving
        monkeypatch.undo()
        select(screen, ids["fresh"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # criteria
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.current_card().stage == "proposal")
    assert read(path, Opportunity, ids["fresh"]).stage == "proposal"


async def test_unticked_criteria_ask_first_and_name_them(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["old"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "Contact person identified" in app.screen.message
        assert "Need or pain written down" in app.screen.message
        await pilot.press("n")
        await settle(pilot)
        assert read(path, Opportunity, ids["old"]).stage == "initial_contact"
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
    assert read(path, Opportunity, ids["old"]).stage == "needs_confirmed"


async def test_won_asks_amount_and_creates_the_order(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
        amount = app.screen.query_one("#field-amount_cents")
        assert amount.value == "50000.00"
        amount.value = "48,500.50"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
    opp = read(path, Opportunity, ids["big"])
    assert (opp.stage, opp.amount_cents, opp.actual_close, opp.probability) == (
        "won", 4850050, TODAY, 100,
    )  # fmt: skip
    conn = sqlite3.connect(path)
    orders = conn.execute(
        "SELECT customer_id, order_date, amount_cents, opportunity_id FROM sales_order"
    ).fetchall()
    conn.close()
    assert orders == [(opp.customer_id, "2026-11-23", 4850050, ids["big"])]
    assert read(path, Customer, opp.customer_id).total_amount_cents == 4850050


async def test_a_won_deals_detail_lists_its_order_and_what_is_owed(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        assert not app.screen.query_one("#detail-orders").display  # open: no order yet
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        orders = app.screen.query_one("#detail-orders")
        assert orders.display
        body = app.screen.query_one("#detail-body")
        assert app.focused is body  # no checklist to take the keys: they scroll the detail
        await pilot.resize_terminal(100, 24)
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause()
        assert body.scroll_offset.y > 0
        lines = orders.render_lines(orders.content_region.reset_offset)
        text = " ".join(" ".join(strip.text for strip in lines).split())
        assert text == "2026-11-23 50,000.00 50,000 owed"


async def test_lost_records_the_reason_and_undo_restores(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["gone"])
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LostDialog))
        await pilot.press("ctrl+s")  # the reason is required
        await pilot.pause()
        assert isinstance(app.screen, LostDialog)
        app.screen.query_one("#field-lost_reason").value = "Chose a competitor"
        close = app.screen.query_one("#field-actual_close")
        assert close.value == TODAY.isoformat()  # lost today, unless told otherwise
        close.value = "fri"  # ... last week's Friday: a close has happened
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "lost")
        await settle(pilot)
        opp = read(path, Opportunity, ids["gone"])
        assert (opp.stage, opp.lost_reason, opp.probability) == ("lost", "Chose a competitor", 0)
        assert opp.actual_close == dt.date(2026, 11, 20)
        assert len(changes(path, ids["gone"])) == 2
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
    opp = read(path, Opportunity, ids["gone"])
    assert (opp.stage, opp.probability, opp.lost_reason) == ("needs_confirmed", 25, None)
    assert [c[1] for c in changes(path, ids["gone"])] == ["needs_confirmed"]


async def _lose_with_date(pilot, screen, opp_id: int, close: str) -> str:
    """`L` on the deal, reason 价格 and ``close`` typed, ctrl+s: the date's message (the
    dialog stays open)."""
    app = pilot.app
    select(screen, opp_id)
    await pilot.press("L")
    await wait_until(pilot, lambda: isinstance(app.screen, LostDialog))
    app.screen.query_one("#field-lost_reason").value = "价格"
    app.screen.query_one("#field-actual_close").value = close
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(app.screen, LostDialog)
    return str(app.screen.query_one("#error-actual_close").render())


async def test_lost_dialog_in_chinese_says_the_date_without_naming_a_close(board):
    """Under 输单日期 the error said 实际成交日期 (the won dialog's word)."""
    path, ids = board
    app = app_for(path, lang="zh")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        error = await _lose_with_date(pilot, screen, ids["gone"], "2099-01-01")
        assert error == "该日期晚于今天（2026-11-23）"
    assert read(path, Opportunity, ids["gone"]).stage == "needs_confirmed"


async def test_a_close_date_before_the_deal_was_entered_takes_a_second_save(board):
    """A deal entered on the 18th and lost on the 17th is more often a typo than a deal
    entered after it was lost: the first ctrl+s asks, the second keeps the date."""
    path, ids = board
    app = app_for(path, lang="zh")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        error = await _lose_with_date(pilot, screen, ids["gone"], "2026-11-17")
        assert error == "早于商机的录入日期（2026-11-18）：再按 ctrl+s 保留"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "lost")
        await settle(pilot)
    assert read(path, Opportunity, ids["gone"]).actual_close == dt.date(2026, 11, 17)


def _task_statuses(path, opp_id) -> list[tuple[str, str, bool]]:
    conn = sqlite3.connect(path)
    try:
        return [
            (title, status, completed is not None)
            for title, status, completed in conn.execute(
                "SELECT title, status, completed_at FROM task WHERE opportunity_id = ? ORDER BY id",
                (opp_id,),
            )
        ]
    finally:
        conn.close()


@pytest.mark.parametrize("answer", ["cancel", "keep"])
async def test_losing_a_deal_asks_about_its_open_tasks_and_undo_reopens_them(board, answer):
    """A lost deal's follow-ups stayed on the due list: the lost dialog offers to cancel
    them (the default); `u` gives them back their status."""
    from crm_tui.store.tasks import create_task

    path, ids = board
    db = Database(path)
    with db.session() as s:
        for title, status in [("Call", "planned"), ("Quote", "in_progress"), ("Met", "done")]:
            create_task(
                s, {"title": title, "due": "2026-11-25", "status": status,
                    "opportunity_id": ids["gone"]},
            )  # fmt: skip
    db.close()
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["gone"])
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LostDialog))
        dialog = app.screen
        assert str(dialog.query_one("#label-cancel_tasks").render()).startswith(
            "Its open tasks (2)"
        )
        assert dialog.query_one("#field-cancel_tasks").value == "cancel"
        dialog.query_one("#field-cancel_tasks").value = answer
        dialog.query_one("#field-lost_reason").value = "Budget cut"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "lost")
        await settle(pilot)
        cancelled = answer == "cancel"
        assert _task_statuses(path, ids["gone"]) == [
            ("Call", "cancelled" if cancelled else "planned", cancelled),
            ("Quote", "cancelled" if cancelled else "in_progress", cancelled),
            ("Met", "done", True),
        ]
        told = [n.message for n in app._notifications][-1]
        assert ("Its 2 open tasks cancelled" in told) is cancelled
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
    assert _task_statuses(path, ids["gone"]) == [
        ("Call", "planned", False),
        ("Quote", "in_progress", False),
        ("Met", "done", True),
    ]


async def test_undo_of_won_removes_the_order(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.current_card().stage == "negotiation")
        await settle(pilot)
    assert read(path, SalesOrder, 1) is None
    opp = read(path, Opportunity, ids["big"])
    assert (opp.criteria_done, opp.amount_cents) == ("0,1", 5000000)


async def test_ticking_criteria_updates_card_progress(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["old"])
        assert screen.current_card().criteria == (0, 2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        await pilot.press("space")
        await settle(pilot)
        await pilot.press("down", "space")
        await settle(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.current_card().criteria == (2, 2)
        # all ticked: `>` moves without asking
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)


async def test_failed_save_is_shown_and_card_stays(board, monkeypatch):
    path, ids = board

    def locked(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(ops, "move_stage", locked)
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["fresh"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: any(n.severity == "error" for n in app._notifications))
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("database is locked" in m for m in messages)
        assert screen.current_id() == ids["fresh"]
        assert screen.current_card().stage == "initial_contact"
    assert read(path, Opportunity, ids["fresh"]).stage == "initial_contact"


async def test_text_and_level_filters(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        await pilot.press("slash")
        await pilot.press(*"星辰", "enter")  # (enter filters at once: no pause in typing)
        await pilot.pause()
        assert screen.column("initial_contact").cards.count == 1
        assert screen.column("proposal").cards.count == 0
        await pilot.press("escape")
        assert screen.column("proposal").cards.count == 1
        await pilot.press("f")
        await pilot.pause()
        # a filter applies, it saves nothing (the button read "Save (ctrl+s)")
        assert str(app.screen.query_one("#save").label) == "Apply (ctrl+s)"
        assert "^s Apply" in app.screen._compositor.render_strips()[-1].text
        app.screen.query_one("#field-level").value = "A"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.filter.level == "A"
        assert screen.column("negotiation").cards.count == 0
        assert screen.column("initial_contact").cards.count == 1


async def test_new_opportunity_picks_customer_by_search(board):
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Acme")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+s")  # name is required
        await pilot.pause()
        assert "Required" in str(app.screen.query_one("#error-name").render())
        app.screen.query_one("#field-name").value = "Spare parts"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        card = screen.current_card()
        assert (card.name, card.customer, card.stage) == (
            "Spare parts",
            "Acme Robotics Ltd",
            "initial_contact",
        )


def bulk_column(path, deals: int = 1500):
    """One customer with ``deals`` deals, all in the first stage."""
    db = Database(path)
    with db.session() as s:
        c = create_customer(s, {"name": "Bulk"})
        for i in range(deals):
            ops.create_opportunity(s, c.id, {"name": f"Deal {i}", "amount_cents": i}, when=NOW)
    db.close()
    return path


async def test_big_column_renders_only_visible_pages(tmp_path):
    app = app_for(bulk_column(tmp_path / "crm.db"))
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        cards = screen.column("initial_contact").cards
        assert cards.count == 1500
        assert cards.loaded_card_count() <= 100
        await pilot.press("end")
        await pilot.pause()
        assert cards.cursor == 1499
        assert cards.loaded_card_count() <= 150


def thumb_lines(cards) -> list[int]:
    """Lines of the card list whose last cell is drawn as the scroll bar's thumb."""
    thumb = cards.get_component_rich_style("cardlist--thumb", partial=False).bgcolor
    strips = cards.render_lines(Region(0, 0, cards.size.width, cards.size.height))
    return [y for y, strip in enumerate(strips) if list(strip)[-1].style.bgcolor == thumb]


async def test_a_long_column_draws_a_scroll_bar_that_follows_and_takes_the_mouse(tmp_path):
    app = app_for(bulk_column(tmp_path / "crm.db", deals=60))
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        cards = screen.column("initial_contact").cards
        height, width = cards.size.height, cards.size.width
        assert thumb_lines(cards)[0] == 0  # at the top
        assert thumb_lines(screen.column("proposal").cards) == []  # nothing to scroll

        # a click on the bar's last cell shows the end of the column, selecting nothing
        await pilot.click(cards, offset=(width - 1, height - 1))
        await pilot.pause()
        assert cards.scroll_offset.y == cards.max_scroll_y
        assert cards.cursor == 0
        assert thumb_lines(cards)[-1] == height - 1

        # the wheel still scrolls, and the thumb follows
        bottom = thumb_lines(cards)
        await pilot._post_mouse_events([events.MouseScrollUp], cards, offset=(2, 2), times=3)
        await pilot.pause()
        assert cards.scroll_offset.y < cards.max_scroll_y
        assert thumb_lines(cards)[0] < bottom[0]

        # the bar can be dragged: pressed at its top, moved to its middle, then past its end
        await pilot.mouse_down(cards, offset=(width - 1, 0))
        assert cards.scroll_offset.y == 0
        await pilot.hover(cards, offset=(width - 1, height // 2))
        middle = cards.scroll_offset.y
        assert 0 < middle < cards.max_scroll_y
        await pilot.hover(cards, offset=(2, height - 1))  # off the bar, still dragging
        assert cards.scroll_offset.y == cards.max_scroll_y
        await pilot.mouse_up(cards, offset=(2, height - 1))
        await pilot.hover(cards, offset=(width - 1, 0))  # released: moving no longer scrolls
        assert cards.scroll_offset.y == cards.max_scroll_y
        assert cards.cursor == 0

        # and a click on a card still selects it (the card drawn there: at the end of the
        # column the cards are drawn from a card boundary, see test_end_of_a_long_column…)
        clicked = (cards.top_line() + 1) // CARD_HEIGHT
        await pilot.click(cards, offset=(2, 1))
        await pilot.pause()
        assert cards.cursor == clicked > 0


async def test_empty_pipeline_says_how_to_start(tmp_path):
    app = app_for(tmp_path / "crm.db")
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        empty = screen.query_one("#pipeline-empty")
        assert empty.display and not screen.query_one("#board").display
        assert "add your first opportunity" in str(empty.render())


# --- snapshots ---------------------------------------------------------------


@pytest.fixture
def steady_header(monkeypatch):
    """The header's backup label follows the real clock; pin it so snapshots are stable."""
    from crm_tui.store import backups

    monkeypatch.setattr(backups, "auto_backup_if_due", lambda *a, **k: None)
    monkeypatch.setattr(backups, "last_backup_time", lambda *a, **k: None)


async def _settled(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_snapshot_board_english(board, snap_compare, steady_header):
    path, _ids = board
    assert snap_compare(app_for(path), press=["2"], terminal_size=(160, 45), run_before=_settled)


def test_snapshot_board_chinese(board, snap_compare, steady_header):
    path, _ids = board
    try:
        assert snap_compare(
            app_for(path, "zh"), press=["2"], terminal_size=(160, 45), run_before=_settled
        )
    finally:
        set_language("en")


def test_snapshot_empty_pipeline(tmp_path, snap_compare, steady_header):
    assert snap_compare(
        app_for(tmp_path / "crm.db"), press=["2"], terminal_size=(120, 30), run_before=_settled
    )


async def test_log_interaction_for_the_selected_deal(board):
    from crm_tui.screens.dialogs.log_interaction import LogInteractionDialog

    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])
        await pilot.press("l")
        await wait_until(pilot, lambda: isinstance(app.screen, LogInteractionDialog))
        app.screen.query_one("#field-subject").value = "Demo follow-up"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT subject, opportunity_id FROM interaction").fetchall()
    conn.close()
    assert rows == [("Demo follow-up", ids["late"])]


async def test_back_from_lost_reopens_where_it_was_lost(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LostDialog))
        app.screen.query_one("#field-lost_reason").value = "Budget frozen"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "lost")
        await settle(pilot)
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "proposal")
        await settle(pilot)
    assert [c[1] for c in changes(path, ids["late"])] == ["proposal", "lost", "proposal"]


async def test_edit_and_delete_from_the_board(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-amount_cents").value = "15,000.25"
        app.screen.query_one("#field-probability").value = "60"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        card = screen.current_card()
        assert (card.amount_cents, card.probability) == (1500025, 60)
        assert screen.column("proposal").summary.weighted_cents == 900015
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: screen.column("proposal").summary.count == 0)
        await settle(pilot)
    assert read(path, Opportunity, ids["late"]) is None


@pytest.mark.parametrize("flagged", [False, True])
async def test_a_deal_changed_elsewhere_while_edited_shows_its_values_not_a_crash(board, flagged):
    """The conflict put the deal's risk flag (True / False) into the Yes / No pick list:
    InvalidSelectValueError, and the app closed with the edit lost."""
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        db = Database(path)  # another window saves the deal meanwhile
        with db.session() as s:
            ops.update_opportunity(s, ids["late"], {"risk_flag": flagged, "name": "Scanners v2"})
        db.close()
        form.query_one("#field-amount_cents").value = "15,000"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "Changed elsewhere" in str(form.query_one("#form-error").render())
        assert form.query_one("#field-risk_flag").value == ("yes" if flagged else "no")
        assert form.query_one("#field-amount_cents").value == "15,000"  # the edit kept
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
    deal = read(path, Opportunity, ids["late"])
    assert (deal.name, deal.amount_cents, deal.risk_flag) == ("Scanners v2", 1500000, flagged)


async def test_e_on_a_deal_deleted_elsewhere_says_so_instead_of_crashing(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])
        db = Database(path)  # another window deletes it
        with db.session() as s:
            ops.delete_opportunity(s, ids["late"])
        db.close()
        await pilot.press("e")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert "This opportunity no longer exists" in messages(app)
        assert screen.column("proposal").summary.count == 0  # the board read again


# --- exploratory test s7: undo guard, orders of won deals, won checks, layout ------------


def orders_of(path, opp_id) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT order_date, amount_cents FROM sales_order WHERE opportunity_id = ? ORDER BY id",
            (opp_id,),
        ).fetchall()
    finally:
        conn.close()


def messages(app) -> str:
    return "\n".join(str(n.message) for n in app._notifications)


async def win(pilot, screen, *, close: str | None = None, amount: str | None = None):
    """`>` on the selected deal (a negotiation card with its criteria ticked) and save the
    won dialog, with the close date and amount typed if given."""
    app = pilot.app
    await pilot.press("greater_than_sign")
    await wait_until(pilot, lambda: isinstance(app.screen, (WonDialog, ConfirmDialog)))
    if isinstance(app.screen, ConfirmDialog):  # unticked criteria
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
    dialog = app.screen
    if close is not None:
        dialog.query_one("#field-actual_close").value = close
    if amount is not None:
        dialog.query_one("#field-amount_cents").value = amount
    dialog.shown = dialog.values()  # what the dialog offered (it closes on saving)
    await pilot.press("ctrl+s")
    return dialog


async def test_undo_after_an_edit_is_refused_and_keeps_the_edit(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-amount_cents").value = "50,000"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("u")
        await wait_until(pilot, lambda: "edited after this move" in messages(app))
        await settle(pilot)
        assert screen.current_card().stage == "needs_confirmed"
    opp = read(path, Opportunity, ids["late"])
    assert (opp.stage, opp.amount_cents) == ("needs_confirmed", 5000000)


async def test_rewinning_a_deal_does_not_add_a_second_order(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await win(pilot, screen)
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]
        # back to negotiation: the order question, answered "keep it"
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        assert "2026-11-23, 50,000" in app.screen.message
        await pilot.press("n")
        await wait_until(pilot, lambda: screen.current_card().stage == "negotiation")
        await settle(pilot)
        assert "stay in the customer's revenue" in messages(app)
        # won again: the dialog says there is an order and does not add one by default
        dialog = await win(pilot, screen)
        assert dialog.shown["create_order"] == "no"
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]
    opp = read(path, Opportunity, ids["big"])
    assert read(path, Customer, opp.customer_id).total_amount_cents == 5000000


async def test_moving_a_won_deal_back_can_remove_its_order_and_undo_restores_it(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await win(pilot, screen)
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        customer_id = read(path, Opportunity, ids["big"]).customer_id
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LostDialog))
        app.screen.query_one("#field-lost_reason").value = "Contract cancelled"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")  # remove the order
        await wait_until(pilot, lambda: screen.current_card().stage == "lost")
        await settle(pilot)
        assert orders_of(path, ids["big"]) == []
        assert read(path, Customer, customer_id).total_amount_cents == 0
        assert "Order removed" in messages(app)
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]
    assert read(path, Customer, customer_id).total_amount_cents == 5000000


@pytest.mark.parametrize(
    ("close", "error"),
    [("0001-01-01", "More than a year ago"), ("2099-01-01", "This date is after today"),
     ("2025-11-01", "More than a year ago"), ("tomorrow", "This date is after today"),
     # the deal was entered yesterday: a date before that is asked again
     ("2026-11-21", "Before the deal was entered (2026-11-22): ctrl+s again to keep it")],
)  # fmt: skip
async def test_won_dialog_refuses_absurd_close_dates(board, close, error):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        dialog = await win(pilot, screen, close=close)
        await pilot.pause()
        assert app.screen is dialog
        assert error in str(dialog.query_one("#error-actual_close").render())
    assert read(path, Opportunity, ids["big"]).stage == "negotiation"
    assert orders_of(path, ids["big"]) == []


async def test_undo_of_a_win_keeps_an_order_paid_since(board):
    """`u` after a payment was recorded on the won deal's new order removed the order and
    the payment with it."""
    from crm_tui.store.orders import add_payment

    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await win(pilot, screen)
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        conn = sqlite3.connect(path)
        (order_id,) = conn.execute(
            "SELECT id FROM sales_order WHERE opportunity_id = ?", (ids["big"],)
        ).fetchone()
        conn.close()
        with app.db.session() as s:  # recorded from the customer's detail, say
            add_payment(s, order_id, {"paid_on": "2026-11-23", "amount_cents": "100"})
        await pilot.press("u")
        await wait_until(pilot, lambda: "payments recorded since" in messages(app))
        await settle(pilot)
        assert screen.current_card().stage == "won"
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT amount_cents FROM payment").fetchall() == [(10000,)]
    conn.close()
    assert read(path, Opportunity, ids["big"]).stage == "won"


@pytest.mark.parametrize(
    ("close", "amount", "errors"),
    [
        ("2099-01-01", "", {  # both at once: the amount's came once the date was right
            "actual_close": "This date is after today (2026-11-23)",
            "amount_cents": "Enter the amount the deal was won for",
        }),
        (None, "0", {"amount_cents": "The amount must be more than zero"}),  # typed, not none
    ],
)  # fmt: skip
async def test_won_dialog_says_every_problem_of_a_save(board, close, amount, errors):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        dialog = await win(pilot, screen, close=close, amount=amount)
        await pilot.pause()
        assert app.screen is dialog
        for field, message in errors.items():
            assert str(dialog.query_one(f"#error-{field}").render()) == message
    assert read(path, Opportunity, ids["big"]).stage == "negotiation"


async def test_won_dialog_asks_twice_for_an_amount_far_above_the_expected(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        dialog = await win(pilot, screen, amount="9999999999999.99")
        await pilot.pause()
        assert app.screen is dialog
        assert "ten times the expected 50,000" in str(
            dialog.query_one("#error-amount_cents").render()
        )
        await pilot.press("ctrl+s")  # the same amount again: confirmed
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
    assert read(path, Opportunity, ids["big"]).amount_cents == 999999999999999


async def test_a_deal_won_long_ago_says_where_it_went(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        dialog = await win(pilot, screen, close="-31d")  # entered yesterday: asked again
        await pilot.pause()
        assert "Before the deal was entered" in str(
            dialog.query_one("#error-actual_close").render()
        )
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Moved to Won" in messages(app))
        await settle(pilot)
        assert "Closed on 2026-10-23, more than 30 days ago" in messages(app)
        assert "a shows all" in messages(app)
        await pilot.press("a")
        select(screen, ids["big"])  # shown once all won deals are
        assert screen.current_card().stage == "won"


async def test_new_deal_at_won_goes_through_the_won_dialog(board):
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Acme")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-name").value = "Test deal A"
        form.query_one("#field-stage").value = "won"
        form.query_one("#field-amount_cents").value = "80,000"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
        assert app.screen.query_one("#field-amount_cents").value == "80000.00"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        card = screen.current_card()
        assert (card.name, card.stage) == ("Test deal A", "won")
    assert orders_of(path, card.id) == [("2026-11-23", 8000000)]
    opp = read(path, Opportunity, card.id)
    assert (opp.actual_close, opp.probability) == (TODAY, 100)
    assert read(path, Customer, opp.customer_id).total_amount_cents == 8000000


async def test_new_deal_at_won_cancelled_saves_nothing(board):
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_pipeline(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Acme", "enter")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-name").value = "Never won"
        form.query_one("#field-stage").value = "won"
        form.query_one("#field-expected_close").value = "2026-02-30"
        await pilot.press("ctrl+s")  # the form is checked before the won dialog opens
        await pilot.pause()
        assert app.screen is form
        assert "2026-02-30" in str(form.query_one("#error-expected_close").render())
        form.query_one("#field-expected_close").value = ""
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is form)
    conn = sqlite3.connect(path)
    assert (
        conn.execute("SELECT count(*) FROM opportunity WHERE name = 'Never won'").fetchone()[0] == 0
    )
    conn.close()


async def test_new_deal_without_customers_says_where_to_add_them(tmp_path):
    app = app_for(tmp_path / "crm.db")
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_pipeline(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is screen
        assert "No customers yet: press 1" in messages(app)


async def test_detail_opens_at_its_top_and_the_checklist_comes_into_view(board):
    """The deal opens at its top though the checklist, which takes the keys, is below the
    fold; a tick or a move in it brings it into view (they acted unseen at 80x24)."""
    path, ids = board
    db = Database(path)
    with db.session() as s:  # long texts push the checklist below the fold
        ops.update_opportunity(
            s, ids["fresh"], {k: "line\n" * 6 for k in ("strengths", "weaknesses", "risks")}
        )
    db.close()
    app = app_for(path)
    async with app.run_test(size=(130, 35)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["fresh"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        await pilot.pause()
        body = app.screen.query_one("#detail-body")
        assert body.max_scroll_y > 0  # the body does scroll
        assert body.scroll_offset.y == 0
        checklist = app.screen.focused
        assert checklist.id == "criteria"
        assert not body.region.contains_region(checklist.region)  # below the fold
        await pilot.press("space")  # the checklist still takes the keys, and shows the tick
        await settle(pilot)
        assert read(path, Opportunity, ids["fresh"]).criteria_done == "1"
        assert body.region.contains_region(checklist.region)
        body.scroll_home(animate=False)
        await pilot.pause()
        assert not body.region.contains_region(checklist.region)
        await pilot.press("down")  # a move shows where it went
        await pilot.pause()
        assert checklist.highlighted == 1 and body.region.contains_region(checklist.region)


def card_text(cards, index: int) -> list[str]:
    """The drawn lines of card ``index`` (its view must show it)."""
    top = index * CARD_HEIGHT - cards.top_line()
    return [
        "".join(seg.text for seg in cards.render_line(y)._segments).rstrip()
        for y in range(top, top + CARD_HEIGHT - 1)
    ]


async def test_huge_amounts_are_compacted_never_cut(board):
    path, ids = board
    db = Database(path)
    with db.session() as s:
        ops.update_opportunity(s, ids["big"], {"amount_cents": "9999999999999.99"})
    db.close()
    app = app_for(path)
    async with app.run_test(size=(130, 35)) as pilot:  # fixed 24-cell columns
        screen = await open_pipeline(pilot)
        col = screen.column("negotiation")
        lines = card_text(col.cards, 0)
        assert lines[2].split()[0] == "10.0T"
        assert "11-30" in lines[2]
        header = [col._render_kind(k, col.content_size.width).text for k in (1, 2)]
        assert header[0].split() == ["Total", "10.0T"]
        assert header[1].split() == ["Weighted", "7.5T"]


def test_compact_amounts():
    from crm_tui.widgets.kanban import compact_amount

    assert compact_amount(999999999999999) == "10.0T"
    assert compact_amount(4590000) == "45.9K"
    assert compact_amount(99995000) == "1.0M"  # rounding carries into the next unit
    assert compact_amount(12345678900) == "123M"
    assert compact_amount(12345) == "123.45"  # short already
    set_language("zh")
    try:
        assert compact_amount(12000000000) == "1.2亿"
        assert compact_amount(999999999999999) == "10.0万亿"
        assert compact_amount(4590000) == "4.6万"
    finally:
        set_language("en")


async def test_end_of_a_long_column_starts_with_a_whole_card(tmp_path):
    app = app_for(bulk_column(tmp_path / "crm.db", deals=907))
    async with app.run_test(size=(130, 35)) as pilot:
        screen = await open_pipeline(pilot)
        cards = screen.column("initial_contact").cards
        await pilot.press("G")
        await pilot.pause()
        assert cards.cursor == 906
        assert cards.scroll_offset.y % CARD_HEIGHT  # the view is no whole number of cards
        first = "".join(seg.text for seg in cards.render_line(0)._segments).strip()
        assert first == cards.card(cards.top_line() // CARD_HEIGHT).name
        assert card_text(cards, 906)[0].strip() == "Deal 0"  # the last card (least amount) shows
        # a click on the top line selects the card drawn there
        await pilot.click(cards, offset=(2, 0))
        await pilot.pause()
        assert cards.cursor == cards.top_line() // CARD_HEIGHT


async def test_filter_box_sits_under_the_header(board):
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(130, 35)) as pilot:
        screen = await open_pipeline(pilot)
        await pilot.press("slash")
        await pilot.pause()
        header = screen.query_one("AppHeader").region
        search = screen.query_one("#pipeline-search").region
        board_region = screen.query_one("#board").region
        assert header.y == 0 and search.y == header.bottom and board_region.y == search.bottom


@pytest.mark.parametrize(("width", "fixed"), [(150, False), (146, True), (130, True)])
async def test_the_columns_share_a_150_cell_screen(board, width, fixed):
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_pipeline(pilot)
        await pilot.pause()
        assert all(col.has_class("fixed") == fixed for col in screen.columns)
        if not fixed:
            lost = screen.column("lost")
            assert lost.region.right <= width
            assert lost.header_text().splitlines()[0] == "Lost · 30 days 0"
            # after-sales shows all its deals: said beside the 30 days of won and lost
            after = screen.column("after_sales").header_text().splitlines()[0]
            assert after.startswith("After-sales · all ")


async def test_closed_cards_show_their_close_day_no_next_step_and_whole_marks(board):
    path, ids = board
    db = Database(path)
    with db.session() as s:
        won_deal = s.get(Opportunity, ids["won_new"])
        won_deal.actual_close = dt.date(2026, 11, 12)
        won_deal.next_action, won_deal.next_action_due = "Meet the decision maker", None
        ops.update_opportunity(s, ids["old"], {"risk_flag": "yes", "next_action_due": "2026-11-01"})
    db.close()
    app = app_for(path)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_pipeline(pilot)
        won = card_text(screen.column("won").cards, 0)
        assert won[2].split() == ["3,000", "11-12"]  # closed on, not expected (11-10)
        assert won[3].strip() == ""  # its last next step was before it was won
        cards = screen.column("initial_contact").cards
        marks = card_text(cards, 1)[4].strip()
        # all three marks do not fit in 17 cells: those that do are whole, never "stu";
        # the rep's own risk flag first, and "…" for those left out
        assert marks == "0/2 risk late …", marks


@pytest.mark.parametrize(
    ("lang", "marks"), [("en", "0/2 risk late stuck"), ("zh", "0/2 风险 逾期 停滞")]
)
async def test_a_card_at_80_columns_shows_all_three_marks(board, lang, marks):
    """At risk, overdue and stalled: English cards showed "0/2 at risk overdue" and
    left the stalled mark out without a "…" (Chinese showed all three); the short
    words fit a 20-cell card and the status line says what they stand for."""
    path, ids = board
    db = Database(path)
    with db.session() as s:
        ops.update_opportunity(s, ids["old"], {"risk_flag": "yes", "next_action_due": "2026-11-01"})
    db.close()
    app = app_for(path, lang=lang)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_pipeline(pilot)
            cards = screen.column("initial_contact").cards
            assert card_text(cards, 1)[0].strip() == "机械臂 X200"
            assert card_text(cards, 1)[4].strip() == marks
            # narrower: the marks that fit are whole, and "…" says more were left out
            words = marks.split()[1:]
            card = cards.card(1)
            for width in range(5, 20):
                line = "".join(seg.text for seg in cards._line(card, 4, width, Style()))
                assert cell_len(line) <= width + 1, (width, line)  # (the pad cell first)
                shown = line.split()[1:]
                if shown != words:
                    assert shown[-1] == "…" and shown[:-1] == words[: len(shown) - 1], line
    finally:
        set_language("en")


async def test_detail_of_an_open_deal_shows_no_stale_lost_reason(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, LostDialog))
        app.screen.query_one("#field-lost_reason").value = "Budget frozen"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "lost")
        await settle(pilot)
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "proposal")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        fields = str(app.screen.query_one("#detail-fields").render())
    assert read(path, Opportunity, ids["late"]).lost_reason is None
    assert "Lost reason" not in fields and "Budget frozen" not in fields


# --- exploratory test s8: the order question, edited close dates, undo, re-won amounts ---


async def win_then_back(pilot, screen, opp_id: int, answer: str = "n") -> None:
    """Win the deal (its order is created), then move it back, answering the order question."""
    app = pilot.app
    select(screen, opp_id)
    await win(pilot, screen)
    await wait_until(pilot, lambda: screen.current_card().stage == "won")
    await settle(pilot)
    await pilot.press("less_than_sign")
    await wait_until(pilot, lambda: isinstance(app.screen, OrderQuestion))
    await pilot.press(answer)
    await wait_until(pilot, lambda: screen.current_card().stage == "negotiation")
    await settle(pilot)


async def open_won_dialog(pilot) -> None:
    """`>` on the selected negotiation deal, confirming its unticked criteria."""
    app = pilot.app
    await pilot.press("greater_than_sign")
    await wait_until(pilot, lambda: isinstance(app.screen, (WonDialog, ConfirmDialog)))
    if not isinstance(app.screen, WonDialog):
        await pilot.press("y")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))


async def test_escape_in_the_order_question_cancels_the_move(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await win(pilot, screen)
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        version = read(path, Opportunity, ids["big"]).version
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, OrderQuestion))
        assert "escape cancels the move" in app.screen.message
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await settle(pilot)
        assert screen.current_card().stage == "won"
        assert "Moved to" not in messages(app).split("Moved to Won")[-1]
    opp = read(path, Opportunity, ids["big"])
    assert (opp.stage, opp.version) == ("won", version)
    assert [c[1] for c in changes(path, ids["big"])] == ["negotiation", "won"]
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]


@pytest.mark.parametrize(
    ("close", "error"),
    [("2099-01-01", "This date is after today (2026-11-23)"),
     ("1900-01-01", "More than a year ago: check the year (1900-01-01)"),
     ("tomorrow", "This date is after today")],
)  # fmt: skip
async def test_edit_form_applies_the_won_close_date_limits(board, close, error):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["won_new"])
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityForm))
        form = app.screen
        form.query_one("#field-actual_close").value = close
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert error in str(form.query_one("#error-actual_close").render())
    assert read(path, Opportunity, ids["won_new"]).actual_close == dt.date(2026, 11, 10)


async def test_edited_close_date_within_limits_saves_and_says_where_the_deal_went(board):
    """won_new was entered at Won on 2026-11-10 after it closed: its close date may be
    earlier than its creation (only a move from an open stage cannot close before it)."""
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["won_new"])
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityForm))
        app.screen.query_one("#field-actual_close").value = "2026-10-01"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert "Closed on 2026-10-01, more than 30 days ago" in messages(app)
    assert read(path, Opportunity, ids["won_new"]).actual_close == dt.date(2026, 10, 1)


async def test_an_old_close_date_left_as_it_is_does_not_block_an_edit(board):
    path, ids = board
    db = Database(path)
    with db.session() as s:
        s.get(Opportunity, ids["won_old"]).actual_close = dt.date(2024, 3, 1)
    db.close()
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        await pilot.press("a")  # all won deals
        select(screen, ids["won_old"])
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityForm))
        app.screen.query_one("#field-next_action").value = "Ask for a reference"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
    opp = read(path, Opportunity, ids["won_old"])
    assert (opp.next_action, opp.actual_close) == ("Ask for a reference", dt.date(2024, 3, 1))


async def test_a_refused_undo_stays_and_never_undoes_an_older_move_of_another_deal(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await win(pilot, screen)  # an older move of another deal, with its order
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        select(screen, ids["late"])
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityForm))
        app.screen.query_one("#field-amount_cents").value = "50,000"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        for _ in range(2):  # refused, and refused again: the win of "big" is not undone
            app._notifications.clear()
            await pilot.press("u")
            await wait_until(pilot, lambda: "edited after this move" in messages(app))
            await settle(pilot)
            assert "Cannot undo the move of “Warehouse scanners”" in messages(app)
            assert read(path, Opportunity, ids["big"]).stage == "won"
            assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]
        # another move: u undoes that one, and the notice names the deal
        select(screen, ids["fresh"])
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
        await pilot.press("u")
        await wait_until(pilot, lambda: "Undone:" in messages(app))
        await settle(pilot)
        assert "Undone: “ERP rollout” back in Initial contact" in messages(app)
        app._notifications.clear()
        await pilot.press("u")  # the refused entry again, still not the older move
        await wait_until(pilot, lambda: "edited after this move" in messages(app))
        await settle(pilot)
    assert read(path, Opportunity, ids["fresh"]).stage == "initial_contact"
    assert read(path, Opportunity, ids["late"]).stage == "needs_confirmed"
    assert read(path, Opportunity, ids["big"]).stage == "won"
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]


async def test_rewinning_for_another_amount_offers_to_update_the_order(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        await win_then_back(pilot, screen, ids["big"])
        await open_won_dialog(pilot)
        dialog = app.screen
        assert dialog.values()["create_order"] == "no"  # same amount: nothing to update
        assert not dialog.query_one("#order-note").has_class("visible")
        dialog.query_one("#field-amount_cents").value = "60,000"
        await wait_until(pilot, lambda: dialog.values()["create_order"] == "update")
        note = str(dialog.query_one("#order-note").render())
        assert "Its order is 50,000" in note
        assert dialog.query_one("#order-note").has_class("visible")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        assert "Its order now has the final amount 60,000" in messages(app)
        customer_id = read(path, Opportunity, ids["big"]).customer_id
        assert orders_of(path, ids["big"]) == [("2026-11-23", 6000000)]
        assert read(path, Customer, customer_id).total_amount_cents == 6000000
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.current_card().stage == "negotiation")
        await settle(pilot)
        assert "Undone: “智能工厂二期” back in Negotiation" in messages(app)
        assert "Its order is back at 50,000" in messages(app)
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]
    assert read(path, Customer, customer_id).total_amount_cents == 5000000


async def test_rewinning_for_another_amount_and_keeping_the_order_says_so(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        await win_then_back(pilot, screen, ids["big"])
        await open_won_dialog(pilot)
        dialog = app.screen
        dialog.query_one("#field-amount_cents").value = "65,000"
        await wait_until(pilot, lambda: dialog.values()["create_order"] == "update")
        dialog.query_one("#field-create_order").value = "no"  # picked by the user ...
        await pilot.pause()
        dialog.query_one("#field-amount_cents").value = "60,000"
        await pilot.pause()
        assert dialog.values()["create_order"] == "no"  # ... so it stays
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        assert "Its order keeps its amount 50,000" in messages(app)
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]
    assert read(path, Opportunity, ids["big"]).amount_cents == 6000000


async def test_new_deal_closed_long_ago_says_where_it_went(board):
    path, _ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_pipeline(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"Acme", "enter")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-name").value = "Old win B"
        form.query_one("#field-stage").value = "won"
        form.query_one("#field-amount_cents").value = "5000"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
        app.screen.query_one("#field-actual_close").value = "-200d"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Opportunity saved" in messages(app))
        await settle(pilot)
        assert "Closed on 2026-05-07, more than 30 days ago" in messages(app)


async def test_editing_a_won_deals_amount_says_its_order_keeps_its_amount(board):
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["big"])
        await win(pilot, screen)
        await wait_until(pilot, lambda: screen.current_card().stage == "won")
        await settle(pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityForm))
        app.screen.query_one("#field-amount_cents").value = "60,000"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.pause()
        assert "Its order keeps its amount 50,000" in messages(app)
    assert orders_of(path, ids["big"]) == [("2026-11-23", 5000000)]


@pytest.mark.parametrize(
    ("lang", "width", "typed", "shown"),
    [
        ("en", 80, "", 2),  # the 30 days and the marks; "2/3 = exit criteria ticked" left out
        ("en", 120, "Warehouse", 2),  # the filter first; the legend left out
        ("zh", 80, "Warehouse", 2),
        ("en", 160, "Warehouse", 4),
    ],
)
async def test_the_status_line_leaves_out_whole_parts_never_half_a_word(
    board, lang, width, typed, shown
):
    """At 80 columns the line read "… Marks: at risk, overdue, stalled; 2/3 = e", with a
    filter at 120 "…  ·  Marks", in Chinese "…  ·  标": cut mid-word, no "…"."""
    path, _ids = board
    app = app_for(path, lang=lang)
    try:
        async with app.run_test(size=(width, 40)) as pilot:
            screen = await open_pipeline(pilot)
            if typed:
                await pilot.press("slash", *typed, "enter")
                await wait_until(pilot, lambda: screen.filter.text == typed)
            await pilot.pause()
            text = _("text “{text}”").format(text=typed)
            parts = [_("Filter: {what} (escape clears)").format(what=text)] if typed else []
            parts += [
                _("Won / lost: last 30 days (a: all)"),
                _("Marks: late = overdue, stuck = stalled"),
                _("2/3 = exit criteria ticked"),
            ]
            line = app.screen._compositor.render_strips()[-2].text.strip()
            assert line == "  ·  ".join(parts[:shown]), line
    finally:
        set_language("en")


async def test_a_filter_that_empties_the_column_moves_to_one_with_deals(board):
    """On Proposal, a filter matching only an Initial contact deal left the keys on the
    empty column: L and enter did nothing, and a lost reason typed for L went to the
    board's keys (u undid a hidden deal's move)."""
    path, ids = board
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pipeline(pilot)
        select(screen, ids["late"])  # Warehouse scanners, Proposal
        await pilot.press("slash", *"X200", "enter")
        await pilot.pause()
        assert screen.current_id() == ids["old"]  # 机械臂 X200, Initial contact
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.__class__.__name__ == "OpportunityDetailScreen")
