"""Opportunity commands: create, edit, move between stages (with undo), tick exit criteria.

Stage history: every stage an opportunity enters is one ``StageChange`` row.
An opportunity created (or imported) directly at stage S gets a single change
``None → S``; reports treat reaching S as having passed every earlier stage of
``enums.STAGE_LADDER`` (DOMAIN.md), so no synthetic chain of changes is written.

The read side (stage ladder, marks, column headers, card pages) lives in
:mod:`crm_tui.store.board`, which needs no ORM; it is re-exported here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store.board import *  # noqa: F403  (the read side, re-exported)
from crm_tui.store.board import CLOSED_STAGES, _settings, criteria_indexes, default_probability
from crm_tui.store.common import ConflictError, NotFoundError, apply_update
from crm_tui.store.fields import (
    OPPORTUNITY_FIELDS,
    clean,
    date_field,
    money_field,
    text_field,
)
from crm_tui.store.models import Contact, Customer, Interaction, Opportunity, StageChange, now
from crm_tui.store.validation import ValidationError


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
    if customer_id is None:
        raise ValidationError("customer_id", _("Pick a customer"))
    if session.get(Customer, customer_id) is None:  # (deleted in another window meanwhile)
        raise NotFoundError(_("This customer no longer exists"))
    values = clean(OPPORTUNITY_FIELDS, data)
    stage = _check_stage(stage)
    _check_contact(session, customer_id, values.get("contact_id"))
    stamp = (when or now()).replace(microsecond=0)
    default = default_probability(stage, settings)
    given = values.pop("probability", None)
    if stage in CLOSED_STAGES:
        given = None  # the outcome fixes it
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
    if stage in ("won", "lost") and opp.actual_close is None:
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
    Won, after-sales and lost deals keep their stage's probability (100 % / 0 %).
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
    if opp.stage == "lost" and "lost_reason" in values and not values["lost_reason"]:
        # the lost dialog asks for it; the funnel's and the weekly report's reasons need it
        raise ValidationError("lost_reason", _("Required for a lost deal"))
    if "probability" in values:
        default = default_probability(opp.stage, settings)
        given = None if opp.stage in CLOSED_STAGES else values["probability"]
        values["probability"] = default if given is None else given
        values["probability_overridden"] = given is not None and given != default
    return apply_update(session, Opportunity, opp_id, values, expected_version)  # type: ignore[return-value]


def delete_opportunity(session: Session, opp_id: int) -> None:
    """Delete an opportunity and its stage history (its interactions and tasks stay)."""
    session.delete(get_opportunity(session, opp_id))
    session.flush()


# --- stages -----------------------------------------------------------------


@dataclass(frozen=True)
class Move:
    """A recorded move, what it replaced and what it wrote, so that :func:`undo_move`
    can put it back, and can tell when the deal was edited after it."""

    change_id: int
    opportunity_id: int
    from_stage: str
    to_stage: str
    previous: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)


_UNDO_FIELDS = (
    "stage", "probability", "probability_overridden", "criteria_done", "stage_entered_at",
    "actual_close", "amount_cents", "lost_reason",
)  # fmt: skip

#: Fields an edit after a move may have changed (ticks belong to the stage, which undo
#: leaves: they go with it, as on any move).
_EDITABLE_AFTER_MOVE = tuple(k for k in _UNDO_FIELDS if k != "criteria_done")


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
    follows the new stage unless it was overridden; won, after-sales and lost always
    take their stage's probability (100 % / 0 %) and drop the override. Won sets the
    actual close date (default: the day of the move) and optionally the final amount;
    lost keeps the reason, which any other stage clears.
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
    if to_stage in CLOSED_STAGES:
        values["probability"] = default_probability(to_stage, settings)
        values["probability_overridden"] = False
    elif not opp.probability_overridden:
        values["probability"] = default_probability(to_stage, settings)
    if to_stage != "lost" and opp.lost_reason is not None:
        values["lost_reason"] = None  # re-opened (or won): the reason no longer applies
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
    moved = apply_update(session, Opportunity, opp_id, values, None)
    after = {k: getattr(moved, k) for k in _UNDO_FIELDS}
    change = StageChange(
        opportunity_id=opp_id, from_stage=from_stage, to_stage=to_stage, changed_at=stamp
    )
    session.add(change)
    session.flush()
    return Move(change.id, opp_id, from_stage, to_stage, previous, after)


def undo_move(
    session: Session,
    stage_change_id: int,
    *,
    previous: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    settings=None,
) -> Opportunity:
    """Put the deal back in the stage it came from and delete the recorded change.

    ``previous`` (from :class:`Move`) restores exactly what the move replaced;
    without it the stage, its entry time (from the history) and the default
    probability are restored. Only the latest change of a deal can be undone.
    ``after`` (from :class:`Move`: what the move wrote) guards later edits: when the
    amount, probability, close date or lost reason were changed since the move,
    restoring would silently overwrite them, so the undo is refused (ConflictError).
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
    session.refresh(opp)
    if opp.stage != change.to_stage:
        raise ConflictError(_("The deal has moved again since; undo that move first"))
    if after and any(k in after and getattr(opp, k) != after[k] for k in _EDITABLE_AFTER_MOVE):
        raise ConflictError(
            _(
                "The deal was edited after this move: undo would overwrite that edit. "
                "Move it with < or > instead"
            )
        )
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
