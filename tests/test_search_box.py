"""widgets/search_box.py on every list screen: Down in the search box goes on to the
results as Enter does (it did nothing)."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Input

from crm_tui.app import make_app
from crm_tui.store import customers as cs
from crm_tui.store.interactions import log_interaction
from crm_tui.store.tasks import create_task
from crm_tui.widgets.virtual_table import VirtualTable

FROZEN = dt.datetime(2026, 11, 23, 9, 30)


@pytest.fixture
def one_of_each(db):
    with db.session() as s:
        acme = cs.create_customer(s, {"name": "Acme Robotics"})
        cs.create_customer(s, {"name": "Beta Foods"})
        log_interaction(
            s, acme.id, {"subject": "Acme call", "occurred_at": dt.datetime(2026, 11, 20, 9)}
        )
        create_task(s, {"title": "Call Acme", "due": FROZEN.date(), "customer_id": acme.id})
    return db


@pytest.mark.parametrize(
    "key, search", [("1", "#search"), ("3", "#log-search"), ("4", "#task-search")]
)
async def test_down_in_the_search_box_goes_on_to_the_results(one_of_each, key, search):
    app = make_app(one_of_each.path, clock=lambda: FROZEN)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press(key)
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("slash", *"acme")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.focused is app.screen.query_one(search, Input)
        await pilot.press("down")
        await app.workers.wait_for_complete()
        await pilot.pause()
        table = app.screen.query_one(VirtualTable)
        assert app.focused is table
        assert app.screen.query_one(search, Input).value == "acme"
        assert table.cursor_row is not None and "Acme" in " ".join(map(str, table.cursor_row[1:]))
