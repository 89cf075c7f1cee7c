"""Helpers every store command module shares: raw connection access, optimistic versions, field checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, SQLModel

from crm_tui.i18n import _
from crm_tui.store.fields import (  # noqa: F401  (re-exported: the specs live in fields.py)
    FieldSpec,
    bool_field,
    choice_field,
    clean,
    date_field,
    datetime_field,
    email_field,
    id_field,
    int_field,
    money_field,
    phone_field,
    text_field,
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
