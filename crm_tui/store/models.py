"""SQLModel tables for everything in DOMAIN.md.

Money is stored in integer minor units (``*_cents``), never floats. Enumerated
fields hold the stable English keys of :mod:`crm_tui.store.enums`. Date-times
are stored as ``YYYY-MM-DD HH:MM:SS`` text (local time of the rep) so that the
standard-library fast paths and the ORM read and write the same strings.
Mutable records carry ``version`` for optimistic concurrency: an update names the
version it read, and a record changed elsewhere meanwhile is refused.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, LargeBinary, String, text
from sqlalchemy.dialects import sqlite
from sqlmodel import Field, SQLModel

_SECONDS = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d"
_SECONDS_RE = r"(\d+)-(\d+)-(\d+) (\d+):(\d+):(\d+)"
#: Date-time type: seconds precision text on SQLite, a native timestamp elsewhere.
TimeStamp = DateTime().with_variant(
    sqlite.DATETIME(storage_format=_SECONDS, regexp=_SECONDS_RE), "sqlite"
)

OPEN_TASK = text("status IN ('planned', 'in_progress')")
OPEN_DEAL = text("stage IN ('initial_contact', 'needs_confirmed', 'proposal', 'negotiation')")


def now() -> dt.datetime:
    """The current local time at seconds precision (what every timestamp stores)."""
    return dt.datetime.now().replace(microsecond=0)


def _ts(**kw) -> Field:
    return Field(default=None, sa_type=TimeStamp, **kw)


def _fk(target: str, ondelete: str, index: bool = False, nullable: bool = True):
    return Field(
        default=None,
        sa_column=Column(
            Integer, ForeignKey(target, ondelete=ondelete), index=index, nullable=nullable
        ),
    )


class Customer(SQLModel, table=True):
    __tablename__ = "customer"
    __table_args__ = (
        # the list's order by name (store.name_order), and every name for a scan
        Index("ix_customer_name_sort", "name_sort", "name"),
        Index("ix_customer_name_norm", "name_norm"),
        Index("ix_customer_level_status", "level", "status"),
        Index("ix_customer_last_interaction", "last_interaction_at"),
        Index("ix_customer_total_amount", "total_amount_cents"),
        Index("ix_customer_created", "created_at"),
        Index("ix_customer_status_sort", "status", "name_sort"),
        Index("ix_customer_status_last", "status", "last_interaction_at"),
        Index("ix_customer_status_total", "status", "total_amount_cents"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String, unique=True, nullable=False))
    name: str
    name_norm: str = ""
    #: store.name_order.name_sort_key(name): the list's order by name (pinyin)
    name_sort: bytes = Field(
        default=b"", sa_column=Column(LargeBinary, nullable=False, server_default=text("x''"))
    )
    kind: str = "company"
    industry: str | None = None
    size: str | None = None
    registered_address: str | None = None
    business_address: str | None = None
    region: str | None = None
    source: str | None = None
    first_contact: dt.date | None = Field(default=None, sa_type=Date)
    level: str | None = None
    status: str = "active"
    needs: str | None = None
    budget_cents: int | None = None
    purchase_date: dt.date | None = Field(default=None, sa_type=Date)
    primary_contact_id: int | None = Field(default=None)
    decision_maker_id: int | None = Field(default=None)
    owner: str | None = None
    total_amount_cents: int = 0
    last_order: dt.date | None = Field(default=None, sa_type=Date)
    last_interaction_at: dt.datetime | None = _ts()
    created_at: dt.datetime | None = _ts()
    updated_at: dt.datetime | None = _ts()
    version: int = 1


class Contact(SQLModel, table=True):
    __tablename__ = "contact"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", "CASCADE", index=True, nullable=False)
    name: str
    title: str | None = None
    department: str | None = None
    role: str | None = None
    gender: str | None = None
    phone: str | None = None
    mobile: str | None = None
    email: str | None = None
    wechat: str | None = None
    birthday: dt.date | None = Field(default=None, sa_type=Date)
    preferred_channel: str | None = None
    relationship: str | None = None
    notes: str | None = None
    owner: str | None = None
    created_at: dt.datetime | None = _ts()
    updated_at: dt.datetime | None = _ts()
    version: int = 1


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(sa_column=Column(String, unique=True, nullable=False))


class CustomerTag(SQLModel, table=True):
    __tablename__ = "customer_tag"
    __table_args__ = (Index("ix_customer_tag_tag", "tag_id"),)

    customer_id: int = Field(
        sa_column=Column(Integer, ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    )
    tag_id: int = Field(
        sa_column=Column(Integer, ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True)
    )


class Opportunity(SQLModel, table=True):
    __tablename__ = "opportunity"
    __table_args__ = (
        Index("ix_opportunity_stage_close", "stage", "expected_close", "amount_cents"),
        Index("ix_opportunity_stage_amount", "stage", "amount_cents", "probability"),
        Index("ix_opportunity_created", "created_at"),
        Index("ix_opportunity_actual_close", "actual_close"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", "CASCADE", index=True, nullable=False)
    contact_id: int | None = _fk("contact.id", "SET NULL")
    name: str
    product: str | None = None
    amount_cents: int = 0
    expected_close: dt.date | None = Field(default=None, sa_type=Date)
    stage: str = "initial_contact"
    probability: int = 10
    probability_overridden: bool = False
    competitor: str | None = None
    strengths: str | None = None
    weaknesses: str | None = None
    key_success_factors: str | None = None
    risks: str | None = None
    risk_flag: bool = False
    next_action: str | None = None
    next_action_due: dt.date | None = Field(default=None, sa_type=Date)
    actual_close: dt.date | None = Field(default=None, sa_type=Date)
    lost_reason: str | None = None
    #: Exit criteria ticked for the current stage, as comma-separated indexes ("0,2").
    criteria_done: str = ""
    stage_entered_at: dt.datetime | None = _ts()
    last_interaction_at: dt.datetime | None = _ts()
    created_at: dt.datetime | None = _ts()
    updated_at: dt.datetime | None = _ts()
    version: int = 1


class StageChange(SQLModel, table=True):
    __tablename__ = "stage_change"
    __table_args__ = (
        Index("ix_stage_change_opportunity", "opportunity_id", "changed_at"),
        Index("ix_stage_change_changed", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = _fk("opportunity.id", "CASCADE", nullable=False)
    from_stage: str | None = None
    to_stage: str
    changed_at: dt.datetime | None = _ts()


class Interaction(SQLModel, table=True):
    __tablename__ = "interaction"
    __table_args__ = (
        Index("ix_interaction_customer_when", "customer_id", "occurred_at"),
        Index("ix_interaction_when", "occurred_at"),
        Index("ix_interaction_opportunity", "opportunity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", "CASCADE", nullable=False)
    contact_id: int | None = _fk("contact.id", "SET NULL")
    opportunity_id: int | None = _fk("opportunity.id", "SET NULL")
    occurred_at: dt.datetime = Field(sa_type=TimeStamp)
    channel: str = "phone"
    location: str | None = None
    our_people: str | None = None
    their_people: str | None = None
    subject: str
    content: str | None = None
    feedback: str | None = None
    attitude: str | None = None
    key_facts: str | None = None
    next_step: str | None = None
    next_step_due: dt.date | None = Field(default=None, sa_type=Date)
    task_id: int | None = _fk("task.id", "SET NULL")
    created_at: dt.datetime | None = _ts()
    updated_at: dt.datetime | None = _ts()
    version: int = 1


class Task(SQLModel, table=True):
    __tablename__ = "task"
    __table_args__ = (
        # Covers `crm due` (every open task up to today) so it never reads task rows.
        Index(
            "ix_task_open_due",
            "due",
            "due_time",
            "id",
            "status",
            "type",
            "customer_id",
            "opportunity_id",
            "title",
            sqlite_where=OPEN_TASK,
        ),
        Index("ix_task_customer", "customer_id"),
        Index("ix_task_opportunity", "opportunity_id"),
        Index("ix_task_completed", "completed_at"),
        Index("ix_task_status_due", "status", "due"),
        Index(
            "ix_task_closed_completed",
            "completed_at",
            "id",
            sqlite_where=text("status IN ('done', 'cancelled')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str
    type: str = "call"
    customer_id: int | None = _fk("customer.id", "CASCADE")
    contact_id: int | None = _fk("contact.id", "SET NULL")
    opportunity_id: int | None = _fk("opportunity.id", "SET NULL")
    goal: str | None = None
    notes: str | None = None
    due: dt.date = Field(sa_type=Date)
    due_time: str | None = None  # "HH:MM", optional
    planned_start: dt.datetime | None = _ts()
    planned_end: dt.datetime | None = _ts()
    status: str = "planned"
    result: str | None = None
    completed_at: dt.datetime | None = _ts()
    created_at: dt.datetime | None = _ts()
    updated_at: dt.datetime | None = _ts()
    version: int = 1


class SalesOrder(SQLModel, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (
        Index("ix_order_customer_date_amount", "customer_id", "order_date", "amount_cents"),
        Index("ix_order_date", "order_date", "amount_cents"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = _fk("customer.id", "CASCADE", nullable=False)
    opportunity_id: int | None = _fk("opportunity.id", "SET NULL")
    order_date: dt.date = Field(sa_type=Date)
    amount_cents: int
    product: str | None = None
    order_no: str | None = Field(default=None, sa_column=Column(String, unique=True))
    created_at: dt.datetime | None = _ts()
    #: (migration 0013; its DEFAULT 1 serves the bulk inserts that do not name it)
    version: int = Field(default=1, sa_column_kwargs={"server_default": text("1")})


class Payment(SQLModel, table=True):
    __tablename__ = "payment"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = _fk("sales_order.id", "CASCADE", index=True, nullable=False)
    paid_on: dt.date = Field(sa_type=Date)
    amount_cents: int


class SalesTarget(SQLModel, table=True):
    """A monthly sales target; a quarter's target is the sum of its months."""

    __tablename__ = "sales_target"

    month: str = Field(primary_key=True)  # "YYYY-MM"
    amount_cents: int
