"""Field specs: the rule each field of each record kind follows, for forms and imports alike.

A spec turns one incoming value (text from a form or CSV, or an already typed value)
into what the column stores, raising ValidationError with the field's name. This
module imports no ORM (nor anything else heavy), so `crm import` and other fast
paths check values without loading SQLModel; the store command modules re-export
their kind's specs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from crm_tui.dates import half_width, parse_date, parse_datetime, parse_day_and_time, parse_time
from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store.validation import (
    ValidationError,
    check_choice,
    check_email,
    check_not_scientific,
    check_phone,
    check_text,
    one_line,
    parse_money,
)

#: (field name, incoming value) → the value to store; raises ValidationError.
FieldSpec = Callable[[str, Any], Any]


def text_field(
    required: bool = False, max_len: int = 2000, *, lines: bool = False, ascii_forms: bool = False
) -> FieldSpec:
    """Text; ``lines``: a field of several lines (notes, content …). Any other field is
    one line, where the lines of a text with line breaks (a spreadsheet's cell, a paste)
    are joined, and tabs are spaces (validation.one_line): a name or a title of two lines
    broke the lists' rows. ``ascii_forms``: an identifier (a customer code), whose
    full-width forms (``Ｃ２０２６…``, as a Chinese input method types them) are stored
    as ASCII, so that it matches the code it is."""

    def spec(name: str, v: Any) -> str | None:
        text = check_text(name, v, required=required, max_len=max_len)
        if not lines and text and ("\n" in text or "\r" in text or "\t" in text):
            text = one_line(text)
        if ascii_forms and text and not text.isascii():
            text = half_width(text).strip()
        return text

    # The rule's parameters, for bulk imports: a row screened once for long digit runs
    # can trim and length-check its plain text cells inline (import_common.RowValidator;
    # with ascii_forms, only ASCII ones).
    spec.text_rule = (required, max_len, lines, ascii_forms)  # type: ignore[attr-defined]
    return spec


def choice_field(vocabulary, required: bool = False) -> FieldSpec:
    return lambda name, v: check_choice(name, vocabulary, v, required=required)


def money_field() -> FieldSpec:
    def spec(name: str, v: Any) -> int | None:
        if isinstance(v, int) and not isinstance(v, bool):
            return v  # already cents
        return parse_money(name, v)

    return spec


def date_field(required: bool = False, *, past: bool = False) -> FieldSpec:
    """A date; ``past``: the date of something that has happened (a first contact, a
    close, an order), where ``11-20`` and ``fri`` read backwards (dates.parse_date)."""

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
            day = parse_date(str(v), past=past)
        except ValueError as exc:
            raise ValidationError(name, str(exc)) from None
        return _not_before_first_day(name, day) if past else day

    return spec


def _not_before_first_day(name: str, day: dt.date) -> dt.date:
    """Something that has happened happened after 1900: 0500-01-01 is the year mistyped
    (and a year before 1000 was stored unpadded, which nothing could read back)."""
    from crm_tui.dates import FIRST_DAY

    if day < FIRST_DAY:
        raise ValidationError(
            name,
            _("This date is before {first}: check the year").format(first=FIRST_DAY.isoformat()),
        )
    return day


def happened_date_field(message: Callable[[], str]) -> FieldSpec:
    """A date of something that has happened: not after today (a later one is a typing
    mistake, ``明天`` for ``昨天``); ``message()`` says so, with ``{date}``."""
    date_spec = date_field(past=True)

    def spec(name: str, v: Any) -> dt.date | None:
        day = date_spec(name, v)
        if day is not None and day > dt.date.today():
            raise ValidationError(name, message().format(date=day.isoformat()))
        return day

    return spec


def birthday_field() -> FieldSpec:
    """A date that is not after today (a birthday in the future is a typing mistake)."""
    return happened_date_field(lambda: _("A birthday cannot be in the future ({date})"))


def datetime_field(required: bool = False, *, past: bool = False) -> FieldSpec:
    """A date and time; ``past``: when something happened (dates.parse_datetime)."""

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
            when = parse_datetime(str(v), past=past)
        except ValueError as exc:
            raise ValidationError(name, str(exc)) from None
        if past:
            _not_before_first_day(name, when.date())
        return when

    return spec


def day_and_time_field(required: bool = False) -> FieldSpec:
    """A day and, when the text gives one, its time: (date, time or None), as
    dates.parse_day_and_time reads them (a task's due ``下周三 14:30``: the task form
    reads its due field with that function too)."""

    def spec(name: str, v: Any) -> tuple[dt.date, dt.time | None] | None:
        if v is None or not str(v).strip():
            if required:
                raise ValidationError(name, _("Required"))
            return None
        try:
            return parse_day_and_time(str(v))
        except ValueError as exc:
            raise ValidationError(name, str(exc)) from None

    return spec


#: A whole number as int() should read it: ASCII digits only (int() also took "1_0" and
#: other scripts' digits).
_WHOLE = re.compile(r"[+-]?[0-9]+")


def int_field(low: int, high: int) -> FieldSpec:
    """A whole number from ``low`` to ``high``; a percentage sign after it is dropped
    (``80%``), and the full-width forms a Chinese input method types (``５０％``) are
    read as ASCII ones, as dates and amounts are."""

    def spec(name: str, v: Any) -> int | None:
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if isinstance(v, int) and not isinstance(v, bool):
            n = v
        else:
            text = half_width(str(v)).strip().rstrip("%").rstrip()
            if not _WHOLE.fullmatch(text):
                raise ValidationError(name, _("Not a whole number: “{text}”").format(text=v))
            n = int(text)
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
    values, errors = clean_partly(specs, data)
    if errors:  # all of them, so that a form shows every bad field at once
        raise ValidationError.of(errors)
    return values


def clean_partly(
    specs: Mapping[str, FieldSpec], data: Mapping[str, Any]
) -> tuple[dict[str, Any], list[ValidationError]]:
    """The fields of ``data`` that are valid, and the problems of the others: for a
    command that goes on to check the valid ones against the database, so that one save
    says every problem."""
    unknown = set(data) - set(specs)
    if unknown:
        raise KeyError(f"unknown fields: {sorted(unknown)}")
    values: dict[str, Any] = {}
    errors: list[ValidationError] = []
    for name, value in data.items():
        try:
            values[name] = specs[name](name, value)
        except ValidationError as exc:
            errors.append(exc)
    return values, errors


# --- the record kinds ---------------------------------------------------------

CUSTOMER_FIELDS = {
    "name": text_field(required=True, max_len=200),
    "kind": choice_field(enums.CUSTOMER_KIND),
    "industry": choice_field(enums.INDUSTRY),
    "size": choice_field(enums.SIZE),
    "registered_address": text_field(),
    "business_address": text_field(),
    "region": text_field(max_len=100),
    "source": choice_field(enums.SOURCE),
    "first_contact": happened_date_field(
        lambda: _("The first contact cannot be in the future ({date})")
    ),
    "level": choice_field(enums.LEVEL),
    "status": choice_field(enums.STATUS),
    "needs": text_field(lines=True),
    "budget_cents": money_field(),
    "purchase_date": date_field(),
    "owner": text_field(max_len=100),
    "primary_contact_id": id_field(),
    "decision_maker_id": id_field(),
}

CONTACT_FIELDS = {
    "name": text_field(required=True, max_len=100),
    "title": text_field(max_len=100),
    "department": text_field(max_len=100),
    "role": choice_field(enums.CONTACT_ROLE),
    "gender": choice_field(enums.GENDER),
    "phone": phone_field(),
    "mobile": phone_field(),
    "email": email_field(),
    "wechat": text_field(max_len=100),
    "birthday": birthday_field(),
    "preferred_channel": choice_field(enums.PREFERRED_CHANNEL),
    "relationship": choice_field(enums.RELATIONSHIP),
    "notes": text_field(lines=True),
    "owner": text_field(max_len=100),
}


_TAG_SEPARATORS = str.maketrans({"；": ";", ",": ";", "，": ";", "、": ";"})


def parse_tags(text: str | list[str] | None) -> list[str]:
    """Tags from ``a;b；c``, ``a, b`` or ``a、b`` text (、 is how Chinese lists words) or a
    list, trimmed, deduplicated, order kept."""
    if text is None:
        return []
    items = text if isinstance(text, list) else str(text).translate(_TAG_SEPARATORS).split(";")
    seen: list[str] = []
    for item in items:
        t = check_text("tags", item, max_len=50)
        if t and t not in seen:
            seen.append(t)
    return seen


INTERACTION_FIELDS = {
    "channel": choice_field(enums.CHANNEL),
    "occurred_at": datetime_field(past=True),
    "subject": text_field(required=True, max_len=200),
    "content": text_field(max_len=10_000, lines=True),
    "feedback": text_field(max_len=10_000, lines=True),
    "attitude": choice_field(enums.ATTITUDE),
    "contact_id": id_field(),
    "opportunity_id": id_field(),
    "location": text_field(max_len=200),
    "our_people": text_field(max_len=200),
    "their_people": text_field(max_len=200),
    "key_facts": text_field(max_len=5_000, lines=True),
    "next_step": text_field(max_len=200),
    "next_step_due": date_field(),
}

OPPORTUNITY_FIELDS = {
    "name": text_field(required=True, max_len=200),
    "contact_id": lambda n, v: int(v) if v not in (None, "") else None,
    "product": text_field(max_len=200),
    "amount_cents": money_field(),
    "expected_close": date_field(),
    "probability": int_field(0, 100),
    "competitor": text_field(max_len=200),
    "strengths": text_field(lines=True),
    "weaknesses": text_field(lines=True),
    "key_success_factors": text_field(lines=True),
    "risks": text_field(lines=True),
    "risk_flag": bool_field(),
    "next_action": text_field(max_len=500),
    "next_action_due": date_field(),
    "actual_close": date_field(past=True),
    "lost_reason": text_field(max_len=500),
}


def order_no_field(name: str, v: Any) -> str | None:
    """An order number: one line of text, not a number Excel turned into scientific
    notation (``2.02511E+11``): an order number brings its order up to date, so a
    second order mangled to the same text would overwrite the first."""
    text = _order_no_text(name, v)
    if text is not None:
        check_not_scientific(name, text)
    return text


_order_no_text = text_field(max_len=100)


ORDER_FIELDS = {
    "order_date": date_field(required=True, past=True),
    "amount_cents": money_field(),
    "product": text_field(max_len=200),
    "order_no": order_no_field,
    "opportunity_id": lambda n, v: int(v) if v not in (None, "") else None,
}

PAYMENT_FIELDS = {
    "paid_on": date_field(required=True, past=True),
    "amount_cents": money_field(),
}


def time_field(name: str, v: Any) -> str | None:
    """``HH:MM`` (or ``H:MM``, or typed full-width: ``14：30``, ``１４：３０``, or as the due
    field reads a time: ``下午2点半``, ``2pm``; with seconds, as Excel writes h:mm:ss,
    ``14:30:00``, which are dropped) or blank."""
    if isinstance(v, dt.time):
        return v.strftime("%H:%M")
    text = half_width(str(v or "")).strip()
    if not text:
        return None
    parts = text.split(":")
    if len(parts) == 2 and all(p.isascii() and p.isdigit() for p in parts):
        hh, mm = int(parts[0]), int(parts[1])
        if hh <= 23 and mm <= 59:
            return f"{hh:02d}:{mm:02d}"
    said = parse_time(text)
    if said is not None:
        return said.strftime("%H:%M")
    raise ValidationError(name, _("Unreadable time “{text}” (use HH:MM)").format(text=v))


TASK_FIELDS = {
    "title": text_field(required=True, max_len=200),
    "type": choice_field(enums.TASK_TYPE),
    "customer_id": id_field(),
    "contact_id": id_field(),
    "opportunity_id": id_field(),
    "goal": text_field(max_len=2000, lines=True),
    "notes": text_field(max_len=10_000, lines=True),
    "due": date_field(required=True),
    "due_time": time_field,
    "planned_start": datetime_field(),
    "planned_end": datetime_field(),
    "status": choice_field(enums.TASK_STATUS),
    "result": text_field(max_len=5000, lines=True),
}
