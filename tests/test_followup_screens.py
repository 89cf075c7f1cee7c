"""Pilot and snapshot tests of the follow-up loop: log form, due-list, daily review."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from textual.widgets import Label

from crm_tui.app import make_app
from crm_tui.screens.dialogs.log_interaction import LogInteractionDialog
from crm_tui.screens.dialogs.task_form import NextFollowUp
from crm_tui.screens.review import ReviewScreen
from crm_tui.screens.tasks import TasksScreen
from crm_tui.store import customers as cs
from crm_tui.store.due import due_badge_count, due_counts
from crm_tui.store.interactions import log_interaction
from crm_tui.store.models import Interaction, Opportunity, Task
from crm_tui.store.tasks import create_task
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.virtual_table import VirtualTable

FROZEN = dt.datetime(2026, 11, 23, 9, 30)  # a Monday
TODAY = FROZEN.date()


def app_on(db, lang="en"):
    return make_app(db.path, lang=lang, clock=lambda: FROZEN)


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def loop_db(db):
    """Three customers with deals, contacts, history and a spread of tasks."""
    with db.session() as s:
        acme = cs.create_customer(s, {"name": "Acme Robotics", "level": "A"})
        hua = cs.create_customer(s, {"name": "上海华东制造有限公司", "level": "B"})
        quiet = cs.create_customer(s, {"name": "Quiet Strategic Ltd", "level": "A"})
        for known in (acme, hua, quiet):  # customers for a while (a new one is not neglected)
            known.created_at = dt.datetime(2026, 1, 5, 9)
        cs.create_contact(
            s, acme.id, {"name": "Emily Chen", "title": "CTO", "mobile": "13800001111"}
        )
        cs.create_contact(s, hua.id, {"name": "王芳", "title": "采购经理", "mobile": "13900002222"})
        s.add(
            Opportunity(
                customer_id=acme.id,
                name="Acme ERP",
                amount_cents=500_000_00,
                probability=50,
                stage="proposal",
            )
        )
        s.add(Opportunity(customer_id=hua.id, name="华东 MES", amount_cents=2_000_000_00,
                          probability=75, stage="negotiation"))  # fmt: skip
        s.flush()
        for cid, when, subject in [
            (acme.id, dt.datetime(2026, 11, 20, 15, 0), "Quote walkthrough"),
            (hua.id, dt.datetime(2026, 11, 18, 10, 0), "报价讨论"),
            (quiet.id, dt.datetime(2026, 9, 1, 10, 0), "Kick-off"),
        ]:
            log_interaction(s, cid, {"subject": subject, "occurred_at": when, "channel": "phone"})
        create_task(
            s, {"title": "Call Emily about the quote", "due": day(-1), "customer_id": acme.id}
        )
        create_task(
            s, {"title": "拜访王芳", "due": day(-1), "customer_id": hua.id, "type": "visit"}
        )
        create_task(s, {"title": "Send contract draft", "due": day(-4), "customer_id": hua.id,
                        "type": "email"})  # fmt: skip
        create_task(s, {"title": "Demo for Acme", "due": day(0), "due_time": "23:59",
                        "customer_id": acme.id, "type": "demo"})  # fmt: skip
        create_task(s, {"title": "Plan Q1", "due": day(3)})
        create_task(s, {"title": "Renewal check", "due": day(20), "customer_id": acme.id})
    return db


async def _settle(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _log_from_due_list(pilot) -> LogInteractionDialog:
    """The tasks screen, then `l`: the log form for the selected (oldest overdue) task."""
    await pilot.press("4")
    await _settle(pilot)
    await pilot.press("l")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, LogInteractionDialog)
    return dialog


async def _start_review(pilot):
    """The tasks screen, then `r`: the daily review, its queue loaded."""
    await pilot.press("4")
    await _settle(pilot)
    await pilot.press("r")
    await _settle(pilot)


def due_rows(screen: TasksScreen) -> list[tuple]:
    table = screen.query_one(VirtualTable)
    return [table.row(i) for i in range(table.row_count)]


def group_of_title(screen: TasksScreen, title: str) -> str | None:
    group = None
    for row in due_rows(screen):
        if isinstance(row[0], tuple):
            group = row[0][1]
        elif row[1] == title:
            return group
    return None


async def test_the_log_form_opens_with_its_channel_in_view_at_80x24(loop_db):
    """Textual centred the focused subject before the layout was known: the channel row
    above it went off the top, and a call was saved with the last channel (a visit)."""
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _settle(pilot)
        await pilot.press("l")
        await pilot.pause()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        assert app.focused.id == "field-subject"
        fields = dialog.query_one("#form-fields")
        assert fields.scroll_y == 0
        channel = dialog.query_one("#field-channel")
        assert fields.region.contains_region(channel.region)


async def test_log_next_step_lands_in_next_7_days(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("enter")  # customer detail of the first customer in the list
        await _settle(pilot)
        await pilot.press("l")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        assert app.focused.id == "field-subject"
        await pilot.press(*"Phone call")
        dialog.query_one("#field-next_step").focus()
        await pilot.press(*"Send revised quote")
        dialog.query_one("#field-next_step_due").focus()
        await pilot.press(*"+3d")
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert not isinstance(app.screen, LogInteractionDialog)
        with loop_db.session() as s:
            it = s.exec(select(Interaction).where(Interaction.subject == "Phone call")).one()
            task = s.get(Task, it.task_id)
            assert task.due == day(3) and task.title == "Send revised quote"
        await pilot.press("escape")
        await pilot.press("4")
        await _settle(pilot)
        screen = app.screen
        assert isinstance(screen, TasksScreen)
        assert group_of_title(screen, "Send revised quote") == "next7"
        assert group_of_title(screen, "Demo for Acme") == "today"


async def test_the_follow_up_offer_shows_each_choice_whole_at_80_columns(loop_db):
    from textual.widgets import Button

    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("x")
        await _settle(pilot)
        offer = app.screen
        assert isinstance(offer, NextFollowUp)
        dialog = offer.query_one("#dialog").content_region
        for button in offer.query(Button):  # side by side, "Nothing (esc)" was cut
            assert dialog.contains_region(button.region), str(button.label)
        await pilot.resize_terminal(140, 40)
        await pilot.pause()
        assert len({button.region.y for button in offer.query(Button)}) == 1  # one row


async def test_a_task_key_on_a_group_heading_says_to_move_to_a_task(loop_db):
    """Home puts the cursor on "▌ Overdue (3)": x, s and delete did nothing, silently."""
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        screen = app.screen
        await pilot.press("home")
        await pilot.pause()
        assert screen.selected_task() is None
        for key in ("x", "s", "delete"):
            app._notifications.clear()
            await pilot.press(key)
            await _settle(pilot)
            assert app.screen is screen, key
            assert [n.message for n in app._notifications] == ["Move to a task first (↑ ↓)"]
        assert screen.source.counts["overdue"] == 3


@pytest.mark.parametrize("lang, passed", [("en", "time passed"), ("zh", "已过")])
async def test_a_task_due_earlier_today_says_its_time_has_passed(loop_db, lang, passed):
    """Tasks are grouped by day, so a 09:00 call stays in today's group after 09:00; its
    row said only "11-23 09:00" all afternoon, like one still to come."""
    with loop_db.session() as s:
        create_task(s, {"title": "Early call", "due": day(0), "due_time": "09:00"})
        create_task(s, {"title": "Call at half past", "due": day(0), "due_time": "09:30"})
    app = app_on(loop_db, lang=lang)  # 09:30
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        screen = app.screen
        rows = {row[1]: row for row in due_rows(screen) if not isinstance(row[0], tuple)}
        assert group_of_title(screen, "Early call") == "today"
        assert rows["Early call"][4] == f"11-23 09:00  {passed}"
        assert rows["Call at half past"][4] == f"11-23 09:30  {passed}"  # its minute came
        assert rows["Demo for Acme"][4] == "11-23 23:59"  # still to come
        assert "overdue" not in rows["Early call"][4]


async def test_done_on_overdue_task_drops_badge(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        assert app.due_count == 4
        screen = app.screen
        table = screen.query_one(VirtualTable)
        assert table.cursor_row[1] == "Send contract draft"  # oldest overdue first
        assert "4d overdue" in table.cursor_row[4]
        await pilot.press("x")
        await _settle(pilot)
        assert isinstance(app.screen, NextFollowUp)
        await pilot.press("escape")
        await _settle(pilot)
        assert group_of_title(screen, "Send contract draft") is None
        assert screen.source.counts["overdue"] == 2
        assert app.due_count == 3
        assert screen.query_one(AppHeader).text.endswith(" 3 due ")
        with loop_db.reading() as conn:
            assert due_badge_count(conn, TODAY) == 3


async def test_done_then_schedule_next_follow_up(loop_db):
    from crm_tui.screens.dialogs.task_form import TaskFormDialog

    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("x")
        await _settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, TaskFormDialog)
        assert form.query_one("#field-due").value == day(1).isoformat()
        await pilot.press(*"Call back about the contract", "ctrl+s")
        await _settle(pilot)
        assert group_of_title(app.screen, "Call back about the contract") == "next7"
    with loop_db.reading() as conn:
        customer = conn.execute(
            "SELECT c.name FROM task t JOIN customer c ON c.id = t.customer_id "
            "WHERE t.title = 'Call back about the contract'"
        ).fetchone()[0]
    assert customer == "上海华东制造有限公司"


async def test_logged_then_done_offers_scheduling_first(loop_db):
    """`l` then `x` on a review card (call, log it, tick it off): the offer after done
    starts at scheduling; enter opened a second log form for what was just logged."""
    from textual.widgets import Button

    from crm_tui.screens.dialogs.task_form import TaskFormDialog

    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _start_review(pilot)
        await pilot.press("x")  # not logged: logging comes first, as before
        await pilot.pause()
        offer = app.screen
        assert isinstance(offer, NextFollowUp) and app.focused.id == "log"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("l", *"Called, sent it", "ctrl+s")  # the next card's task
        await _settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        offer = app.screen
        assert isinstance(offer, NextFollowUp) and app.focused.id == "task"
        assert str(offer.query_one("#log", Button).label) == "Log another interaction (l)"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TaskFormDialog)


async def test_review_visits_in_priority_order_and_sums_up(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _start_review(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        order = [q.get("title") or q["customer"] for q in review.queue]
        assert order == [
            "Send contract draft",  # 4 days overdue
            "Call Emily about the quote",  # 1 day, level A
            "拜访王芳",  # 1 day, level B
            "Demo for Acme",  # today
            "Quiet Strategic Ltd",  # neglected A account
        ]
        await pilot.press("x")  # done: it offers the next follow-up, as the due list does
        await pilot.pause()
        assert isinstance(app.screen, NextFollowUp)
        await pilot.press("n")  # nothing this time
        await pilot.pause()
        assert app.screen is review
        await pilot.press("s")  # snooze a day
        await pilot.press("space")  # skip
        await pilot.press("S")  # snooze a week
        await pilot.press("space")  # skip the neglected account
        await _settle(pilot)
        assert [k for k, _ in review.visited] == ["task"] * 4 + ["neglected"]
        assert review.finished
        assert review.tally.as_dict() == {
            "done": 1, "snoozed": 2, "logged": 0, "tasks_added": 0, "skipped": 2,
        }  # fmt: skip
        card = str(review.query_one("#review-card").render())
        assert "Done: 1" in card and "Snoozed: 2" in card and "Skipped: 2" in card
        # the summary says "escape or enter to go back": so does its key bar (not "Stop")
        bar = app.screen._compositor.render_strips()[-1].text
        assert "esc Back to the due list" in bar and "Stop" not in bar, bar
        # each snooze says the new day, as on the due list (the review said nothing)
        said = [str(n.message) for n in app._notifications if "Snoozed" in str(n.message)]
        assert said == [
            f"Snoozed to {TODAY + dt.timedelta(days=1)}",
            f"Snoozed to {TODAY + dt.timedelta(days=7)}",
        ]
        with loop_db.reading() as conn:
            counts = due_counts(conn, TODAY)
        assert counts["overdue"] == 1 and counts["today"] == 0  # only the skipped one is late
        await pilot.press("escape")
        await _settle(pilot)
        assert isinstance(app.screen, TasksScreen)
        assert app.due_count == 1


async def test_on_a_small_terminal_the_review_card_keeps_the_room_of_the_order_note(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_review(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        assert not review.query_one("#review-help").display  # (it is in ? help)
        assert review.query_one("#review-body").size.height >= 16
        await pilot.resize_terminal(140, 45)
        await pilot.pause()
        assert review.query_one("#review-help").display


async def test_review_offers_only_the_keys_that_act_on_the_card(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _start_review(pilot)
        review = app.screen
        assert isinstance(review, ReviewScreen)
        offered = lambda: {b.action for _k, b, enabled, _t in review.active_bindings.values()}  # noqa: E731
        assert {"done", "snooze(1)", "log", "skip"} <= offered()
        for _ in range(4):  # past the four tasks, to the neglected account
            await pilot.press("space")
        await _settle(pilot)
        assert review.current["kind"] == "neglected"
        assert "done" not in offered() and "snooze(1)" not in offered()
        assert {"log", "task", "skip"} <= offered()
        await pilot.press("t")  # a task for the neglected account moves on by itself
        await pilot.pause()
        await pilot.press(*"Call them", "tab", *"tomorrow", "ctrl+s")
        await _settle(pilot)
        assert review.finished
        assert not {"done", "log", "skip"} & offered()
        card = str(review.query_one("#review-card").render())
        assert "Reviewed 5 of 5" in card and "Review finished" in card


async def test_review_counts_a_card_acted_on_as_reviewed(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _start_review(pilot)
        review = app.screen
        await pilot.press("space", "l")  # skip one, log on the second (it stays shown)
        await pilot.pause()
        await pilot.press(*"Called", "ctrl+s")
        await _settle(pilot)
        assert review.index == 1 and review.tally.logged == 1
        await pilot.press("escape")
        await pilot.pause()
        card = str(review.query_one("#review-card").render())
        assert "Reviewed 2 of 5" in card and "Review stopped: 3 left for later" in card


async def test_a_next_step_due_before_today_takes_a_second_save(loop_db):
    """昨天 for 明天 made a task overdue at once, without a word."""
    app = app_on(loop_db, lang="zh")
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        with loop_db.reading() as conn:
            tasks_before = conn.execute("SELECT count(*) FROM task").fetchone()[0]
        await pilot.press("l")
        await pilot.pause()
        dialog = app.screen
        dialog.query_one("#field-subject").value = "电话"
        dialog.query_one("#field-next_step").value = "寄样品"
        dialog.query_one("#field-next_step_due").value = "昨天"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        error = str(dialog.query_one("#error-next_step_due").render())
        assert error == f"早于今天（{TODAY.isoformat()}）：再按 ctrl+s 保留"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert app.screen is not dialog
        with loop_db.reading() as conn:
            assert conn.execute("SELECT count(*) FROM task").fetchone()[0] == tasks_before + 1


async def _log_with_a_next_step(pilot) -> None:
    """`l`, then "Called" with the next step "Send the contract" due Friday, saved."""
    await pilot.press("l")
    await pilot.pause()
    dialog = pilot.app.screen
    await pilot.press(*"Called")
    dialog.query_one("#field-next_step").focus()
    await pilot.press(*"Send the contract")
    dialog.query_one("#field-next_step_due").focus()
    await pilot.press(*"fri", "ctrl+s")
    await _settle(pilot)


async def test_review_counts_a_next_step_logged_as_a_task_added(loop_db):
    """`l` with a next step makes a task, as `t` does: the summary counted only `t`'s."""
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _start_review(pilot)
        review = app.screen
        await _log_with_a_next_step(pilot)
        assert (review.tally.logged, review.tally.tasks_added) == (1, 1)
        await pilot.press("l")  # without a next step: no task
        await pilot.pause()
        await pilot.press(*"Called again", "ctrl+s")
        await _settle(pilot)
        assert (review.tally.logged, review.tally.tasks_added) == (2, 1)


async def test_what_happened_logged_after_x_counts_its_next_step_and_offers_no_x(loop_db):
    """`x`, then `l`: the task is done already, so the notice must not say "x marks the
    task done" (the cursor is on the next task: x would finish that one); the log's
    next step is a task added, as after `l` alone."""
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _start_review(pilot)
        review = app.screen
        await pilot.press("x")
        await _settle(pilot)
        assert isinstance(app.screen, NextFollowUp)
        await _log_with_a_next_step(pilot)
        assert (review.tally.done, review.tally.logged, review.tally.tasks_added) == (1, 1, 1)
        notices = [n.message for n in app._notifications]
        assert "Interaction logged" in notices
        assert not any("x marks" in n for n in notices)


async def test_editing_an_interaction_changes_only_what_was_typed(loop_db):
    """No contact filled in for you on an edit, and the time keeps its seconds."""
    with loop_db.session() as s:
        acme = s.exec(select(cs.Customer).where(cs.Customer.name == "Acme Robotics")).one()
        it = log_interaction(
            s, acme.id, {"subject": "No contact call", "occurred_at": dt.datetime(2026, 11, 22, 15, 0, 34)},
            at=FROZEN,
        )  # fmt: skip
        it_id = it.id
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        assert dialog.values()["contact_id"] is None  # Acme has one contact: not filled in
        await pilot.press("end", *" (edited)", "ctrl+s")
        await _settle(pilot)
        assert not isinstance(app.screen, LogInteractionDialog)
    with loop_db.session() as s:
        record = s.get(Interaction, it_id)
        assert record.subject == "No contact call (edited)"
        assert record.contact_id is None
        assert record.occurred_at == dt.datetime(2026, 11, 22, 15, 0, 34)


async def test_bad_date_shows_error_and_saves_nothing(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        dialog = await _log_from_due_list(pilot)  # for the selected task's customer
        dialog.query_one("#field-next_step_due").focus()
        await pilot.press(*"someday")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        error = dialog.query_one("#error-next_step_due", Label)
        assert error.has_class("visible") and "Unreadable date" in str(error.render())
        with loop_db.reading() as conn:
            assert conn.execute("SELECT count(*) FROM interaction").fetchone()[0] == 3
        # escape asks before throwing away what was typed
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, TasksScreen)


async def test_log_without_customer_asks_for_one(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.pause()
        await pilot.press(*"华东制造")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        assert dialog.customer_id is not None
        await pilot.press(*"微信确认交期")
        await pilot.press("ctrl+s")
        await _settle(pilot)
        table = app.screen.query_one(VirtualTable)
        assert table.row_count == 4 and table.row(0)[4] == "微信确认交期"


async def test_log_screen_search_open_and_delete(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        table = app.screen.query_one(VirtualTable)
        assert [table.row(i)[4] for i in range(table.row_count)] == [
            "Quote walkthrough",
            "报价讨论",
            "Kick-off",
        ]  # newest first
        await pilot.press("slash", *"报价", "enter")
        await pilot.pause()
        assert table.row_count == 1 and table.row(0)[4] == "报价讨论"
        await pilot.press("enter")
        await pilot.pause()
        assert "报价讨论" in str(app.screen.query_one("#interaction-card").render())
        await pilot.press("escape")
        when = table.row(0)[1]
        await pilot.press("delete")
        await pilot.pause()
        # which one, by its time too: a customer has many interactions of one subject
        question = str(app.screen.query_one("#question").render())
        assert question.endswith(f" of {when}?") and "报价讨论" in question
        await pilot.press("y")
        await _settle(pilot)
        assert table.row_count == 0
        with loop_db.reading() as conn:
            assert conn.execute("SELECT count(*) FROM interaction").fetchone()[0] == 2


async def test_the_interaction_card_offers_delete_and_says_its_task_stays_open(loop_db):
    """The card took `delete` but showed only Edit and Close; deleting an interaction
    with a next step left its task open without a word."""
    from textual.widgets import Button

    with loop_db.session() as s:
        cid = cs.find_customer(s, "Acme Robotics").id
        log_interaction(s, cid, {"subject": "Site visit", "channel": "visit",
                                 "occurred_at": dt.datetime(2026, 11, 22, 9, 0),
                                 "next_step": "Send the sizing sheet", "next_step_due": day(2)})  # fmt: skip
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        assert app.screen.query_one(VirtualTable).row(0)[4] == "Site visit"
        await pilot.press("enter")
        await pilot.pause()
        labels = [str(b.label) for b in app.screen.query(Button)]
        assert labels == ["Edit (e)", "Delete (del)", "Close (esc)"]
        await pilot.click("#delete")
        await pilot.pause()
        question = str(app.screen.query_one("#question").render())
        assert "“Site visit”" in question
        assert "Its follow-up task “Send the sizing sheet” stays open" in question
        await pilot.press("y")
        await _settle(pilot)
    with loop_db.reading() as conn:
        assert (
            conn.execute(
                "SELECT count(*) FROM interaction WHERE subject = 'Site visit'"
            ).fetchone()[0]
            == 0
        )
        assert (
            conn.execute(
                "SELECT status FROM task WHERE title = 'Send the sizing sheet'"
            ).fetchone()[0]
            == "planned"
        )


async def test_a_paste_of_two_lines_into_the_log_search_searches_for_both(loop_db):
    """Pasted lines are joined into one search (Textual's Input kept the first line only:
    "Quote" found two interactions where "Quote walkthrough" was asked)."""
    from textual import events
    from textual.widgets import Input

    with loop_db.session() as s:
        cid = s.exec(select(Interaction)).first().customer_id
        log_interaction(s, cid, {"subject": "Quote sent", "occurred_at": dt.datetime(2026, 10, 1)})
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        table = app.screen.query_one(VirtualTable)
        assert table.row_count == 4
        await pilot.press("slash")
        search = app.focused
        assert isinstance(search, Input) and search.id == "log-search"
        app.post_message(events.Paste("Quote\r\nwalkthrough"))
        await pilot.pause()
        assert search.value == "Quote walkthrough"
        await pilot.press("enter")  # (the search then, not after a pause in typing)
        await _settle(pilot)
        assert [table.row(i)[4] for i in range(table.row_count)] == ["Quote walkthrough"]


async def test_log_from_an_opportunity_prefills_customer_and_deal(loop_db):
    from textual.widgets import Select

    from crm_tui.screens import actions

    with loop_db.reading() as conn:
        deal_id, customer_id = conn.execute(
            "SELECT id, customer_id FROM opportunity WHERE name = 'Acme ERP'"
        ).fetchone()
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        actions.log_interaction(app, opportunity_id=deal_id)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        assert dialog.customer_id == customer_id
        assert dialog.query_one("#field-opportunity_id", Select).value == deal_id
        assert dialog.query_one("#field-channel", Select).value == "phone"
        await pilot.press(*"Pricing call", "ctrl+s")
        await _settle(pilot)
    with loop_db.reading() as conn:
        row = conn.execute(
            "SELECT opportunity_id, contact_id FROM interaction WHERE subject = 'Pricing call'"
        ).fetchone()
        last = conn.execute(
            "SELECT last_interaction_at FROM opportunity WHERE id = ?", (deal_id,)
        ).fetchone()[0]
    assert row[0] == deal_id and row[1] is not None  # the only contact is preselected
    assert last == "2026-11-23 09:30:00"


async def test_keys_typed_right_after_l_land_in_the_subject(loop_db, monkeypatch):
    """The form opens with Subject focused, never Channel (or the field list) first and
    Subject a refresh later: a key typed in between went there and was lost."""
    from textual.screen import Screen

    focused: list[str] = []
    set_focus = Screen.set_focus

    def recording(self, widget, *args, **kwargs):
        if isinstance(self, LogInteractionDialog) and widget is not None:
            focused.append(widget.id)
        return set_focus(self, widget, *args, **kwargs)

    monkeypatch.setattr(Screen, "set_focus", recording)
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("l", *"QRS")
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        assert focused[0] == "field-subject" and set(focused) == {"field-subject"}
        assert dialog.values()["subject"] == "QRS"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert not isinstance(app.screen, LogInteractionDialog)
        focused.clear()
        await pilot.press("3")  # and so does editing
        await _settle(pilot)
        await pilot.press("e", "end", *" (edited)", "ctrl+s")
        await _settle(pilot)
        assert focused[0] == "field-subject" and set(focused) == {"field-subject"}
    with loop_db.reading() as conn:
        count = "SELECT count(*) FROM interaction WHERE subject = 'QRS (edited)'"
        assert conn.execute(count).fetchone()[0] == 1


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("fri", "2026-11-20 09:00:00"),  # last Friday (today is a Monday)
        ("mon 08:15", "2026-11-23 08:15:00"),  # today
        ("周日", "2026-11-22 09:00:00"),
        ("11-21", "2026-11-21 09:00:00"),
        ("12-28", "2025-12-28 09:00:00"),  # after today: last year's
    ],
)
async def test_when_reads_weekdays_and_short_dates_backwards(loop_db, typed, expected):
    app = app_on(loop_db, lang="zh")
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("l", *"回顾记录")
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        dialog.query_one("#field-occurred_at").value = ""
        await pilot.press("shift+tab", *typed, "ctrl+s")
        await _settle(pilot)
        assert not isinstance(app.screen, LogInteractionDialog)
    with loop_db.reading() as conn:
        when = conn.execute(
            "SELECT occurred_at FROM interaction WHERE subject = '回顾记录'"
        ).fetchone()
    assert when is not None and when[0] == expected


@pytest.mark.parametrize("typed", ["tomorrow", "+3d", "+2w"])
async def test_a_when_still_to_come_is_refused_not_made_now(loop_db, typed):
    """It was saved as the current time, with "Interaction logged"."""
    from textual.widgets import Label

    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("l", *"Site visit")
        dialog = app.screen
        dialog.query_one("#field-occurred_at").value = ""
        await pilot.press("shift+tab", *typed, "ctrl+s")
        await _settle(pilot)
        assert app.screen is dialog
        error = str(dialog.query_one("#error-occurred_at", Label).render())
        assert "is in the future: only what has happened can be recorded" in error
    with loop_db.reading() as conn:
        saved = conn.execute("SELECT count(*) FROM interaction WHERE subject = 'Site visit'")
        assert saved.fetchone()[0] == 0


async def test_a_key_typed_right_after_q_ends_in_no_traceback(loop_db):
    """`q e` on the due list: the task form began to open while the app closed, and the
    half-made form ended the app with a traceback."""
    import asyncio

    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("4")
        await _settle(pilot)
        assert app.screen.__class__.__name__ == "TasksScreen"
        for key in ("down", "q", "e"):
            app.simulate_key(key)
        await asyncio.wait_for(asyncio.shield(app._task), timeout=30)
    assert app.return_code == 0 and app._exception is None


async def test_completed_tasks_say_done_or_cancelled_and_x_on_one_says_it_is_closed(loop_db):
    from crm_tui.store.tasks import complete_task, update_task

    with loop_db.session() as s:
        tasks = {t.title: t for t in s.exec(select(Task)).all()}
        complete_task(s, tasks["Plan Q1"].id, at=FROZEN)
        update_task(s, tasks["Renewal check"].id, {"status": "cancelled"}, at=FROZEN)
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("4", "c")
        await _settle(pilot)
        table = app.screen.query_one(VirtualTable)
        due = {row[1]: row[4] for i in range(table.row_count) if (row := table.row(i))}
        assert due["Plan Q1"] == "done 2026-11-23 09:30"
        assert due["Renewal check"] == "cancelled 2026-11-23 09:30"  # it read blank
        # the group holds both ways a task closes ("Completed" read as done only)
        assert any(
            row[1] == "▌ Done or cancelled (2)" for row in map(table.row, range(table.row_count))
        )
        table.cursor = next(i for i in range(table.row_count) if table.row(i)[1] == "Plan Q1")
        await pilot.press("x")
        await _settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert "This task is closed (Done)" in said
        assert not isinstance(app.screen, NextFollowUp)


async def test_a_review_with_nothing_due_says_so(db):
    app = app_on(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _settle(pilot)
        await pilot.press("4", "r")
        await _settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        card = str(app.screen.query_one("#review-card").render())
        assert card.startswith("Nothing to review today")
        assert "Reviewed 0 of 0" not in card


async def test_two_problems_in_one_save_focus_the_first_in_the_form(loop_db):
    """A bad next-step date and no subject: both said, and the focus on the subject, the
    higher of the two (it went to the date, the subject's message out of sight)."""
    from textual.widgets import Input

    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("l")
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        dialog.query_one("#field-subject", Input).value = ""
        dialog.query_one("#field-next_step_due", Input).value = "Send quote"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert app.screen is dialog
        assert str(dialog.query_one("#error-subject", Label).render()) == "Required"
        assert "Send quote" in str(dialog.query_one("#error-next_step_due", Label).render())
        assert app.focused is dialog.query_one("#field-subject")


@pytest.mark.parametrize(
    ("typed", "due_time"),
    [
        ("fri", None),  # still read forwards (the next Friday)
        # a time too, as the task form takes it: `fri 14:30` was refused as no date (a
        # full-width colon, as an input method types it: the pilot cannot press it)
        ("fri 14：30", "14:30"),
    ],
)
async def test_a_next_step_due_is_its_tasks_due(loop_db, typed, due_time):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _settle(pilot)
        await pilot.press("l", *"Call")
        dialog = app.screen
        dialog.query_one("#field-next_step").focus()
        await pilot.press(*"Call back")
        dialog.query_one("#field-next_step_due").value = typed
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert not isinstance(app.screen, LogInteractionDialog)
    with loop_db.session() as s:
        task = s.exec(select(Task).where(Task.title == "Call back")).one()
        assert (task.due, task.due_time) == (day(4), due_time)
        it = s.exec(select(Interaction).where(Interaction.subject == "Call")).one()
        assert it.next_step_due == day(4)


async def test_a_new_step_after_the_task_is_done_becomes_a_task(loop_db):
    """Edit (`3` `e`) the next step of an interaction whose follow-up task is done."""
    with loop_db.session() as s:
        acme = s.exec(select(cs.Customer).where(cs.Customer.name == "Acme Robotics")).one()
        it = log_interaction(
            s, acme.id, {"subject": "Test follow-up", "next_step": "First step",
                         "next_step_due": TODAY}, at=FROZEN,
        )  # fmt: skip
        it_id, first_id = it.id, it.task_id
        s.get(Task, first_id).status = "done"
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog) and dialog.interaction_id == it_id
        dialog.query_one("#field-next_step").value = ""
        dialog.query_one("#field-next_step_due").value = ""
        dialog.query_one("#field-next_step").focus()
        await pilot.press(*"Second step", "tab", *"+2d", "ctrl+s")
        await _settle(pilot)
        assert not isinstance(app.screen, LogInteractionDialog)
    with loop_db.session() as s:
        record = s.get(Interaction, it_id)
        assert record.task_id != first_id
        task = s.get(Task, record.task_id)
        assert (task.title, task.due, task.status) == ("Second step", day(2), "planned")
        assert s.get(Task, first_id).status == "done"


# --- snapshots ---------------------------------------------------------------------


async def _freeze_header(pilot):
    """The header's backup age is wall-clock time since a real file: pin it to "just now"."""
    await _settle(pilot)
    pilot.app.last_backup = dt.datetime.now()
    await pilot.pause()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_due_list_snapshot(loop_db, snap_compare, lang):
    async def before(pilot):
        await pilot.press("4")
        await _freeze_header(pilot)

    assert snap_compare(app_on(loop_db, lang), terminal_size=(120, 30), run_before=before)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_review_card_snapshot(loop_db, snap_compare, lang):
    async def before(pilot):
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("r")
        await _freeze_header(pilot)

    assert snap_compare(app_on(loop_db, lang), terminal_size=(120, 36), run_before=before)


async def test_the_customer_picker_says_what_to_do_when_there_are_none(db):
    from crm_tui.screens.dialogs.customer_picker import CustomerPicker

    app = app_on(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, CustomerPicker)
        hint = picker.query_one("#picker-empty", Label)
        assert hint.display and "No customers yet" in str(hint.render())
        # in sight: under an empty list's twelve rows the dialog cut it off at 80x24
        assert picker.query_one("#dialog").region.contains_region(hint.region)


async def test_the_log_search_keeps_a_usable_width_at_80_columns(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        search = app.screen.query_one("#log-search")
        assert search.size.width >= 60  # a row of its own, above the filters
        await pilot.resize_terminal(140, 40)
        await _settle(pilot)
        assert not app.screen.query_one("#log-toolbar").has_class("-narrow")
        assert search.region.y == app.screen.query_one("#channel-filter").region.y


async def test_done_in_the_review_offers_the_next_follow_up(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await _start_review(pilot)
        review = app.screen
        first = review.current
        await pilot.press("x", "l")  # done, then log what happened
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        dialog.query_one("#field-subject").value = "Sent the contract"  # was the task's title
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert app.screen is review and review.index == 1  # on to the next card
        assert (review.tally.done, review.tally.logged) == (1, 1)
    with loop_db.session() as s:
        logged = s.exec(select(Interaction).where(Interaction.subject == "Sent the contract")).one()
        assert logged.customer_id == first["customer_id"]


async def test_the_last_cards_follow_up_is_counted_in_the_summary(loop_db):
    """x on the last task card shows the summary, and the follow-up answered over it
    (log, schedule) still counts there; each new card opens at its top."""
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _start_review(pilot)
        review = app.screen
        body = review.query_one("#review-body")
        last_task = max(i for i, item in enumerate(review.queue) if item["kind"] == "task")
        while review.index < last_task:
            body.scroll_end(animate=False)  # read down the card, then go on
            await pilot.press("space")
            await pilot.pause()
            assert body.scroll_y == 0
        review.queue = review.queue[: last_task + 1]  # (make it the last card)
        await pilot.press("x")
        await pilot.pause()
        assert review.finished
        await pilot.press("l")
        await pilot.pause()
        app.screen.query_one("#field-subject").value = "Wrapped up"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert app.screen is review
        summary = str(review.query_one("#review-card").render())
        assert "Logged: 1" in summary and "Done: 1" in summary


async def test_the_next_follow_up_after_done_is_due_tomorrow(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, NextFollowUp)
        await pilot.press("t")
        await pilot.pause()
        form = app.screen
        assert form.query_one("#field-due").value == day(1).isoformat()
        form.query_one("#field-title").value = "Check the signed contract"
        await pilot.press("ctrl+s")
        await _settle(pilot)
    with loop_db.session() as s:
        task = s.exec(select(Task).where(Task.title == "Check the signed contract")).one()
        assert task.due == day(1)


@pytest.mark.parametrize(
    "key, kind, header",
    [
        ("1", "customers", "code,name,"),
        ("2", "opportunities", "customer,customer_code,name,"),
        ("3", "interactions", "customer,customer_code,when,"),
        ("4", "tasks", "title,due,"),
    ],
)
async def test_ctrl_e_on_a_list_writes_its_records_as_crm_export_does(
    loop_db, tmp_path, key, kind, header
):
    """CLI.md: ctrl+e exports the current report or list; on the lists it writes the CSV
    `crm export KIND` writes, into the export folder, and says where."""
    from crm_tui.settings import Settings

    app = make_app(loop_db.path, settings=Settings(export_dir=tmp_path), clock=lambda: FROZEN)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press(key)
        await _settle(pilot)
        await pilot.press("ctrl+e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [n.message for n in app._notifications]
    written = tmp_path / f"crm-{kind}-2026-11-23.csv"
    # it says that it started (a big export takes seconds), then where it wrote
    start = said.index(f"Exporting {written.name}…")
    assert said[start + 1].startswith("Exported ") and said[start + 1].endswith(str(written))
    text = written.read_text(encoding="utf-8-sig")
    assert text.startswith(header)
    with loop_db.reading() as conn:
        table = {"opportunities": "opportunity", "customers": "customer",
                 "interactions": "interaction", "tasks": "task"}[kind]  # fmt: skip
        (count,) = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert len(text.strip().splitlines()) == count + 1


async def test_at_80_columns_every_channel_fits_its_pick_list(loop_db):
    """Under 110 columns the log's filters share a row of their own; the pick lists
    take what the dates leave ("Online meeting" wrapped onto the border at 20)."""
    from rich.cells import cell_len
    from textual.widgets import Select

    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        for select in app.screen.query(Select):
            room = select.query_one("SelectCurrent #label").size.width
            texts = [str(prompt) for prompt, _value in select._options]
            assert max(cell_len(t) for t in texts) <= room, (select.id, texts, room)
        assert app.screen.query_one("#date-from").size.width >= len("2026-11-20")


async def test_a_date_range_given_backwards_says_so(loop_db):
    from textual.widgets import Input, Static

    app = app_on(loop_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        app.screen.query_one("#date-from", Input).value = "2026-11-20"
        app.screen.query_one("#date-to", Input).value = "2026-11-01"
        app.screen.reload()  # (what the pause in typing starts)
        await _settle(pilot)
        empty = str(app.screen.query_one("#log-empty", Static).render())
        assert empty == "The from date (2026-11-20) is after the to date (2026-11-01): swap them."


async def test_from_11_01_to_11_30_is_this_month(loop_db):
    """The end of a range read backwards too: "to 11-30" on 2026-11-23 was 2025-11-30,
    and the list said to swap the dates (which would have shown a whole year)."""
    from textual.widgets import Input, Static

    app = app_on(loop_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        app.screen.query_one("#date-from", Input).value = "11-01"
        app.screen.query_one("#date-to", Input).value = "11-30"
        app.screen.reload()
        await _settle(pilot)
        shown = app.screen.current_filter()
        assert (shown.date_from, shown.date_to) == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
        assert "swap" not in str(app.screen.query_one("#log-empty", Static).render())


async def test_an_edited_interaction_stays_selected_wherever_it_moves(loop_db):
    """Moved back in time by an edit, it went down the log while the cursor stayed on its
    row number: on another interaction, which delete then removed."""
    from textual.widgets import Input

    app = app_on(loop_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        table = app.screen.query_one(VirtualTable)
        edited = table.cursor_id
        assert table.cursor == 0
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#field-occurred_at", Input).value = "2026-01-05 10:00"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert table.cursor_id == edited and table.cursor == table.row_count - 1


async def test_logging_and_planning_say_so(loop_db):
    """A log saved from the due list left the row as it was, in silence (the task stays
    open: logging does not finish it); a new task was saved in silence too."""
    app = app_on(loop_db)
    said: list[str] = []  # (every one: a toast shown has gone by the end on a slow host)
    shown = app.notify
    app.notify = lambda message, *args, **kwargs: (
        said.append(message)
        or shown(  # type: ignore[method-assign]
            message, *args, **kwargs
        )
    )
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("l")
        await pilot.pause()
        await pilot.press(*"Called about it", "ctrl+s")
        await _settle(pilot)
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*"Send the brochure", "ctrl+s")
        await _settle(pilot)
        await pilot.press("3")
        await _settle(pilot)
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")  # the picker's first customer
        await pilot.pause()
        await pilot.press(*"Quick call", "ctrl+s")
        await _settle(pilot)
        assert said == [
            "Interaction logged; x marks the task done",
            "Task saved",
            "Interaction logged",
        ]


async def test_the_log_counts_one_interaction_in_the_singular(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        status = app.screen.query_one("#log-status", Label)
        assert str(status.render()).startswith("3 interactions")
        await pilot.press("slash", *"Kick-off", "enter")
        await pilot.pause()
        assert str(status.render()).startswith("1 interaction") and "interactions" not in str(
            status.render()
        )


async def test_t_on_the_interaction_log_plans_a_task_for_that_customer(loop_db):
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        await pilot.press("down", "t")  # (down: focus the list from the search box)
        await pilot.pause()
        form = app.screen
        assert form.__class__.__name__ == "TaskFormDialog"
        assert form.customer_id is not None


async def test_logging_from_a_task_takes_its_channel_from_the_task_type(loop_db):
    """The oldest overdue task is 'Send contract draft', an email: its log form says
    Email (it said the channel used last), and the channel has no blank choice."""
    from textual.widgets import Select

    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        dialog = await _log_from_due_list(pilot)
        assert dialog.query_one("#field-subject").value == "Send contract draft"
        channel = dialog.query_one("#field-channel", Select)
        assert channel.value == "email"
        assert Select.NULL not in [value for _label, value in channel._options]  # required


async def test_logging_from_a_task_starts_in_content_with_the_title_as_subject(loop_db):
    """The task's title is the subject: what the rep types first is what happened. (Typed
    into Subject, it ran on after the title: "Send contract draftSent it, …".)"""
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("l", *"Sent it")
        dialog = app.screen
        assert isinstance(dialog, LogInteractionDialog)
        assert app.focused.id == "field-content"
        values = dialog.values()
        assert values["subject"] == "Send contract draft" and values["content"] == "Sent it"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert not isinstance(app.screen, LogInteractionDialog)
    with loop_db.reading() as conn:
        saved = "SELECT subject, content FROM interaction ORDER BY id DESC LIMIT 1"
        assert tuple(conn.execute(saved).fetchone()) == ("Send contract draft", "Sent it")


async def test_slash_searches_the_due_list_by_task_and_customer(loop_db):
    """CLI.md: `/` searches the current list; on the due list, task titles and customer
    names, every word; escape clears it."""
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        screen = app.screen
        table = screen.query_one(VirtualTable)

        def titles() -> list[str]:
            rows = [table.row(i) for i in range(table.row_count)]
            return sorted(r[1] for r in rows if not isinstance(r[0], tuple))

        assert len(titles()) == 6
        await pilot.press("/", *"acme")
        await pilot.pause()
        # "Demo for Acme" by its title; "Call Emily…" and "Renewal check" by their
        # customer, Acme Robotics
        assert titles() == ["Call Emily about the quote", "Demo for Acme", "Renewal check"]
        await pilot.press("space", *"demo")
        await pilot.pause()
        assert titles() == ["Demo for Acme"]
        await pilot.press("escape")
        await pilot.pause()
        assert len(titles()) == 6 and app.focused is table
        await pilot.press("/", *"zzz")
        await pilot.pause()
        assert "No task matches “zzz”" in str(screen.query_one("#tasks-empty").render())


async def test_a_two_line_field_error_is_shown_whole_at_80_by_24(loop_db):
    """The unreadable-date message takes two lines: the form scrolls to show both, not
    just the field (its second line hid below the field list at 80x24)."""
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _log_from_due_list(pilot)
        dialog.query_one("#field-next_step_due").value = "yesterdayy"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.pause()
        error = dialog.query_one("#error-next_step_due", Label)
        assert "Unreadable date" in str(error.render()) and error.region.height >= 2
        fields = dialog.query_one("#form-fields")
        assert fields.region.contains_region(error.region)


async def test_the_task_card_shows_its_keys_and_contact(loop_db):
    """Enter on a task: its card names the contact and shows the keys it takes as
    buttons (it showed Close only; x, e and l worked unseen)."""
    from textual.widgets import Button

    from crm_tui.screens.dialogs.task_form import TaskCard, TaskFormDialog

    with loop_db.session() as s:
        hua = cs.find_customer(s, "上海华东制造有限公司")
        task = s.exec(select(Task).where(Task.title == "Send contract draft")).one()
        task.contact_id = hua.primary_contact_id
        s.add(task)
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("enter")  # the oldest overdue task: Send contract draft
        await pilot.pause()
        card = app.screen
        assert isinstance(card, TaskCard)
        assert "Contact: 王芳" in str(card.query_one("#task-card").render())
        labels = [str(b.label) for b in card.query(Button)]
        assert labels == ["Done (x)", "Edit (e)", "Log (l)", "Close (esc)"]
        await pilot.click("#edit")
        await pilot.pause()
        assert isinstance(app.screen, TaskFormDialog)


async def test_the_empty_log_names_its_keys_without_markdown(db):
    """The empty log showed "按 `l`": backticks are not drawn as code in a terminal."""
    from textual.widgets import Static

    app = app_on(db, lang="zh")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        empty = str(app.screen.query_one("#log-empty", Static).render())
    assert "在任何客户、商机、任务上按 l）" in empty and "`" not in empty


def test_the_review_summary_uses_the_languages_colon():
    """Chinese labels took an ASCII colon ("完成: 2"); forms and messages use "："."""
    from crm_tui.i18n import set_language
    from crm_tui.screens.review import ReviewTally, summary_text

    set_language("zh")
    try:
        text = summary_text(ReviewTally(done=2, snoozed=1), reviewed=3, total=3)
    finally:
        set_language("en")
    assert "完成：2" in text and "已推迟：1" in text and ": " not in text


def screen_text(app) -> str:
    """Every line of the screen as the terminal gets it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def test_when_the_due_list_empties_its_keys_still_act(loop_db):
    """The last task a search found, done: the list empties and the table is hidden. The
    focus went to the search box, so `c` was typed into the search ("No task matches
    “Send contractc”") and the key bar lost every key, `? Help` too."""
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        screen = app.screen
        await pilot.press("/", *"Send contract", "enter", "x")
        await _settle(pilot)
        assert isinstance(app.screen, NextFollowUp)
        await pilot.press("escape")
        await _settle(pilot)
        text = screen_text(app)
        assert "No task matches “Send contract”" in text
        assert "? Help" in text.splitlines()[-1] and " n New" in text.splitlines()[-1]
        await pilot.press("c")  # the completed tasks: the one just done
        await _settle(pilot)
        assert screen.query_one("#task-search").value == "Send contract"
        assert "Send contract draft" in screen_text(app).split("\n", 2)[2]
        assert app.focused is screen.query_one(VirtualTable)
        await pilot.press("c")  # hidden again
        await _settle(pilot)
        await pilot.press("escape")  # clears the search
        await _settle(pilot)
        assert screen.query_one("#task-search").value == ""
        assert "Plan Q1" in screen_text(app) and app.focused is screen.query_one(VirtualTable)


async def test_on_an_empty_database_the_due_list_keeps_its_keys_after_the_only_task(db):
    with db.session() as s:
        create_task(s, {"title": "Only task", "due": day(0)})
    app = app_on(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("x")
        await _settle(pilot)
        await pilot.press("escape")
        await _settle(pilot)
        text = screen_text(app)
        assert "Nothing to follow up" in text and "? Help" in text.splitlines()[-1]
        await pilot.press("n")  # a new task: for which customer?
        await _settle(pilot)
        assert "New task for which customer?" in screen_text(app)


@pytest.mark.parametrize(
    ("key", "typed", "search", "empty"),
    [
        ("1", "Quiet", "#search", "#customers-empty"),
        ("3", "Kick-off", "#log-search", "#log-empty"),
    ],
)
async def test_a_list_emptied_by_a_delete_keeps_its_keys(loop_db, key, typed, search, empty):
    """The only record a search found, deleted: the list empties and the table is hidden.
    Back from the help the focus was in the search box (Textual focuses the first
    focusable widget of a screen coming back with nothing focused): the keys were typed
    into it. They act on the screen, and escape clears the search."""
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(key)
        await _settle(pilot)
        screen = app.screen
        await pilot.press("/", *typed, "enter")
        await _settle(pilot)
        await pilot.press("delete", "y")
        await _settle(pilot)
        assert screen.query_one(empty).display
        assert "? Help" in screen_text(app).splitlines()[-1]
        await pilot.press("question_mark")  # the help, and back: the search box took the focus
        await _settle(pilot)
        assert app.screen is not screen
        await pilot.press("escape")
        await _settle(pilot)
        assert app.screen is screen
        assert "? Help" in screen_text(app).splitlines()[-1]
        await pilot.press("escape")
        await _settle(pilot)
        assert screen.query_one(search).value == ""
        assert not screen.query_one(empty).display


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize(
    ("lang", "late", "long_late", "cancelled"),
    [
        ("en", "418d overdue", "145d overdue", "cancelled 2026-11-23 09:30"),
        ("zh", "逾期418天", "逾期145天", "已取消 2026-11-23 09:30"),
    ],
)
async def test_the_due_column_shows_how_late_whole(
    loop_db, width, lang, late, long_late, cancelled
):
    """The Due column was 24 cells: a task of another year said "2025-10-01 17:00  420d…",
    one of July "07-01 17:00  147d overd…", in Chinese "2025-10-01 17:00  逾期4…"."""
    from crm_tui.store.tasks import update_task

    with loop_db.session() as s:
        create_task(s, {"title": "Old quote", "due": dt.date(2025, 10, 1), "due_time": "17:00"})
        create_task(s, {"title": "July call", "due": dt.date(2026, 7, 1), "due_time": "17:00"})
        plan = s.exec(select(Task).where(Task.title == "Plan Q1")).one()
        update_task(s, plan.id, {"status": "cancelled"}, at=FROZEN)
    app = app_on(loop_db, lang)
    async with app.run_test(size=(width, 30)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        text = screen_text(app)
        assert f"2025-10-01  {late}" in text
        assert f"07-01  {long_late}" in text
        await pilot.press("c")
        await _settle(pilot)
        await pilot.press("end")
        await _settle(pilot)
        assert cancelled in screen_text(app)


@pytest.mark.parametrize(
    ("lang", "status", "heading"),
    [
        (
            "en",
            "3 overdue · 1 today · 0 next 7d · 0 later — r review · c hides completed",
            "▌ Done or cancelled (2)",
        ),
        (
            "zh",
            "逾期 3 · 今天 1 · 未来7天 0 · 以后 0   —   r 每日回顾 · c 隐藏已完成",
            "▌ 已完成或已取消 (2)",
        ),
    ],
)
async def test_the_status_line_and_group_headings_fit_80_columns(loop_db, lang, status, heading):
    """At 80 columns the status line lost "completed" without a "…" and the completed
    group's heading its count ("▌ Done or cancelled…"): a shorter wording, and a heading
    takes the whole row."""
    from crm_tui.store.tasks import complete_task, update_task

    with loop_db.session() as s:
        tasks = {t.title: t for t in s.exec(select(Task)).all()}
        complete_task(s, tasks["Plan Q1"].id, at=FROZEN)
        update_task(s, tasks["Renewal check"].id, {"status": "cancelled"}, at=FROZEN)
    app = app_on(loop_db, lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4", "c")
        await _settle(pilot)
        lines = screen_text(app).splitlines()
        assert lines[-2].strip() == status
        assert any(line.strip() == heading for line in lines)
    async with app_on(loop_db, lang).run_test(size=(120, 24)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        # (c says which way it turns: the line read the same with the closed tasks shown)
        assert ("r daily review · c completed" if lang == "en" else "r 每日回顾 · c 已完成") in (
            screen_text(pilot.app)
        )


@pytest.mark.parametrize("screen_key", ["4", "3"])
async def test_enter_on_a_card_closes_it_and_changes_nothing(loop_db, screen_key):
    """Enter on a task's card (its keys: "escape, enter: Close") pressed its first
    button, Done, and completed the task; on an interaction's card it opened the edit
    form."""
    from crm_tui.screens.dialogs.task_form import TaskCard
    from crm_tui.screens.interactions import InteractionCard

    with loop_db.reading() as conn:
        before = conn.execute("SELECT id, status FROM task ORDER BY id").fetchall()
    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press(screen_key)
        await _settle(pilot)
        listing = app.screen
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, (TaskCard, InteractionCard))
        await pilot.press("enter")
        await _settle(pilot)
        assert app.screen is listing
    with loop_db.reading() as conn:
        assert conn.execute("SELECT id, status FROM task ORDER BY id").fetchall() == before


@pytest.mark.parametrize(
    ("screen_key", "said"),
    [("4", "Open the task's card"), ("3", "Open the interaction's card")],
)
async def test_help_lists_enter_where_a_row_opens(loop_db, screen_key, said):
    """`?` left out enter on the due list and the log, where it opens the row's card."""
    from crm_tui.screens.help import HelpScreen

    app = app_on(loop_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press(screen_key)
        await _settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert ("enter", said) in app.screen._screen_keys()


async def test_a_full_interaction_card_keeps_its_buttons_at_80_by_24(loop_db):
    """Every field filled, the card ran past the terminal: its last rows and every button
    were cut off, and nothing scrolled. The body scrolls; the buttons stay in view."""
    from crm_tui.widgets.card_body import CardBody

    with loop_db.session() as s:
        cid = cs.find_customer(s, "Acme Robotics").id
        log_interaction(s, cid, {
            "subject": "Full card", "channel": "visit", "content": "Walked the line",
            "occurred_at": dt.datetime(2026, 11, 22, 9, 0), "feedback": "Happy overall",
            "attitude": "positive", "key_facts": "Budget approved", "location": "Plant 2",
            "our_people": "Me, Li", "their_people": "Emily", "next_step": "Send the sizing",
            "next_step_due": day(2),
        })  # fmt: skip
    app = app_on(loop_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await _settle(pilot)
        await pilot.press("enter")
        await pilot.pause()
        card = app.screen
        for button in ("#edit", "#delete", "#close"):
            assert card.query_one(button).region.bottom <= 23, button  # above the key bar
        body = card.query_one(CardBody)
        assert body.max_scroll_y > 0  # more than fits: it scrolls
        await pilot.press("pagedown")
        await pilot.pause()
        assert body.scroll_y > 0
        assert "Follow-up task: Send the sizing" in str(
            card.query_one("#interaction-card").render()
        )
