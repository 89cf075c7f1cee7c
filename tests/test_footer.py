"""The key bar at 80 columns, in Chinese: more keys than fit, the palette key intact,
keys that act when pressed with the mouse, and the wheel shifting them sideways."""

from __future__ import annotations

import datetime as dt

import pytest
from rich.cells import cell_len
from textual import events

from crm_tui.app import make_app
from crm_tui.screens.dialogs.customer_form import CustomerForm
from crm_tui.widgets.footer import Footer


def bottom_line(app) -> str:
    """The screen's last line as the terminal gets it."""
    return app.screen._compositor.render_strips()[-1].text


@pytest.mark.parametrize("mode", ["1", "2", "4"])
async def test_help_and_palette_keys_stay_whole_when_the_keys_do_not_fit(db, mode):
    """At 80 columns a rep still sees `?` (and the palette): they are kept at the right."""
    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(mode)
        await pilot.pause()
        line = bottom_line(app)
        assert cell_len(line) == 80
        assert line.rstrip().endswith("▏? 帮助 ^p 命令面板")
        # the keys before them end with the last one that fits whole, then "…" (it cut
        # "o 排序" to "o 排")
        keys = line.split("▏")[0].rstrip()
        assert keys.endswith(" …")
        shown = keys[:-1].replace("< >", "<>").split()  # (the board's "< > 移动阶段")
        assert len(shown) % 2 == 0  # key, description, key, description …


async def click_key(pilot, label: str) -> None:
    """Press the mouse on the key bar where ``label`` is written."""
    await pilot.pause()
    line = bottom_line(pilot.app)
    x = cell_len(line[: line.index(label)]) + 1
    await pilot.mouse_down(Footer, offset=(x, 0))
    await pilot.pause()


async def test_a_key_pressed_with_the_mouse_acts(db):
    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await click_key(pilot, " n 新建")
        assert isinstance(app.screen, CustomerForm)


async def test_the_wheel_shifts_the_keys_and_the_palette_key_stays(db):
    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = bottom_line(app)
        assert before.startswith(" / 搜索") and "i 导入" not in before  # cut before the palette
        await pilot._post_mouse_events([events.MouseScrollDown], Footer, offset=(5, 0))
        await pilot.pause()
        after = bottom_line(app)
        assert not after.startswith(" / 搜索")  # shifted left by the wheel
        for _ in range(40):  # far past the end: the last key shows whole, no further
            await pilot._post_mouse_events([events.MouseScrollDown], Footer, offset=(5, 0))
        await pilot.pause()
        end = bottom_line(app)
        assert end.rstrip().endswith("▏? 帮助 ^p 命令面板")
        assert end.split("▏")[0].rstrip().endswith("q 退出")  # the last key, whole
        await pilot._post_mouse_events([events.MouseScrollUp], Footer, offset=(5, 0), times=40)
        await pilot.pause()
        assert bottom_line(app) == before


async def test_the_key_under_the_pointer_is_highlighted(db):
    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        hover = footer.get_component_rich_style("footer--hover").bgcolor

        def highlighted() -> str:
            return "".join(s.text for s in footer.render_line(0) if s.style.bgcolor == hover)

        assert highlighted() == ""
        line = bottom_line(app)
        await pilot.hover(Footer, offset=(cell_len(line[: line.index(" n 新建")]) + 1, 0))
        assert highlighted() == " n 新建 "
        await pilot.hover(None, offset=(40, 10))  # away from the bar
        assert highlighted() == ""


async def test_the_daily_review_fits_80_by_24_with_its_whole_key_bar(db):
    """The review's card shares the height with its help: the screen never scrolls, so
    nothing (the key bar included) loses its right edge to a scroll bar."""
    from crm_tui.store import customers as cs
    from crm_tui.store.tasks import create_task

    with db.session() as s:  # a card taller than the screen leaves
        c = cs.create_customer(s, {"name": "上海华为技术有限公司", "level": "A"})
        for n in range(10):
            cs.create_contact(s, c.id, {"name": f"联系人{n}", "mobile": f"1380013800{n}"})
        create_task(s, {"title": "Call back", "due": dt.date.today(), "customer_id": c.id})
    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await app.workers.wait_for_complete()
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.screen.virtual_size.height <= 24
        assert bottom_line(app).rstrip().endswith("▏? 帮助 ^p 命令面板")


async def test_the_header_keeps_the_due_count_at_80_columns_in_english(db):
    from crm_tui.store.tasks import create_task
    from crm_tui.widgets.app_header import AppHeader

    with db.session() as s:
        create_task(s, {"title": "Call back", "due": dt.date.today()})
    app = make_app(db.path, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        top = app.screen._compositor.render_strips()[0].text
        assert cell_len(top) == 80
        assert top.rstrip().endswith("1 due")
        assert "backed up" in app.screen.query_one(AppHeader).text  # dropped only when cramped


async def test_past_midnight_the_badge_and_the_reports_move_to_the_new_day(db):
    """An app left open overnight: the due badge counts what is due on the new day, and
    the reports that followed today are as of the new day."""
    from crm_tui.store.tasks import create_task
    from crm_tui.widgets.app_header import AppHeader

    monday = dt.datetime(2026, 11, 23, 23, 59)
    clock = [monday]
    with db.session() as s:
        create_task(s, {"title": "Due Tuesday", "due": dt.date(2026, 11, 24)})
    app = make_app(db.path, lang="en", clock=lambda: clock[0])
    async with app.run_test(size=(120, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        reports = app.screen
        assert reports.as_of == monday.date() and app.due_count == 0
        clock[0] = monday + dt.timedelta(minutes=2)  # Tuesday 00:01
        app.clock_tick()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.due_count == 1
        assert "1 due" in app.screen.query_one(AppHeader).text
        assert reports.as_of == dt.date(2026, 11, 24)
        await pilot.press("4")  # the due list, open at midnight, regroups
        await app.workers.wait_for_complete()
        await pilot.pause()
        tasks = app.screen
        assert tasks.query_one("#tasks-status").render().plain.startswith("0 overdue · 1 today")
        clock[0] = monday + dt.timedelta(days=1, minutes=2)  # Wednesday
        app.clock_tick()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert tasks.query_one("#tasks-status").render().plain.startswith("1 overdue · 0 today")


async def test_the_pinned_help_key_acts_when_clicked(db):
    from crm_tui.screens.help import HelpScreen

    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await click_key(pilot, "? 帮助")
        assert isinstance(app.screen, HelpScreen)


async def test_a_form_or_dialog_shows_its_own_keys(db):
    """Under a form the bar showed the keys of the list behind it ("/ Search  n New …"),
    none of which a form takes: letters go into its fields."""
    app = make_app(db.path, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, CustomerForm)
        assert bottom_line(app).strip() == "^s Save  esc Cancel"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("question_mark")
        await pilot.pause()
        assert bottom_line(app).strip() == "esc Close"


async def test_a_questions_key_bar_says_what_y_does(db):
    """The bar said "y Yes" under a "Delete (y)" button."""
    from crm_tui.screens.dialogs.confirm import ConfirmDialog

    app = make_app(db.path, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(ConfirmDialog("Delete it?", yes="Delete", danger=True))
        await pilot.pause()
        assert bottom_line(app).strip() == "y Delete  n No"


async def test_textuals_own_keys_are_translated_in_the_bar(db):
    """A pick list's open menu showed "esc Dismiss menu" in Chinese."""
    from textual.widgets import Select

    app = make_app(db.path, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        form.query(Select).first().focus()
        await pilot.press("enter")
        await pilot.pause()
        assert "收起菜单" in bottom_line(app) and "Dismiss" not in bottom_line(app)
