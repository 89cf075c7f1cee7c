"""Pilot tests of the opportunity detail (enter on a card): what it shows and the keys it takes."""

from __future__ import annotations

import datetime as dt
import re
import time

from crm_tui.screens.help import HelpScreen
from crm_tui.screens.opportunity_detail import OpportunityDetail
from crm_tui.screens.tasks import TasksScreen
from crm_tui.store import opportunities as ops
from crm_tui.store.board import BoardFilter
from crm_tui.store.database import Database
from crm_tui.store.models import Opportunity
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
        assert "space Tick criterion" in footer_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is board)
        board.filter = BoardFilter(all_closed=True)
        select(board, ids["won_old"])
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, OpportunityDetail))
        await pilot.pause()
        bar = footer_text(app)
        assert "Tick criterion" not in bar and "space" not in bar, bar
        assert "e Edit" in bar
        await pilot.press("space")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == "This stage has no exit criteria"
    assert read(path, Opportunity, ids["won_old"]).criteria_done in (None, "")


async def test_the_app_keys_act_on_the_detail(tmp_path, monkeypatch):
    """? shows help with the detail's own keys; 1–5 close the detail and switch, a tick
    typed just before is saved first; q quits. (A modal screen gets none of the app's keys.)"""
    path = tmp_path / "crm.db"
    ids = seed(path)
    tick = ops.toggle_criterion

    def slow_tick(*args, **kwargs):  # a disk that takes its time
        time.sleep(0.3)
        return tick(*args, **kwargs)

    monkeypatch.setattr(ops, "toggle_criterion", slow_tick)
    app = app_for(path)
    async with app.run_test(size=(160, 45)) as pilot:
        board, detail = await open_detail(pilot, ids["old"])
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        local = app.screen._screen_keys()
        assert ("space", "Tick criterion") in local and ("e", "Edit") in local
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
