"""Snapshot tests of the customers screen: the empty state and a list, in English and Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.app import make_app
from crm_tui.store.demo import generate

AS_OF = dt.date(2026, 11, 23)
FROZEN = dt.datetime(2026, 11, 23, 9, 30)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def demo_db(db):
    generate(db.path, customers=40, seed=7, as_of=AS_OF)
    return db


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_empty_state(snap_compare, db, lang):
    app = make_app(db.path, lang=lang, clock=lambda: FROZEN)
    assert snap_compare(app, terminal_size=(120, 30), run_before=settle)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_list(snap_compare, demo_db, lang):
    app = make_app(demo_db.path, lang=lang, clock=lambda: FROZEN)
    assert snap_compare(app, terminal_size=(130, 34), run_before=settle)
