"""Pilot tests of the opportunity detail (enter on a card): what it shows and the keys it takes."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest
from rich.cells import cell_len

from crm_tui.i18n import set_language
from crm_tui.screens.dialogs.confirm import ConfirmDialog
from crm_tui.screens.dialogs.lost_dialog import LostDialog
from crm_tui.screens.dialogs.won_dialog import WonDialog
from crm_tui.screens.help import HelpScreen
from crm_tui.screens.opportunity_detail import OpportunityDetail
from crm_tui.screens.pipeline_moves import OrderQuestion
from crm_tui.screens.tasks import TasksScreen
from crm_tui.store import opportunities as ops
from crm_tui.store.board import BoardFilter
from crm_tui.store.database import Database
from crm_tui.store.models import Opportunity, SalesOrder
from crm_tui.widgets.footer import Footer
from tests.test_pipeline_screen import app_for, open_pipeline, read, seed, select, wait_until

#: A moment with seconds, as the store records them.
STAMP = dt.datetime(2026, 11, 20, 9, 5, 33)


def board_with_stamp(tmp_path) -> tuple:
    path = tmp_path / "crm.db"
    ids = seed(path)
    db = Database(path)
    with db.session() as s:
        ops.move_stage(s, ids["fresh"], "needs_confirmed", when=STAMP)
    db.close()
    return path, ids


async def open_detail(pilot, opp_id: int):
    app = pilot.app
    screen = await open_pipeline(pilot)
    select(screen, opp_id)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
    await pilot.pause()
    return screen, app.screen


def shown(widget) -> str:
    lines = widget.render_lines(widget.content_region.reset_offset)
    return "\n".join(strip.text.rstrip() for strip in lines)


async def test_times_are_shown_to_the_minute_as_on_every_other_screen(tmp_path):
    path, ids = board_with_stamp(tmp_path)
    app = app_for(path)
    async with app.run_test(size=(120, 60)) as pilot:
        _board, detail = await open_detail(pilot, ids["fresh"])
        fields = shown(detail.query_one("#detail-fields"))
        history = shown(detail.query_one("#detail-history"))
    assert re.search(r"In this stage since +2026-11-20 09:05$", fields, re.M), fields
    assert re.search(r"Created +2026-11-21 10:00$", fields, re.M), fields
    assert "2026-11-20 09:05  Initial contact → Needs confirmed" in history, history
    assert not re.search(r"\d\d:\d\d:\d\d", fields + history)


def footer_text(app) -> str:
    return app.screen._compositor.render_strips()[-1].text


async def test_space_is_offered_only_where_there_are_criteria_to_tick(tmp_path):
    """A won or lost deal has no checklist: its key bar does not offer space, and space
    pressed anyway says why it does nothing."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        board, _detail = await open_detail(pilot, ids["fresh"])
        assert "space Tick" in footer_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is board)
        board.filter = BoardFilter(all_closed=True)
        select(board, ids["won_old"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        await pilot.pause()
        bar = footer_text(app)
        assert "Tick" not in bar and "space" not in bar, bar
        assert "e Edit" in bar
        await pilot.press("space")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == "This stage has no exit criteria"
    assert read(path, Opportunity, ids["won_old"]).criteria_done in (None, "")


@pytest.fixture
def slow_ticks(monkeypatch) -> None:
    """Saving a tick takes 0.3 s (a disk that takes its time): keys typed meanwhile wait."""
    tick = ops.toggle_criterion

    def slow_tick(*args, **kwargs):
        time.sleep(0.3)  # (in the save's worker thread, not the test)
        return tick(*args, **kwargs)

    monkeypatch.setattr(ops, "toggle_criterion", slow_tick)


async def test_the_app_keys_act_on_the_detail(tmp_path, slow_ticks):
    """? shows help with the detail's own keys; 1–5 close the detail and switch, a tick
    typed just before is saved first; q quits. (A modal screen gets none of the app's keys.)"""
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        board, detail = await open_detail(pilot, ids["old"])
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        local = app.screen._screen_keys()
        assert ("space", "Tick") in local and ("e", "Edit") in local
        assert ("<", "Prev stage") in local and (">", "Next stage") in local
        assert not {"?", "q"} & {key for key, _what in local}  # listed with the app's keys
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is detail)
        await pilot.press("space", "4")  # the tick is saved, then the detail closes
        await wait_until(pilot, lambda: isinstance(app.screen, TasksScreen))
        assert read(path, Opportunity, ids["old"]).criteria_done == "0"
        await pilot.press("2")
        await wait_until(pilot, lambda: app.screen is board)
        assert board.current_card().criteria == (1, 2)  # the board shows the tick
        assert not any(isinstance(s, OpportunityDetail) for s in app.screen_stack)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        await pilot.press("2")  # its own screen: the detail closes onto the board
        await wait_until(pilot, lambda: app.screen is board)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        await pilot.press("q")
        await wait_until(pilot, lambda: app._exit)


def notices(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_less_and_greater_move_the_deal_from_its_detail_as_on_the_board(tmp_path):
    """`>` asks about unticked criteria and moves the deal; the detail shows its new
    stage, probability and history; `<` moves it back; the board shows where it is."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        board, detail = await open_detail(pilot, ids["old"])
        title = detail.query_one("#detail-title")
        assert "< > Move stage" in footer_text(app)
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: "Needs confirmed" in str(title.render()))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is detail
        assert notices(app)[-1] == "Moved to Needs confirmed (u undoes)"
        fields = shown(detail.query_one("#detail-fields"))
        assert re.search(r"Stage +Needs confirmed$", fields, re.M), fields
        assert re.search(r"Probability +25%$", fields, re.M), fields
        history = shown(detail.query_one("#detail-history"))
        assert "2026-11-23 10:00  Initial contact → Needs confirmed" in history, history
        assert read(path, Opportunity, ids["old"]).stage == "needs_confirmed"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is board)
        assert (board.current_id(), board.current_card().stage) == (ids["old"], "needs_confirmed")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        detail = app.screen
        await pilot.press("less_than_sign")
        await wait_until(
            pilot, lambda: read(path, Opportunity, ids["old"]).stage == "initial_contact"
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Initial contact" in str(detail.query_one("#detail-title").render())
        assert "u Undo" in footer_text(app)
        await pilot.press("u")  # undoes the move made here
        await wait_until(
            pilot, lambda: read(path, Opportunity, ids["old"]).stage == "needs_confirmed"
        )
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "u Undo" in footer_text(app)  # its earlier move, made on the first visit
        assert notices(app)[-1] == "Undone: “机械臂 X200” back in Needs confirmed"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is board)
        assert board.current_card().stage == "needs_confirmed"
        await pilot.press("u")  # the board's u undoes the move made on the detail
        await wait_until(pilot, lambda: board.current_card().stage == "initial_contact")


async def test_winning_from_the_detail_asks_as_the_board_does_and_shows_the_order(tmp_path):
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        _board, detail = await open_detail(pilot, ids["big"])
        assert app.focused.id == "criteria"
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: isinstance(app.screen, (ConfirmDialog, WonDialog)))
        if isinstance(app.screen, ConfirmDialog):
            await pilot.press("y")
            await wait_until(pilot, lambda: isinstance(app.screen, WonDialog))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: read(path, Opportunity, ids["big"]).stage == "won")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is detail
        assert notices(app)[-1] == "Moved to Won (u undoes)\nOrder created"
        assert detail.query_one("#detail-orders").display
        assert not detail.query_one("#criteria").display
        assert app.focused is detail.query_one("#detail-body")  # the keys scroll the detail
        assert "Tick" not in footer_text(app)
        assert "u Undo" in footer_text(app)  # the move just made here
        await pilot.press("less_than_sign")  # back: the order question, as on the board
        await wait_until(pilot, lambda: isinstance(app.screen, OrderQuestion))
        await pilot.press("y")
        await wait_until(pilot, lambda: read(path, Opportunity, ids["big"]).stage == "negotiation")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert read(path, SalesOrder, 1) is None
        assert notices(app)[-1] == "Moved to Negotiation (u undoes)\nOrder removed"
        assert app.focused is detail.query_one("#criteria")  # its checklist is back


async def test_u_on_a_detail_leaves_another_deals_move_to_the_board(tmp_path):
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        board = await open_pipeline(pilot)
        select(board, ids["gone"])
        await pilot.press("less_than_sign")
        await wait_until(pilot, lambda: board.current_card().stage == "initial_contact")
        await app.workers.wait_for_complete()
        select(board, ids["old"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        await pilot.press("u")
        await pilot.pause()
        assert notices(app)[-1] == (
            "The last move was of “Support contract”: u on the board undoes it"
        )
        assert "Undo" not in footer_text(app)
    assert read(path, Opportunity, ids["gone"]).stage == "initial_contact"


async def test_e_on_a_deal_deleted_elsewhere_closes_the_detail_instead_of_crashing(tmp_path):
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        board, _detail = await open_detail(pilot, ids["late"])
        db = Database(path)  # another window deletes it
        with db.session() as s:
            ops.delete_opportunity(s, ids["late"])
        db.close()
        await pilot.press("e")
        await wait_until(pilot, lambda: app.screen is board)
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        assert "This opportunity no longer exists" in notices(app)
        assert board.column("proposal").summary.count == 0


async def test_a_probability_set_by_hand_says_so_in_either_language(tmp_path):
    path = tmp_path / "crm.db"
    ids = seed(path)
    db = Database(path)
    with db.session() as s:
        ops.update_opportunity(s, ids["fresh"], {"probability": 33})
    db.close()
    for lang, said in (("en", "33% (set by hand)"), ("zh", "33%（手动设置）")):
        app = app_for(path, lang=lang)
        async with app.run_test(size=(120, 60)) as pilot:
            _board, detail = await open_detail(pilot, ids["fresh"])
            assert said in shown(detail.query_one("#detail-fields")), lang


@pytest.mark.parametrize(
    ("lang", "keys"),
    [
        ("en", "esc Back  space Tick  e Edit  l Log  t Task  < > Move stage"),
        ("zh", "esc 返回  space 勾选  e 编辑  l 记录互动  t 任务  < > 移动阶段"),
    ],
)
async def test_the_detail_key_bar_shows_the_moves_at_80_columns(tmp_path, lang, keys):
    """A rep at 80 columns sees every key of the detail, the stage moves included
    (they were cut off behind "…"); a press on `>` in the bar moves the deal."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_detail(pilot, ids["late"])
        bar = footer_text(app)
        assert bar.split("▏")[0].strip() == keys, bar
        x = cell_len(bar[: bar.index("< >")]) + 2  # the ">"
        await pilot.mouse_down(Footer, offset=(x, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))  # unticked
        await pilot.press("y")
        await wait_until(pilot, lambda: read(path, Opportunity, ids["late"]).stage == "negotiation")


async def test_q_just_after_a_tick_quits_once_the_tick_is_saved(tmp_path, slow_ticks):
    """Quitting cancels the app's workers: a tick still being saved was lost."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        await open_detail(pilot, ids["old"])
        await pilot.press("space", "q")
        await wait_until(pilot, lambda: app._exit)
        assert read(path, Opportunity, ids["old"]).criteria_done == "0"


LONG_NAME = "Enterprise-wide retail platform rollout for all stores in the region including POS"


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_a_long_deal_name_gives_way_to_the_stage_and_shows_in_full_below(tmp_path):
    """The title was cut hard: a long name pushed the stage out with no "…", and the
    full name was nowhere on the detail. The won and lost dialogs' headings likewise."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    db = Database(path)
    with db.session() as s:
        ops.update_opportunity(s, ids["big"], {"name": LONG_NAME})  # (criteria ticked)
    db.close()
    app = app_for(path)
    async with app.run_test(size=(80, 24)) as pilot:
        _board, detail = await open_detail(pilot, ids["big"])
        title = next(line for line in screen_lines(app) if "Enterprise-wide" in line)
        assert re.search(r"Enterprise-wide retail platform .*… · Negotiation +█", title), title
        fields = " ".join(shown(detail.query_one("#detail-fields")).split())
        assert f"Opportunity name {LONG_NAME} Customer" in fields, fields
        for key, dialog, lead in (
            ("greater_than_sign", WonDialog, "Won: "),
            ("L", LostDialog, "Lost: "),
        ):
            await pilot.press(key)
            await wait_until(pilot, lambda dialog=dialog: isinstance(app.screen, dialog))
            await pilot.pause()
            heading = next(line for line in screen_lines(app) if lead + "Enterprise" in line)
            assert re.search(lead + r"Enterprise-wide retail platform .*… +█", heading), heading
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is detail)


@pytest.mark.parametrize(
    ("lang", "lost", "won"),
    [("en", "Lost on", "Actual close date"), ("zh", "输单日期", "实际成交日期")],
)
async def test_a_lost_deal_says_the_day_it_was_lost_not_won(tmp_path, lang, lost, won):
    """A lost deal's detail said 实际成交日期 (the day it was *won*) above its lost
    reason; the lost dialog calls that day 输单日期, as the detail now does."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    db = Database(path)
    with db.session() as s:
        ops.move_stage(s, ids["late"], "lost", lost_reason="Budget cut", actual_close="2026-11-20")
    db.close()
    app = app_for(path, lang=lang)
    try:
        async with app.run_test(size=(120, 60)) as pilot:
            board, detail = await open_detail(pilot, ids["late"])
            fields = shown(detail.query_one("#detail-fields"))
            assert re.search(rf"^{lost} +2026-11-20$", fields, re.M), fields
            assert won not in fields
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.screen is board)
            board.filter = BoardFilter(all_closed=True)
            select(board, ids["won_new"])
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
            await pilot.pause()
            fields = shown(app.screen.query_one("#detail-fields"))
            assert re.search(rf"^{won} +2026-11-10$", fields, re.M), fields
            assert lost not in fields
    finally:
        set_language("en")


@pytest.mark.parametrize("where", ["board", "detail"])
async def test_greater_than_on_a_lost_deal_reopens_it_as_less_than_does(tmp_path, where):
    """The key bar offers "< > Move stage" on a lost deal, but `>` only said "This deal
    has no next stage": it re-opens the deal where it was lost, as `<` does."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    db = Database(path)
    with db.session() as s:
        ops.move_stage(s, ids["late"], "lost", lost_reason="Budget cut", actual_close="2026-11-20")
    db.close()
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        if where == "board":
            screen = await open_pipeline(pilot)
            select(screen, ids["late"])
        else:
            _board, screen = await open_detail(pilot, ids["late"])
        assert "< > Move stage" in footer_text(app)
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: read(path, Opportunity, ids["late"]).stage == "proposal")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert notices(app)[-1] == "Moved to Proposal (u undoes)"
        assert app.screen is screen


@pytest.mark.parametrize("where", ["board", "detail"])
async def test_moving_a_deal_deleted_elsewhere_says_it_is_gone_before_asking(tmp_path, where):
    """`>` asked "these exit criteria are not ticked, move anyway?" and only after y
    said the deal no longer existed (on the detail, `>` did nothing at all)."""
    path = tmp_path / "crm.db"
    ids = seed(path)
    app = app_for(path)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        board = await open_pipeline(pilot)
        select(board, ids["late"])  # a proposal with its criteria not ticked
        if where == "detail":
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        db = Database(path)  # another window deletes it
        with db.session() as s:
            ops.delete_opportunity(s, ids["late"])
        db.close()
        await pilot.press("greater_than_sign")
        await wait_until(pilot, lambda: "This opportunity no longer exists" in notices(app))
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen is board  # no question first, and the detail closed
        assert board.column("proposal").summary.count == 0  # the board read again
