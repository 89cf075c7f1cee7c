"""Dates typed in a form, read against the app's clock, and a save that says every
problem at once: the unreadable or implausible dates' and the store's about the rest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from crm_tui.dates import parse_date, parse_datetime, parse_day_and_time
from crm_tui.store.validation import ValidationError


def typed_dates_partly(
    app, values: dict[str, Any], *, datetimes=(), dates=(), past=()
) -> tuple[dict[str, Any], ValidationError | None]:
    """The typed date text of ``datetimes`` and ``dates`` read against the app's clock;
    the unreadable ones are left out of the values and returned as one error, so that the
    store can still check the other fields and a save says every problem at once
    (:func:`saved_with_date_problems`).

    The fields named in ``past`` hold when something happened: their weekday names and
    ``MM-DD`` dates mean the latest such day (today included), not the next one."""
    out = dict(values)
    errors: list[ValidationError] = []
    for name, parse, now in (
        *((n, parse_datetime, app.now()) for n in datetimes),
        *((n, parse_date, app.today()) for n in dates),
    ):
        text = out.get(name)
        if text:
            try:
                out[name] = parse(text, now, past=name in past)
            except ValueError as exc:
                errors.append(ValidationError(name, str(exc)))
                del out[name]
    return out, (ValidationError.of(errors) if errors else None)


def time_taken_off(
    values: dict[str, Any], name: str, now: dt.datetime
) -> tuple[dict[str, Any], str | None]:
    """A date field typed with a time (``下周三 14:30``, read by dates.parse_day_and_time as
    a tasks import reads its due): the values with the day alone in ``name`` (ISO), and
    the time (HH:MM), or None. A text that is not a date and a time is left as typed, for
    the date check to say what is wrong with it."""
    text = values.get(name)
    if not text:
        return values, None
    try:
        day, time = parse_day_and_time(text, now)
    except ValueError:
        return values, None
    if time is None:
        return values, None
    return {**values, name: day.isoformat()}, f"{time:%H:%M}"


def with_date_problems(dates: ValidationError | None, store: ValidationError) -> ValidationError:
    """The unreadable dates' problems and the store's about the other fields, as one (the
    store's word on a date left out, "Required", is not repeated)."""
    if dates is None:
        return store
    named = {field for field, _message in dates.errors}
    rest = [ValidationError(f, m) for f, m in store.errors if f not in named]
    return ValidationError.of([dates, *rest])


def saved_with_date_problems(
    app: Any, date_problem: ValidationError | None, write: Callable[[Any], Any]
) -> int:
    """``write(session)``'s record id, committed only when ``date_problem`` is None; the
    store's objections to the other fields are said in the same save as the dates'."""
    with app.db.session() as session:
        try:
            record = write(session)
        except ValidationError as exc:
            raise with_date_problems(date_problem, exc) from None
        if date_problem is not None:
            raise date_problem  # (leaving the session rolls the write back)
        return int(record.id)
