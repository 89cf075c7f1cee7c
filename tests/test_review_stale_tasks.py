"""A task done, cancelled or deleted elsewhere is not completed, snoozed or moved again
(the daily review works from the queue it read when it started); snoozing never runs
past the last date; the task form's status has no blank choice."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlmodel import select
from textual.widgets import Select
from textual.widgets._select import SelectOverlay

from crm_tui.app import make_app
from crm_tui.screens.dialogs.task_form import TaskFormDialog
from crm_tui.screens.review import ReviewScreen
from crm_tui.screens.tasks import TasksScreen
from crm_tui.store import customers as cs
from crm_tui.store.common import ConflictError
from crm_tui.store.models import Task
from crm_tui.store.tasks import (
    TaskClosedError,
    complete_task,
    create_task,
    reschedule_task,
    snooze_task,
    update_task,
)
from crm_tui.store.validation import ValidationError

FROZEN = dt.datetime(2026, 11, 23, 9, 30)  # a Monday
TODAY = FROZEN.date()
ELSEWHERE = dt.datetime(2026, 11, 23, 8, 0)  # when the other window ticked it off


def day(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def app_on(db):
    return make_app(db.path, clock=lambda: FROZEN)


async def _settle(pilot):
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def _errors(app) -> list[str]:
    return [n.message for n in app._notifications if n.severity == "error"]


def _row(db, task_id: int) -> Task:
    with db.session() as s:
        return s.exec(select(Task).where(Task.id == task_id)).one()


# --- the store ---------------------------------------------------------------------


def test_a_closed_task_is_not_completed_snoozed_or_moved_again(session):
    task = create_task(session, {"title": "call", "due": day(-2)}, at=FROZEN)
    complete_task(session, task.id, at=ELSEWHERE)
    done = session.get(Task, task.id)
    stamp, version, due = done.completed_at, done.version, done.due
    for write in (
        lambda: complete_task(session, task.id, at=FROZEN),
        lambda: snooze_task(session, task.id, 1, today=TODAY),
        lambda: snooze_task(session, task.id, 7, today=TODAY),
        lambda: reschedule_task(session, task.id, day(5)),
    ):
        with pytest.raises(ConflictError) as err:  # (a TaskClosedError)
            write()
        assert str(err.value) == "This task was already done elsewhere"
    session.refresh(done)
    assert (done.completed_at, done.version, done.due) == (stamp, version, due)

    cancelled = create_task(session, {"title": "mail", "due": day(-1), "status": "cancelled"})
    with pytest.raises(TaskClosedError) as err:
        complete_task(session, cancelled.id, at=FROZEN)
    assert str(err.value) == "This task was cancelled elsewhere"
    assert err.value.status == "cancelled"

    # reopened (the task form), it is open again: done and snoozed as ever
    update_task(session, task.id, {"status": "planned"})
    assert snooze_task(session, task.id, 1, today=TODAY).due == day(1)
    assert complete_task(session, task.id, at=FROZEN).status == "done"


def test_snoozing_past_the_last_date_is_refused_not_overflowed(session):
    last = create_task(session, {"title": "someday", "due": dt.date.max})
    for days in (1, 7):
        with pytest.raises(ValidationError) as err:
            snooze_task(session, last.id, days, today=TODAY)
        assert err.value.field == "due"
        assert err.value.message == (
            "This task is due 9999-12-31: it cannot be snoozed past 2100-12-31"
        )
    assert session.get(Task, last.id).due == dt.date.max
    # (such a date came from an old database or a file: snoozing never moves it further)
    almost = create_task(session, {"title": "almost", "due": dt.date(9999, 12, 30)})
    with pytest.raises(ValidationError):
        snooze_task(session, almost.id, 1, today=TODAY)


# --- the daily review --------------------------------------------------------------


@pytest.fixture
def review_db(db):
    """Three overdue tasks for one customer: the review's first three cards."""
    with db.session() as s:
        acme = cs.create_customer(s, {"name": "Acme Robotics", "level": "A"})
        for n, title in ((-3, "Send contract draft"), (-2, "Call Emily"), (-1, "Visit plant")):
            create_task(s, {"title": title, "due": day(n), "customer_id": acme.id}, at=FROZEN)
    return db


async def _start_review(pilot) -> ReviewScreen:
    await pilot.press("4")
    await _settle(pilot)
    await pilot.press("r")
    await _settle(pilot)
    review = pilot.app.screen
    assert isinstance(review, ReviewScreen)
    return review


def _close_elsewhere(db, task_id: int, status: str) -> None:
    """Another window (a second connection to the file) closes the task."""
    with sqlite3.connect(db.path) as other:
        other.execute(
            "UPDATE task SET status = ?, completed_at = ?, version = version + 1 WHERE id = ?",
            (status, ELSEWHERE.isoformat(sep=" "), task_id),
        )


async def test_done_in_the_review_on_a_task_done_elsewhere_says_so_and_moves_on(review_db):
    app = app_on(review_db)
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        review = await _start_review(pilot)
        first = review.current
        assert first["title"] == "Send contract draft"
        _close_elsewhere(review_db, first["id"], "done")
        before = _row(review_db, first["id"])
        await pilot.press("x")
        await _settle(pilot)
        assert app.screen is review  # no "what next?" offer for it
        assert "This task was already done elsewhere" in _errors(app)
        assert review.index == 1 and review.current["title"] == "Call Emily"
        assert review.tally.done == 0
        after = _row(review_db, first["id"])
        assert (after.completed_at, after.version) == (before.completed_at, before.version)
        # the next card is done as ever
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("n")  # (nothing next)
        await _settle(pilot)
        assert review.tally.done == 1 and review.index == 2
        await pilot.press("escape")
        await pilot.pause()
        summary = str(review.query_one("#review-card").render())
        assert "Done: 1" in summary


@pytest.mark.parametrize("key", ["s", "S"])
async def test_snooze_in_the_review_on_a_task_closed_elsewhere_leaves_it(review_db, key):
    app = app_on(review_db)
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        review = await _start_review(pilot)
        first = review.current
        _close_elsewhere(review_db, first["id"], "done")
        second = review.queue[1]
        _close_elsewhere(review_db, second["id"], "cancelled")
        await pilot.press(key)
        await _settle(pilot)
        await pilot.press(key)
        await _settle(pilot)
        assert _errors(app) == [
            "This task was already done elsewhere",
            "This task was cancelled elsewhere",
        ]
        assert review.index == 2 and review.tally.snoozed == 0
        assert _row(review_db, first["id"]).due == day(-3)  # not moved
        assert _row(review_db, second["id"]).due == day(-2)
        await pilot.press(key)  # the third, still open, snoozes as ever
        await _settle(pilot)
        assert review.tally.snoozed == 1 and review.finished
        assert _row(review_db, review.queue[2]["id"]).due > TODAY


async def test_a_task_deleted_elsewhere_is_passed_by_too(review_db):
    app = app_on(review_db)
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        review = await _start_review(pilot)
        with sqlite3.connect(review_db.path) as other:
            other.execute("DELETE FROM task WHERE id = ?", (review.current["id"],))
        await pilot.press("x")
        await _settle(pilot)
        assert "This task no longer exists" in _errors(app)
        assert review.index == 1 and review.tally.done == 0


async def test_snooze_on_the_due_list_past_the_last_date_says_why(db):
    with db.session() as s:
        task_id = create_task(s, {"title": "someday", "due": dt.date.max}).id
    app = app_on(db)
    async with app.run_test(size=(140, 45), notifications=True) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        assert isinstance(app.screen, TasksScreen)
        await pilot.press("s")
        await _settle(pilot)
        assert _errors(app) == [
            "Could not save: This task is due 9999-12-31: it cannot be snoozed past 2100-12-31"
        ]
    assert _row(db, task_id).due == dt.date.max


# --- the task form -----------------------------------------------------------------


async def test_the_task_forms_status_offers_no_blank_choice(review_db):
    app = app_on(review_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("e")  # the oldest overdue task: Send contract draft
        await pilot.pause()
        form = app.screen
        assert isinstance(form, TaskFormDialog)
        kind = form.query_one("#field-type", Select)
        assert kind.value != Select.NULL and not kind._allow_blank  # no blank type either
        status = form.query_one("#field-status", Select)
        assert status.value == "planned"
        status.focus()
        await pilot.press("enter")  # the pick list
        await pilot.pause()
        overlay = status.query_one(SelectOverlay)
        prompts = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
        assert prompts == ["Planned", "In progress", "Done", "Cancelled"]  # no "—"
        await pilot.press("end", "enter")  # the last choice: cancelled
        await pilot.pause()
        assert status.value == "cancelled"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert isinstance(app.screen, TasksScreen)
    with review_db.session() as s:
        task = s.exec(select(Task).where(Task.title == "Send contract draft")).one()
        assert task.status == "cancelled" and task.completed_at == FROZEN


async def test_the_task_form_says_a_bad_due_date_and_a_bad_time_in_one_save(review_db):
    """The time's problem was said only once the date was mended (one more save)."""
    from textual.widgets import Input, Label

    app = app_on(review_db)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("4")
        await _settle(pilot)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        form.query_one("#field-due", Input).value = "+9999w"
        form.query_one("#field-due_time", Input).value = "25:99"
        await pilot.press("ctrl+s")
        await _settle(pilot)
        assert app.screen is form
        assert str(form.query_one("#error-due", Label).render())
        assert str(form.query_one("#error-due_time", Label).render())
    with review_db.session() as s:
        task = s.exec(select(Task).where(Task.title == "Send contract draft")).one()
        assert task.due_time is None  # nothing saved
