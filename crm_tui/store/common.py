"""Helpers every store command module shares: raw connection access, optimistic versions, field checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session, SQLModel

from crm_tui.dates import parse_date, parse_datetime
from crm_tui.i18n import _
from crm_tui.store.validation import (
    ValidationError,
    check_choice,
    check_email,
    check_phone,
    check_text,
    parse_money,
)


class NotFoundError(LookupError):
    """The record no longer exists (deleted elsewhere)."""


class ConflictError(Exception):
    """The record changed elsewhere since it was read; ``fresh`` holds the current values."""

    def __init__(self, message: str, fresh: SQLModel | None = None) -> None:
        super().__init__(message)
        self.fresh = fresh


def raw(session: Session):
    """The DB-API connection under the session's transaction (for FTS and bulk statements)."""
    return session.connection().connection.driver_connection


# A field spec turns one incoming value (text from a form or CSV, or an already typed value)
# into what the column stores, raising ValidationError with the field's name.
FieldSpec = Callable[[str, Any], Any]


def text_field(required: bool = False, max_len: int = 2000) -> FieldSpec:
    def spec(name: str, v: Any) -> str | None:
        return check_text(name, v, required=required, max_len=max_len)

    # The rule's parameters, for bulk imports: a row screened once for long digit runs
    # can trim and length-check its plain text cells inline (import_common.RowValidator).
    spec.text_rule = (required, max_len)  # type: ignore[attr-defined]
    return spec


def choice_field(vocabulary, required: bool = False) -> FieldSpec:
    return lambda name, v: check_choice(name, vocabulary, v, required=required)


def money_field() -> FieldSpec:
    def spec(name: str, v: Any) -> int | None:
        if isinstance(v, int) and not isinstance(v, bool):
            return v  # already cents
        return parse_money(name, v)

    return spec


def date_field(required: bool = False) -> FieldSpec:
    def spec(name: str, v: Any) -> dt.date | None:
        if isinstance(v, dt.datetime):
            return v.date()
        if isinstance(v, dt.date):
            return v
        if v is None or not str(v).strip():
            if required:
                raise ValidationError(name, _("Required"))
            return None
        try:
            return parse_date(str(v))
        except ValueError as exc:
            raise ValidationError(name, str(exc)) from None

    return spec


def datetime_field(required: bool = False) -> FieldSpec:
    def spec(name: str, v: Any) -> dt.datetime | None:
        if isinstance(v, dt.datetime):
            return v.replace(microsecond=0)
        if isinstance(v, dt.date):
            return dt.datetime.combine(v, dt.time(9, 0))
        if v is None or not str(v).strip():
            if required:
                raise ValidationError(name, _("Required"))
            return None
        try:
            return parse_datetime(str(v))
        except ValueError as exc:
            raise ValidationError(name, str(exc)) from None

    return spec


def int_field(low: int, high: int) -> FieldSpec:
    def spec(name: str, v: Any) -> int | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        try:
            n = int(str(v).strip().rstrip("%"))
        except ValueError:
            raise ValidationError(name, _("Not a whole number: “{text}”").format(text=v)) from None
        if not low <= n <= high:
            raise ValidationError(
                name, _("Must be from {low} to {high}").format(low=low, high=high)
            )
        return n

    return spec


def id_field() -> FieldSpec:
    """A link to another record by id; blank means none."""

    def spec(name: str, v: Any) -> int | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        try:
            return int(v)
        except (TypeError, ValueError):
            raise ValidationError(name, _("Not a record id: “{text}”").format(text=v)) from None

    return spec


def bool_field() -> FieldSpec:
    def spec(name: str, v: Any) -> bool:
        if isinstance(v, bool):
            return v
        return str(v or "").strip().lower() in ("1", "y", "yes", "true", "是", "x")

    return spec


def email_field() -> FieldSpec:
    return check_email


def phone_field() -> FieldSpec:
    return check_phone


def clean(specs: Mapping[str, FieldSpec], data: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the fields present in ``data``; unknown keys are a programming error."""
    unknown = set(data) - set(specs)
    if unknown:
        raise KeyError(f"unknown fields: {sorted(unknown)}")
    return {name: specs[name](name, value) for name, value in data.items()}


def apply_update(
    session: Session, model: type[SQLModel], record_id: int, values: Mapping[str, Any],
    expected_version: int | None,
) -> SQLModel:  # fmt: skip
    """Write ``values`` to a record if its version is still ``expected_version``.

    A record changed elsewhere since it was read raises ConflictError with the fresh record.
    """
    from crm_tui.store.models import now

    record = session.get(model, record_id)
    if record is None:
        raise NotFoundError(_("This record no longer exists (deleted elsewhere)"))
    session.refresh(record)
    if expected_version is not None and record.version != expected_version:
        # A detached copy: the session's rollback expires ``record`` itself.
        fresh = model(**record.model_dump())
        raise ConflictError(
            _(
                "This record was changed elsewhere since you opened it; the current values are shown"
            ),
            fresh=fresh,
        )
    for key, value in values.items():
        setattr(record, key, value)
    if hasattr(record, "updated_at"):
        record.updated_at = now()
    record.version = record.version + 1
    session.add(record)
    session.flush()
    return record
