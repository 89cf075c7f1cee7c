"""Reading the pipeline with the standard library: stage ladder, marks, column headers, card pages.

Everything here takes a DB-API connection (the stdlib one from
``Database.reading()``/``connect()`` or ``common.raw(session)``) and imports
neither SQLAlchemy nor SQLModel, so the pipeline's first frame does not wait for
the ORM. Aggregation is SQL GROUP BY over the ``(stage, amount_cents, probability)``
index; cards come a page at a time (LIMIT/OFFSET) in the column's sort order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from crm_tui.store import enums

RECENT_DAYS = 30


def _settings(settings):
    if settings is None:
        from crm_tui.settings import Settings

        settings = Settings()
    return settings


def default_probability(stage: str, settings=None) -> int:
    s = _settings(settings).stages.get(stage)
    return s.probability if s else enums.DEFAULT_PROBABILITY.get(stage, 0)


def next_stage(stage: str) -> str | None:
    """The stage `>` moves to; lost deals re-open at the first stage."""
    if stage == "lost":
        return None
    ladder = enums.STAGE_LADDER
    i = ladder.index(stage)
    return ladder[i + 1] if i + 1 < len(ladder) else None


def previous_stage(stage: str) -> str | None:
    """The stage `<` moves to (lost has no previous step; undo reverses a loss)."""
    if stage == "lost":
        return None
    ladder = enums.STAGE_LADDER
    i = ladder.index(stage)
    return ladder[i - 1] if i > 0 else None


def criteria_indexes(criteria_done: str | None) -> set[int]:
    return {int(p) for p in (criteria_done or "").split(",") if p.strip().isdigit()}


def criteria_progress(stage: str, criteria_done: str | None, settings=None) -> tuple[int, int]:
    """(ticked, total) exit criteria of the deal's current stage; (0, 0) when it has none."""
    s = _settings(settings).stages.get(stage)
    total = len(s.exit_criteria) if s else 0
    done = len([i for i in criteria_indexes(criteria_done) if i < total])
    return done, total


def unticked_criteria(stage: str, criteria_done: str | None, lang: str, settings=None) -> list[str]:
    s = _settings(settings).stages.get(stage)
    if not s:
        return []
    done = criteria_indexes(criteria_done)
    return [text for i, text in enumerate(s.criteria(lang)) if i not in done]


def _as_date(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def is_stalled(
    stage: str,
    stage_entered_at: Any,
    last_interaction_at: Any,
    created_at: Any,
    today: dt.date,
    settings=None,
) -> bool:
    """An open deal over its stage's expected days, or without an interaction for ``stalled_days``.

    A deal never followed up counts from its creation (a brand-new deal is not stalled).
    """
    if stage not in enums.OPEN_STAGES:
        return False
    settings = _settings(settings)
    expected = settings.stages[stage].expected_days if stage in settings.stages else None
    entered = _as_date(stage_entered_at) or _as_date(created_at)
    if expected and entered and (today - entered).days > expected:
        return True
    touched = _as_date(last_interaction_at) or _as_date(created_at)
    return bool(touched and (today - touched).days > settings.stalled_days)


def is_overdue(stage: str, next_action_due: Any, expected_close: Any, today: dt.date) -> bool:
    """An open deal whose next action is past due or whose expected close date has passed."""
    if stage not in enums.OPEN_STAGES:
        return False
    due = _as_date(next_action_due)
    close = _as_date(expected_close)
    return bool((due and due < today) or (close and close < today))


def weighted_cents(amount_cents_times_probability: int) -> int:
    """Σ(amount × probability%) in cents, rounded half up (exact integer arithmetic)."""
    return int(
        (Decimal(amount_cents_times_probability) / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )


# --- board queries (DB-API connection) ---------------------------------------


@dataclass(frozen=True)
class BoardFilter:
    """What the board shows: text in deal/customer/product, customer level, close month."""

    text: str = ""
    level: str | None = None
    close_month: str | None = None  # "YYYY-MM"
    all_closed: bool = False  # False: won / lost only within RECENT_DAYS

    @property
    def active(self) -> bool:
        return bool(self.text.strip() or self.level or self.close_month)


@dataclass(frozen=True)
class ColumnSummary:
    stage: str
    count: int = 0
    amount_cents: int = 0
    weighted_cents: int = 0


@dataclass(frozen=True)
class Card:
    """One card's values (plain data: safe to hand from a worker thread to the UI)."""

    id: int
    name: str
    customer_id: int
    customer: str
    level: str | None
    stage: str
    amount_cents: int
    probability: int
    expected_close: dt.date | None
    next_action: str | None
    next_action_due: dt.date | None
    risk_flag: bool
    criteria: tuple[int, int]
    stalled: bool
    overdue: bool
    version: int


def _where(
    flt: BoardFilter, today: dt.date, stage: str | None = None
) -> tuple[str, list[Any], bool]:
    """WHERE clause, parameters and whether the customer table is needed."""
    parts: list[str] = []
    params: list[Any] = []
    joined = False
    if stage is not None:
        parts.append("o.stage = ?")
        params.append(stage)
    if not flt.all_closed:
        since = (today - dt.timedelta(days=RECENT_DAYS)).isoformat()
        parts.append(
            "(o.stage NOT IN ('won', 'lost') OR coalesce(o.actual_close, "
            "substr(o.stage_entered_at, 1, 10)) >= ?)"
        )
        params.append(since)
    text = flt.text.strip().lower()
    if text:
        joined = True
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        parts.append(
            "(lower(o.name) LIKE ? ESCAPE '\\' OR lower(c.name) LIKE ? ESCAPE '\\' "
            "OR lower(coalesce(o.product, '')) LIKE ? ESCAPE '\\' "
            "OR lower(coalesce(o.next_action, '')) LIKE ? ESCAPE '\\')"
        )
        params += [like] * 4
    if flt.level:
        joined = True
        parts.append("c.level = ?")
        params.append(flt.level)
    if flt.close_month:
        parts.append("substr(coalesce(o.actual_close, o.expected_close), 1, 7) = ?")
        params.append(flt.close_month)
    return (" WHERE " + " AND ".join(parts)) if parts else "", params, joined


def column_summaries(conn, flt: BoardFilter, today: dt.date) -> dict[str, ColumnSummary]:
    """Per stage: card count, Σ amount and Σ weighted amount, in one GROUP BY."""
    where, params, joined = _where(flt, today)
    join = " JOIN customer c ON c.id = o.customer_id" if joined else ""
    rows = conn.execute(
        "SELECT o.stage, count(*), coalesce(sum(o.amount_cents), 0), "
        "coalesce(sum(o.amount_cents * o.probability), 0) "
        f"FROM opportunity o{join}{where} GROUP BY o.stage",
        params,
    ).fetchall()
    out = {key: ColumnSummary(key) for key in enums.STAGE.keys}
    for stage, count, amount, weighted in rows:
        out[stage] = ColumnSummary(stage, count, amount, weighted_cents(weighted))
    return out


_ORDER = "ORDER BY o.expected_close IS NULL, o.expected_close, o.amount_cents DESC, o.id"
_CARD_SQL = """
SELECT o.id, o.name, o.customer_id, c.name, c.level, o.stage, o.amount_cents, o.probability,
       o.expected_close, o.next_action, o.next_action_due, o.risk_flag, o.criteria_done,
       o.stage_entered_at, o.created_at, o.version,
       max(coalesce(o.last_interaction_at, ''),
           coalesce((SELECT max(i.occurred_at) FROM interaction i WHERE i.opportunity_id = o.id), ''))
FROM opportunity o JOIN customer c ON c.id = o.customer_id
"""


def column_page(
    conn,
    stage: str,
    flt: BoardFilter,
    today: dt.date,
    offset: int = 0,
    limit: int = 100,
    settings=None,
) -> list[Card]:
    """One page of a column's cards, sorted by expected close date (none last), then amount."""
    where, params, _joined = _where(flt, today, stage)
    rows = conn.execute(
        f"{_CARD_SQL}{where} {_ORDER} LIMIT ? OFFSET ?", [*params, limit, offset]
    ).fetchall()
    settings = _settings(settings)
    cards = []
    for r in rows:
        (oid, name, cid, cname, level, st, amount, prob, close, nxt, nxt_due, risk, crit,
         entered, created, version, touched) = tuple(r)  # fmt: skip
        cards.append(
            Card(
                id=oid,
                name=name,
                customer_id=cid,
                customer=cname,
                level=level,
                stage=st,
                amount_cents=amount or 0,
                probability=prob,
                expected_close=_as_date(close),
                next_action=nxt,
                next_action_due=_as_date(nxt_due),
                risk_flag=bool(risk),
                criteria=criteria_progress(st, crit, settings),
                stalled=is_stalled(st, entered, touched or None, created, today, settings),
                overdue=is_overdue(st, nxt_due, close, today),
                version=version,
            )
        )
    return cards


def card_position(conn, opp_id: int, flt: BoardFilter, today: dt.date) -> tuple[str, int] | None:
    """(stage, index within its column) of a deal under the filter, or None if not shown."""
    row = conn.execute("SELECT stage FROM opportunity WHERE id = ?", (opp_id,)).fetchone()
    if row is None:
        return None
    stage = row[0]
    where, params, _joined = _where(flt, today, stage)
    found = conn.execute(
        f"SELECT rn FROM (SELECT o.id, row_number() OVER ({_ORDER}) - 1 AS rn "
        f"FROM opportunity o JOIN customer c ON c.id = o.customer_id{where}) WHERE id = ?",
        [*params, opp_id],
    ).fetchone()
    return (stage, found[0]) if found else None


def close_months(conn) -> list[str]:
    """The expected / actual close months that deals have, newest first (for the `f` filter)."""
    rows = conn.execute(
        "SELECT DISTINCT substr(coalesce(actual_close, expected_close), 1, 7) AS m "
        "FROM opportunity WHERE m IS NOT NULL ORDER BY m DESC"
    ).fetchall()
    return [r[0] for r in rows]


def customer_opportunities(conn, customer_id: int) -> list[tuple[int, str, str, int]]:
    """(id, name, stage, amount_cents) of a customer's deals, newest first (customer detail)."""
    rows = conn.execute(
        "SELECT id, name, stage, amount_cents FROM opportunity WHERE customer_id = ? "
        "ORDER BY created_at DESC, id DESC",
        (customer_id,),
    ).fetchall()
    return [tuple(r) for r in rows]


def reopen_stage(conn, opp_id: int) -> str:
    """The open stage a lost deal goes back to with `<`: the one it was lost from."""
    row = conn.execute(
        "SELECT from_stage FROM stage_change WHERE opportunity_id = ? AND to_stage = 'lost' "
        "ORDER BY changed_at DESC, id DESC LIMIT 1",
        (opp_id,),
    ).fetchone()
    stage = row[0] if row else None
    return stage if stage in enums.OPEN_STAGES else enums.OPEN_STAGES[0]


def count_opportunities(conn) -> int:
    """All deals, whatever the filter (tells an empty pipeline from an empty filter)."""
    return conn.execute("SELECT count(*) FROM opportunity").fetchone()[0]


def criteria_done_of(conn, opp_id: int) -> str:
    """The deal's ticked criteria as stored now (the card may be older than a tick)."""
    row = conn.execute("SELECT criteria_done FROM opportunity WHERE id = ?", (opp_id,)).fetchone()
    return row[0] if row else ""


def search_opportunities(conn, text: str, limit: int = 15) -> list[tuple[int, str, str, str]]:
    """(id, name, customer name, stage) of deals whose name contains ``text`` (command palette)."""
    like = "%" + text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = conn.execute(
        "SELECT o.id, o.name, c.name, o.stage FROM opportunity o "
        "JOIN customer c ON c.id = o.customer_id WHERE o.name LIKE ? ESCAPE '\\' "
        "ORDER BY o.stage IN ('won', 'after_sales', 'lost'), o.expected_close IS NULL, "
        "o.expected_close, o.id LIMIT ?",
        (like, limit),
    ).fetchall()
    return [tuple(r) for r in rows]
