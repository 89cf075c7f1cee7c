"""Query-plan guards: the heavy report queries read covering indexes, not whole wide tables.

Plans are taken on a fresh database without ANALYZE statistics, which is what users have.
"""

from __future__ import annotations

import pytest

from crm_tui.reports import abc, activity, distribution, forecast, funnel, rfm, weekly

P = {
    "as_of": "2026-11-30",
    "end": "2026-12-01 00:00:00",
    "start": "2026-09-01",
    "start_ts": "2026-09-01 00:00:00",
    "week_start": "2026-11-30 00:00:00",
    "week_end": "2026-12-01 00:00:00",
    "first": "2026-10-01",
    "limit": 200,
    "month_start": "2026-11-01",
    "monday": "2026-11-30",
    "sunday": "2026-12-06",
    "until": "2026-12-06",
    "cutoff": "2026-12-07",
    "done_after": "2026-12-07",
    "next_monday": "2026-12-07",
    "next_sunday": "2026-12-13",
}


def _plan(conn, sql: str) -> str:
    rows = conn.execute("EXPLAIN QUERY PLAN " + sql, P).fetchall()
    return "\n".join(row[3] for row in rows)


@pytest.mark.parametrize(
    "sql, expected",
    [
        (rfm.RFM_SQL, "COVERING INDEX ix_order_customer_date_amount"),
        (abc.ABC_SQL, "COVERING INDEX ix_order_customer_date_amount"),
        (distribution.AMOUNT_SQL, "COVERING INDEX ix_order_customer_date_amount"),
        (funnel.BASE_SQL.format(where=""), "COVERING INDEX ix_opportunity_stage"),
        (funnel.special_sql(), "ix_stage_change_to_from"),
        (
            forecast.MONTHS_SQL.format(deals="opportunity"),
            "COVERING INDEX ix_opportunity_stage_close_prob",
        ),
        (forecast.WON_SQL, "INDEX ix_opportunity_actual_close"),
        (
            forecast.OVERDUE_SQL.format(deals="opportunity"),
            "COVERING INDEX ix_opportunity_stage_close",
        ),
        (activity.INTERACTIONS_SQL, "COVERING INDEX ix_interaction_when_channel"),
        (activity.TASKS_DONE_SQL, "INDEX ix_task_completed"),
        (weekly._CLOSED_SQL.format(stages="'won', 'after_sales'"), "ix_opportunity_actual_close"),
        (weekly.PIPELINE_SQL.format(deals="opportunity"), "COVERING INDEX ix_opportunity_stage"),
        (weekly._SECTION_SQL["interactions"], "ix_interaction_when"),
        (weekly._SECTION_SQL["tasks_done"], "INDEX ix_task_completed"),
        (weekly._SECTION_SQL["tasks_overdue"], "INDEX ix_task_status_due (status=? AND due<?)"),
        (weekly._SECTION_SQL["won"], "INDEX ix_opportunity_actual_close"),
    ],
)
def test_query_uses_index(db, sql, expected):
    with db.reading() as conn:
        plan = _plan(conn, sql)
    assert expected in plan, plan


@pytest.mark.parametrize("few_changes_since", [True, False])
def test_deals_then_look_up_each_moved_deal_in_the_stage_change_index(db, few_changes_since):
    """As of a past day the forecast reads each moved deal's first move since by seeking
    (opportunity_id, changed_at), not every change since; the deals not moved since come
    from the covering index of open deals by stage."""
    from crm_tui.reports import deals_then

    source = deals_then._THEN_SQL.format(
        columns=deals_then._COLUMNS,
        open=deals_then._OPEN,
        not_moved=deals_then._LISTED if few_changes_since else deals_then._LOOKED_UP,
        default_probability="0",
    )
    with db.reading() as conn:
        plan = _plan(conn, forecast.MONTHS_SQL.format(deals=source))
    assert "ix_stage_change_opportunity (opportunity_id=? AND changed_at>?)" in plan, plan
    assert "COVERING INDEX ix_opportunity_stage_close_prob (stage=?)" in plan, plan
