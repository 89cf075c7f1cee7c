"""The deals as they stood at the end of a day, for reports "as of" a past date.

A deal's stage then is the ``from_stage`` of its first stage change after that day, or
its stage now when it has none (as the funnel reads it); deals created after the day
(their first change since is their creation, from no stage) are left out. Amounts and
expected close dates have no history: they are taken as they are now. A deal's
probability then is its own when it has not moved since, otherwise the default of its
stage then: a probability set by hand has no history either, and may well have been set
after the day (at the stage the deal has now).

:func:`open_deals_then` gives a FROM-clause source with the columns of ``opportunity``
that the reports read (:func:`open_deals_table` for a report that reads it twice). When
nothing was created or moved after the day (every report as of today) it is the
``opportunity`` table itself, so the queries keep their indexes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from crm_tui.store import enums

_OPEN = "('initial_contact', 'needs_confirmed', 'proposal', 'negotiation')"
_COLUMNS = "id, stage, expected_close, amount_cents, probability"
_LATER_CHANGES_SQL = "SELECT count(*) FROM stage_change WHERE changed_at >= :end"
_LATER_DEALS_SQL = "SELECT EXISTS (SELECT 1 FROM opportunity WHERE created_at >= :end)"
#: Up to this many changes since, the open deals not moved since are found by listing the
#: deals moved since (a week or a month back: few); more (a year back), by looking up
#: each open deal's changes since, which costs the same however far back.
FEW_LATER_CHANGES = 150_000
# Deals open now and not moved (nor created) since, as they are now; then the deals moved
# since, at the stage their first move since left (a creation since, from no stage, is
# not there then). That move is looked up per deal: the first entry from ``:end`` on in
# the (opportunity_id, changed_at) index, one row read per deal, not one per change.
_THEN_SQL = """(
    SELECT {columns} FROM opportunity AS o
    WHERE stage IN {open} AND {not_moved}
      AND id NOT IN (SELECT id FROM opportunity WHERE created_at >= :end)
    UNION ALL
    SELECT o.id, l.stage, o.expected_close, o.amount_cents, {default_probability}
    FROM (
        SELECT id, (
            SELECT s.from_stage FROM stage_change s
            WHERE s.opportunity_id = moved.id AND s.changed_at >= :end
            ORDER BY s.changed_at, s.id LIMIT 1
        ) AS stage
        FROM (SELECT DISTINCT opportunity_id AS id FROM stage_change WHERE changed_at >= :end)
            AS moved
    ) AS l
    CROSS JOIN opportunity o ON o.id = l.id
    WHERE l.stage IN {open}
)"""
_LISTED = "id NOT IN (SELECT opportunity_id FROM stage_change WHERE changed_at >= :end)"
_LOOKED_UP = (
    "NOT EXISTS (SELECT 1 FROM stage_change s WHERE s.opportunity_id = o.id"
    " AND s.changed_at >= :end)"
)


def open_deals_then(
    conn: sqlite3.Connection, end: str, probabilities: Mapping[str, int] | None = None
) -> str:
    """A source (``opportunity`` or a subquery) whose open deals are those open before ``end``.

    Its columns: ``id, stage, expected_close, amount_cents, probability`` (the subquery
    holds only the open deals; read ``opportunity`` by id for the rest). ``end`` is the
    ``:end`` parameter the caller binds (:func:`crm_tui.reports.day_after` of the as-of
    day). ``probabilities`` are the stages' default probabilities (config.toml's,
    ``Settings.probabilities()``), by default DOMAIN.md's.
    """
    params = {"end": end}
    later_changes = conn.execute(_LATER_CHANGES_SQL, params).fetchone()[0]
    if not later_changes and not conn.execute(_LATER_DEALS_SQL, params).fetchone()[0]:
        return "opportunity"
    chances = {**enums.DEFAULT_PROBABILITY, **(probabilities or {})}
    whens = " ".join(f"WHEN '{stage}' THEN {int(p)}" for stage, p in chances.items())
    return _THEN_SQL.format(
        columns=_COLUMNS,
        open=_OPEN,
        not_moved=_LISTED if later_changes <= FEW_LATER_CHANGES else _LOOKED_UP,
        default_probability=f"(CASE l.stage {whens} ELSE 0 END)",
    )


_TABLE = "temp.crm_open_deals_then"


@contextmanager
def open_deals_table(
    conn: sqlite3.Connection, end: str, probabilities: Mapping[str, int] | None = None
) -> Iterator[str]:
    """:func:`open_deals_then` for a report that reads it more than once (the forecast:
    its months, then its overdue list): as of a past day, the subquery is worked out
    once into a temporary table (about half the time at 200,000 deals), dropped after.
    As of today it is the ``opportunity`` table, with its indexes."""
    source = open_deals_then(conn, end, probabilities)
    if source == "opportunity":
        yield source
        return
    conn.execute(f"DROP TABLE IF EXISTS {_TABLE}")
    conn.execute(f"CREATE TABLE {_TABLE} AS SELECT * FROM {source} AS o", {"end": end})
    try:
        yield _TABLE
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {_TABLE}")
