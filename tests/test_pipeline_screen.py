"""Pilot tests of the pipeline kanban (screen 2) with a frozen clock, plus snapshots."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from textual import events
from textual.geometry import Region

from crm_tui.app import make_app
from crm_tui.i18n import set_language
from crm_tui.screens.dialogs.confirm import ConfirmDialog
from crm_tui.screens.dialogs.lost_dialog import LostDialog
from crm_tui.screens.dialogs.won_dialog import WonDialog
from crm_tui.screens.opportunity_detail import OpportunityDetail
from crm_tui.screens.pipeline import BOARD_STAGES, PipelineScreen
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
    for _ in range(tries):
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
        assert "stalled" in text and "0/2" in text


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
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.current_card().stage == "lost")
        await settle(pilot)
        opp = read(path, Opportunity, ids["gone"])
        assert (opp.stage, opp.lost_reason, opp.probability) == ("lost", "Chose a competitor", 0)
        assert len(changes(path, ids["gone"])) == 2
        await pilot.press("u")
        await wait_until(pilot, lambda: screen.current_card().stage == "needs_confirmed")
        await settle(pilot)
    opp = read(path, Opportunity, ids["gone"])
    assert (opp.stage, opp.probability, opp.lost_reason) == ("needs_confirmed", 25, None)
    assert [c[1] for c in changes(path, ids["gone"])] == ["needs_confirmed"]


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
        await pilot.press(*"星辰")
        await pilot.pause()
        assert screen.column("initial_contact").cards.count == 1
        assert screen.column("proposal").cards.count == 0
        await pilot.press("enter", "escape")
        assert screen.column("proposal").cards.count == 1
        await pilot.press("f")
        await pilot.pause()
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

        # and a click on a card still selects it
        clicked = (int(cards.scroll_offset.y) + 1) // CARD_HEIGHT
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
