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

from crm_tui.dates import as_date
from crm_tui.store import enums

RECENT_DAYS = 30
#: Stages whose probability the outcome fixes (won / after-sales 100 %, lost 0 %: a manual
#: override applies to open stages only); their cards show and sort by the close date.
CLOSED_STAGES: tuple[str, ...] = ("won", "after_sales", "lost")


def _settings(settings):
    if settings is None:
        from crm_tui.settings import Settings

        settings = Settings()
    return settings


def default_probability(stage: str, settings=None) -> int:
    s = _settings(settings).stages.get(stage)
    return s.probability if s else enums.DEFAULT_PROBABILITY.get(stage, 0)


def next_stage(stage: str) -> str | None:
    """The stage `>` moves to along the ladder; None after the last one and for a lost
    deal, which `>` (as `<`) re-opens where it was lost: see :func:`reopen_stage`."""
    if stage == "lost":
        return None
    ladder = enums.STAGE_LADDER
    i = ladder.index(stage)
    return ladder[i + 1] if i + 1 < len(ladder) else None


def previous_stage(stage: str) -> str | None:
    """The stage `<` moves to; None at the first stage and for a lost deal (re-opened
    by :func:`reopen_stage`)."""
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
    entered = as_date(stage_entered_at) or as_date(created_at)
    if expected and entered and (today - entered).days > expected:
        return True
    touched = as_date(last_interaction_at) or as_date(created_at)
    return bool(touched and (today - touched).days > settings.stalled_days)


def is_overdue(stage: str, next_action_due: Any, expected_close: Any, today: dt.date) -> bool:
    """An open deal whose next action is past due or whose expected close date has passed."""
    if stage not in enums.OPEN_STAGES:
        return False
    due = as_date(next_action_due)
    close = as_date(expected_close)
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
    actual_close: dt.date | None = None  # won / lost: the day it closed (shown on the card)


_CLOSED = "('won', 'lost')"


def _where(
    flt: BoardFilter, stage: str | None = None, extra: tuple[str, ...] = (), args: tuple = ()
) -> tuple[str, list[Any]]:
    """WHERE clause of the filter (not the 30-day window) over ``o``, and its parameters;
    ``extra`` conditions with their ``args`` are added."""
    parts: list[str] = []
    params: list[Any] = []
    if stage is not None:
        parts.append("o.stage = ?")
        params.append(stage)
    text = flt.text.strip()
    if text:
        # LIKE folds ASCII case as lower() did (SQLite's lower() folds nothing else). The
        # customers whose name matches are found once, by scanning the names' covering
        # index, not by joining every deal to its customer (~1 s at 200,000 deals).
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        parts.append(
            "(o.name LIKE ? ESCAPE '\\' OR o.product LIKE ? ESCAPE '\\' "
            "OR o.next_action LIKE ? ESCAPE '\\' "
            "OR o.customer_id IN (SELECT id FROM customer WHERE name LIKE ? ESCAPE '\\'))"
        )
        params += [like] * 4
    if flt.level:
        parts.append("o.customer_id IN (SELECT id FROM customer WHERE level = ?)")
        params.append(flt.level)
    if flt.close_month:
        parts.append("substr(coalesce(o.actual_close, o.expected_close), 1, 7) = ?")
        params.append(flt.close_month)
    parts += extra
    params += args
    return (" WHERE " + " AND ".join(parts)) if parts else "", params


def _windows(flt: BoardFilter, today: dt.date, stage: str | None) -> list[tuple[tuple, tuple]]:
    """The disjoint parts of what is shown, each one index-friendly condition set.

    Won and lost show only the last RECENT_DAYS by default: by actual close date (an
    index range), or by the day they entered the stage when no close date was recorded.
    """
    if flt.all_closed or (stage is not None and stage not in ("won", "lost")):
        return [((), ())]
    since = (today - dt.timedelta(days=RECENT_DAYS)).isoformat()
    # both are range searches of ix_opportunity_closed_recent (stage, actual_close, ...)
    recent = [
        ((f"o.stage IN {_CLOSED}", "o.actual_close >= ?"), (since,)),
        ((f"o.stage IN {_CLOSED}", "o.actual_close IS NULL", "o.stage_entered_at >= ?"), (since,)),
    ]
    if stage is not None:
        return recent
    # the other stages listed rather than NOT IN: range searches skip the closed deals' entries
    others = tuple(k for k in enums.STAGE.keys if k not in ("won", "lost"))
    return [((f"o.stage IN ({', '.join(repr(k) for k in others)})",), ()), *recent]


def _recent_closed(stage: str, windows: list[tuple[tuple, tuple]]) -> tuple[str, tuple]:
    """One condition for a won/lost column's windows: ids from an index search of each.

    An OR of the windows would make SQLite walk every won (or lost) deal ever; a
    UNION ALL of range searches hands the outer query a few rowids to look up.
    """
    parts = [
        f"SELECT o.id FROM opportunity o WHERE o.stage = ? AND {' AND '.join(extra[1:])}"
        for extra, _args in windows
    ]
    args = tuple(a for _extra, window_args in windows for a in (stage, *window_args))
    return f"o.id IN ({' UNION ALL '.join(parts)})", args


def column_summaries(conn, flt: BoardFilter, today: dt.date) -> dict[str, ColumnSummary]:
    """Per stage: card count, Σ amount and Σ weighted amount (GROUP BY on the covering index)."""
    totals: dict[str, list[int]] = {}
    for extra, args in _windows(flt, today, None):
        where, params = _where(flt, None, extra, args)
        rows = conn.execute(
            "SELECT o.stage, count(*), coalesce(sum(o.amount_cents), 0), "
            "coalesce(sum(o.amount_cents * o.probability), 0) "
            f"FROM opportunity o{where} GROUP BY o.stage",
            params,
        ).fetchall()
        for stage, count, amount, weighted in rows:
            t = totals.setdefault(stage, [0, 0, 0])
            t[0] += count
            t[1] += amount
            t[2] += weighted
    out = {key: ColumnSummary(key) for key in enums.STAGE.keys}
    for stage, (count, amount, weighted) in totals.items():
        out[stage] = ColumnSummary(stage, count, amount, weighted_cents(weighted))
    return out


_CARD_SQL = """
SELECT o.id, o.name, o.customer_id, c.name, c.level, o.stage, o.amount_cents, o.probability,
       o.expected_close, o.next_action, o.next_action_due, o.risk_flag, o.criteria_done,
       o.stage_entered_at, o.created_at, o.version, o.actual_close,
       max(coalesce(o.last_interaction_at, ''),
           coalesce((SELECT max(i.occurred_at) FROM interaction i WHERE i.opportunity_id = o.id), ''))
FROM opportunity o JOIN customer c ON c.id = o.customer_id
"""
#: A column's order: by expected close date, then amount (largest first); deals without a
#: close date come last. The dated part walks the (stage, expected_close, amount) index.
_DATED = ("o.expected_close IS NOT NULL",)
_UNDATED = ("o.expected_close IS NULL",)
_DATED_ORDER = " ORDER BY o.expected_close, o.amount_cents DESC, o.id"
_UNDATED_ORDER = " ORDER BY o.amount_cents DESC, o.id"
#: Won, after-sales and lost: the most recently closed first (a deal without a close date by the day it
#: entered the stage, after the dated ones). Every term descending, in the order of
#: ix_opportunity_closed_recent (stage, actual_close, stage_entered_at, amount, probability,
#: rowid), so a page walks that index backwards.
_CLOSED_KEY = ("o.actual_close", "o.stage_entered_at", "o.amount_cents", "o.probability", "o.id")
_CLOSED_DATED = ("o.actual_close IS NOT NULL",)
_CLOSED_UNDATED = ("o.actual_close IS NULL",)
_CLOSED_DATED_ORDER = " ORDER BY " + ", ".join(f"{k} DESC" for k in _CLOSED_KEY)
_CLOSED_UNDATED_ORDER = " ORDER BY " + ", ".join(f"{k} DESC" for k in _CLOSED_KEY[1:])
_CLOSED_ORDER = " ORDER BY o.actual_close IS NULL, " + _CLOSED_DATED_ORDER[len(" ORDER BY ") :]

#: The board's order over every deal, for ctrl+e (``export.export_kind``'s ``order``):
#: column by column as the board runs, then each column's own order (the open ones as
#: _DATED_ORDER then _UNDATED_ORDER, the closed ones as _CLOSED_ORDER). The terms of
#: one kind of column are NULL for the other, so they leave its order alone.
_IS_CLOSED = f"o.stage IN ({', '.join(repr(k) for k in CLOSED_STAGES)})"
EXPORT_ORDER = ", ".join(
    [
        "CASE o.stage "
        + " ".join(f"WHEN '{k}' THEN {i}" for i, k in enumerate(enums.STAGE.keys))
        + " END",
        f"CASE WHEN {_IS_CLOSED} THEN o.actual_close IS NULL ELSE o.expected_close IS NULL END",
        f"CASE WHEN {_IS_CLOSED} THEN NULL ELSE o.expected_close END",
        *(f"CASE WHEN {_IS_CLOSED} THEN {k} END DESC" for k in _CLOSED_KEY[:2]),
        "o.amount_cents DESC",
        f"CASE WHEN {_IS_CLOSED} THEN o.probability END DESC",
        f"CASE WHEN {_IS_CLOSED} THEN -o.id ELSE o.id END",
    ]
)


def _segments(flt: BoardFilter, today: dt.date, stage: str) -> list[tuple[str, list[Any], str]]:
    """(WHERE, parameters, ORDER BY) of the column's parts in display order."""
    segments = []
    windows = _windows(flt, today, stage)
    if len(windows) > 1:  # won / lost of the last days: few cards, one sorted query is simplest
        condition, args = _recent_closed(stage, windows)
        where, params = _where(flt, None, (condition,), args)
        return [(where, params, _CLOSED_ORDER)]
    parts = (
        ((_CLOSED_DATED, _CLOSED_DATED_ORDER), (_CLOSED_UNDATED, _CLOSED_UNDATED_ORDER))
        if stage in CLOSED_STAGES
        else ((_DATED, _DATED_ORDER), (_UNDATED, _UNDATED_ORDER))
    )
    for part, order in parts:
        for extra, args in windows:
            where, params = _where(flt, stage, part + extra, args)
            segments.append((where, params, order))
    return segments


def shown_id_query(flt: BoardFilter, today: dt.date) -> tuple[str, list[Any]] | None:
    """``(sql, params)`` selecting the ids of every deal the board shows under ``flt``:
    its filter and, unless ``all_closed``, only the won and lost deals of the last
    RECENT_DAYS (the windows of column_summaries, on the same indexes). For
    ``export.export_kind``'s ``only``; None when the board shows every deal."""
    if flt.all_closed and not flt.active:
        return None
    parts: list[str] = []
    params: list[Any] = []
    for extra, args in _windows(flt, today, None):
        where, window_params = _where(flt, None, extra, args)
        parts.append(f"SELECT o.id FROM opportunity o{where}")
        params += window_params
    return " UNION ALL ".join(parts), params


def _count(conn, where: str, params: list[Any]) -> int:
    sql = f"SELECT count(*) FROM opportunity o{where}"
    return conn.execute(sql, params).fetchone()[0]


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
    ids: list[int] = []
    for where, params, order in _segments(flt, today, stage):
        if len(ids) >= limit:
            break
        # ids only: skipping OFFSET rows then walks the index, not the card columns
        got = conn.execute(
            f"SELECT o.id FROM opportunity o{where}{order} LIMIT ? OFFSET ?",
            [*params, limit - len(ids), offset],
        ).fetchall()
        ids += [g[0] for g in got]
        # the next segment starts where this one ended
        offset = 0 if got else max(0, offset - _count(conn, where, params))
    if not ids:
        return []
    return _cards(conn, ids, today, settings)


def card(conn, opp_id: int, today: dt.date, settings=None) -> Card | None:
    """One deal as the board's card shows it (the detail moves it as the board does)."""
    cards = _cards(conn, [opp_id], today, settings)
    return cards[0] if cards else None


def _cards(conn, ids: list[int], today: dt.date, settings=None) -> list[Card]:
    """The cards of ``ids``, in that order (a deal no longer there is left out)."""
    marks = ",".join("?" * len(ids))
    by_id = {r[0]: r for r in conn.execute(f"{_CARD_SQL} WHERE o.id IN ({marks})", ids)}
    rows = [by_id[i] for i in ids if i in by_id]
    settings = _settings(settings)
    cards = []
    for r in rows:
        (oid, name, cid, cname, level, st, amount, prob, close, nxt, nxt_due, risk, crit,
         entered, created, version, closed, touched) = tuple(r)  # fmt: skip
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
                expected_close=as_date(close),
                next_action=nxt,
                next_action_due=as_date(nxt_due),
                risk_flag=bool(risk),
                criteria=criteria_progress(st, crit, settings),
                stalled=is_stalled(st, entered, touched or None, created, today, settings),
                overdue=is_overdue(st, nxt_due, close, today),
                version=version,
                actual_close=as_date(closed),
            )
        )
    return cards


def card_position(conn, opp_id: int, flt: BoardFilter, today: dt.date) -> tuple[str, int] | None:
    """(stage, index within its column) of a deal under the filter, or None if not shown.

    Counts the cards sorted before it (index ranges), never numbers the whole column.
    """
    row = conn.execute(
        "SELECT stage, expected_close, amount_cents, actual_close, stage_entered_at, probability "
        "FROM opportunity WHERE id = ?",
        (opp_id,),
    ).fetchone()
    if row is None:
        return None
    stage, close, amount = row[0], row[1], row[2]
    closed_key = [row[3], row[4], amount, row[5], opp_id]
    before = 0
    for where, params, order in _segments(flt, today, stage):
        shown = conn.execute(
            f"SELECT 1 FROM opportunity o{where} AND o.id = ?",
            [*params, opp_id],
        ).fetchone()
        if not shown:
            before += _count(conn, where, params)
            continue
        if order == _UNDATED_ORDER:
            ahead = "(o.amount_cents > ? OR (o.amount_cents = ? AND o.id < ?))"
            args: list[Any] = [amount, amount, opp_id]
        elif order == _DATED_ORDER:
            ahead = (
                "(o.expected_close < ? OR (o.expected_close = ? AND "
                "(o.amount_cents > ? OR (o.amount_cents = ? AND o.id < ?))))"
            )
            args = [close, close, amount, amount, opp_id]
        elif order in (_CLOSED_DATED_ORDER, _CLOSED_UNDATED_ORDER):
            # descending on every term: ahead means a larger key (a row-value range search)
            keys = _CLOSED_KEY if order == _CLOSED_DATED_ORDER else _CLOSED_KEY[1:]
            args = closed_key[-len(keys) :]
            ahead = f"({', '.join(keys)}) > ({', '.join('?' * len(keys))})"
        else:  # one sorted query (won / lost): few cards, number them
            found = conn.execute(
                f"SELECT rn FROM (SELECT o.id, row_number() OVER ({order.strip()}) - 1 AS rn "
                f"FROM opportunity o{where}) WHERE id = ?",
                [*params, opp_id],
            ).fetchone()
            return (stage, before + found[0]) if found else None
        return stage, before + _count(conn, f"{where} AND {ahead}", [*params, *args])
    return None


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
    """The open stage a lost deal goes back to with `<` or `>`: the one it was lost from."""
    row = conn.execute(
        "SELECT from_stage FROM stage_change WHERE opportunity_id = ? AND to_stage = 'lost' "
        "ORDER BY changed_at DESC, id DESC LIMIT 1",
        (opp_id,),
    ).fetchone()
    stage = row[0] if row else None
    return stage if stage in enums.OPEN_STAGES else enums.OPEN_STAGES[0]


def open_task_count(conn, opp_id: int) -> int:
    """How many open tasks a deal has (asked before it is marked lost: cancel them?)."""
    marks = ", ".join("?" * len(enums.OPEN_TASK_STATUSES))
    (n,) = conn.execute(
        f"SELECT count(*) FROM task WHERE opportunity_id = ? AND status IN ({marks})",
        (opp_id, *enums.OPEN_TASK_STATUSES),
    ).fetchone()
    return n


def deal_created(conn, opp_id: int) -> dt.date | None:
    """The day a deal was created (its close date may not be earlier), or None if unknown."""
    row = conn.execute("SELECT created_at FROM opportunity WHERE id = ?", (opp_id,)).fetchone()
    return dt.date.fromisoformat(str(row[0])[:10]) if row and row[0] else None


def deal_orders(conn, customer_id: int, opp_id: int) -> list[tuple[int, str, int, int]]:
    """(id, order date, amount, paid) of the orders created from a deal, oldest first.

    Asked once per won-related move (never per card): re-winning a deal must not add
    a second order unasked, and moving it out of won offers to remove its order.
    The customer narrows the search to that customer's orders (indexed).
    """
    rows = conn.execute(
        "SELECT o.id, o.order_date, o.amount_cents, "
        "coalesce((SELECT sum(p.amount_cents) FROM payment p WHERE p.order_id = o.id), 0) "
        "FROM sales_order o WHERE o.customer_id = ? AND o.opportunity_id = ? "
        "ORDER BY o.order_date, o.id",
        (customer_id, opp_id),
    ).fetchall()
    return [tuple(r) for r in rows]


def order_amount_left_behind(conn, opp_id: int) -> int | None:
    """The amount of a won (or after-sales) deal's one order when it is not the deal's
    amount (an edit changed the amount; the order stays as it was), else None."""
    row = conn.execute(
        "SELECT o.amount_cents FROM opportunity d JOIN sales_order o "
        "ON o.customer_id = d.customer_id AND o.opportunity_id = d.id "
        "WHERE d.id = ? AND d.stage IN ('won', 'after_sales') "
        "AND (SELECT count(*) FROM sales_order x WHERE x.customer_id = d.customer_id "
        "AND x.opportunity_id = d.id) = 1 AND o.amount_cents != d.amount_cents",
        (opp_id,),
    ).fetchone()
    return row[0] if row else None


def has_customers(conn) -> bool:
    """Whether there is any customer to start a deal for (`n` on the board)."""
    return conn.execute("SELECT 1 FROM customer LIMIT 1").fetchone() is not None


def closed_out_of_window(conn, opp_id: int, today: dt.date) -> str | None:
    """The close date of a won / lost deal the default board leaves out (older than
    RECENT_DAYS), as ``YYYY-MM-DD``; None when the deal is open or recent."""
    row = conn.execute(
        "SELECT stage, actual_close, stage_entered_at FROM opportunity WHERE id = ?", (opp_id,)
    ).fetchone()
    if row is None or row[0] not in ("won", "lost"):
        return None
    since = today - dt.timedelta(days=RECENT_DAYS)
    closed = as_date(row[1]) or as_date(row[2])
    return closed.isoformat() if closed and closed < since else None


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
