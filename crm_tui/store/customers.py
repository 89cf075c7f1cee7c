"""Customer and contact commands: add, edit, delete, tags, codes, profile completeness."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import partial
from typing import Any

from sqlalchemy import delete as sa_delete
from sqlalchemy import func
from sqlmodel import Session, select

from crm_tui.i18n import _
from crm_tui.store.common import NotFoundError, apply_update, raw
from crm_tui.store.fields import (  # noqa: F401  (re-exported)
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    bool_field,
    clean,
    parse_tags,
)
from crm_tui.store.models import Contact, Customer, CustomerTag, Tag, now
from crm_tui.store.name_order import name_sort_key
from crm_tui.store.sqlite import reindex_customers, settle_key_contacts
from crm_tui.store.validation import ValidationError, normalise_name

#: The template's "required" fields that profile completeness is measured over.
COMPLETENESS_FIELDS = (
    "name", "kind", "industry", "size", "registered_address", "business_address", "source",
    "first_contact", "level", "status", "needs", "budget_cents", "purchase_date",
    "primary_contact_id", "decision_maker_id", "owner",
)  # fmt: skip


def profile_completeness(customer: Customer | Mapping[str, Any]) -> int:
    """Percentage (0–100) of the template's required fields that are filled in."""
    get = customer.get if isinstance(customer, Mapping) else partial(getattr, customer)
    filled = sum(1 for f in COMPLETENESS_FIELDS if get(f) not in (None, ""))
    return round(100 * filled / len(COMPLETENESS_FIELDS))


def next_customer_code(session: Session, day: dt.date | None = None) -> str:
    """``C`` + date + a three-digit (or longer) sequence for that day: ``C20261123001``.

    The code of a customer dropped by a merge that can still be undone counts as taken.
    """
    from crm_tui.store.merging import code_held_for_undo

    day = day or dt.date.today()
    prefix = f"C{day:%Y%m%d}"
    codes = session.exec(
        select(Customer.code).where(Customer.code.like(prefix + "%"))  # type: ignore[attr-defined]
    ).all()
    held = code_held_for_undo(session)
    if held and held.startswith(prefix):
        codes = [*codes, held]
    # (isdecimal: isdigit is true of ², which int() refuses)
    seq = max((int(c[len(prefix) :]) for c in codes if c[len(prefix) :].isdecimal()), default=0)
    return f"{prefix}{seq + 1:03d}"


def set_tags(session: Session, customer_id: int, tags: list[str]) -> None:
    session.execute(sa_delete(CustomerTag).where(CustomerTag.customer_id == customer_id))
    for name in tags:
        tag = session.exec(select(Tag).where(Tag.name == name)).first()
        if tag is None:
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
        session.add(CustomerTag(customer_id=customer_id, tag_id=tag.id))
    session.flush()


def customer_tags(session: Session, customer_id: int) -> list[str]:
    return list(
        session.exec(
            select(Tag.name)
            .join(CustomerTag, CustomerTag.tag_id == Tag.id)
            .where(CustomerTag.customer_id == customer_id)
            .order_by(Tag.name)
        ).all()
    )


def create_customer(session: Session, data: Mapping[str, Any], *, tags: Any = None) -> Customer:
    """Validate and add a customer (only the name is required); returns it with id and code."""
    values = clean(CUSTOMER_FIELDS, data)
    tag_list = parse_tags(tags)
    stamp = now()
    customer = Customer(
        **{k: v for k, v in values.items() if v is not None},
        code=next_customer_code(session, stamp.date()),
        name_norm=normalise_name(values["name"]),
        name_sort=name_sort_key(values["name"]),
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(customer)
    session.flush()
    if tag_list:
        set_tags(session, customer.id, tag_list)
    reindex_customers(raw(session), [customer.id])
    return customer


def update_customer(
    session: Session, customer_id: int, data: Mapping[str, Any], *,
    expected_version: int | None = None, tags: Any = None,
) -> Customer:  # fmt: skip
    """Validate and change the given fields; refused if changed elsewhere since ``expected_version``."""
    values = clean(CUSTOMER_FIELDS, data)
    if "name" in values:
        values["name_norm"] = normalise_name(values["name"])
        values["name_sort"] = name_sort_key(values["name"])
    for key in ("kind", "status"):
        if key in values and values[key] is None:
            values[key] = "company" if key == "kind" else "active"
    customer = apply_update(session, Customer, customer_id, values, expected_version)
    if tags is not None:
        set_tags(session, customer_id, parse_tags(tags))
    reindex_customers(raw(session), [customer_id])
    return customer  # type: ignore[return-value]


def get_customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFoundError(_("This customer no longer exists"))
    return customer


def find_customer(session: Session, name_or_code: str) -> Customer | None:
    """A customer by exact code, exact name, or normalised name (for imports and the CLI)."""
    text = name_or_code.strip()
    for cond in (
        Customer.code == text,
        Customer.name == text,
        Customer.name_norm == normalise_name(text),
    ):
        found = session.exec(select(Customer).where(cond).order_by(Customer.id)).first()
        if found:
            return found
    return None


def delete_customer(session: Session, customer_id: int) -> None:
    """Delete a customer and everything that belongs to it (contacts, deals, log, tasks, orders)."""
    customer = get_customer(session, customer_id)
    session.delete(customer)
    session.flush()
    raw(session).execute("DELETE FROM customer_search WHERE rowid = ?", (customer_id,))


def count_customers(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Customer)).one()


# --- contacts ---------------------------------------------------------------


def create_contact(session: Session, customer_id: int, data: Mapping[str, Any]) -> Contact:
    """Add a contact to a customer; the first contact becomes the primary one."""
    customer = get_customer(session, customer_id)
    values = clean(CONTACT_FIELDS, data)
    stamp = now()
    contact = Contact(
        customer_id=customer_id,
        **{k: v for k, v in values.items() if v is not None},
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(contact)
    session.flush()
    if customer.primary_contact_id is None:
        customer.primary_contact_id = contact.id
    if values.get("role") == "decision_maker" and customer.decision_maker_id is None:
        customer.decision_maker_id = contact.id
    session.add(customer)
    session.flush()
    reindex_customers(raw(session), [customer_id])
    return contact


def update_contact(
    session: Session,
    contact_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
) -> Contact:
    values = clean(CONTACT_FIELDS, data)
    if "name" in values and values["name"] is None:
        raise ValidationError("name", _("Required"))
    contact = apply_update(session, Contact, contact_id, values, expected_version)
    _settle_key_contacts(session, contact.customer_id)
    reindex_customers(raw(session), [contact.customer_id])
    return contact  # type: ignore[return-value]


def delete_contact(session: Session, contact_id: int) -> None:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFoundError(_("This contact no longer exists"))
    customer = session.get(Customer, contact.customer_id)
    if customer is not None:
        if customer.primary_contact_id == contact_id:
            customer.primary_contact_id = None
        if customer.decision_maker_id == contact_id:
            customer.decision_maker_id = None
        session.add(customer)
    session.delete(contact)
    session.flush()
    _settle_key_contacts(session, contact.customer_id)
    reindex_customers(raw(session), [contact.customer_id])


def _settle_key_contacts(session: Session, customer_id: int) -> None:
    """:func:`~crm_tui.store.sqlite.settle_key_contacts` for one customer of the session."""
    session.flush()
    settle_key_contacts(raw(session), [customer_id])
    customer = session.get(Customer, customer_id)
    if customer is not None:
        session.expire(customer)  # the SQL above changed it under the ORM


def list_contacts(session: Session, customer_id: int) -> list[Contact]:
    return list(
        session.exec(
            select(Contact).where(Contact.customer_id == customer_id).order_by(Contact.id)
        ).all()
    )
