"""Snapshot tests of the customers screen (the empty state, a list) and of a customer's
detail, in English and Chinese."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.app import make_app
from crm_tui.store import customers as cs

FROZEN = dt.datetime(2026, 11, 23, 9, 30)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


ACCOUNTS = [
    # name, level, status, industry, last interaction, total amount (cents)
    ("上海华为技术有限公司", "A", "active", "software", "2026-11-20 10:00:00", 128_000_050),
    ("Acme Robotics Ltd.", "B", "active", "manufacturing", "2026-11-02 15:30:00", 4_500_000),
    ("北京明远科技", "C", "dormant", "internet", "2026-06-11 09:00:00", 0),
    ("Globex Corporation", "A", "active", "finance", None, 98_765_432),
    ("深圳腾达贸易有限公司", "D", "lost", "trade", "2025-12-30 17:45:00", 1_200_000),
    ("Initech GmbH", "B", "active", "services", "2026-11-22 11:00:00", 250_000),
]


@pytest.fixture
def accounts_db(db):
    """Fixed accounts (codes and dates pinned) so the snapshot changes only with the screen."""
    with db.session() as s:
        ids = [
            cs.create_customer(s, {"name": n, "level": lv, "status": st, "industry": ind}).id
            for n, lv, st, ind, _last, _total in ACCOUNTS
        ]
    with db.reading() as conn:
        for i, (cid, (_n, _lv, _st, _ind, last, total)) in enumerate(
            zip(ids, ACCOUNTS, strict=True), 1
        ):
            conn.execute(
                "UPDATE customer SET code = ?, last_interaction_at = ?, total_amount_cents = ?,"
                " created_at = '2026-01-05 09:00:00' WHERE id = ?",
                (f"C20260105{i:03d}", last, total, cid),
            )
        conn.commit()
    return db


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_empty_state(snap_compare, db, lang):
    app = make_app(db.path, lang=lang, clock=lambda: FROZEN)
    assert snap_compare(app, terminal_size=(120, 30), run_before=settle)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_list(snap_compare, accounts_db, lang):
    app = make_app(accounts_db.path, lang=lang, clock=lambda: FROZEN)
    assert snap_compare(app, terminal_size=(130, 34), run_before=settle)


async def open_customer(pilot, name: str) -> None:
    await settle(pilot)
    await pilot.press("/", *name, "enter", "enter")
    await settle(pilot)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_customer_detail(snap_compare, accounts_db, lang):
    """A customer with a contact, a deal, an interaction and a task."""
    from crm_tui.store.interactions import log_interaction
    from crm_tui.store.opportunities import create_opportunity
    from crm_tui.store.tasks import create_task

    at = dt.datetime(2026, 11, 20, 16, 0)
    with accounts_db.session() as s:
        acme = cs.find_customer(s, "Acme Robotics Ltd.")
        contact = cs.create_contact(
            s, acme.id, {"name": "Emily Chen", "title": "CTO", "mobile": "13800138000",
                         "email": "emily@acme-robotics.cn"},
        )  # fmt: skip
        deal = create_opportunity(
            s, acme.id, {"name": "Robotic arm X200", "amount_cents": 4_800_000,
                         "expected_close": dt.date(2026, 12, 15), "contact_id": contact.id},
            when=at,
        )  # fmt: skip
        log_interaction(
            s, acme.id, {"subject": "Quote walkthrough", "channel": "visit",
                         "occurred_at": dt.datetime(2026, 11, 21, 10, 30),
                         "opportunity_id": deal.id},
            at=FROZEN,
        )  # fmt: skip
        create_task(
            s, {"title": "Send the revised quote", "due": dt.date(2026, 11, 25),
                "customer_id": acme.id, "type": "email"},
            at=FROZEN,
        )  # fmt: skip
    app = make_app(accounts_db.path, lang=lang, clock=lambda: FROZEN)
    assert snap_compare(
        app, terminal_size=(130, 34), run_before=lambda pilot: open_customer(pilot, "Acme")
    )


def test_customer_detail_empty_at_80_columns(snap_compare, accounts_db):
    """Nothing yet: each section says which key fills it; the profile narrows."""
    app = make_app(accounts_db.path, lang="zh", clock=lambda: FROZEN)
    assert snap_compare(
        app, terminal_size=(80, 24), run_before=lambda pilot: open_customer(pilot, "Initech")
    )
