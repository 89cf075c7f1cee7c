"""Importing records that reference a customer: opportunities, interactions, tasks, orders.

A row that is a record already there (in the database, or an earlier row of the same
file) is not imported again (import_common.RecordImporter); which record a row is,
as a rep would say it:

- an opportunity: the same customer and name (case and spacing aside) and, when the
  row gives ``created``, created that minute (a customer's two deals of one name, as
  an export writes them, stay two); a row without ``created`` is the customer's deal
  of that name whatever its stage (a spreadsheet brought again after a deal was won
  is the same deal, not a new open one);
- an interaction: the same customer, ``when`` to the minute and subject;
- a task: the same customer (or both none), title and due day, and not another due
  time when both have one;
- a contact (import_customers): the same customer and name, and no other mobile or
  email when both have one.

Such a row writes nothing and counts as ``unchanged`` when it says nothing the record
does not, else (``--on-duplicate skip``) as a skipped duplicate with a note naming the
columns that differ; ``merge`` fills the record's empty fields from it; ``create``
imports every row. An order is its ``order_no``; one without is an order already there
of the same customer, date, amount and product, each such order standing for one row
(OrderImporter).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

from crm_tui.dates import half_width, parse_day_and_time
from crm_tui.i18n import _
from crm_tui.store import enums, fields
from crm_tui.store.fields import FieldSpec, choice_field, datetime_field, day_and_time_field
from crm_tui.store.import_common import (
    Candidate,
    Importer,
    RecordImporter,
    RowError,
    chunks,
    column_said,
    columns_for,
    iso,
    refresh_order_totals,
    stamp,
    text_key,
)
from crm_tui.store.validation import (
    ValidationError,
    check_closed_after_creation,
    check_happened,
)

# CSV column → the store's own rule for that field (the forms use the same ones), plus
# the few columns only an import has: ``stage`` and ``created`` of an opportunity, a
# ``when`` / ``due`` that must be present and may carry a time, a task's ``completed_at``
# and the ``opportunity_created`` that tells apart a customer's deals of one name. A
# column of what has happened (when, created, completed_at, an order's date, an actual
# close) reads ``周一`` and ``11-30`` backwards, as the forms do (past=True): the last
# Monday, not the next one, which was then refused as "in the future".
_OP, _IX = fields.OPPORTUNITY_FIELDS, fields.INTERACTION_FIELDS
_TK, _OR = fields.TASK_FIELDS, fields.ORDER_FIELDS

OPPORTUNITY_FIELDS: dict[str, FieldSpec] = {
    "name": _OP["name"],
    "product": _OP["product"],
    "amount": _OP["amount_cents"],
    "expected_close": _OP["expected_close"],
    "stage": choice_field(enums.STAGE),
    "probability": _OP["probability"],
    **{k: _OP[k] for k in (
        "competitor", "strengths", "weaknesses", "key_success_factors", "risks", "risk_flag",
        "next_action", "next_action_due", "actual_close", "lost_reason",
    )},
    "created": datetime_field(past=True),
}  # fmt: skip
#: A time of day as Excel writes a time cell with its seconds (14:30:00).
_WITH_SECONDS = re.compile(r"(\d{1,2}:\d{2}):\d{2}")


def _time_or_when(name: str, v: Any) -> dt.time | dt.date | None:
    """An interaction's time of day, from a column beside its date (日期 2026/11/5,
    时间 14:30): a time as a task's due_time reads one (Excel's 14:30:00 too), or, when
    the column holds dates and times after all, that date and time (or a date), which
    InteractionImporter checks against the date column's day."""
    text = half_width(str(v or "")).strip()
    if not text:
        return None
    clock = _WITH_SECONDS.fullmatch(text)
    try:
        return dt.time.fromisoformat(fields.time_field(name, clock[1] if clock else text))
    except ValidationError:
        pass
    try:
        day, time = parse_day_and_time(text, past=True)
    except ValueError:
        raise ValidationError(
            name, _("Unreadable time “{text}” (use HH:MM)").format(text=v)
        ) from None
    return day if time is None else dt.datetime.combine(day, time)


INTERACTION_FIELDS: dict[str, FieldSpec] = {
    "when": datetime_field(required=True, past=True),
    "time": _time_or_when,
    **{k: _IX[k] for k in (
        "channel", "location", "our_people", "their_people", "subject", "content", "feedback",
        "attitude", "key_facts", "next_step", "next_step_due",
    )},
    "opportunity_created": datetime_field(past=True),
}  # fmt: skip
TASK_FIELDS: dict[str, FieldSpec] = {
    "due": day_and_time_field(required=True),  # (as the task form reads it)
    **{k: _TK[k] for k in ("title", "due_time", "type", "status", "goal", "notes", "result")},
    "completed_at": datetime_field(past=True),
    "opportunity_created": datetime_field(past=True),
}
#: Stages that are an outcome: their probability is fixed and they have a close date.
CLOSED_STAGES = ("won", "after_sales", "lost")


def _required_money(name: str, v: Any) -> int:
    cents = _OR["amount_cents"](name, v)
    if cents is None:
        raise ValidationError(name, _("Required"))
    return cents


ORDER_FIELDS: dict[str, FieldSpec] = {
    "date": _OR["order_date"],
    "amount": _required_money,
    "product": _OR["product"],
    "order_no": _OR["order_no"],
}


def _not_future(importer: Importer, column: str, when: dt.datetime, text: str) -> dt.datetime:
    """The forms' rule (validation.check_happened) at the import's time, as a row error;
    returns ``when``. A day without a time (``text``, the cell) is read at 09:00: today's,
    in a file imported before nine, is the import's time, not a future hour."""
    if ":" not in half_width(text) and when.date() == importer.now.date():
        when = min(when, importer.now)
    try:
        check_happened(column, when, importer.now)
    except ValidationError as exc:
        raise RowError([column_said(importer.headers.get(column, column), exc.message)]) from None
    return when


def _at_time(
    importer: Importer, when: dt.datetime, text: str, extra: dt.time | dt.date
) -> dt.datetime:
    """``when`` (read from the ``when`` cell ``text``) at the time of day of the row's
    ``time`` column (``extra``), as a task's due takes its due_time column's. A date in
    that column must be ``when``'s day, and a time of day in both the same (midnight
    in ``when`` is a date column's no time at all): which is meant is not guessed."""

    def refused(message: str, said: str, other: str) -> RowError:
        column = importer.headers.get("time", "time")
        other_column = importer.headers.get("when", "when")
        return RowError(
            [column_said(column, message.format(said=said, column=other_column, other=other))]
        )

    if isinstance(extra, dt.date):  # a date (and time) where the time of day was expected
        day = extra.date() if isinstance(extra, dt.datetime) else extra
        if day != when.date():
            raise refused(
                _("{said}, but {column} says {other}: which day is it?"),
                day.isoformat(),
                when.date().isoformat(),
            )
        if not isinstance(extra, dt.datetime):
            return when
        extra = extra.time()
    own = parse_day_and_time(text, past=True)[1]
    if own is not None and own != dt.time(0) and own != extra:
        raise refused(
            _("{said}, but {column} says {other}: which time is it?"),
            f"{extra:%H:%M}",
            f"{own:%H:%M}",
        )
    return dt.datetime.combine(when.date(), extra)


def _common_row(importer: Importer, values: dict[str, str], customer_required: bool = True):
    """Customer reference, contact reference and field specs, all errors of the row at once."""
    errors: list[str] = []
    cid = contact_id = None
    try:
        cid = importer.customer_ref(values, required=customer_required)
        contact_id = importer.contact_ref(cid, values)
    except RowError as exc:
        errors = exc.reasons
    try:
        v = importer.validate(values)
    except RowError as exc:
        raise RowError(errors + exc.reasons) from None
    if errors:
        raise RowError(errors)
    return cid, contact_id, v.get("row", {})


class OpportunityImporter(RecordImporter):
    columns = columns_for(OPPORTUNITY_FIELDS)
    table_name = "opportunity"
    fillable = frozenset((
        "contact_id", "product", "expected_close", "competitor", "strengths", "weaknesses",
        "key_success_factors", "risks", "next_action", "next_action_due", "lost_reason",
    ))  # fmt: skip

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_opp = self.next_id("opportunity")
        self.pending: list[tuple] = []
        self.history: list[tuple] = []
        self.probability: Mapping[str, int] = self.opts.get("probabilities") or {}

    def row(self, line: int, values: dict[str, str]) -> None:
        """As store.opportunities.create_opportunity: a probability other than the stage's
        default overrides it, except at won, after-sales (100 %) and lost (0 %), which
        also get an actual close date when the file has none (close_date)."""
        cid, contact_id, o = _common_row(self, values)
        if o.get("created") is not None:  # a deal is created when it is recorded
            o["created"] = _not_future(self, "created", o["created"], values.get("created", ""))
        today = self.now.date()
        if o.get("actual_close") is not None and o["actual_close"] > today:
            header = self.headers.get("actual_close", "actual_close")
            message = _("The actual close date cannot be after today ({today})")
            raise RowError([column_said(header, message.format(today=today.isoformat()))])
        stage = o.get("stage") or "initial_contact"
        default = self.probability.get(stage, enums.DEFAULT_PROBABILITY[stage])
        given_probability = None if stage in CLOSED_STAGES else o.get("probability")
        prob = default if given_probability is None else given_probability
        overridden = given_probability is not None and given_probability != default
        made: dt.datetime = o.get("created") or self.now
        actual_close = o.get("actual_close")
        if actual_close is None and stage in CLOSED_STAGES and o.get("created") is None:
            # a past deal from a spreadsheet: it closed on its expected close date, not
            # on the day of the import (the week's report would list every old win)
            expected = o.get("expected_close")
            if expected is not None and expected <= made.date():
                actual_close = expected
        if actual_close is not None and actual_close < made.date():
            if o.get("created") is not None:
                try:
                    check_closed_after_creation("actual_close", actual_close, made.date())
                except ValidationError as exc:
                    header = self.headers.get("actual_close", "actual_close")
                    raise RowError([column_said(header, exc.message)]) from None
            # closed long ago, creation unknown: created the day it closed (a sales
            # cycle of 0 days, not a negative one from the day of the import)
            made = dt.datetime.combine(actual_close, dt.time())
        if actual_close is None and stage in CLOSED_STAGES:
            actual_close = self.close_date(o.get("expected_close"), made.date())
        created = stamp(made)
        record = (
            cid, contact_id, o["name"], o.get("product"), o.get("amount") or 0,
            iso(o.get("expected_close")), stage, prob, overridden, o.get("competitor"),
            o.get("strengths"), o.get("weaknesses"), o.get("key_success_factors"),
            o.get("risks"), bool(o.get("risk_flag")), o.get("next_action"),
            iso(o.get("next_action_due")), iso(actual_close),
            o.get("lost_reason"), "", created, created, created, 1,
        )  # fmt: skip
        given = o.get("created")
        said = {
            "contact_id": contact_id, "product": o.get("product"), "amount_cents": o.get("amount"),
            "expected_close": iso(o.get("expected_close")), "stage": o.get("stage"),
            "probability": given_probability, "risk_flag": 1 if o.get("risk_flag") else None,
            "next_action_due": iso(o.get("next_action_due")),
            "actual_close": iso(o.get("actual_close")),
            **{k: o.get(k) for k in (
                "competitor", "strengths", "weaknesses", "key_success_factors", "risks",
                "next_action", "lost_reason",
            )},
        }  # fmt: skip
        tells = (stamp(given)[:16] if given is not None else None,)
        self.offer(
            line, (cid, text_key(o["name"])), tells, said, (record, stage, made, actual_close)
        )

    def rule(self, candidate: Candidate) -> str:
        if candidate.tells[0] is not None:
            return _("same customer, name and created time")
        return _("same customer and name")

    def existing(self, customer_ids: list[int], batch: list[Candidate]):
        for oid, cid, name, made in self.conn.execute(
            "SELECT id, customer_id, name, substr(created_at, 1, 16) FROM opportunity"
            " WHERE customer_id IN (SELECT value FROM json_each(?)) AND id < ?",
            (self.as_json(customer_ids), self.first_new),
        ):
            yield (cid, text_key(name)), oid, (made,)

    def create(self, candidate: Candidate) -> int:
        record, stage, made, actual_close = candidate.payload
        oid = self.next_opp
        self.next_opp += 1
        self.pending.append((oid, *record))
        self.history += self.stage_history(oid, stage, made, actual_close)
        return oid

    @staticmethod
    def stage_history(
        oid: int, stage: str, made: dt.datetime, actual_close: dt.date | None
    ) -> list[tuple]:
        """As the form records it: the creation (None → stage), not the steps before it
        (the funnel counts those from the stage); a deal that closed on a later day than
        it was created is open from its creation (at negotiation; lost: at initial
        contact) and moves to its outcome on its actual close date, so that reports as
        of a day in between see it open and the weekly report shows the close in its
        week, not made-up moves on the day of the import."""
        created = stamp(made)
        if stage not in CLOSED_STAGES or actual_close is None or actual_close <= made.date():
            return [(oid, None, stage, created)]
        closed = stamp(dt.datetime.combine(actual_close, dt.time()))
        if stage == "lost":
            return [
                (oid, None, "initial_contact", created),
                (oid, "initial_contact", "lost", closed),
            ]
        history = [(oid, None, "negotiation", created), (oid, "negotiation", "won", closed)]
        if stage == "after_sales":
            history.append((oid, "won", "after_sales", closed))
        return history

    def close_date(self, expected: dt.date | None, created: dt.date) -> dt.date:
        """A closed deal's actual close date when the file gives neither that nor a past
        expected close date without a creation (row() takes that one): its expected
        close date when that lies between the deal's creation and the import's day,
        else the import's day. A deal never closes after today, nor before it was
        created (the funnel's sales cycle would go negative); one with no dates at all
        closes the day it is imported, as one the form creates won or lost closes the
        day it is saved."""
        today = self.now.date()
        if expected is not None and created <= expected <= today:
            return expected
        return today

    def write(self) -> None:
        if self.pending:
            self.conn.executemany(
                "INSERT INTO opportunity (id, customer_id, contact_id, name, product, amount_cents,"
                " expected_close, stage, probability, probability_overridden, competitor,"
                " strengths, weaknesses, key_success_factors, risks, risk_flag, next_action,"
                " next_action_due, actual_close, lost_reason, criteria_done, stage_entered_at,"
                " created_at, updated_at, version) VALUES "
                f"({', '.join('?' * 25)})",
                self.pending,
            )
            self.conn.executemany(
                "INSERT INTO stage_change (opportunity_id, from_stage, to_stage, changed_at) "
                "VALUES (?, ?, ?, ?)",
                self.history,
            )
            self.pending, self.history = [], []


class InteractionImporter(RecordImporter):
    columns = columns_for(INTERACTION_FIELDS)
    table_name = "interaction"
    fillable = frozenset((
        "contact_id", "opportunity_id", "location", "our_people", "their_people", "content",
        "feedback", "attitude", "key_facts", "next_step", "next_step_due",
    ))  # fmt: skip

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_interaction = self.next_id("interaction")
        self.pending: list[tuple] = []

    def row(self, line: int, values: dict[str, str]) -> None:
        # next_step / next_step_due are kept on the interaction but create no task here:
        # an export carries the tasks in their own file, and re-importing both must not
        # double them.
        cid, contact_id, v = _common_row(self, values)
        text = values.get("when", "")
        if v.get("time") is not None:  # (a time of day from its own column: 日期 + 时间)
            v["when"] = _at_time(self, v["when"], text, v["time"])
            text = f"{v['when']:%H:%M}"
        v["when"] = _not_future(self, "when", v["when"], text)
        if v.get("next_step") or v.get("next_step_due"):  # (said in the summary)
            self.result.next_steps_kept += 1
        deal = self.opportunity_ref(cid, values, v.get("opportunity_created"))
        when = stamp(v["when"])
        record = (
            cid, contact_id, deal, when, v.get("channel") or "phone",
            v.get("location"), v.get("our_people"), v.get("their_people"), v["subject"],
            v.get("content"), v.get("feedback"), v.get("attitude"), v.get("key_facts"),
            v.get("next_step"), iso(v.get("next_step_due")), None, self.now_text,
            self.now_text, 1,
        )  # fmt: skip
        said = {
            "contact_id": contact_id, "opportunity_id": deal, "channel": v.get("channel"),
            "next_step_due": iso(v.get("next_step_due")),
            **{k: v.get(k) for k in (
                "location", "our_people", "their_people", "content", "feedback", "attitude",
                "key_facts", "next_step",
            )},
        }  # fmt: skip
        self.offer(line, (cid, when[:16], text_key(v["subject"])), (), said, record)

    def rule(self, candidate: Candidate) -> str:
        return _("same customer, time and subject")

    def existing(self, customer_ids: list[int], batch: list[Candidate]):
        minutes = [c.key[1] for c in batch]
        for iid, cid, when, subject in self.conn.execute(
            "SELECT id, customer_id, substr(occurred_at, 1, 16), subject FROM interaction"
            " WHERE customer_id IN (SELECT value FROM json_each(?)) AND id < ?"
            " AND occurred_at >= ? AND occurred_at < ?",
            (self.as_json(customer_ids), self.first_new, min(minutes), max(minutes) + ":60"),
        ):
            yield (cid, when, text_key(subject)), iid, ()

    def create(self, candidate: Candidate) -> int:
        iid = self.next_interaction
        self.next_interaction += 1
        self.pending.append((iid, *candidate.payload))
        self.touched.add(candidate.key[0])
        return iid

    def write(self) -> None:
        if self.pending:
            self.conn.executemany(
                "INSERT INTO interaction (id, customer_id, contact_id, opportunity_id,"
                " occurred_at, channel, location, our_people, their_people, subject, content,"
                " feedback, attitude, key_facts, next_step, next_step_due, task_id, created_at,"
                f" updated_at, version) VALUES ({', '.join('?' * 20)})",
                self.pending,
            )
            self.pending = []

    def finish(self) -> None:
        for chunk in chunks(sorted(self.touched)):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "UPDATE customer SET last_interaction_at = (SELECT max(occurred_at) FROM "
                f"interaction WHERE customer_id = customer.id) WHERE id IN ({marks})",
                chunk,
            )


class TaskImporter(RecordImporter):
    columns = columns_for(TASK_FIELDS)
    table_name = "task"
    fillable = frozenset(("contact_id", "opportunity_id", "goal", "notes", "result", "due_time"))
    minute_columns = frozenset(("completed_at",))

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_task = self.next_id("task")
        self.pending: list[tuple] = []

    def row(self, line: int, values: dict[str, str]) -> None:
        cid, contact_id, t = _common_row(self, values, customer_required=False)
        deal = self.opportunity_ref(cid, values, t.get("opportunity_created"))
        due, time_in_due = t["due"]
        due_time = t.get("due_time")  # (a due_time column says the time, else due's own)
        if due_time is None and time_in_due is not None:
            due_time = f"{time_in_due:%H:%M}"
        status = t.get("status") or "planned"
        completed = self.completed(
            status, due, t.get("completed_at"), values.get("completed_at", "")
        )
        record = (
            t["title"], t.get("type") or "call", cid, contact_id, deal, t.get("goal"),
            t.get("notes"), due.isoformat(), due_time, status, t.get("result"),
            completed, self.now_text, self.now_text, 1,
        )  # fmt: skip
        said = {
            "contact_id": contact_id, "opportunity_id": deal, "type": t.get("type"),
            "status": t.get("status"), "goal": t.get("goal"), "notes": t.get("notes"),
            "result": t.get("result"), "due_time": due_time,
            "completed_at": completed if t.get("completed_at") is not None else None,
        }  # fmt: skip
        key = (cid, text_key(t["title"]), due.isoformat())
        self.offer(line, key, (due_time,), said, record)

    def rule(self, candidate: Candidate) -> str:
        if candidate.key[0] is None:
            return _("no customer, same title and due date")
        return _("same customer, title and due date")

    def existing(self, customer_ids: list[int], batch: list[Candidate]):
        sql = (
            "SELECT id, customer_id, title, due, due_time FROM task"
            " WHERE customer_id IN (SELECT value FROM json_each(?)) AND id < ?"
        )
        params: list = [self.as_json(customer_ids), self.first_new]
        dues = [c.key[2] for c in batch if c.key[0] is None]
        if dues:  # tasks of no customer, by their due days
            sql += (
                " UNION ALL SELECT id, customer_id, title, due, due_time FROM task"
                " WHERE customer_id IS NULL AND due IN (SELECT value FROM json_each(?))"
                " AND id < ?"
            )
            params += [self.as_json(dues), self.first_new]
        for tid, cid, title, due, due_time in self.conn.execute(sql, params):
            yield (cid, text_key(title), due), tid, (due_time,)

    def create(self, candidate: Candidate) -> int:
        tid = self.next_task
        self.next_task += 1
        self.pending.append((tid, *candidate.payload))
        return tid

    def completed(
        self, status: str, due: dt.date, given: dt.datetime | None, text: str = ""
    ) -> str | None:
        """A task's completion time: the file's ``completed_at`` for a done or cancelled task
        (refused when after today; an open task has none, as in the store), else, never
        the import's time, which would make every imported done task "done this week":

        - a done task: the end of its due day (23:59), or the import's time when that is
          still to come. The reports then count it done in its due week, on time, which
          is what a task marked done without a date most likely was;
        - a cancelled task: none. Nothing reads a cancelled task's completion time (the
          reports count done tasks only; lists sort a task without one by its due
          date), and the demo data leaves it empty, so an export imports back as it was.
        """
        if status not in ("done", "cancelled"):
            return None
        if given is not None:
            return stamp(_not_future(self, "completed_at", given, text))
        if status == "cancelled":
            return None
        end_of_due_day = dt.datetime.combine(due, dt.time(23, 59))
        return stamp(min(end_of_due_day, self.now))

    def write(self) -> None:
        if self.pending:
            self.conn.executemany(
                "INSERT INTO task (id, title, type, customer_id, contact_id, opportunity_id,"
                " goal, notes, due, due_time, status, result, completed_at, created_at,"
                f" updated_at, version) VALUES ({', '.join('?' * 16)})",
                self.pending,
            )
            self.pending = []


class OrderImporter(Importer):
    """Orders: an ``order_no`` is the order (brought up to date, never doubled). A row
    without one is an order already there when the customer has an order of that date,
    amount and product (a row leaving the product out: of any product) that no earlier
    row of the file was matched to: it writes nothing and counts as ``unchanged``. An
    order list exported from the TUI, where orders have no number, then imports back
    into its database as it is (every order was doubled, and revenue with it), and
    ``--again`` after fixing a rejected row adds that row only.

    Each order stands for one row, not for every row like it: two lines alike are two
    orders (a customer may order the same thing twice a day), as an export writes
    them, so the export imported into an empty database keeps both. ``--on-duplicate
    create`` imports every row without a number as a new order."""

    columns = columns_for(ORDER_FIELDS)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_order = self.next_id("sales_order")
        self.by_no: dict[str, tuple[int, int]] = {
            no: (oid, cid)
            for oid, cid, no in self.conn.execute(
                "SELECT id, customer_id, order_no FROM sales_order WHERE order_no IS NOT NULL"
            )
        }
        self.pending: list[tuple] = []
        #: order number → the line of this file that has it
        self.lines: dict[str, int] = {}
        self.matching = self.opts.get("on_duplicate", "skip") != "create"
        #: the first id this import gives: the orders before it are the ones rows match
        self.first_new = self.next_order
        #: new orders of the batch, in file order: (record, match key or None)
        self.waiting: list[tuple[tuple, tuple | None]] = []
        #: orders already there that a row of this file was matched to (or updated)
        self.taken: set[int] = set()

    def row(self, line: int, values: dict[str, str]) -> None:
        """A new order, or the order of that number brought up to date (a re-exported
        order list), by the order form's rules: an amount above zero and not below what
        was paid on it, a date not after today nor (changed) after its first payment, a
        number that is not another customer's order. A number twice in one file is
        refused on its second line; a product left out keeps the order's."""
        cid, _contact, o = _common_row(self, values)
        order_no = o.get("order_no")
        problems = self.problems(line, cid, o)  # type: ignore[arg-type]
        if problems:
            raise RowError(problems)
        record = (cid, iso(o["date"]), o["amount"], o.get("product"), order_no)
        if order_no:
            self.lines[order_no] = line
        if order_no and order_no in self.by_no:
            oid, _owner = self.by_no[order_no]
            self.taken.add(oid)
            self.touched.add(cid)  # type: ignore[arg-type]
            # a product the file leaves out (no column, an empty cell) stays as it was;
            # a changed order's version moves on, so an order form open on it is told
            _cid, day, amount, product, _no = record
            changed = self.conn.execute(
                "UPDATE sales_order SET order_date = ?, amount_cents = ?,"
                " product = coalesce(?, product), version = version + 1 WHERE id = ?"
                " AND (order_date, amount_cents, product) IS NOT (?, ?, coalesce(?, product))",
                (day, amount, product, oid, day, amount, product),
            ).rowcount
            if changed:
                self.result.updated += 1
            else:  # a re-exported order as it is
                self.result.unchanged += 1
            return
        key = record[:3] if self.matching and not order_no else None
        self.waiting.append((record, key))

    def existing(self, batch: list[tuple[tuple, tuple | None]]) -> dict[tuple, list[tuple]]:
        """The orders already there that the batch's rows without a number may be:
        (customer, date, amount) → [(id, product)] by id, one query over the batch's
        customers (ix_order_customer_date_amount)."""
        keys = {key for _record, key in batch if key is not None}
        found: dict[tuple, list[tuple]] = {}
        if not keys:
            return found
        days = sorted(k[1] for k in keys)
        for oid, cid, day, amount, product in self.conn.execute(
            "SELECT id, customer_id, order_date, amount_cents, product FROM sales_order"
            " WHERE customer_id IN (SELECT value FROM json_each(?)) AND order_date >= ?"
            " AND order_date <= ? AND id < ? ORDER BY id",
            (json.dumps(sorted({k[0] for k in keys})), days[0], days[-1], self.first_new),
        ):
            key = (cid, day, amount)
            if key in keys and oid not in self.taken:
                found.setdefault(key, []).append((oid, product))
        return found

    def match(self, orders: list[tuple], product: str | None) -> int | None:
        """The first order of ``orders`` (alike but for the product) the row is: of the
        same product, else, for a row without one, of any product; it is taken."""
        at = next((i for i, (_oid, has) in enumerate(orders) if has == product), None)
        if at is None and product is None and orders:
            at = 0
        if at is None:
            return None
        oid = orders.pop(at)[0]
        self.taken.add(oid)
        return oid

    def problems(self, line: int, cid: int, o: Mapping[str, Any]) -> list[str]:
        def said(column: str, message: str) -> str:
            return column_said(self.headers.get(column, column), message)

        problems = []
        if o["amount"] <= 0:
            problems.append(said("amount", _("The amount must be more than zero")))
        today = self.now.date()
        if o["date"] > today:
            message = _("This date is after today ({today})").format(today=today.isoformat())
            problems.append(said("date", message))
        order_no = o.get("order_no")
        if order_no in self.lines:
            message = _("the order number {no} is on line {line} already")
            problems.append(
                said("order_no", message.format(no=order_no, line=self.lines[order_no]))
            )
        elif order_no in self.by_no:
            oid, owner = self.by_no[order_no]
            if owner != cid:
                code, name = self.customers.info.get(owner, ("", ""))
                message = _("the order number {no} is an order of {customer} ({code})")
                problems.append(
                    said("order_no", message.format(no=order_no, customer=name, code=code))
                )
            else:
                paid, first, day = self.payments(oid)
                if o["amount"] < paid:
                    problems.append(said("amount", _("Less than what has already been paid")))
                if first is not None and iso(o["date"]) > first and iso(o["date"]) != day:
                    message = _("After this order's first payment ({date})").format(date=first)
                    problems.append(said("date", message))
        return problems

    def payments(self, order_id: int) -> tuple[int, str | None, str]:
        """What was paid on an order, the date of its first payment (or None) and the
        order's date (a date left as it is is never refused)."""
        return self.conn.execute(
            "SELECT coalesce(sum(p.amount_cents), 0), min(p.paid_on), o.order_date"
            " FROM sales_order o LEFT JOIN payment p ON p.order_id = o.id WHERE o.id = ?",
            (order_id,),
        ).fetchone()

    def flush(self) -> None:
        batch, self.waiting = self.waiting, []
        known = self.existing(batch)
        for record, key in batch:
            if key in known and self.match(known[key], record[3]) is not None:
                self.result.unchanged += 1
                continue
            self.pending.append((self.next_order, *record, self.now_text))
            self.next_order += 1
            self.touched.add(record[0])
            self.result.imported += 1
        if self.pending:
            self.conn.executemany(
                "INSERT INTO sales_order (id, customer_id, order_date, amount_cents, product,"
                " order_no, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                self.pending,
            )
            self.pending = []

    def finish(self) -> None:
        refresh_order_totals(self.conn, self.touched)
