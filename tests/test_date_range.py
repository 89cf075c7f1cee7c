"""Dates typed in forms and CSV files have a sane range (1900-01-01 … 2100-12-31): a slip
like ``+9999w`` or ``9999-12-31`` is refused with a message that says the range, inline
under the field, in an import's rejected rows, never an exception."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select
from textual.widgets import Label

from crm_tui.app import make_app
from crm_tui.cli import main
from crm_tui.dates import FIRST_DAY, LAST_DAY, parse_date, parse_datetime
from crm_tui.i18n import set_language
from crm_tui.store import customers as cs
from crm_tui.store.models import Task

FROZEN = dt.datetime(2026, 11, 23, 9, 30)  # a Monday
TODAY = FROZEN.date()
RANGE = "use a date from 1900-01-01 to 2100-12-31"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("+9999w", f"Date “+9999w” is 2218-07-13, out of range: {RANGE}"),
        ("-9999w", f"Date “-9999w” is 1835-04-06, out of range: {RANGE}"),
        ("+1000m", f"Date “+1000m” is 2110-03-23, out of range: {RANGE}"),
        ("+75y", f"Date “+75y” is 2101-11-23, out of range: {RANGE}"),
        ("-127y", f"Date “-127y” is 1899-11-23, out of range: {RANGE}"),
        ("9999-12-31", f"Date 9999-12-31 is out of range: {RANGE}"),
        ("2101-01-01", f"Date 2101-01-01 is out of range: {RANGE}"),
        ("1899-12-31", f"Date 1899-12-31 is out of range: {RANGE}"),
        ("0001-01-01", f"Date 0001-01-01 is out of range: {RANGE}"),
        ("2101/1/1", f"Date “2101/1/1” is 2101-01-01, out of range: {RANGE}"),
        # as many digits as the range takes: +10000d (2054) is a date, +100000d too far
        ("+100000d", f"Date “+100000d” is 2300-09-08, out of range: {RANGE}"),
        ("100000天后", f"Date “100000天后” is 2300-09-08, out of range: {RANGE}"),
        ("in 100 years", f"Date “in 100 years” is 2126-11-23, out of range: {RANGE}"),
    ],
)
def test_dates_outside_the_range_are_refused_with_the_range(text, message):
    with pytest.raises(ValueError) as err:
        parse_date(text, TODAY)
    assert str(err.value) == message
    with pytest.raises(ValueError, match="out of range"):
        parse_datetime(f"{text} 10:00", FROZEN)
    with pytest.raises(ValueError, match="out of range"):
        parse_datetime(text, FROZEN)


@pytest.mark.parametrize(
    "text", ["2100-12-31", "1900-01-01", "+9999d", "+10000d", "+27066d", "+74y", "-126y"]
)
def test_the_ends_of_the_range_are_dates_like_any_other(text):
    day = parse_date(text, TODAY)
    assert FIRST_DAY <= day <= LAST_DAY
    assert parse_date(text, TODAY, past=True) == day


@pytest.mark.parametrize(
    "text", ["+9999y", "-9999y", "+9999m", "+99999999999d", "+" + "9" * 30 + "d"]
)
def test_offsets_beyond_the_calendar_are_a_value_error_not_an_overflow(text):
    """The relativedelta overflows Python's date: a message, never OverflowError."""
    for today in (TODAY, dt.date(2100, 12, 31), dt.date(9990, 1, 1)):
        with pytest.raises(ValueError) as err:
            parse_date(text, today)
        assert not isinstance(err.value, OverflowError)
        assert f"“{text}”" in str(err.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9998-12-31", dt.date(9998, 12, 31)), ("0001-01-01", dt.date(1, 1, 1)),
     ("-9999w", dt.date(1835, 4, 6))],
)  # fmt: skip
def test_dates_of_what_happened_are_left_to_their_callers(text, expected):
    """``past`` dates are checked against today where they are used (a won deal's close
    within a year, a report's as-of day within the reports' range, 1900 … 9998)."""
    assert parse_date(text, TODAY, past=True) == expected


def test_the_range_message_in_chinese():
    set_language("zh")
    try:
        with pytest.raises(ValueError) as err:
            parse_date("+9999w", TODAY)
        assert str(err.value) == (
            "日期“+9999w”即 2218-07-13，超出范围：请用 1900-01-01 至 2100-12-31 之间的日期"
        )
        with pytest.raises(ValueError) as err:
            parse_date("9999-12-31", TODAY)
        assert str(err.value) == (
            "日期 9999-12-31 超出范围：请用 1900-01-01 至 2100-12-31 之间的日期"
        )
    finally:
        set_language("en")


@pytest.mark.parametrize("due", ["+9999w", "9999-12-31"])
async def test_a_task_due_out_of_range_is_an_inline_error_and_nothing_is_saved(db, due):
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    app = make_app(db.path, clock=lambda: FROZEN)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("down", "t")
        await pilot.pause()
        form = app.screen
        assert form.__class__.__name__ == "TaskFormDialog"
        form.query_one("#field-title").value = "Far away"
        form.query_one("#field-due").value = due
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # still open, the error under the field
        error = str(form.query_one("#error-due", Label).render())
        assert "out of range" in error and "1900-01-01 to 2100-12-31" in error
    with db.session() as s:
        assert s.exec(select(Task)).all() == []


def test_an_import_row_out_of_range_is_rejected_with_the_range(db, tmp_path, capsys):
    f = tmp_path / "tasks.csv"
    f.write_text(
        "title,due\nCall back,2026-12-01\nSomeday,9999-12-31\nLong ago,1899-01-01\n",
        encoding="utf-8",
    )
    assert main(["--db", str(db.path), "import", "tasks", str(f)]) == 3
    err = capsys.readouterr().err
    assert f"line 3: due: Date 9999-12-31 is out of range: {RANGE}" in err
    assert f"line 4: due: Date 1899-01-01 is out of range: {RANGE}" in err
    with db.session() as s:
        assert [t.title for t in s.exec(select(Task)).all()] == ["Call back"]
