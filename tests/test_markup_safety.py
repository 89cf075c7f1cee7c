"""Text a user typed is shown as typed: square brackets are not Textual markup.

A name such as ``[/]`` used to end the app with a MarkupError, and ``[Shanghai] Trading``
lost its first word, wherever a label, a list option or a notice took user text as markup.
"""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.app import make_app
from crm_tui.screens.dialogs.confirm import ConfirmDialog
from crm_tui.screens.dialogs.customer_picker import CustomerPicker
from crm_tui.store import opportunities as ops
from crm_tui.store.customers import create_contact, create_customer
from crm_tui.store.database import Database
from crm_tui.store.interactions import log_interaction
from crm_tui.store.tasks import create_task

NOW = dt.datetime(2026, 11, 23, 10, 0, 0)
NAME = "[Shanghai] Trading [/] Co"
DEAL = "[b]Big[/b] deal [/]"


@pytest.fixture
def path(tmp_path):
    file = tmp_path / "crm.db"
    db = Database(file)
    with db.session() as s:
        customer = create_customer(s, {"name": NAME, "level": "A", "needs": "[red]x"})
        create_contact(s, customer.id, {"name": "[Li] [/]", "phone": "13800138000"})
        ops.create_opportunity(s, customer.id, {"name": DEAL, "amount_cents": "1,000"})
        log_interaction(
            s,
            customer.id,
            {"subject": "[/] call", "channel": "phone", "occurred_at": NOW - dt.timedelta(days=40)},
            at=NOW,
        )
        create_task(
            s,
            {"title": "[/] follow up", "due": NOW.date(), "customer_id": customer.id},
            at=NOW,
        )
    db.close()
    return file


def visible_text(app) -> str:
    """Everything the screen and its open dialogs draw, as plain text."""
    return "\n".join(
        strip.text for screen in app.screen_stack for strip in screen._compositor.render_strips()
    )


async def test_bracketed_names_show_as_typed_on_every_screen(path):
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=(130, 40), notifications=True) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert NAME in visible_text(app)
        await pilot.press("enter")  # the customer's detail
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert NAME in visible_text(app)
        await pilot.press("shift+tab", "delete")  # delete the customer? (asks first)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert NAME in visible_text(app)
        await pilot.press("n")
        await pilot.press("escape", "2")  # the pipeline
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Big[/b] deal [/]" in visible_text(app) or "[b]Big" in visible_text(app)
        await pilot.press("L")  # lost: asks for a reason, naming the deal
        await pilot.pause()
        await pilot.press("escape", "delete")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        assert DEAL in visible_text(app)
        await pilot.press("n", "n")  # no; then a new deal: pick its customer
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, CustomerPicker)
        await pilot.press(*"[Shang")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert f"{NAME}  " in visible_text(app) and "[A]" in visible_text(app)
        await pilot.press("escape", "3")  # the interaction log
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("slash", *"[/]")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape", "4")  # the due list, then the daily review
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "[/] follow up" in visible_text(app)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "[/] follow up" in visible_text(app)
        await pilot.press("x")  # done: the notice names the task
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running


async def test_a_notice_quoting_typed_text_shows_it_as_typed(path):
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=(130, 40), notifications=True) as pilot:
        app.notify(f"Saved {NAME}", markup=True)  # markup=True: what Screen.notify passes
        for _ in range(10):
            if f"Saved {NAME}" in visible_text(app):
                break
            await pilot.pause()
        assert f"Saved {NAME}" in visible_text(app)
