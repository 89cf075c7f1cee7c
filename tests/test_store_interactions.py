"""Interaction log commands: next step → task, derived dates, links, search, paging, timeline."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from crm_tui.store.common import raw
from crm_tui.store.customers import create_contact, create_customer, delete_customer
from crm_tui.store.interaction_log import (
    LogFilter,
    count_interactions,
    list_interactions,
)
from crm_tui.store.interactions import delete_interaction, log_interaction, update_interaction
from crm_tui.store.lists import CustomerTimeline, search_customers
from crm_tui.store.models import Customer, Opportunity, Task
from crm_tui.store.validation import ValidationError

NOW = dt.datetime(2026, 11, 23, 10, 30)


@pytest.fixture
def acme(session):
    customer = create_customer(session, {"name": "Acme 华东制造", "level": "A"})
    contact = create_contact(session, customer.id, {"name": "王芳", "mobile": "13800001111"})
    deal = Opportunity(customer_id=customer.id, name="ERP rollout", amount_cents=100_000_00)
    session.add(deal)
    session.flush()
    return customer, contact, deal


def test_a_next_step_time_is_its_tasks_time_when_logged_and_when_edited(session, acme):
    customer, _contact, _deal = acme
    step = {"subject": "Call", "next_step": "Call back", "next_step_due": "2026-11-26"}
    it = log_interaction(session, customer.id, step, at=NOW, next_step_time="9:05")
    task = session.get(Task, it.task_id)
    assert (task.due, task.due_time) == (dt.date(2026, 11, 26), "09:05")
    update_interaction(session, it.id, {}, at=NOW, next_step_time="14:30")  # the time alone
    assert session.get(Task, it.task_id).due_time == "14:30"
    with pytest.raises(ValidationError):
        log_interaction(session, customer.id, step, at=NOW, next_step_time="25:00")


def test_next_step_creates_linked_task(session, acme):
    customer, contact, deal = acme
    it = log_interaction(
        session,
        customer.id,
        {
            "channel": "visit",
            "subject": "Site visit",
            "contact_id": contact.id,
            "opportunity_id": deal.id,
            "attitude": "positive",
            "next_step": "Send quote",
            "next_step_due": dt.date(2026, 11, 26),
        },
        at=NOW,
    )
    assert it.occurred_at == NOW
    task = session.get(Task, it.task_id)
    assert task.title == "Send quote"
    assert task.due == dt.date(2026, 11, 26)
    assert (task.customer_id, task.contact_id, task.opportunity_id) == (
        customer.id,
        contact.id,
        deal.id,
    )
    assert task.type == "visit" and task.status == "planned"
    assert session.get(Customer, customer.id).last_interaction_at == NOW
    assert session.get(Opportunity, deal.id).last_interaction_at == NOW


def test_minimum_is_subject(session, acme):
    customer, _, _ = acme
    with pytest.raises(ValidationError) as err:
        log_interaction(session, customer.id, {"subject": "  "}, at=NOW)
    assert err.value.field == "subject"
    it = log_interaction(session, customer.id, {"subject": "Quick call"}, at=NOW)
    assert it.channel == "phone" and it.task_id is None


def test_bad_date_and_foreign_contact_rejected(session, acme):
    customer, _, _ = acme
    other = create_customer(session, {"name": "Other"})
    stranger = create_contact(session, other.id, {"name": "Bob"})
    with pytest.raises(ValidationError) as err:
        log_interaction(
            session, customer.id, {"subject": "x", "next_step": "y", "next_step_due": "32-45"}
        )
    assert err.value.field == "next_step_due"
    with pytest.raises(ValidationError) as err:
        log_interaction(session, customer.id, {"subject": "x", "contact_id": stranger.id})
    assert err.value.field == "contact_id"
    with pytest.raises(ValidationError) as err:
        log_interaction(session, customer.id, {"subject": "x", "next_step": "call back"})
    assert err.value.field == "next_step_due"


def test_due_alone_makes_follow_up_task(session, acme):
    customer, _, _ = acme
    it = log_interaction(
        session, customer.id, {"subject": "Call", "next_step_due": dt.date(2026, 12, 1)}, at=NOW
    )
    assert session.get(Task, it.task_id).title == "Follow up: Call"


def test_last_interaction_recomputed_on_update_and_delete(session, acme):
    customer, _, deal = acme
    old = log_interaction(
        session,
        customer.id,
        {"subject": "Old", "occurred_at": dt.datetime(2026, 11, 1, 9)},
        at=NOW,
    )
    new = log_interaction(
        session, customer.id, {"subject": "New", "opportunity_id": deal.id}, at=NOW
    )
    assert session.get(Customer, customer.id).last_interaction_at == NOW
    delete_interaction(session, new.id)
    assert session.get(Customer, customer.id).last_interaction_at == dt.datetime(2026, 11, 1, 9)
    assert session.get(Opportunity, deal.id).last_interaction_at is None
    update_interaction(
        session, old.id, {"occurred_at": dt.datetime(2026, 11, 5, 9)}, expected_version=1
    )
    assert session.get(Customer, customer.id).last_interaction_at == dt.datetime(2026, 11, 5, 9)


def test_full_text_search_follows_edits_and_deletes(session, acme):
    customer, _, _ = acme
    a = log_interaction(
        session, customer.id, {"subject": "报价讨论", "content": "客户希望降低价格百分之十"}, at=NOW
    )
    log_interaction(session, customer.id, {"subject": "Demo", "feedback": "liked the dashboard"})
    conn = raw(session)
    assert [r["id"] for r in list_interactions(conn, LogFilter(text="降低价格"))] == [a.id]
    assert count_interactions(conn, LogFilter(text="dashboard")) == 1
    assert count_interactions(conn, LogFilter(text="报价")) == 1  # two characters: LIKE
    update_interaction(session, a.id, {"content": "no more price talk"})
    assert count_interactions(conn, LogFilter(text="降低价格")) == 0
    assert count_interactions(conn, LogFilter(text="price talk")) == 1
    delete_interaction(session, a.id)
    assert count_interactions(conn, LogFilter(text="price talk")) == 0


def test_every_word_of_a_log_search_counts_however_short(session, acme):
    customer, _, _ = acme
    quote = log_interaction(session, customer.id, {"subject": "Quote review"}, at=NOW)
    both = log_interaction(session, customer.id, {"subject": "报价", "content": "讨论细节"}, at=NOW)
    conn = raw(session)

    def found(text: str) -> list[int]:
        return [r["id"] for r in list_interactions(conn, LogFilter(text=text))]

    assert found("quote 报价") == []  # no record has both words
    assert found("报价 讨论") == [both.id]  # two short words, in different fields
    assert found("讨论 报价") == [both.id]
    assert found("quote re") == [quote.id]


def test_search_index_follows_customer_cascade(session, acme):
    customer, _, _ = acme
    log_interaction(session, customer.id, {"subject": "cascade check"}, at=NOW)
    delete_customer(session, customer.id)
    conn = raw(session)
    assert count_interactions(conn, LogFilter(text="cascade")) == 0
    assert conn.execute(
        "INSERT INTO interaction_search(interaction_search) VALUES ('integrity-check')"
    )


def test_paging_filters_newest_first(session, acme):
    customer, _, _ = acme
    other = create_customer(session, {"name": "Beta"})
    for day in range(1, 11):
        log_interaction(
            session,
            customer.id if day % 2 else other.id,
            {
                "subject": f"Call {day}",
                "occurred_at": dt.datetime(2026, 11, day, 9),
                "channel": "email" if day > 5 else "phone",
                "attitude": "negative" if day == 3 else None,
            },
        )
    conn = raw(session)
    page1 = list_interactions(conn, limit=4)
    page2 = list_interactions(conn, limit=4, offset=4)
    assert [r["subject"] for r in page1] == ["Call 10", "Call 9", "Call 8", "Call 7"]
    assert [r["subject"] for r in page2] == ["Call 6", "Call 5", "Call 4", "Call 3"]
    f = LogFilter(date_from=dt.date(2026, 11, 3), date_to=dt.date(2026, 11, 6))
    assert count_interactions(conn, f) == 4
    assert count_interactions(conn, LogFilter(channel="email")) == 5
    assert count_interactions(conn, LogFilter(customer_id=customer.id)) == 5
    assert [r["subject"] for r in list_interactions(conn, LogFilter(attitude="negative"))] == [
        "Call 3"
    ]
    assert [r["name"] for r in search_customers(conn, "Acme")] == ["Acme 华东制造"]
    assert [r["name"] for r in search_customers(conn, "华东制")] == ["Acme 华东制造"]
    assert [r["name"] for r in search_customers(conn, "Be")] == ["Beta"]


def test_customer_timeline_newest_first(session, acme):
    customer, _, deal = acme
    log_interaction(
        session,
        customer.id,
        {
            "subject": "Kick-off",
            "occurred_at": dt.datetime(2026, 11, 2, 9),
            "next_step": "Demo",
            "next_step_due": dt.date(2026, 11, 20),
        },
    )
    raw(session).execute(
        "INSERT INTO stage_change(opportunity_id, from_stage, to_stage, changed_at) "
        "VALUES (?, 'initial_contact', 'proposal', '2026-11-10 12:00:00')",
        (deal.id,),
    )
    raw(session).execute(
        "INSERT INTO sales_order(customer_id, order_date, amount_cents, product) "
        "VALUES (?, '2026-11-15', 5000, 'Licences')",
        (customer.id,),
    )
    timeline = CustomerTimeline(raw(session), customer.id)
    assert timeline.count() == 4
    rows = timeline.fetch(0, 10)
    assert [kind for _key, _when, kind, _title, _detail in rows] == [
        "task", "order", "stage_change", "interaction"
    ]  # fmt: skip
    # the open task (no time of day) and the order have a day, not a made-up midnight
    assert [when for _key, when, *_rest in rows] == [
        "2026-11-20", "2026-11-15", "2026-11-10 12:00:00", "2026-11-02 09:00:00"
    ]  # fmt: skip
    assert timeline.fetch(2, 2)[0][2] == "stage_change"


def test_changing_the_next_step_moves_its_open_task(session, acme):
    customer, _, _ = acme
    it = log_interaction(
        session, customer.id,
        {"subject": "Quote", "next_step": "Send quote", "next_step_due": dt.date(2026, 11, 26)},
        at=NOW,
    )  # fmt: skip
    update_interaction(
        session, it.id, {"next_step": "Call to confirm", "next_step_due": dt.date(2026, 12, 5)},
        at=NOW,
    )  # fmt: skip
    task = session.get(Task, it.task_id)
    assert (task.title, task.due, task.version) == ("Call to confirm", dt.date(2026, 12, 5), 2)
    with pytest.raises(ValidationError) as err:  # a step without a date, as when logging
        update_interaction(session, it.id, {"next_step_due": None}, at=NOW)
    assert err.value.field == "next_step_due"


def _logged_with_step(session, customer):
    return log_interaction(
        session, customer.id,
        {"subject": "Quote", "next_step": "Send quote", "next_step_due": dt.date(2026, 11, 26)},
        at=NOW,
    )  # fmt: skip


def test_a_done_follow_up_task_is_history(session, acme):
    customer, _, _ = acme
    it = _logged_with_step(session, customer)
    done_id = it.task_id
    session.get(Task, done_id).status = "done"
    update_interaction(session, it.id, {"next_step_due": dt.date(2026, 12, 5)}, at=NOW)
    assert session.get(Task, done_id).due == dt.date(2026, 11, 26)


@pytest.mark.parametrize("ending", ["done", "cancelled", "deleted"])
def test_a_new_step_after_the_task_ended_makes_a_new_task(session, acme, ending):
    """As on logging: a changed step whose task is closed or gone gets a new planned task."""
    customer, contact, deal = acme
    it = _logged_with_step(session, customer)
    update_interaction(session, it.id, {"contact_id": contact.id, "opportunity_id": deal.id})
    old_id = it.task_id
    if ending == "deleted":
        session.delete(session.get(Task, old_id))
        session.flush()
        session.refresh(it)
    else:
        session.get(Task, old_id).status = ending
    record = update_interaction(
        session, it.id, {"next_step": "Call again", "next_step_due": dt.date(2026, 11, 25)},
        at=NOW,
    )  # fmt: skip
    assert record.task_id is not None  # (SQLite may reuse a deleted task's id)
    task = session.get(Task, record.task_id)
    assert (task.title, task.due, task.status) == ("Call again", dt.date(2026, 11, 25), "planned")
    assert (task.customer_id, task.contact_id, task.opportunity_id) == (
        customer.id, contact.id, deal.id,
    )  # fmt: skip
    if ending != "deleted":
        old = session.get(Task, old_id)
        assert (old.title, old.due, old.status) == ("Send quote", dt.date(2026, 11, 26), ending)
    # a new due date alone also counts as a changed step
    session.get(Task, record.task_id).status = "done"
    again = update_interaction(session, it.id, {"next_step_due": dt.date(2026, 12, 1)}, at=NOW)
    newest = session.get(Task, again.task_id)
    assert (newest.title, newest.due, newest.status) == (
        "Call again", dt.date(2026, 12, 1), "planned",
    )  # fmt: skip
    assert len(session.exec(select(Task)).all()) == (2 if ending == "deleted" else 3)


def test_an_unchanged_step_makes_no_task(session, acme):
    """Editing the rest of a record never brings back a task that ended or was deleted."""
    customer, _, _ = acme
    it = _logged_with_step(session, customer)
    session.get(Task, it.task_id).status = "done"
    update_interaction(session, it.id, {"subject": "Quote (edited)"}, at=NOW)
    session.delete(session.get(Task, it.task_id))
    session.flush()
    session.refresh(it)
    assert it.task_id is None
    update_interaction(
        session, it.id,
        {"subject": "Quote", "next_step": "Send quote", "next_step_due": dt.date(2026, 11, 26)},
        at=NOW,
    )  # fmt: skip
    assert it.task_id is None and len(session.exec(select(Task)).all()) == 0


def test_a_new_wording_keeps_a_snoozed_due_date(session, acme):
    customer, _, _ = acme
    it = _logged_with_step(session, customer)
    task = session.get(Task, it.task_id)
    task.due = dt.date(2026, 12, 12)  # snoozed on the due list
    update_interaction(session, it.id, {"next_step": "Send quote and book a call"}, at=NOW)
    assert (task.title, task.due) == ("Send quote and book a call", dt.date(2026, 12, 12))
    assert it.next_step_due == dt.date(2026, 11, 26)


def test_a_new_due_date_keeps_a_title_edited_on_the_task(session, acme):
    customer, _, _ = acme
    it = _logged_with_step(session, customer)
    task = session.get(Task, it.task_id)
    task.title = "Send quote v2 to 王芳"  # edited on the task form
    update_interaction(session, it.id, {"next_step_due": dt.date(2026, 12, 5)}, at=NOW)
    assert (task.title, task.due) == ("Send quote v2 to 王芳", dt.date(2026, 12, 5))
    update_interaction(  # both changed: both carried over
        session, it.id, {"next_step": "Call", "next_step_due": dt.date(2026, 12, 7)}, at=NOW
    )
    assert (task.title, task.due) == ("Call", dt.date(2026, 12, 7))


def test_an_interaction_cannot_happen_after_today(session, acme):
    customer, _, _ = acme
    with pytest.raises(ValidationError) as err:
        log_interaction(
            session, customer.id,
            {"subject": "Typo", "occurred_at": dt.datetime(2026, 12, 23, 9)}, at=NOW,
        )  # fmt: skip
    assert err.value.field == "occurred_at"
    # the import's words (test_import_roundtrip), and what to do instead
    assert err.value.message == (
        "2026-12-23 09:00 is in the future: only what has happened can be recorded."
        " Plan what comes next as a next step"
    )
    with pytest.raises(ValidationError):  # later today has not happened either (NOW 10:30)
        log_interaction(
            session, customer.id,
            {"subject": "Meeting", "occurred_at": dt.datetime(2026, 11, 23, 17)}, at=NOW,
        )  # fmt: skip
    this_morning = log_interaction(
        session, customer.id,
        {"subject": "Meeting", "occurred_at": dt.datetime(2026, 11, 23, 10, 30)}, at=NOW,
    )  # fmt: skip
    with pytest.raises(ValidationError):
        update_interaction(
            session, this_morning.id, {"occurred_at": dt.datetime(2026, 11, 24, 9)}, at=NOW
        )
    last = session.get(Customer, customer.id).last_interaction_at
    assert last == dt.datetime(2026, 11, 23, 10, 30)


def test_every_problem_of_a_log_is_said_at_once(session, acme):
    """A subject too long and a time in the future: the second was said only once the
    first was mended, one save later."""
    customer, _, _ = acme
    now = NOW
    with pytest.raises(ValidationError) as err:
        log_interaction(
            session, customer.id, {"subject": "x" * 1500, "occurred_at": "2027-06-01 10:00"}, at=now
        )
    assert [field for field, _message in err.value.errors] == ["subject", "occurred_at"]
    record = log_interaction(session, customer.id, {"subject": "Call"}, at=now)
    with pytest.raises(ValidationError) as err:
        update_interaction(
            session, record.id, {"subject": "", "occurred_at": "2027-06-01 10:00"}, at=now
        )
    assert err.value.errors == [
        ("subject", "Required"),
        ("occurred_at", "2027-06-01 10:00 is in the future: only what has happened can be"
         " recorded. Plan what comes next as a next step"),
    ]  # fmt: skip
    assert update_interaction(session, record.id, {"content": "Spoke to Bob"}, at=now).subject == (
        "Call"
    )
