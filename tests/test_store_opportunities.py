"""Opportunity commands: validation, stage moves and undo, criteria, marks, board queries."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.settings import Settings
from crm_tui.store import opportunities as ops
from crm_tui.store.common import ConflictError, raw
from crm_tui.store.customers import create_customer
from crm_tui.store.models import Opportunity, StageChange
from crm_tui.store.validation import ValidationError

T0 = dt.datetime(2026, 11, 1, 9, 0, 0)
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def customer(session):
    return create_customer(session, {"name": "Acme Ltd", "level": "A"})


def test_create_defaults_probability_and_records_first_stage(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, when=T0)
    assert (opp.stage, opp.probability, opp.probability_overridden) == (
        "initial_contact",
        10,
        False,
    )
    hist = ops.stage_history(session, opp.id)
    assert [(h.from_stage, h.to_stage, h.changed_at) for h in hist] == [
        (None, "initial_contact", T0)
    ]


def test_create_at_stage_and_overridden_probability(session, customer):
    opp = ops.create_opportunity(
        session, customer.id, {"name": "CRM", "probability": "60%", "amount_cents": "12,345.67"},
        stage="proposal",
    )  # fmt: skip
    assert opp.stage == "proposal"
    assert opp.probability == 60 and opp.probability_overridden
    assert opp.amount_cents == 1234567
    same = ops.create_opportunity(
        session, customer.id, {"name": "x", "probability": 50}, stage="proposal"
    )
    assert not same.probability_overridden


@pytest.mark.parametrize("text", ["５０％", "５０", "50％", "　５０ ％", "50%"])
def test_a_probability_typed_full_width_is_read(session, customer, text):
    """５０％, as a Chinese input method types it, was "Not a whole number" while 80%
    and other full-width input (dates, amounts) were read."""
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP", "probability": text})
    assert (opp.probability, opp.probability_overridden) == (50, True)


@pytest.mark.parametrize("text", ["٥٠", "5_0", "50.5", "５０％％x"])
def test_a_probability_of_other_digits_is_not_a_whole_number(session, customer, text):
    with pytest.raises(ValidationError) as err:
        ops.create_opportunity(session, customer.id, {"name": "ERP", "probability": text})
    assert (err.value.field, err.value.message) == (
        "probability",
        f"Not a whole number: “{text}”",
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "ok", "amount_cents": "abc"}, "amount_cents"),
        ({"name": "ok", "probability": "150"}, "probability"),
        ({"name": "ok", "expected_close": "soonish"}, "expected_close"),
        ({"name": "ok", "next_action": "call 11010519491231002X"}, "next_action"),
        ({"name": "ok", "risks": "card 4111 1111 1111 1111"}, "risks"),
    ],
)
def test_validation(session, customer, data, field):
    with pytest.raises(ValidationError) as err:
        ops.create_opportunity(session, customer.id, data)
    assert err.value.field == field


def test_customer_required(session):
    with pytest.raises(ValidationError) as err:
        ops.create_opportunity(session, None, {"name": "x"})  # type: ignore[arg-type]
    assert err.value.field == "customer_id"


def test_update_with_version_conflict(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"})
    v = opp.version
    ops.update_opportunity(session, opp.id, {"amount_cents": "100"}, expected_version=v)
    with pytest.raises(ConflictError):
        ops.update_opportunity(session, opp.id, {"amount_cents": "200"}, expected_version=v)
    assert session.get(Opportunity, opp.id).amount_cents == 10000


def test_update_probability_blank_follows_stage_again(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP", "probability": 33})
    assert opp.probability_overridden
    opp = ops.update_opportunity(session, opp.id, {"probability": ""})
    assert (opp.probability, opp.probability_overridden) == (10, False)


def test_move_records_change_resets_criteria_and_follows_probability(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, when=T0)
    ops.toggle_criterion(session, opp.id, 0)
    when = T0 + dt.timedelta(days=3)
    move = ops.move_stage(session, opp.id, "needs_confirmed", when=when)
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.probability, opp.criteria_done) == ("needs_confirmed", 25, "")
    assert opp.stage_entered_at == when
    change = session.get(StageChange, move.change_id)
    assert (change.from_stage, change.to_stage, change.changed_at) == (
        "initial_contact", "needs_confirmed", when,
    )  # fmt: skip


def test_overridden_probability_survives_moves(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP", "probability": 40})
    ops.move_stage(session, opp.id, "needs_confirmed")
    assert session.get(Opportunity, opp.id).probability == 40


def test_configured_probabilities(session, customer):
    s = Settings()
    stages = dict(s.stages)
    from dataclasses import replace

    stages["needs_confirmed"] = replace(stages["needs_confirmed"], probability=30)
    s = replace(s, stages=stages)
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, settings=s)
    ops.move_stage(session, opp.id, "needs_confirmed", settings=s)
    assert session.get(Opportunity, opp.id).probability == 30


def test_won_sets_close_and_amount_and_undo_restores(session, customer):
    opp = ops.create_opportunity(
        session, customer.id, {"name": "ERP", "amount_cents": "1000"}, stage="negotiation", when=T0
    )
    ops.toggle_criterion(session, opp.id, 1)
    move = ops.move_stage(
        session, opp.id, "won", when=T0 + dt.timedelta(days=2), actual_close="2026-11-02",
        amount="1,234.50",
    )  # fmt: skip
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.actual_close, opp.amount_cents, opp.probability) == (
        "won", dt.date(2026, 11, 2), 123450, 100,
    )  # fmt: skip
    ops.undo_move(session, move.change_id, previous=move.previous)
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.amount_cents, opp.actual_close, opp.probability) == (
        "negotiation", 100000, None, 75,
    )  # fmt: skip
    assert opp.criteria_done == "1" and opp.stage_entered_at == T0
    assert [h.to_stage for h in ops.stage_history(session, opp.id)] == ["negotiation"]


def test_undo_without_snapshot_uses_history(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, when=T0)
    move = ops.move_stage(session, opp.id, "lost", lost_reason="Price", when=T0 + dt.timedelta(1))
    assert session.get(Opportunity, opp.id).lost_reason == "Price"
    ops.undo_move(session, move.change_id)
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.stage_entered_at, opp.probability) == ("initial_contact", T0, 10)


def test_only_latest_move_can_be_undone(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, when=T0)
    first = ops.move_stage(session, opp.id, "needs_confirmed", when=T0 + dt.timedelta(1))
    ops.move_stage(session, opp.id, "proposal", when=T0 + dt.timedelta(2))
    with pytest.raises(ConflictError):
        ops.undo_move(session, first.change_id)
    with pytest.raises(ValidationError):
        ops.undo_move(session, ops.stage_history(session, opp.id)[0].id)


def test_move_conflict_and_same_stage(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"})
    with pytest.raises(ConflictError):
        ops.move_stage(session, opp.id, "proposal", expected_version=opp.version - 1)
    with pytest.raises(ValidationError):
        ops.move_stage(session, opp.id, "initial_contact")


def test_ladder():
    assert ops.next_stage("negotiation") == "won"
    assert ops.next_stage("won") == "after_sales"
    assert ops.next_stage("after_sales") is None
    assert ops.previous_stage("initial_contact") is None
    assert ops.previous_stage("won") == "negotiation"
    assert ops.next_stage("lost") is None


def test_criteria_toggle_and_progress(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, stage="needs_confirmed")
    ops.toggle_criterion(session, opp.id, 0)
    opp = ops.toggle_criterion(session, opp.id, 2)
    assert ops.criteria_progress(opp.stage, opp.criteria_done) == (2, 3)
    assert ops.unticked_criteria(opp.stage, opp.criteria_done, "en") == [
        "Decision maker identified"
    ]
    assert ops.unticked_criteria(opp.stage, opp.criteria_done, "zh") == ["已确定决策人"]
    opp = ops.toggle_criterion(session, opp.id, 0)
    assert ops.criteria_progress(opp.stage, opp.criteria_done) == (1, 3)
    with pytest.raises(ValidationError):
        ops.toggle_criterion(session, opp.id, 7)


def test_stalled_and_overdue_rules():
    entered = dt.datetime(2026, 11, 1, 9)
    # initial contact expects 14 days: the 15th day over is stalled
    assert not ops.is_stalled("initial_contact", entered, None, entered, dt.date(2026, 11, 15))
    assert ops.is_stalled("initial_contact", entered, None, entered, dt.date(2026, 11, 16))
    # proposal (21 days) but no interaction for more than 30 days
    old = dt.datetime(2026, 9, 1, 9)
    recent = dt.datetime(2026, 11, 10, 9)
    assert ops.is_stalled("proposal", recent, old, old, TODAY)
    assert not ops.is_stalled("proposal", recent, "2026-11-20 10:00:00", old, TODAY)
    assert ops.is_stalled("proposal", entered, "2026-11-20 10:00:00", old, TODAY)  # 22 > 21 days
    assert not ops.is_stalled("won", old, old, old, TODAY)
    assert ops.is_overdue("proposal", dt.date(2026, 11, 22), None, TODAY)
    assert ops.is_overdue("proposal", None, "2026-11-01", TODAY)
    assert not ops.is_overdue("proposal", TODAY, TODAY, TODAY)
    assert not ops.is_overdue("won", dt.date(2026, 1, 1), None, TODAY)


def _seed_board(session, customer):
    other = create_customer(session, {"name": "北京星辰科技有限公司", "level": "C"})
    specs = [
        (customer.id, "A1", "initial_contact", "100.10", "2026-12-01"),
        (customer.id, "A2", "initial_contact", "200.20", "2026-11-30"),
        (other.id, "B1", "initial_contact", "0.05", None),
        (other.id, "B2", "proposal", "333.33", "2026-12-15"),
        (customer.id, "W-old", "won", "900", "2026-09-01"),
        (customer.id, "W-new", "won", "500", "2026-11-20"),
    ]
    ids = {}
    for cid, name, stage, amount, close in specs:
        opp = ops.create_opportunity(
            session, cid, {"name": name, "amount_cents": amount, "expected_close": close},
            stage=stage, when=T0,
        )  # fmt: skip
        ids[name] = opp.id
    session.get(Opportunity, ids["W-old"]).actual_close = dt.date(2026, 9, 1)
    session.get(Opportunity, ids["W-new"]).actual_close = dt.date(2026, 11, 20)
    session.flush()
    return ids


def test_column_summaries_exact(session, customer):
    _seed_board(session, customer)
    sums = ops.column_summaries(raw(session), ops.BoardFilter(), TODAY)
    ic = sums["initial_contact"]
    assert (ic.count, ic.amount_cents) == (3, 10010 + 20020 + 5)
    # 30035 cents × 10% = 3003.5 → 3004 (half up)
    assert ic.weighted_cents == 3004
    assert (sums["proposal"].count, sums["proposal"].weighted_cents) == (1, 16667)  # 16666.5
    assert (sums["won"].count, sums["won"].amount_cents) == (1, 50000)
    assert sums["lost"].count == 0
    every = ops.column_summaries(raw(session), ops.BoardFilter(all_closed=True), TODAY)
    assert (every["won"].count, every["won"].amount_cents) == (2, 140000)


def test_column_page_order_filters_and_position(session, customer):
    ids = _seed_board(session, customer)
    conn = raw(session)
    page = ops.column_page(conn, "initial_contact", ops.BoardFilter(), TODAY)
    assert [c.name for c in page] == ["A2", "A1", "B1"]
    assert page[0].customer == "Acme Ltd" and page[0].criteria == (0, 2)
    assert [
        c.name for c in ops.column_page(conn, "initial_contact", ops.BoardFilter(), TODAY, 1, 1)
    ] == ["A1"]
    by_text = ops.column_summaries(conn, ops.BoardFilter(text="星辰"), TODAY)
    assert by_text["initial_contact"].count == 1 and by_text["proposal"].count == 1
    assert (
        ops.column_summaries(conn, ops.BoardFilter(text="a%"), TODAY)["initial_contact"].count == 0
    )
    by_level = ops.column_summaries(conn, ops.BoardFilter(level="A"), TODAY)
    assert by_level["initial_contact"].count == 2 and by_level["proposal"].count == 0
    by_month = ops.column_page(
        conn, "initial_contact", ops.BoardFilter(close_month="2026-12"), TODAY
    )
    assert [c.name for c in by_month] == ["A1"]
    assert ops.card_position(conn, ids["B1"], ops.BoardFilter(), TODAY) == ("initial_contact", 2)
    assert ops.card_position(conn, ids["W-old"], ops.BoardFilter(), TODAY) is None
    assert "2026-12" in ops.close_months(conn)


def test_card_marks(session, customer):
    opp = ops.create_opportunity(
        session, customer.id,
        {"name": "Late", "next_action": "call", "next_action_due": "2026-11-20", "risk_flag": "yes"},
        when=T0,
    )  # fmt: skip
    [card] = ops.column_page(raw(session), "initial_contact", ops.BoardFilter(), TODAY)
    assert card.id == opp.id
    assert card.stalled and card.overdue and card.risk_flag  # 22 days in a 14-day stage


def test_delete(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"})
    ops.delete_opportunity(session, opp.id)
    assert session.get(Opportunity, opp.id) is None
    assert ops.stage_history(session, opp.id) == []


def test_search_and_reopen(session, customer):
    ids = _seed_board(session, customer)
    conn = raw(session)
    found = ops.search_opportunities(conn, "w-")
    assert [r[1] for r in found] == ["W-old", "W-new"]  # by expected close
    assert ops.search_opportunities(conn, "b2")[0][2] == "北京星辰科技有限公司"
    ops.move_stage(session, ids["B2"], "lost", lost_reason="budget")
    assert ops.reopen_stage(conn, ids["B2"]) == "proposal"
    assert ops.count_opportunities(conn) == 6
    assert ops.criteria_done_of(conn, ids["B2"]) == ""


def test_board_reads_need_no_orm():
    """The pipeline's first frame reads through store.board, which must stay ORM-free."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import crm_tui.store.board, crm_tui.screens.pipeline\n"
        "print(','.join(m for m in ('sqlalchemy', 'sqlmodel') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


def test_pages_follow_the_column_order_across_segments(session, customer):
    """Dated cards (by date, then larger amount first) before undated; positions agree."""
    specs = [("2026-12-01", "5"), (None, "7"), ("2026-11-30", "1"), (None, "9"),
             ("2026-12-01", "8"), ("2026-11-30", "1"), (None, "7")]  # fmt: skip
    for i, (close, amount) in enumerate(specs):
        ops.create_opportunity(
            session, customer.id, {"name": f"D{i}", "expected_close": close, "amount_cents": amount}
        )
    conn = raw(session)
    flt = ops.BoardFilter()
    full = ops.column_page(conn, "initial_contact", flt, TODAY, 0, 100)
    keys = [
        (c.expected_close is None, c.expected_close or dt.date.min, -c.amount_cents, c.id)
        for c in full
    ]
    assert keys == sorted(keys) and len(full) == 7
    for size in (1, 2, 3):
        paged = []
        for offset in range(0, 7, size):
            paged += ops.column_page(conn, "initial_contact", flt, TODAY, offset, size)
        assert [c.id for c in paged] == [c.id for c in full]
    for i, card in enumerate(full):
        assert ops.card_position(conn, card.id, flt, TODAY) == ("initial_contact", i)


def test_won_without_close_date_counts_by_stage_entry(session, customer):
    recent = ops.create_opportunity(session, customer.id, {"name": "R"}, stage="won", when=T0)
    session.get(Opportunity, recent.id).actual_close = None
    old = ops.create_opportunity(
        session, customer.id, {"name": "O"}, stage="won", when=dt.datetime(2026, 9, 1, 9)
    )
    session.get(Opportunity, old.id).actual_close = None
    session.flush()
    conn = raw(session)
    assert ops.column_summaries(conn, ops.BoardFilter(), TODAY)["won"].count == 1
    assert [c.id for c in ops.column_page(conn, "won", ops.BoardFilter(), TODAY)] == [recent.id]
    assert ops.card_position(conn, old.id, ops.BoardFilter(), TODAY) is None
    assert ops.card_position(conn, old.id, ops.BoardFilter(all_closed=True), TODAY) == ("won", 1)


# --- undo guards, fixed outcome probabilities, closed columns (exploratory test s7) ---------


def test_undo_is_refused_after_a_later_edit_and_keeps_it(session, customer):
    """Undo used to write the whole snapshot back, silently reverting an edit made since."""
    opp = ops.create_opportunity(
        session, customer.id, {"name": "ERP", "amount_cents": "45,900"}, stage="needs_confirmed",
        when=T0,
    )  # fmt: skip
    move = ops.move_stage(session, opp.id, "initial_contact", when=T0 + dt.timedelta(1))
    ops.update_opportunity(session, opp.id, {"amount_cents": "50,000"})
    with pytest.raises(ConflictError, match="edited after this move"):
        ops.undo_move(session, move.change_id, previous=move.previous, after=move.after)
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.amount_cents) == ("initial_contact", 5000000)
    assert len(ops.stage_history(session, opp.id)) == 2  # the change is still recorded


def test_undo_after_ticking_a_criterion_still_works(session, customer):
    """Ticks belong to the stage the undo leaves: they never block it."""
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, when=T0)
    move = ops.move_stage(session, opp.id, "needs_confirmed", when=T0 + dt.timedelta(1))
    ops.toggle_criterion(session, opp.id, 0)
    ops.undo_move(session, move.change_id, previous=move.previous, after=move.after)
    assert session.get(Opportunity, opp.id).stage == "initial_contact"


def test_undo_restores_the_probability_override_flag(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, stage="needs_confirmed")
    assert (opp.probability, opp.probability_overridden) == (25, False)
    back = ops.move_stage(session, opp.id, "initial_contact")
    ops.update_opportunity(session, opp.id, {"probability": 60})
    # (an edit after the move: the board refuses that undo; without the guard the
    # snapshot must still restore the flag along with the number)
    ops.undo_move(session, back.change_id, previous=back.previous)
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.probability, opp.probability_overridden) == (
        "needs_confirmed", 25, False,
    )  # fmt: skip
    ops.move_stage(session, opp.id, "proposal")
    assert session.get(Opportunity, opp.id).probability == 50  # follows the stage again


@pytest.mark.parametrize(("stage", "probability"), [("lost", 0), ("won", 100)])
def test_outcomes_fix_the_probability_whatever_the_override(session, customer, stage, probability):
    opp = ops.create_opportunity(
        session, customer.id, {"name": "ERP", "probability": 60, "amount_cents": "50,800"},
        stage="negotiation",
    )  # fmt: skip
    assert opp.probability_overridden
    move = ops.move_stage(session, opp.id, stage, lost_reason="budget cut")
    opp = session.get(Opportunity, opp.id)
    assert (opp.probability, opp.probability_overridden) == (probability, False)
    weighted = ops.column_summaries(raw(session), ops.BoardFilter(), TODAY)[stage]
    assert weighted.weighted_cents == 5080000 * probability // 100
    # an edit cannot give a closed deal another probability either
    ops.update_opportunity(session, opp.id, {"probability": 30})
    assert session.get(Opportunity, opp.id).probability == probability
    # undo gives the override back
    ops.undo_move(session, move.change_id, previous=move.previous, after=None)
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.probability, opp.probability_overridden) == ("negotiation", 60, True)


def test_created_closed_deals_take_the_outcome_probability(session, customer):
    lost = ops.create_opportunity(
        session, customer.id, {"name": "L", "probability": 40}, stage="lost"
    )
    won = ops.create_opportunity(
        session, customer.id, {"name": "W", "probability": 40}, stage="won"
    )
    assert (lost.probability, lost.probability_overridden) == (0, False)
    assert (won.probability, won.probability_overridden) == (100, False)


def test_reopening_clears_the_lost_reason_and_undo_brings_it_back(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, stage="needs_confirmed")
    ops.move_stage(session, opp.id, "lost", lost_reason="price")
    reopen = ops.move_stage(session, opp.id, "needs_confirmed")
    assert session.get(Opportunity, opp.id).lost_reason is None
    ops.undo_move(session, reopen.change_id, previous=reopen.previous, after=reopen.after)
    opp = session.get(Opportunity, opp.id)
    assert (opp.stage, opp.lost_reason) == ("lost", "price")


def test_a_lost_deal_keeps_a_reason(session, customer):
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, stage="needs_confirmed")
    ops.move_stage(session, opp.id, "lost", lost_reason="price")
    with pytest.raises(ValidationError) as err:
        ops.update_opportunity(session, opp.id, {"lost_reason": ""})
    assert err.value.field == "lost_reason"
    ops.update_opportunity(session, opp.id, {"lost_reason": "budget cut"})  # changed, fine
    assert session.get(Opportunity, opp.id).lost_reason == "budget cut"


def test_closed_columns_show_the_latest_closed_first(session, customer):
    """Won / lost cards show the day they closed, so they are sorted by it (newest first),
    in the 30-day window and with `a` (all); positions agree with the pages."""
    specs = [("W1", "2026-11-01", "2026-12-31", "5"), ("W2", "2026-11-20", "2026-10-01", "5"),
             ("W3", "2026-11-20", None, "9"), ("W4", "2026-08-01", "2026-11-30", "1"),
             ("W5", None, "2026-11-01", "3")]  # fmt: skip
    ids = {}
    for name, closed, expected, amount in specs:
        opp = ops.create_opportunity(
            session, customer.id, {"name": name, "expected_close": expected, "amount_cents": amount},
            stage="won", when=T0,
        )  # fmt: skip
        session.get(Opportunity, opp.id).actual_close = closed and dt.date.fromisoformat(closed)
        ids[name] = opp.id
    session.flush()
    conn = raw(session)
    recent = ops.column_page(conn, "won", ops.BoardFilter(), TODAY)
    assert [c.name for c in recent] == ["W3", "W2", "W1", "W5"]  # undated (by entry) last
    assert recent[0].actual_close == dt.date(2026, 11, 20)
    every = ops.BoardFilter(all_closed=True)
    full = ops.column_page(conn, "won", every, TODAY)
    assert [c.name for c in full] == ["W3", "W2", "W1", "W4", "W5"]
    for size in (1, 2):
        paged = []
        for offset in range(0, 5, size):
            paged += ops.column_page(conn, "won", every, TODAY, offset, size)
        assert [c.id for c in paged] == [c.id for c in full]
    for flt, cards in ((ops.BoardFilter(), recent), (every, full)):
        for i, card in enumerate(cards):
            assert ops.card_position(conn, card.id, flt, TODAY) == ("won", i)


def test_deal_orders_customers_and_the_closed_window(session, customer):
    from crm_tui.store.orders import add_payment, create_order

    conn = raw(session)
    assert ops.has_customers(conn)
    opp = ops.create_opportunity(session, customer.id, {"name": "ERP"}, stage="negotiation")
    assert ops.deal_orders(conn, customer.id, opp.id) == []
    order = create_order(
        session, customer.id,
        {"order_date": "2026-11-02", "amount_cents": "1000", "opportunity_id": opp.id},
    )  # fmt: skip
    add_payment(session, order.id, {"paid_on": "2026-11-03", "amount_cents": "400"})
    create_order(session, customer.id, {"order_date": "2026-11-05", "amount_cents": "7"})
    assert ops.deal_orders(conn, customer.id, opp.id) == [(order.id, "2026-11-02", 100000, 40000)]
    assert ops.closed_out_of_window(conn, opp.id, TODAY) is None  # open
    ops.move_stage(session, opp.id, "won", actual_close="2026-10-20")
    assert ops.closed_out_of_window(conn, opp.id, TODAY) == "2026-10-20"
    assert ops.closed_out_of_window(conn, opp.id, dt.date(2026, 11, 1)) is None


def test_no_customers(session):
    assert not ops.has_customers(raw(session))


def test_a_customers_closed_deal_shows_the_day_it_closed(session, customer):
    from crm_tui.store.lists import customer_deals

    won = ops.create_opportunity(
        session, customer.id, {"name": "ERP", "expected_close": "2026-12-20"}, stage="won"
    )
    session.get(Opportunity, won.id).actual_close = dt.date(2026, 11, 23)
    ops.create_opportunity(session, customer.id, {"name": "Open", "expected_close": "2027-01-10"})
    session.flush()
    dates = {r[1]: r[4] for r in customer_deals(raw(session), customer.id)}  # name, close
    assert dates == {"ERP": "2026-11-23", "Open": "2027-01-10"}
