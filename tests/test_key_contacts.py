"""A customer's primary contact and decision maker follow its contacts (no screen picks them)."""

from __future__ import annotations

from crm_tui.store.customers import create_contact, create_customer, delete_contact, update_contact
from crm_tui.store.models import Customer


def test_the_next_contact_becomes_primary_when_the_primary_goes(session):
    c = create_customer(session, {"name": "Acme"})
    zhang = create_contact(session, c.id, {"name": "张三"})
    li = create_contact(session, c.id, {"name": "李四"})
    assert session.get(Customer, c.id).primary_contact_id == zhang.id
    delete_contact(session, zhang.id)
    assert session.get(Customer, c.id).primary_contact_id == li.id
    delete_contact(session, li.id)
    assert session.get(Customer, c.id).primary_contact_id is None


def test_a_contact_edited_into_the_decision_maker_role_is_recorded(session):
    c = create_customer(session, {"name": "Acme"})
    create_contact(session, c.id, {"name": "张三"})
    li = create_contact(session, c.id, {"name": "李四"})
    assert session.get(Customer, c.id).decision_maker_id is None
    update_contact(session, li.id, {"role": "decision_maker"})
    assert session.get(Customer, c.id).decision_maker_id == li.id
    update_contact(session, li.id, {"role": "user"})  # no longer decides
    assert session.get(Customer, c.id).decision_maker_id is None


def test_a_recorded_decision_maker_is_kept_when_another_one_appears(session):
    c = create_customer(session, {"name": "Acme"})
    wang = create_contact(session, c.id, {"name": "王五", "role": "decision_maker"})
    zhao = create_contact(session, c.id, {"name": "赵六"})
    update_contact(session, zhao.id, {"role": "decision_maker"})
    assert session.get(Customer, c.id).decision_maker_id == wang.id
    delete_contact(session, wang.id)
    assert session.get(Customer, c.id).decision_maker_id == zhao.id
