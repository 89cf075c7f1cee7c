"""Pilot tests of the app shell and the customers screen: keys, search, forms, the database."""

from __future__ import annotations

import datetime as dt
import gc

import pytest
from textual.widgets import Input, Label, Static
from ui_steps import new_customer_form, palette_command

from crm_tui.app import make_app
from crm_tui.store import customers as cs
from crm_tui.store.models import Customer
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.virtual_table import VirtualTable

FROZEN = dt.datetime(2026, 11, 23, 9, 30)


def app_on(db, lang="en"):
    return make_app(db.path, lang=lang, clock=lambda: FROZEN)


@pytest.fixture
def filled(db):
    with db.session() as s:
        for name, level in [
            ("上海华为技术有限公司", "A"),
            ("Acme Robotics Ltd.", "B"),
            ("北京明远科技", "C"),
            ("Globex Corp", "A"),
        ]:
            c = cs.create_customer(s, {"name": name, "level": level})
            cs.create_contact(s, c.id, {"name": "张伟" if level == "A" else "Emily Chen"})
    return db


def names(app) -> list[str]:
    table = app.screen.query_one(VirtualTable)
    return [table.row(i)[2] for i in range(table.row_count)]


async def open_detail(pilot, search: str):
    """Search the customers list and open the first customer found."""
    await pilot.pause()
    await pilot.press("/", *search, "enter")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    return pilot.app.screen


async def test_number_keys_switch_screens(filled):
    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.current_mode == "customers"
        for key, mode in [
            ("2", "pipeline"),
            ("3", "interactions"),
            ("4", "tasks"),
            ("5", "reports"),
            ("1", "customers"),
        ]:
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == mode


async def test_filters_and_the_collector_come_back_after_the_first_frame(filled, monkeypatch):
    """`crm` pauses the cycle collector and leaves the pick lists out until the first
    frame is shown; both must be back once it and the ORM import after it are done,
    and the list is read once."""
    from crm_tui.screens.customers import CustomersScreen

    reads = []
    real_reload = CustomersScreen.reload
    monkeypatch.setattr(
        CustomersScreen, "reload", lambda self, **kw: reads.append(1) or real_reload(self, **kw)
    )
    frozen = gc.get_freeze_count()
    gc.disable()
    try:
        app = app_on(filled)
        async with app.run_test() as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()  # the ORM import turns it back on
            assert gc.isenabled()
            assert gc.get_freeze_count() > frozen  # what the start built is left out of collections
            assert [s.id for s in app.screen.query("Select")] == [
                "level-filter", "status-filter", "sort",
            ]  # fmt: skip
            assert names(app)  # the list was read before them, and not lost
            assert len(reads) == 1  # mounting the pick lists changed no filter
    finally:
        gc.enable()


async def test_pick_lists_come_when_another_screen_was_shown_first(filled):
    """A rep who presses 2 before the first frame is drawn finds the pick lists on return."""
    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        await app.screen.query("Select").remove()  # as if the first frame was another screen's
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        assert [s.id for s in app.screen.query("Select")] == [
            "level-filter", "status-filter", "sort",
        ]  # fmt: skip


async def test_search_narrows_the_list(filled):
    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert len(names(app)) == 4
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"华为技术")
        await pilot.pause()
        assert names(app) == ["上海华为技术有限公司"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(names(app)) == 4


async def test_one_character_inside_a_name_says_a_second_one_searches_inside(filled):
    """One character finds names starting with it; finding none must not read as "no
    such customer" when a second character would find it inside a name."""
    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("slash", "为")
        await pilot.pause()
        empty = str(app.screen.query_one("#customers-empty", Static).render())
        assert "start with “为”: type a second to search inside names" in empty
        await pilot.press("技", "enter")  # (a two-character word waits for a pause; enter not)
        await pilot.pause()
        assert names(app) == ["上海华为技术有限公司"]


async def test_add_a_customer_through_the_form(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await new_customer_form(pilot, "深圳腾达贸易有限公司")
        app.screen.query_one("#field-first_contact", Input).value = "11-20"
        app.screen.query_one("#field-budget_cents", Input).value = "50,000"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomersScreen"
        assert "深圳腾达贸易有限公司" in names(app)
    with filled.session() as s:
        from sqlmodel import select

        c = s.exec(select(Customer).where(Customer.name == "深圳腾达贸易有限公司")).one()
        assert c.first_contact == dt.date(2026, 11, 20)
        assert c.budget_cents == 5_000_000


async def test_bad_date_shows_an_error_and_saves_nothing(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await new_customer_form(pilot, "New Co")
        app.screen.query_one("#field-first_contact", Input).value = "someday"
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = app.screen.query_one("#error-first_contact", Label)
        assert "Unreadable date" in str(error.render())
        assert error.display
        assert app.screen.__class__.__name__ == "CustomerForm"
        await pilot.press("backspace")  # typing in the field puts the old error away
        await pilot.pause()
        assert not error.display
    with filled.session() as s:
        assert cs.find_customer(s, "New Co") is None


async def test_a_paste_of_several_lines_into_the_palette_is_kept_whole(filled):
    """ctrl+p, then a name copied from two lines: it searched for the first line."""
    from textual import events
    from textual.command import CommandInput

    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.focused, CommandInput)
        app.post_message(events.Paste("Acme\nRobotics"))
        await pilot.pause()
        assert app.focused.value == "Acme Robotics"


async def test_a_paste_of_several_lines_into_a_field_of_one_line_is_kept_whole(filled):
    """A name copied from a letterhead (two lines): its lines joined, not all but the
    first dropped unsaid; saved as shown."""
    from textual import events

    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await new_customer_form(pilot, "")
        name = app.screen.query_one("#field-name", Input)
        name.focus()
        app.post_message(events.Paste("Shenzhen Bright\r\n  Trading Co.\n"))
        await pilot.pause()
        assert name.value == "Shenzhen Bright Trading Co."
        name.value = ""
        app.post_message(events.Paste("深圳明亮\n贸易有限公司 (Shenzhen)"))
        await pilot.pause()
        assert name.value == "深圳明亮贸易有限公司 (Shenzhen)"  # no space inside Chinese
        name.value = "Shenzhen Bright Trading Co."
        await pilot.press("ctrl+s")
        await pilot.pause()
    with filled.session() as s:
        assert cs.find_customer(s, "Shenzhen Bright Trading Co.") is not None


async def test_every_bad_field_is_shown_at_once(filled):
    """Three bad fields: three errors from one ctrl+s (not one per save), the first bad
    field focused, nothing saved; mending one puts away its error only."""
    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await new_customer_form(pilot, "Three Co")
        form = app.screen
        form.query_one("#field-region", Input).value = "11010519491231002X"
        form.query_one("#field-first_contact", Input).value = "someday"
        form.query_one("#field-budget_cents", Input).value = "lots"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form

        def shown(field: str) -> str:
            error = form.query_one(f"#error-{field}", Label)
            return str(error.render()) if error.display else ""

        assert "ID number" in shown("region")
        assert "Unreadable date" in shown("first_contact")
        assert shown("budget_cents")
        assert app.focused is form.query_one("#field-region", Input)
        form.query_one("#field-budget_cents", Input).value = "5000"
        await pilot.pause()
        assert not shown("budget_cents") and "ID number" in shown("region")
    with filled.session() as s:
        assert cs.find_customer(s, "Three Co") is None


async def test_id_number_in_a_form_is_refused_inline(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await new_customer_form(pilot, "ID Co")
        app.screen.query_one("#field-region", Input).value = "11010519491231002X"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "ID number" in str(app.screen.query_one("#error-region", Label).render())
    with filled.session() as s:
        assert cs.find_customer(s, "ID Co") is None


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_at_80_columns_the_search_keeps_room_and_every_pick_fits(filled, lang):
    """The pick lists narrow under 100 columns: the search box had 8 columns left (its
    placeholder showed "/"), and "Last interaction" or "All statuses" wrapped onto the
    pick list's border."""
    from rich.cells import cell_len
    from textual.widgets import Select

    app = app_on(filled, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        search = app.screen.query_one("#search", Input)
        assert search.size.width >= 14
        for select in app.screen.query(Select):
            room = select.query_one("SelectCurrent #label").size.width
            texts = [str(prompt) for prompt, _value in select._options]
            assert max(cell_len(t) for t in texts) <= room, (select.id, texts, room)


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_the_search_box_says_what_it_searches_in_full_when_that_fits(filled, lang):
    """Cut by the terminal, the placeholder read "/ search name," and stopped: a short
    form stands in when the whole list of what is searched does not fit."""
    from rich.cells import cell_len

    app = app_on(filled, lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        search = app.screen.query_one("#search", Input)
        said = {}
        for width in (80, 100, 140):
            before = search.content_size.width
            await pilot.resize_terminal(width, 24)
            await pilot.pause()
            for _try in range(50):  # (under load the box's Resize comes frames later)
                if search.content_size.width != before or width == 80:
                    break
                await pilot.pause()
            await pilot.pause()
            assert cell_len(search.placeholder) < search.content_size.width, width
            said[width] = search.placeholder
    whole = {"en": "/ search name, code, contact, phone, email, tag",
             "zh": "/搜索名称、编号、联系人、电话、邮箱、标签"}[lang]  # fmt: skip
    assert said[140] == whole
    assert said[80] == {"en": "/ search name, code…", "zh": "/搜索名称、编号…"}[lang]


async def test_enter_opens_detail_with_contacts_and_escape_returns(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomerDetailScreen"
        from textual.widgets import DataTable

        assert app.screen.query_one("#contacts", DataTable).row_count == 1
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomersScreen"


async def test_an_empty_customer_says_what_to_do_and_o_opens_a_deal_for_it(filled):
    """A customer with nothing yet: each empty section says which key fills it; `o` opens
    a deal for this customer (no picker), and the sections it fills stop saying so."""
    from textual.widgets import DataTable

    with filled.session() as s:
        cs.create_customer(s, {"name": "Initech"})

    def hints(detail) -> dict[str, str]:
        return {
            name: str(widget.render())
            for name in ("contacts", "deals", "timeline")
            if (widget := detail.query_one(f"#{name}-empty", Label)).display
        }

    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_detail(pilot, "Initech")
        assert hints(detail) == {
            "contacts": "No contacts yet: c adds one",
            "deals": "No opportunities yet: o opens one",
            "timeline": "Nothing yet: l logs an interaction, t plans a task",
        }
        await pilot.press("o")
        await pilot.pause()
        assert "New opportunity for Initech" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press(*"Pilot project", "ctrl+s")
        await pilot.pause()
        assert app.screen is detail
        assert detail.query_one("#deals", DataTable).row_count == 1
        assert list(hints(detail)) == ["contacts"]  # the deal's first stage is on the timeline
    with filled.reading() as conn:
        owner = "SELECT c.name FROM opportunity o JOIN customer c ON c.id = o.customer_id"
        found = conn.execute(owner + " WHERE o.name = 'Pilot project'").fetchall()
        assert [tuple(r) for r in found] == [("Initech",)]


async def test_at_80_columns_the_detail_title_keeps_the_level_and_status(filled):
    """The completeness bar took the room of the title's level and status (a Chinese
    company name, its code and the bar left none): under 100 columns the percentage
    goes alone, and the code comes last, so a cut takes it first."""
    from rich.cells import cell_len

    with filled.session() as s:
        cs.create_customer(
            s, {"name": "北京宏品保险经纪有限公司", "level": "A", "status": "active"}
        )
    app = app_on(filled, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_detail(pilot, "北京宏品")
        await pilot.pause()
        title = detail.query_one("#customer-title", Label)
        text = str(title.render())
        assert text.startswith("北京宏品保险经纪有限公司  A 战略客户  活跃  C")
        assert cell_len(text) <= title.size.width  # nothing cut
        assert not detail.query_one("#completeness").display
        assert str(detail.query_one("#completeness-label", Label).render()).startswith("档案完整率")
        await pilot.resize_terminal(130, 40)
        await pilot.pause()
        assert detail.query_one("#completeness").display


@pytest.mark.parametrize("width", [80, 100])
async def test_a_long_name_gives_way_to_the_level_status_and_code(filled, width):
    """A long name pushed the level, status and code off the end of the title, and
    nothing else on the screen shows them: the name is cut with "…" instead."""
    from rich.cells import cell_len

    with filled.session() as s:
        made = cs.create_customer(
            s, {"name": "Brightway Financial International Holdings Pte. Ltd.", "level": "C",
                "status": "dormant"},
        )  # fmt: skip
        code = made.code
    app = app_on(filled, lang="zh")
    async with app.run_test(size=(width, 24)) as pilot:
        detail = await open_detail(pilot, "Brightway")
        await pilot.pause()
        title = detail.query_one("#customer-title", Label)
        text = str(title.render())
        assert text.endswith(f"  C 普通客户  休眠  {code}")
        assert text.startswith("Brightway") and "…" in text
        assert cell_len(text) <= title.size.width


async def test_contact_columns_fit_their_cells_as_soon_as_the_detail_refills(filled):
    """After a contact is edited the detail refills its tables while the form closes: the
    widths are measured with the rows, not later (they stayed at the headers' widths,
    `★ 李  总经  +86  wang`, until the customer was opened again)."""
    from textual.widgets import DataTable

    with filled.session() as s:
        c = cs.find_customer(s, "Globex Corp")
        cs.create_contact(s, c.id, {"name": "李娜娜", "mobile": "+86 138-0013-8000",
                                    "email": "wang.wei@example.com"})  # fmt: skip
    app = app_on(filled, lang="zh")
    async with app.run_test(size=(160, 45)) as pilot:
        detail = await open_detail(pilot, "Globex")
        detail.refresh_data()  # as the form's callback does; no idle in between
        table = detail.query_one("#contacts", DataTable)
        widths = [column.get_render_width(table) for column in table.columns.values()]
        assert widths[3] >= len("+86 138-0013-8000") and widths[4] >= len("wang.wei@example.com")


async def test_the_profile_narrows_on_an_80_column_terminal_and_wraps_under_itself(filled):
    """At 80 columns the profile gives the contacts, deals and timeline room; a long
    value wraps in its own column, never back under the labels."""
    from textual.widgets import Static

    with filled.session() as s:
        c = cs.find_customer(s, "Globex Corp")
        cs.update_customer(s, c.id, {"business_address": "128 Market Street, San Francisco, CA"})
    app = app_on(filled)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await open_detail(pilot, "Globex")
        await pilot.pause()
        assert detail.query_one("#profile-pane").outer_size.width == 36
        lines = [strip.text for strip in detail.query_one("#profile", Static).render_lines(
            detail.query_one("#profile", Static).content_region.reset_offset)]  # fmt: skip
        address = next(i for i, line in enumerate(lines) if line.startswith("Business address"))
        indent = lines[address].index("128")
        assert "Street" in lines[address + 1]  # the value's next line …
        assert lines[address + 1][:indent].strip() == ""  # … under the value
        await pilot.resize_terminal(130, 35)
        await pilot.pause()
        assert detail.query_one("#profile-pane").outer_size.width == 46


async def test_delete_asks_first_then_deletes(filled):
    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        first = names(app)[0]
        await pilot.press("delete")
        await pilot.pause()
        assert str(app.screen.query_one("#question").render()) == (
            f"Delete customer “{first}” and all it holds: 1 contact?"
        )
        await pilot.press("n")  # no: nothing happens
        await pilot.pause()
        assert first in names(app)
        await pilot.press("delete")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert first not in names(app)


async def test_delete_in_a_customers_deals_deletes_the_deal_not_the_account(filled):
    """`delete` acts on what is selected: in Opportunities the deal (asked first); in the
    timeline it says where records are deleted; neither offers the whole customer."""
    from crm_tui.store.opportunities import create_opportunity

    with filled.session() as s:
        customer = cs.find_customer(s, "Globex Corp")
        create_opportunity(s, customer.id, {"name": "Robot cell"})
        create_opportunity(s, customer.id, {"name": "Spare parts"})
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        detail = await open_detail(pilot, "Globex")
        assert detail.__class__.__name__ == "CustomerDetailScreen"
        detail.query_one("#deals").focus()
        await pilot.press("delete")
        await pilot.pause()
        assert "Delete the opportunity" in str(app.screen.query_one("Label").render())
        await pilot.press("y")
        await pilot.pause()
        assert app.screen is detail
        detail.query_one("#timeline").focus()
        await pilot.press("delete")
        await pilot.pause()
        assert app.screen is detail  # no dialog: a notice
    with filled.session() as s:
        assert cs.find_customer(s, "Globex Corp") is not None
        from sqlmodel import select

        from crm_tui.store.models import Opportunity

        left = s.exec(select(Opportunity.name)).all()
        assert len(left) == 1 and left[0] in ("Robot cell", "Spare parts")


async def test_empty_database_says_what_to_do_and_loads_sample_data(db):
    app = app_on(db)
    async with app.run_test() as pilot:
        await pilot.pause()
        empty = app.screen.query_one("#customers-empty")
        assert empty.display
        assert "sample data" in str(empty.render())
        await pilot.press("d")  # asked first: this may be the rep's real database
        await pilot.pause()
        question = str(app.screen.query_one("#question", Label).render())
        assert question.startswith("Load 200 sample customers") and str(db.path) in question
        await pilot.press("n")
        await pilot.pause()
        assert empty.display
        with db.reading() as conn:
            assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 0
        await pilot.press("d", "y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not empty.display
        assert app.screen.query_one(VirtualTable).row_count > 0


async def test_a_new_customer_is_selected_wherever_the_list_puts_it(filled):
    """Sorted by total amount, a new customer (nothing ordered yet) lands at the bottom,
    out of sight: the cursor goes to it."""
    from textual.widgets import Select

    with filled.session() as s:
        for n in range(40):
            cs.create_customer(s, {"name": f"Filler {n:02d}"})
    app = app_on(filled)
    async with app.run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#sort", Select).value = "total_amount"
        await pilot.pause()
        await new_customer_form(pilot, "Aardvark Trading")
        await pilot.press("ctrl+s")
        await pilot.pause()
        table = app.screen.query_one(VirtualTable)
        assert table.cursor_row[2] == "Aardvark Trading"
        assert table.cursor == table.row_count - 1
        assert table.scroll_offset.y > 0  # scrolled to it


async def test_at_80_columns_a_status_is_shown_whole(filled):
    with filled.session() as s:
        cs.create_customer(s, {"name": "Aardvark Sleepers", "status": "dormant"})
        for n in range(40):  # a scroll bar takes two of the 80 columns
            cs.create_customer(s, {"name": f"Filler {n:02d}"})
    app = app_on(filled)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "Dormant" in text  # was "Dorma…"


async def test_d_on_a_database_with_customers_says_why_it_loads_nothing(filled):
    app = app_on(filled)
    async with app.run_test(notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        assert [n.message for n in app._notifications] == [
            "Sample data loads only into an empty database; to look around, open one:"
            " crm --db sample.db"
        ]
    with filled.reading() as conn:
        assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 4


async def test_sort_and_level_filter(filled):
    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        from textual.widgets import Select

        app.screen.query_one("#level-filter", Select).value = "A"
        await pilot.pause()
        assert sorted(names(app)) == sorted(["上海华为技术有限公司", "Globex Corp"])


async def test_the_list_never_loads_more_than_a_page(db):
    from crm_tui.store.demo import generate

    generate(db.path, customers=400, seed=3, as_of=FROZEN.date())
    app = app_on(db)
    async with app.run_test() as pilot:
        await pilot.pause()
        table = app.screen.query_one(VirtualTable)
        assert table.row_count == 400
        assert table.loaded_row_count() <= 100
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor == 399
        assert table.loaded_row_count() <= 200


async def test_help_lists_the_keys(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "ctrl+p" in text and "Snooze" in text
        assert "Sort" in text  # the screen's own keys, not Textual's built-in ones:
        assert "Focus Next" not in text and "Copy selected text" not in text
        # the search box names only some of what it searches at 80 columns: help says all
        note = str(app.screen.query_one(".help-note", Static).render())
        assert "by name, code, contact, phone, email or tag" in note
        await pilot.press("escape")


async def test_help_lists_the_screens_own_keys_in_chinese_too(filled):
    app = app_on(filled, lang="zh")
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "本页面" in text
        assert "排序" in text  # o: the sort, in Chinese
        note = str(app.screen.query_one(".help-note", Static).render())
        assert "名称、编号、联系人、电话、邮箱或标签" in note


async def test_help_descriptions_wrap_in_their_own_column(filled):
    """At 80 columns a long description continues under itself, not under the keys."""
    app = app_on(filled)
    async with app.run_test(size=(80, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        lines = [strip.text for strip in app.screen._compositor.render_strips()]
        first = next(i for i, line in enumerate(lines) if "Command palette: jump" in line)
        column = lines[first].index("Command palette")
        following = lines[first + 1]
        assert following[:column].split("█")[-1].strip() == ""  # nothing under the keys
        assert following[column:].strip()  # the rest of the description


async def test_chinese_interface(filled):
    app = app_on(filled, lang="zh")
    async with app.run_test() as pilot:
        await pilot.pause()
        assert " 1 客户 " in app.screen.query_one(AppHeader).text


async def test_edit_a_customer_and_a_contact(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        first = names(app)[0]
        await pilot.press("e")
        await pilot.pause()
        name = app.screen.query_one("#field-name", Input)
        assert name.value == first
        name.value = first + " (HQ)"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert first + " (HQ)" in names(app)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("c")  # new contact on the detail screen
        await pilot.pause()
        await pilot.press(*"李娜")
        app.screen.query_one("#field-mobile", Input).value = "13912345678"
        await pilot.press("ctrl+s")
        await pilot.pause()
        from textual.widgets import DataTable

        assert app.screen.query_one("#contacts", DataTable).row_count == 2


async def test_a_tall_form_names_every_field_to_fix_where_it_stays_in_view(filled):
    """At 80x24 the contact form scrolls to the first bad field: the mobile's and the
    e-mail's messages were out of view, found one save at a time."""
    app = app_on(filled, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-mobile", Input).value = "abc"
        form.query_one("#field-email", Input).value = "not-an-email"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        summary = form.query_one("#form-error", Label)
        assert str(summary.render()) == "有 3 处需要修改：名称、手机、邮箱"
        assert app.screen.region.contains_region(summary.region)
        form.query_one("#field-name", Input).value = "李娜"
        form.query_one("#field-mobile", Input).value = "13912345678"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not str(summary.render())  # one field left: said under it alone
        assert "邮箱" not in str(summary.render())


async def test_palette_jumps_to_a_customer(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"明远科技")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomerDetailScreen"
        assert app.screen.customer["name"] == "北京明远科技"


async def test_import_from_the_tui_checks_first_then_imports(filled, tmp_path, monkeypatch):
    from textual.widgets import Button, Static

    from crm_tui import memory

    given_back: list[int] = []  # (the memory a check read is handed back after each run)
    monkeypatch.setattr(memory, "give_back", lambda: given_back.append(1))

    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text(
        "客户名称,客户等级\n杭州新客户有限公司,B\nBad Level Co,Z\n", encoding="utf-8-sig"
    )
    app = app_on(filled)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        await pilot.press("enter")  # nothing typed yet: asked for a path, not "no such file: ."
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(app.screen.query_one("#summary", Static).render()) == (
            "Type the path of a .csv file first"
        )
        app.screen.query_one("#path", Input).value = str(csv_file)
        await pilot.click("#check")
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = str(app.screen.query_one("#summary", Static).render())
        assert "would import 1" in summary and "line 3" in summary
        with filled.reading() as conn:  # the dry run changed nothing
            assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 4
        assert not app.screen.query_one("#import", Button).disabled
        await pilot.click("#import")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # the whole summary stays, with its line numbers, until closed (a notice taller
        # than the terminal lost its counts, then went)
        summary = str(app.screen.query_one("#summary", Static).render())
        assert "imported 1" in summary and "line 3" in summary
        title = str(app.screen.query_one(".dialog-title", Label).render())
        assert title.startswith("Import finished: imported 1,")  # the counts stay in view
        assert str(app.screen.query_one("#cancel", Button).label) == "Close (esc)"
        assert app.screen._compositor.render_strips()[-1].text.strip() == "esc Close"
        assert app.focused is app.screen.query_one("#cancel", Button)
        assert not app.screen.query_one("#path", Input).parent.display  # the form made room
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomersScreen"
        assert "杭州新客户有限公司" in names(app)
        assert any("imported 1" in str(n.message) for n in app._notifications)
        assert len(given_back) == 2  # the check, then the import


async def check_in_import_dialog(pilot, path) -> str:
    """Type a path into the open import dialog and check the file (enter in the path
    field); the summary it shows."""
    from textual.widgets import Static

    app = pilot.app
    field = app.screen.query_one("#path", Input)
    field.value = str(path)
    field.focus()
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()
    return str(app.screen.query_one("#summary", Static).render())


async def test_at_80x24_the_import_buttons_stay_reachable_under_a_long_check(filled, tmp_path):
    """A check with several bad rows pushed the buttons below the dialog: tab then reached
    a hidden Cancel, and enter closed the dialog with nothing imported."""
    from textual.widgets import Button

    bad = "".join(f"Bad {i},Z\n" for i in range(6))
    csv_file = tmp_path / "some.csv"
    csv_file.write_text(f"name,level\nGood Co,A\n{bad}", encoding="utf-8")
    app = app_on(filled)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        await check_in_import_dialog(pilot, csv_file)
        for button_id in ("import", "cancel"):  # the check focuses Import; tab goes on
            button = app.screen.query_one(f"#{button_id}", Button)
            assert app.focused is button
            top = button.region.y
            dialog = app.screen.query_one("#dialog")
            assert top >= 0 and button.region.bottom <= 24, (
                button_id,
                button.region,
                dialog.region,
                dialog.scroll_offset,
                dialog.max_scroll_y,
            )
            await pilot.press("tab")
            await pilot.pause()


async def test_import_dialog_says_a_folder_is_one_and_asks_before_importing_a_file_again(
    filled, tmp_path
):
    from textual.widgets import Button

    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("客户名称\n杭州新客户有限公司\n", encoding="utf-8-sig")
    app = app_on(filled)

    async def check(path) -> str:
        return await check_in_import_dialog(pilot, path)

    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        assert await check(tmp_path) == (
            f"{tmp_path} is a folder: type the path of a .csv file in it"
        )
        assert "would import 1" in await check(csv_file)
        await pilot.click("#import")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("escape")  # the summary read
        await pilot.pause()
        await pilot.press("i")  # the same file once more: told, then asked
        await pilot.pause()
        told = await check(csv_file)
        assert told.startswith("accounts.csv was already imported (Customers, ")
        assert told.endswith(").\nCheck the file again to import it once more.")
        assert "--again" not in told
        assert app.screen.query_one("#import", Button).disabled
        assert "would import 0" in await check(csv_file)  # a duplicate of the first time
    with filled.reading() as conn:
        count = "SELECT count(*) FROM import_log"
        assert conn.execute(count).fetchone()[0] == 1


async def test_import_dialog_says_an_excel_workbook_is_to_be_saved_as_csv(filled, tmp_path):
    """It showed the binary "header" with its control characters, as the command line did."""
    from textual.widgets import Button

    book = tmp_path / "accounts.xlsx"
    book.write_bytes(b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\x1b[2J")
    app = app_on(filled)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        summary = await check_in_import_dialog(pilot, book)
        assert summary.startswith("accounts.xlsx is an Excel workbook (.xlsx or .xls), not a CSV")
        assert "“CSV UTF-8 (Comma delimited)”" in summary and "\x1b" not in summary
        assert app.screen.query_one("#import", Button).disabled


async def test_duplicates_merge_and_undo(filled):
    with filled.session() as s:
        dup = cs.create_customer(s, {"name": "上海华为技术 有限公司"})
        dup_id, dup_code = dup.id, dup.code
        first_code = cs.find_customer(s, "上海华为技术有限公司").code
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        from textual.widgets import DataTable

        assert app.screen.query_one("#pairs", DataTable).row_count == 1
        keys = app.screen._compositor.render_strips()[-1].text
        assert "⏎ Merge 2nd into 1st" in keys  # the table's own enter hid it
        await pilot.press("enter")
        await pilot.pause()
        question = str(app.screen.query_one("#question", Label).render())
        # the codes tell the two apart (same-looking names read "Merge “X” into “X”?")
        assert question.startswith(
            f"Merge “上海华为技术 有限公司 ({dup_code})” into “上海华为技术有限公司 ({first_code})”?"
        )
        assert app.focused.id == "no"  # enter, enter does not merge
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with filled.reading() as conn:
            assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 4
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with filled.reading() as conn:
            assert conn.execute("SELECT count(*) FROM customer").fetchone()[0] == 5
            assert conn.execute("SELECT 1 FROM customer WHERE id = ?", (dup_id,)).fetchone()


async def test_merging_folds_a_contact_both_customers_have(db):
    """Both customers knew Wang Wei, his mobile written two ways: the question says he is
    merged, the kept customer has him once, and u brings the other one back with him."""
    with db.session() as s:
        first = cs.create_customer(s, {"name": "Acme Robotics"})
        cs.create_contact(s, first.id, {"name": "Wang Wei", "mobile": "13812345678"})
        second = cs.create_customer(s, {"name": "Acme Robotics Shanghai"})
        cs.create_contact(s, second.id, {"name": "Wang Wei", "mobile": "138 1234 5678"})
        first_id, second_id = first.id, second.id
    app = app_on(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        question = str(app.screen.query_one("#question", Label).render())
        # (the folded contact does not move: "Moves: 1 contact." then said it was merged)
        assert "Moves:" not in question
        assert "1 contact is the same person as one already there: folded into it." in question
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with db.reading() as conn:
            rows = conn.execute("SELECT customer_id, name FROM contact").fetchall()
            assert [tuple(r) for r in rows] == [(first_id, "Wang Wei")]
        await pilot.press("u")
        await app.workers.wait_for_complete()
        await pilot.pause()
        with db.reading() as conn:
            rows = conn.execute("SELECT customer_id, mobile FROM contact ORDER BY id").fetchall()
            assert [tuple(r) for r in rows] == [
                (first_id, "13812345678"),
                (second_id, "138 1234 5678"),
            ]


@pytest.mark.parametrize("size, lang", [((80, 24), "zh"), ((100, 30), "en")])
async def test_duplicates_show_why_and_u_at_80_and_100_columns(db, size, lang):
    """The reason was cut ("same name, same pho") at 100 columns and off the screen at 80
    in Chinese, and the key bar hid u behind "…" after a merge."""
    from crm_tui.i18n import _

    with db.session() as s:
        for name, other in [
            ("上海华为技术有限公司", "上海华为技术 有限公司"),
            ("Globex Corp", "Globex Corporation International Holdings"),
        ]:
            first = cs.create_customer(s, {"name": name})
            cs.create_contact(s, first.id, {"name": "王伟", "mobile": "13812345678"})
            second = cs.create_customer(s, {"name": other})
            cs.create_contact(s, second.id, {"name": "李娜", "mobile": "138 1234 5678"})
    app = make_app(db.path, lang=lang, clock=lambda: FROZEN)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        lines = screen.splitlines()
        assert lines[4].rstrip().endswith(_(", ").join([_("name"), _("phone")]))
        why = _(", ").join([_("same name"), _("same phone")])
        assert why.replace(" ", "") in screen.replace(" ", "").replace("\n", "")
        assert f"u {_('Undo last merge')}" not in lines[-1]  # nothing to undo yet
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        keys = app.screen._compositor.render_strips()[-1].text
        assert f"u {_('Undo last merge')}" in keys


@pytest.mark.parametrize("leave", ["escape", "2"])
async def test_press_u_to_undo_goes_when_the_duplicates_are_left(filled, leave):
    """ "Merged. Press u to undo." stayed up on the customers list, where u does nothing;
    a dialog over the duplicates (u still works after it) leaves it up."""
    with filled.session() as s:
        cs.create_customer(s, {"name": "上海华为技术 有限公司"})
        cs.create_customer(s, {"name": "Globex Corp."})
    app = app_on(filled)
    told = "Merged. Press u to undo."
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [n.message for n in app._notifications] == [told]
        await pilot.press("enter")  # the next pair's question, then no
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        assert [n.message for n in app._notifications] == [told]
        await pilot.press(leave)
        await pilot.pause()
        await pilot.pause()
        assert app.screen.__class__.__name__ != "DuplicatesScreen"
        assert told not in [n.message for n in app._notifications]


async def test_the_app_backs_up_on_start_and_shows_it(filled):
    from crm_tui.store.backups import backup_dir, list_backups

    app = app_on(filled)
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(list_backups(backup_dir(filled.path))) == 1
        assert " backed up just now " in app.screen.query_one(AppHeader).text


async def test_palette_jumps_to_an_opportunity(filled):
    from crm_tui.store.opportunities import create_opportunity

    with filled.session() as s:
        customer = cs.find_customer(s, "Acme Robotics Ltd.")
        create_opportunity(s, customer.id, {"name": "Welding line upgrade"})
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Welding")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.__class__.__name__ == "OpportunityDetailScreen"


async def test_edit_changed_by_another_process_is_refused_and_shows_fresh_values(filled):
    """Two crm processes on one file: the second save must not overwrite the first."""
    import subprocess
    import sys

    from textual.widgets import Select

    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        name = names(app)[0]
        await pilot.press("e")  # the form now holds the record as it was read
        await pilot.pause()
        script = (
            "import sys\n"
            "from crm_tui.store.database import Database\n"
            "from crm_tui.store import customers as cs\n"
            "db = Database(sys.argv[1])\n"
            "with db.session() as s:\n"
            "    c = cs.find_customer(s, sys.argv[2])\n"
            "    cs.update_customer(s, c.id, {'level': 'D', 'needs': 'changed elsewhere'},"
            " tags='风险客户')\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script, str(filled.path), name],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        app.screen.query_one("#field-name", Input).value = name + " (edited here)"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomerForm"  # refused, form kept
        assert "Changed elsewhere" in str(app.screen.query_one("#form-error", Label).render())
        assert app.screen.query_one("#field-level", Select).value == "D"  # fresh values shown
        # ... except where the user typed: that is kept, and escape would ask first
        assert app.screen.query_one("#field-name", Input).value == name + " (edited here)"
        assert app.screen.query_one("#field-tags", Input).value == "风险客户"  # theirs too
        assert app.screen.dirty()
        await pilot.press("ctrl+s")  # saving again, on the fresh version, goes through
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomersScreen"
    with filled.session() as s:
        c = cs.find_customer(s, name + " (edited here)")
        assert c.level == "D" and c.needs == "changed elsewhere"
        assert cs.customer_tags(s, c.id) == ["风险客户"]  # not dropped by the second save


async def test_palette_commands_work_over_a_customer_detail(filled):
    """The customers tab may show a detail or the duplicates view: its commands still run."""
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomerDetailScreen"
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Add a customer")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomerForm"
        await pilot.press(*"Palette Co", "ctrl+s")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomerDetailScreen"  # back where it was
    with filled.session() as s:
        assert s.exec(cs.select(Customer).where(Customer.name == "Palette Co")).first()


@pytest.mark.parametrize(
    ("typed", "screen"),
    [
        ("merge", "DuplicatesScreen"),  # "merge" found nothing
        ("target", "TargetDialog"),
        ("review", "ReviewScreen"),
    ],
)
async def test_the_palette_finds_merge_target_and_review_by_their_words(filled, typed, screen):
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await palette_command(pilot, typed)
        await app.workers.wait_for_complete()
        for _ in range(5):
            await pilot.pause()
        assert app.screen.__class__.__name__ == screen


async def test_the_palette_exports_the_screen_under_it(filled, tmp_path):
    from crm_tui.settings import Settings

    tmp_path = tmp_path / "exports"
    tmp_path.mkdir()
    app = make_app(
        filled.path, lang="en", clock=lambda: FROZEN, settings=Settings(export_dir=tmp_path)
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await palette_command(pilot, "export")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert [p.name for p in tmp_path.iterdir()] == [f"crm-customers-{FROZEN.date()}.csv"]


async def test_tab_moves_between_the_detail_panes(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        first = app.focused
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not first


async def test_deleting_a_customer_removed_meanwhile_says_so(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        with filled.session() as s:  # another window deletes it
            cs.delete_customer(s, detail.customer_id)
        await pilot.press("shift+tab", "delete")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app.is_running
        assert app.screen.__class__.__name__ == "CustomersScreen"
        assert any("no longer exists" in n.message for n in app._notifications)


async def test_textual_built_ins_speak_chinese_too(filled):
    from textual.command import CommandPalette

    app = app_on(filled, lang="zh")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"主题", "退出", "截图", "快捷键"} <= titles
        assert not {"最大化", "还原", "Maximize", "Minimize"} & titles  # (no use here)
        await pilot.press("ctrl+p")
        await pilot.pause()
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        assert palette.query_one(Input).placeholder == "搜索命令、客户或商机…"


async def test_the_palettes_keys_command_opens_the_apps_help(filled):
    """Textual's "Keys" showed a raw key panel that escape did not close."""
    from crm_tui.screens.help import HelpScreen

    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await palette_command(pilot, "Keys")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CustomersScreen"


async def test_adding_a_customer_with_a_known_name_asks_first(filled):
    """It was added at once, with a notice after the fact; now the form says who has the
    name, and a second ctrl+s adds it anyway."""
    from crm_tui.screens.dialogs.customer_form import CustomerForm

    def count() -> int:
        with filled.reading() as conn:
            return conn.execute("SELECT count(*) FROM customer").fetchone()[0]

    before = count()
    app = app_on(filled)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press(*"ACME Robotics Ltd", "ctrl+s")  # the same once normalised
        await pilot.pause()
        form = app.screen
        assert isinstance(form, CustomerForm)
        told = str(form.query_one("#error-name", Label).render())
        assert told.startswith("Same name as C") and "Acme Robotics Ltd." in told
        assert told.endswith(": ctrl+s again adds it anyway")
        assert count() == before  # nothing added yet
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, CustomerForm)
        notes = [n.message for n in app._notifications]
        assert any("Same name as" in m and "Acme Robotics Ltd." in m for m in notes), notes
    assert count() == before + 1


async def test_an_edit_conflict_names_the_fields_changed_on_both_sides(filled):
    from textual.widgets import Select

    app = app_on(filled)
    async with app.run_test(size=(120, 50)) as pilot:
        await pilot.pause()
        name = names(app)[0]
        await pilot.press("e")
        await pilot.pause()
        with filled.session() as s:  # another window changes the level meanwhile
            c = cs.find_customer(s, name)
            cs.update_customer(s, c.id, {"level": "D"})
        app.screen.query_one("#field-level", Select).value = "C"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        error = str(app.screen.query_one("#form-error", Label).render())
        # the value saved elsewhere too (it said only "Level"): the rep sees both
        assert "Also changed elsewhere, yours shown: Level (elsewhere: “D potential”)" in error
        assert app.screen.query_one("#field-level", Select).value == "C"


async def test_the_contacts_table_fits_its_rows_again_after_an_edit(filled):
    from textual.widgets import DataTable

    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        detail = app.screen
        table = detail.query_one("#contacts", DataTable)
        with filled.session() as s:
            contact = cs.list_contacts(s, detail.customer_id)[0]
            cs.update_contact(s, contact.id, {"name": "A much longer contact name", "title": "CTO"})
        detail.refresh_data()
        await pilot.pause()
        widths = [c.get_render_width(table) for c in table.columns.values()]
        with filled.session() as s:
            cs.update_contact(s, contact.id, {"name": "Li"})
        detail.refresh_data()
        await pilot.pause()
        after = [c.get_render_width(table) for c in table.columns.values()]
        assert after[0] < widths[0]  # the name column shrank with its longest name


async def test_a_new_task_names_the_customers_only_contact(filled):
    """`t` on a customer with one contact: the task form names that contact already, as
    the log form does (the rep had to pick the only choice there was)."""
    from textual.widgets import Select

    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_detail(pilot, "Globex")
        await pilot.press("t")
        await pilot.pause()
        form = app.screen
        assert form.__class__.__name__ == "TaskFormDialog"
        with filled.session() as s:
            only = cs.find_customer(s, "Globex Corp").primary_contact_id
        assert form.query_one("#field-contact_id", Select).value == only


async def test_a_confirmation_shows_its_keys(filled):
    from textual.widgets import Button

    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("delete")
        await pilot.pause()
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["Delete (y)", "No (n)"]


async def test_a_paste_of_two_lines_into_the_search_searches_for_both(filled):
    """A name copied from two lines of a letterhead, pasted into `/`: its lines joined
    (as a form field joins them), not all but the first dropped, which found both."""
    from textual import events

    with filled.session() as s:
        cs.create_customer(s, {"name": "深圳明亮贸易有限公司"})
        cs.create_customer(s, {"name": "深圳明亮科技有限公司"})
    app = app_on(filled)
    async with app.run_test() as pilot:
        await pilot.pause()
        await pilot.press("slash")
        search = app.focused
        assert isinstance(search, Input) and search.id == "search"
        app.post_message(events.Paste("深圳明亮\n贸易有限公司\n"))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert search.value == "深圳明亮贸易有限公司"
        assert names(app) == ["深圳明亮贸易有限公司"]


@pytest.mark.parametrize(
    "typed",
    ["'{d}/客户 导入.csv'", '"{d}/客户 导入.csv"', "{d}/客户\\ 导入.csv", "  {d}/客户 导入.csv "],
)
def test_a_path_dropped_into_the_import_dialog_loses_its_quotes(tmp_path, typed):
    """A file dragged into the terminal comes quoted or escaped: "No such file: '/tmp/…'"."""
    from crm_tui.screens.dialogs.import_dialog import typed_path

    wanted = tmp_path / "客户 导入.csv"
    wanted.write_text("name\nAcme\n", "utf-8")
    assert typed_path(typed.format(d=tmp_path)) == wanted
    odd = tmp_path / "it's.csv"  # a quote that is part of the name stays
    odd.write_text("name\n", "utf-8")
    assert typed_path(str(odd)) == odd


async def test_deals_imported_in_the_tui_take_the_configured_stage_probability(filled, tmp_path):
    """The import dialog gave deals DOMAIN.md's probabilities (proposal 50 %) where the
    forms and `crm import` give config.toml's: the same file then weighed differently."""
    from dataclasses import replace

    from crm_tui.settings import Settings

    base = Settings()
    stages = {**base.stages, "proposal": replace(base.stages["proposal"], probability=40)}
    csv_file = tmp_path / "deals.csv"
    csv_file.write_text(
        "customer,name,amount,stage\nGlobex Corp,Robots,1000,proposal\n", encoding="utf-8"
    )
    app = make_app(filled.path, settings=replace(base, stages=stages), clock=lambda: FROZEN)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        app.screen.query_one("#kind").value = "opportunities"
        app.screen.query_one("#path", Input).value = str(csv_file)
        await pilot.click("#check")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.click("#import")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "imported 1" in str(app.screen.query_one("#summary", Static).render())
    with filled.reading() as conn:
        row = conn.execute("SELECT probability, probability_overridden FROM opportunity")
        assert tuple(row.fetchone()) == (40, 0)


async def test_sample_data_loaded_in_the_tui_follows_the_configured_probabilities(db):
    """The sample deals are written at DOMAIN.md's probabilities: loaded from the empty
    customers screen they are brought to config.toml's at once, as `crm demo` does."""
    from dataclasses import replace

    from crm_tui.settings import Settings

    base = Settings()
    stages = {**base.stages, "proposal": replace(base.stages["proposal"], probability=40)}
    app = make_app(db.path, settings=replace(base, stages=stages), clock=lambda: FROZEN)
    async with app.run_test(size=(120, 45)) as pilot:
        await pilot.pause()
        await pilot.press("d", "y")  # (asked first)
        await app.workers.wait_for_complete()
        await pilot.pause()
    with db.reading() as conn:
        chances = conn.execute(
            "SELECT DISTINCT probability FROM opportunity"
            " WHERE stage = 'proposal' AND NOT probability_overridden"
        ).fetchall()
    assert [tuple(r) for r in chances] == [(40,)]


@pytest.mark.parametrize("where", ["list", "detail"])
async def test_e_on_a_customer_deleted_elsewhere_says_so_instead_of_crashing(filled, where):
    """The edit form reads the customer when it opens: deleted in another window, that
    raised NotFoundError and the app closed with a traceback."""
    app = app_on(filled)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        name = names(app)[0]
        if where == "detail":
            await pilot.press("enter")
            await pilot.pause()
        with filled.session() as s:  # another window deletes it
            cs.delete_customer(s, cs.find_customer(s, name).id)
        await pilot.press("e")
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and app.screen.__class__.__name__ == "CustomersScreen"
        assert "This customer no longer exists" in [n.message for n in app._notifications]
        assert name not in names(app)


async def test_ctrl_q_with_something_typed_in_a_form_asks_first(filled):
    """ctrl+q quit at once from a half-filled form, and the typing was lost (escape asks)."""
    from crm_tui.screens.dialogs.confirm import ConfirmDialog

    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await new_customer_form(pilot, "Half Filled Co")
        form = app.screen
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog) and app.is_running
        assert "lose what you typed" in str(app.screen.query_one("#question", Label).render())
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form and form.query_one("#field-name", Input).value == "Half Filled Co"
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not app.is_running
    with filled.session() as s:
        assert cs.find_customer(s, "Half Filled Co") is None  # nothing half saved


async def test_ctrl_q_from_an_untouched_form_quits_at_once(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


@pytest.mark.parametrize("typed", ["language", "settings"])
async def test_the_palette_says_where_the_settings_are_and_how_to_switch_language(
    filled, typed, tmp_path, monkeypatch
):
    """Nothing in the app said how to switch the language or change a probability."""
    config = tmp_path / "config.toml"
    monkeypatch.setenv("CRM_CONFIG", str(config))
    app = app_on(filled)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await palette_command(pilot, typed)
        for _ in range(3):
            await pilot.pause()
        assert app.screen.__class__.__name__ == "MessageDialog"
        text = str(app.screen.query_one("#message", Label).render())
    assert f"Settings file: {config} (not there yet" in text
    assert f"Database: {filled.path}" in text
    assert 'Language: English. In the settings file, language = "zh"' in text
    assert "Proposal 50%" in text


async def test_escape_during_an_import_waits_for_it_and_says_why(filled, tmp_path, monkeypatch):
    """Escape near the end of an import closed the dialog while the rows still went in:
    no word of it, and the list not refreshed. The import is one transaction: the
    dialog stays until it is done, then says what it did."""
    import threading

    from textual.widgets import Button, Static

    from crm_tui.store import importing

    csv_file = tmp_path / "accounts.csv"
    csv_file.write_text("name\nLate Co\n", encoding="utf-8")
    release = threading.Event()
    real = importing.import_file

    def slow(*args, **kwargs):
        if not kwargs.get("dry_run"):
            release.wait(30)  # (the test lets it finish: no sleep)
        return real(*args, **kwargs)

    monkeypatch.setattr(importing, "import_file", slow)
    app = app_on(filled)
    async with app.run_test(size=(120, 45), notifications=True) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#path", Input).value = str(csv_file)
        await pilot.click("#check")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.click("#import")
        await pilot.pause()
        assert str(dialog.query_one("#summary", Static).render()) == "Importing…"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is dialog  # not closed under a running import
        assert "The import finishes first (it is all or nothing)" in [
            str(n.message) for n in app._notifications
        ]
        assert dialog.query_one("#cancel", Button).disabled
        release.set()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "imported 1" in str(dialog.query_one(".dialog-title", Label).render())
        await pilot.press("escape")
        await pilot.pause()
        assert "Late Co" in names(app)


async def test_a_long_code_is_shown_whole(filled):
    """A day's 10,000th customer has a 13-character code, cut to 'C20261125936…': rows of
    one name could not be told apart."""
    with filled.session() as s:
        made = cs.create_customer(s, {"name": "Aardvark One"})
        made.code = "C2026112510001"  # (as a big import's day gives it)
    app = app_on(filled)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "C2026112510001 " in text


async def test_a_read_only_database_is_said_at_the_start(filled, monkeypatch):
    """A rep filled in a whole form before 'Could not save … read-only?' said that
    nothing could be saved."""
    import os

    real = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(filled.path) else real(p, mode)
    )
    app = app_on(filled)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
    assert any(m.startswith(f"{filled.path} cannot be written (read-only)") for m in said), said


async def test_a_writable_database_is_not_said_read_only(filled):
    app = app_on(filled)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert not any("read-only" in str(n.message) for n in app._notifications)
