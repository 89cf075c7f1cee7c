"""screens/actions.py: ctrl+e on a list never overwrites an earlier export (the next free
name, ``-2``, ``-3``…) and says it wrote every record, whatever the search; and the next
follow-up after `x` starts from the finished task (customer, contact, deal, title)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from textual.widgets import Input, Select

from crm_tui.app import make_app
from crm_tui.screens.actions import claim_free_name
from crm_tui.screens.dialogs.task_form import NextFollowUp, TaskFormDialog
from crm_tui.settings import Settings
from crm_tui.store import customers as cs
from crm_tui.store.models import Opportunity, Task
from crm_tui.store.tasks import create_task
from crm_tui.widgets.virtual_table import VirtualTable

FROZEN = dt.datetime(2026, 11, 23, 9, 30)  # a Monday
TODAY = FROZEN.date()
NAME = "crm-customers-2026-11-23"


@pytest.fixture
def three_customers(db):
    with db.session() as s:
        for name in ("Acme Robotics", "Beta Foods", "上海华东制造有限公司"):
            cs.create_customer(s, {"name": name})
    return db


def app_on(db, folder):
    return make_app(db.path, settings=Settings(export_dir=folder), clock=lambda: FROZEN)


async def _export(pilot) -> list[str]:
    await pilot.press("ctrl+e")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return [n.message for n in pilot.app._notifications]


def _records(path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    return [line.split(",")[1] for line in text.strip().splitlines()[1:]]


async def test_an_earlier_export_of_the_day_is_never_overwritten(three_customers, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    earlier = folder / f"{NAME}.csv"
    earlier.write_text("the 3000 rows of another database\n", encoding="utf-8")
    app = app_on(three_customers, folder)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = await _export(pilot)
        second = folder / f"{NAME}-2.csv"
        assert said[-2:] == [
            f"Exporting {second.name}…",
            "Exported all 3 customers (the search and filters do not apply) to " + str(second),
        ]
        said = await _export(pilot)
        third = folder / f"{NAME}-3.csv"
        assert said[-1].endswith(f"to {third}")
    assert earlier.read_text(encoding="utf-8") == "the 3000 rows of another database\n"
    for path in (second, third):
        assert _records(path) == ["Acme Robotics", "Beta Foods", "上海华东制造有限公司"]
        assert path.stat().st_mode & 0o077 == 0  # customer data: the owner's only
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{NAME}-2.csv", f"{NAME}-3.csv", f"{NAME}.csv"
    ]  # fmt: skip


async def test_a_filtered_list_exports_everything_and_says_so(three_customers, tmp_path):
    app = app_on(three_customers, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.screen.query_one("#search", Input).value = "Acme"
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.query_one(VirtualTable).row_count == 1  # the list: Acme only
        said = await _export(pilot)
    written = tmp_path / f"{NAME}.csv"
    assert said[-1] == (
        f"Exported all 3 customers (the search and filters do not apply) to {written}"
    )
    assert len(_records(written)) == 3


async def test_a_failed_export_frees_the_name_it_claimed(three_customers, tmp_path, monkeypatch):
    from crm_tui.store import export

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "export_kind", broken)
    folder = tmp_path / "exports"
    folder.mkdir()
    app = app_on(three_customers, folder)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = await _export(pilot)
    assert said[-1] == f"cannot write {folder / f'{NAME}.csv'}: No space left on device"
    assert list(folder.iterdir()) == []


async def test_an_export_folder_that_is_missing_is_said_not_crashed(three_customers, tmp_path):
    missing = tmp_path / "nowhere"
    app = app_on(three_customers, missing)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = await _export(pilot)
        assert app.is_running
    assert said[-1].startswith(f"cannot write {missing / f'{NAME}.csv'}: ")
    assert not missing.exists()


def test_claim_free_name_takes_the_next_free_one(tmp_path):
    assert claim_free_name(tmp_path, "x") == tmp_path / "x.csv"
    assert claim_free_name(tmp_path, "x") == tmp_path / "x-2.csv"
    (tmp_path / "x-4.csv").write_text("kept", encoding="utf-8")
    assert claim_free_name(tmp_path, "x") == tmp_path / "x-3.csv"
    assert claim_free_name(tmp_path, "x") == tmp_path / "x-5.csv"
    assert (tmp_path / "x-4.csv").read_text(encoding="utf-8") == "kept"


# --- the next follow-up after `x` (actions.offer_next_follow_up) -------------------


@pytest.fixture
def follow_up_db(db):
    """Acme has two contacts; its deal's contact is Emily, the overdue task is with Bob."""
    with db.session() as s:
        acme = cs.create_customer(s, {"name": "Acme Robotics"})
        emily = cs.create_contact(s, acme.id, {"name": "Emily Chen"})
        bob = cs.create_contact(s, acme.id, {"name": "Bob Li"})
        deal = Opportunity(customer_id=acme.id, name="Acme ERP", amount_cents=500_000_00,
                           probability=50, stage="proposal", contact_id=emily.id)  # fmt: skip
        s.add(deal)
        s.flush()
        create_task(
            s,
            {"title": "Send Bob the revised quote", "due": TODAY - dt.timedelta(days=1),
             "customer_id": acme.id, "contact_id": bob.id, "opportunity_id": deal.id,
             "type": "email"},
        )  # fmt: skip
        ids = {"customer": acme.id, "bob": bob.id, "deal": deal.id}
    return db, ids


async def _next_follow_up_form(pilot) -> TaskFormDialog:
    """The due list, `x` on the overdue task, then `t`: the new task form."""
    await pilot.press("4")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, NextFollowUp)
    await pilot.press("t")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, TaskFormDialog)
    return form


async def test_the_next_follow_up_starts_from_the_finished_task(follow_up_db, tmp_path):
    db, ids = follow_up_db
    app = app_on(db, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        form = await _next_follow_up_form(pilot)
        assert form.customer_id == ids["customer"]
        assert form.query_one("#field-title", Input).value == "Send Bob the revised quote"
        assert form.query_one("#field-contact_id", Select).value == ids["bob"]
        assert form.query_one("#field-opportunity_id", Select).value == ids["deal"]
        assert form.query_one("#field-due", Input).value == "2026-11-24"
        assert form.query_one("#field-type", Select).value == "email"  # not Call
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, TaskFormDialog)
    with db.session() as s:
        new = s.exec(select(Task).where(Task.status == "planned")).one()
        assert (new.title, new.customer_id, new.contact_id, new.opportunity_id, new.due) == (
            "Send Bob the revised quote", ids["customer"], ids["bob"], ids["deal"],
            TODAY + dt.timedelta(days=1),
        )  # fmt: skip


async def test_typing_replaces_the_preset_title(follow_up_db, tmp_path):
    db, ids = follow_up_db
    app = app_on(db, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await _next_follow_up_form(pilot)
        await pilot.press(*"Call Bob", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    with db.session() as s:
        new = s.exec(select(Task).where(Task.status == "planned")).one()
        assert (new.title, new.contact_id) == ("Call Bob", ids["bob"])


async def test_escape_from_the_untouched_follow_up_form_asks_nothing(follow_up_db, tmp_path):
    db, _ids = follow_up_db
    app = app_on(db, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        form = await _next_follow_up_form(pilot)
        assert not form.dirty()  # the carried-over values are where the form starts
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "TasksScreen"  # no "discard changes?"
    with db.session() as s:
        assert s.exec(select(Task).where(Task.status == "planned")).all() == []
