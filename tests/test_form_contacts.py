"""The contact a new record starts with, and the contacts table's cursor after a contact is
saved, on the customer detail: driven with the pilot, checked in the database."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import DataTable, Select

from crm_tui.app import make_app
from crm_tui.store import customers as cs

FROZEN = dt.datetime(2026, 11, 23, 9, 30)


@pytest.fixture
def staffed(db):
    """Initech with three contacts, the second one its primary contact (★)."""
    with db.session() as s:
        initech = cs.create_customer(s, {"name": "Initech"})
        people = [
            cs.create_contact(s, initech.id, {"name": name})
            for name in ("Bill Lumbergh", "Peter Gibbons", "Milton Waddams")
        ]
        initech.primary_contact_id = people[1].id
        s.add(initech)
        db.ids = {"initech": initech.id} | {c.name.split()[0]: c.id for c in people}
    return db


def app_on(db):
    return make_app(db.path, lang="en", clock=lambda: FROZEN)


def rows(db, sql: str, *args) -> list[tuple]:
    with db.reading() as conn:
        return [tuple(r) for r in conn.execute(sql, args)]


async def open_initech(pilot):
    await pilot.pause()
    await pilot.press("/", *"Initech", "enter")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    detail = pilot.app.screen
    assert detail.__class__.__name__ == "CustomerDetailScreen"
    return detail


async def test_new_records_start_with_the_primary_contact(staffed):
    """Of several contacts the log form, the task form and the new deal left the contact
    blank (only an only contact was filled in): the primary one (★) is the one meant."""
    peter = staffed.ids["Peter"]
    app = app_on(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        for key, typed in (("l", "Budget call"), ("t", "Send the quote"), ("o", "Renewal")):
            await pilot.press(key)
            await pilot.pause()
            form = app.screen
            assert form.query_one("#field-contact_id", Select).value == peter, key
            await pilot.press(*typed, "ctrl+s")
            await pilot.pause()
            assert app.screen is detail, key
    assert rows(staffed, "SELECT contact_id FROM interaction WHERE subject = 'Budget call'") == [
        (peter,)
    ]
    assert rows(staffed, "SELECT contact_id FROM task WHERE title = 'Send the quote'") == [(peter,)]
    assert rows(staffed, "SELECT contact_id FROM opportunity WHERE name = 'Renewal'") == [(peter,)]


async def test_editing_a_deal_keeps_it_without_a_contact(staffed):
    from crm_tui.store.opportunities import create_opportunity

    with staffed.session() as s:
        opp = create_opportunity(s, staffed.ids["initech"], {"name": "Old deal"})
        opp_id = opp.id
    app = app_on(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        from crm_tui.screens.dialogs.opportunity_form import OpportunityForm

        await pilot.pause()
        app.push_screen(OpportunityForm(staffed, opportunity_id=opp_id))
        await pilot.pause()
        assert app.screen.query_one("#field-contact_id", Select).value == Select.NULL
        assert not app.screen.dirty()


def contacts_cursor(detail) -> int:
    table = detail.query_one("#contacts", DataTable)
    key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
    return int(key.value)


async def test_a_contact_added_or_edited_is_the_one_selected(staffed):
    """After `c` the cursor stayed on the first contact, so delete at once asked about
    Bill, not about the contact just added."""
    app = app_on(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_initech(pilot)
        detail.query_one("#deals", DataTable).focus()  # (c is a key of the whole detail)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"Samir Nagheenanajar", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
        (samir,) = rows(staffed, "SELECT id FROM contact WHERE name = 'Samir Nagheenanajar'")[0]
        assert contacts_cursor(detail) == samir
        await pilot.press("delete")
        await pilot.pause()
        assert "Samir Nagheenanajar" in str(app.screen.query_one("#question").render())
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("up", "enter")  # Milton, edited
        await pilot.pause()
        await pilot.press("end", *" Jr", "ctrl+s")
        await pilot.pause()
        assert contacts_cursor(detail) == staffed.ids["Milton"]
        await pilot.press("delete")
        await pilot.pause()
        assert "Milton Waddams Jr" in str(app.screen.query_one("#question").render())
        await pilot.press("y")
        await pilot.pause()
    assert rows(staffed, "SELECT count(*) FROM contact WHERE name LIKE 'Milton%'") == [(0,)]
