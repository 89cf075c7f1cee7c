"""Opportunity commands: create, edit, move between stages (with undo), exit criteria, board queries.

Stage history: every stage an opportunity enters is one ``StageChange`` row.
An opportunity created (or imported) directly at stage S gets a single change
``None → S``; reports treat reaching S as having passed every earlier stage of
``enums.STAGE_LADDER`` (DOMAIN.md), so no synthetic chain of changes is written.

Board queries (column headers, card pages) take a DB-API connection (the
stdlib one from ``Database.reading()`` or ``common.raw(session)``) so that the
pipeline's first frame does not wait for the ORM; aggregation is SQL GROUP BY.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlmodel import Session, col, select

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store.common import (
    ConflictError,
    NotFoundError,
    apply_update,
    bool_field,
    clean,
    date_field,
    int_field,
    money_field,
    text_field,
)
from crm_tui.store.models import Contact, Customer, Interaction, Opportunity, StageChange, now
from crm_tui.store.validation import ValidationError

OPPORTUNITY_FIELDS = {
    "name": text_field(required=True, max_len=200),
    "contact_id": lambda n, v: int(v) if v not in (None, "") else None,
    "product": text_field(max_len=200),
    "amount_cents": money_field(),
    "expected_close": date_field(),
    "probability": int_field(0, 100),
    "competitor": text_field(max_len=200),
    "strengths": text_field(),
    "weaknesses": text_field(),
    "key_success_factors": text_field(),
    "risks": text_field(),
    "risk_flag": bool_field(),
    "next_action": text_field(max_len=500),
    "next_action_due": date_field(),
    "actual_close": date_field(),
    "lost_reason": text_field(max_len=500),
}

#: How far back won / lost deals are shown on the board by default.
RECENT_DAYS = 30


def _settings(settings):
    if settings is None:
        from crm_tui.settings import Settings

        settings = Settings()
    return settings


def default_probability(stage: str, settings=None) -> int:
    s = _settings(settings).stages.get(stage)
    return s.probability if s else enums.DEFAULT_PROBABILITY.get(stage, 0)


def _check_stage(stage: str) -> str:
    key = enums.STAGE.parse(stage)
    if key is None:
        raise ValidationError("stage", _("Unknown stage “{text}”").format(text=stage))
    return key


def get_opportunity(session: Session, opp_id: int) -> Opportunity:
    opp = session.get(Opportunity, opp_id)
    if opp is None:
        raise NotFoundError(_("This opportunity no longer exists"))
    return opp


def _check_contact(session: Session, customer_id: int, contact_id: int | None) -> None:
    if contact_id is None:
        return
    contact = session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer_id:
        raise ValidationError("contact_id", _("This contact does not belong to the customer"))


def create_opportunity(
    session: Session,
    customer_id: int,
    data: Mapping[str, Any],
    *,
    stage: str = "initial_contact",
    settings=None,
    when: dt.datetime | None = None,
) -> Opportunity:
    """Validate and add an opportunity at ``stage`` (name and customer required).

    The probability follows the stage's default unless one is given that differs
    from it (then it is marked overridden and no longer follows moves).
    """
    if session.get(Customer, customer_id) is None:
        raise ValidationError("customer_id", _("Pick a customer"))
    values = clean(OPPORTUNITY_FIELDS, data)
    stage = _check_stage(stage)
    _check_contact(session, customer_id, values.get("contact_id"))
    stamp = (when or now()).replace(microsecond=0)
    default = default_probability(stage, settings)
    given = values.pop("probability", None)
    opp = Opportunity(
        **{k: v for k, v in values.items() if v is not None},
        customer_id=customer_id,
        stage=stage,
        probability=default if given is None else given,
        probability_overridden=given is not None and given != default,
        stage_entered_at=stamp,
        created_at=stamp,
        updated_at=stamp,
    )
    if stage == "won" and opp.actual_close is None:
        opp.actual_close = stamp.date()
    session.add(opp)
    session.flush()
    session.add(
        StageChange(opportunity_id=opp.id, from_stage=None, to_stage=stage, changed_at=stamp)
    )
    session.flush()
    return opp


def update_opportunity(
    session: Session,
    opp_id: int,
    data: Mapping[str, Any],
    *,
    expected_version: int | None = None,
    settings=None,
) -> Opportunity:
    """Change the given fields; refused if changed elsewhere since ``expected_version``.

    The stage changes only through :func:`move_stage`. A blank probability means
    "follow the stage again"; a probability other than the stage default overrides it.
    """
    values = clean(OPPORTUNITY_FIELDS, data)
    if "name" in values and values["name"] is None:
        raise ValidationError("name", _("Required"))
    opp = get_opportunity(session, opp_id)
    if "contact_id" in values:
        _check_contact(session, opp.customer_id, values["contact_id"])
    if "amount_cents" in values and values["amount_cents"] is None:
        values["amount_cents"] = 0
    if "risk_flag" in values and values["risk_flag"] is None:
        values["risk_flag"] = False
    if "probability" in values:
        default = default_probability(opp.stage, settings)
        given = values["probability"]
        values["probability"] = default if given is None else given
        values["probability_overridden"] = given is not None and given != default
    return apply_update(session, Opportunity, opp_id, values, expected_version)  # type: ignore[return-value]


def delete_opportunity(session: Session, opp_id: int) -> None:
    """Delete an opportunity and its stage history (its interactions and tasks stay)."""
    session.delete(get_opportunity(session, opp_id))
    session.flush()


# --- stages -----------------------------------------------------------------


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


@dataclass(frozen=True)
class Move:
    """A recorded move and what it replaced, so that :func:`undo_move` can put it back."""

    change_id: int
    opportunity_id: int
    from_stage: str
    to_stage: str
    previous: dict[str, Any] = field(default_factory=dict)


_UNDO_FIELDS = (
    "stage", "probability", "criteria_done", "stage_entered_at", "actual_close",
    "amount_cents", "lost_reason",
)  # fmt: skip


def move_stage(
    session: Session,
    opp_id: int,
    to_stage: str,
    *,
    settings=None,
    when: dt.datetime | None = None,
    actual_close: dt.date | str | None = None,
    amount: Any = None,
    lost_reason: str | None = None,
    expected_version: int | None = None,
) -> Move:
    """Move a deal to ``to_stage`` now (``when``), recording the change.

    Ticked criteria are reset (they belong to the stage left) and the probability
    follows the new stage unless it was overridden. Won sets the actual close date
    (default: the day of the move) and optionally the final amount; lost keeps the reason.
    """
    to_stage = _check_stage(to_stage)
    opp = get_opportunity(session, opp_id)
    session.refresh(opp)
    if expected_version is not None and opp.version != expected_version:
        raise ConflictError(
            _("This opportunity was changed elsewhere since you opened it"), fresh=opp
        )
    if opp.stage == to_stage:
        raise ValidationError("stage", _("The deal is already in this stage"))
    stamp = (when or now()).replace(microsecond=0)
    previous = {k: getattr(opp, k) for k in _UNDO_FIELDS}
    values: dict[str, Any] = {
        "stage": to_stage,
        "criteria_done": "",
        "stage_entered_at": stamp,
    }
    if not opp.probability_overridden:
        values["probability"] = default_probability(to_stage, settings)
    if to_stage == "won":
        values["actual_close"] = date_field()("actual_close", actual_close) or stamp.date()
        cents = money_field()("amount_cents", amount)
        if cents is not None:
            values["amount_cents"] = cents
    elif to_stage == "lost":
        values["actual_close"] = date_field()("actual_close", actual_close) or stamp.date()
        values["lost_reason"] = text_field(max_len=500)("lost_reason", lost_reason)
    elif to_stage in enums.OPEN_STAGES:
        values["actual_close"] = None  # re-opened
    from_stage = opp.stage
    apply_update(session, Opportunity, opp_id, values, None)
    change = StageChange(
        opportunity_id=opp_id, from_stage=from_stage, to_stage=to_stage, changed_at=stamp
    )
    session.add(change)
    session.flush()
    return Move(change.id, opp_id, from_stage, to_stage, previous)


def undo_move(session: Session, stage_change_id: int, *, previous: Mapping[str, Any] | None = None, settings=None) -> Opportunity:  # fmt: skip
    """Put the deal back in the stage it came from and delete the recorded change.

    ``previous`` (from :class:`Move`) restores exactly what the move replaced;
    without it the stage, its entry time (from the history) and the default
    probability are restored. Only the latest change of a deal can be undone.
    """
    change = session.get(StageChange, stage_change_id)
    if change is None:
        raise NotFoundError(_("This stage change no longer exists"))
    if change.from_stage is None:
        raise ValidationError("stage", _("The first stage of a deal cannot be undone"))
    latest = session.exec(
        select(StageChange.id)
        .where(StageChange.opportunity_id == change.opportunity_id)
        .order_by(col(StageChange.changed_at).desc(), col(StageChange.id).desc())
    ).first()
    if latest != change.id:
        raise ConflictError(_("The deal has moved again since; undo that move first"))
    opp = get_opportunity(session, change.opportunity_id)
    if opp.stage != change.to_stage:
        raise ConflictError(_("The deal has moved again since; undo that move first"))
    if previous:
        values = {k: previous[k] for k in _UNDO_FIELDS if k in previous}
    else:
        before = session.exec(
            select(StageChange.changed_at)
            .where(StageChange.opportunity_id == opp.id, StageChange.id != change.id)
            .order_by(col(StageChange.changed_at).desc(), col(StageChange.id).desc())
        ).first()
        values = {
            "stage": change.from_stage,
            "criteria_done": "",
            "stage_entered_at": before or opp.created_at,
        }
        if not opp.probability_overridden:
            values["probability"] = default_probability(change.from_stage, settings)
        if change.from_stage in enums.OPEN_STAGES:
            values["actual_close"] = None
    values["stage"] = change.from_stage
    session.delete(change)
    return apply_update(session, Opportunity, opp.id, values, None)  # type: ignore[return-value]


def stage_history(session: Session, opp_id: int) -> list[StageChange]:
    return list(
        session.exec(
            select(StageChange)
            .where(StageChange.opportunity_id == opp_id)
            .order_by(col(StageChange.changed_at), col(StageChange.id))
        ).all()
    )


def opportunity_interactions(session: Session, opp_id: int, limit: int = 200) -> list[Interaction]:
    return list(
        session.exec(
            select(Interaction)
            .where(Interaction.opportunity_id == opp_id)
            .order_by(col(Interaction.occurred_at).desc())
            .limit(limit)
        ).all()
    )


# --- exit criteria ----------------------------------------------------------


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


def toggle_criterion(session: Session, opp_id: int, index: int, *, settings=None) -> Opportunity:
    """Tick or untick one exit criterion of the deal's current stage."""
    opp = get_opportunity(session, opp_id)
    session.refresh(opp)
    s = _settings(settings).stages.get(opp.stage)
    if s is None or not 0 <= index < len(s.exit_criteria):
        raise ValidationError("criteria_done", _("This stage has no such criterion"))
    done = criteria_indexes(opp.criteria_done) ^ {index}
    text = ",".join(str(i) for i in sorted(done))
    return apply_update(session, Opportunity, opp_id, {"criteria_done": text}, None)  # type: ignore[return-value]


# --- marks ------------------------------------------------------------------


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
