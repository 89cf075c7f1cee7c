"""The dates the reports accept: every report runs at both ends of the range, and a date
outside it is a ValueError that says the range (never an OverflowError from the calendar)."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.i18n import set_language
from crm_tui.reports import FIRST_DAY, LAST_DAY, REPORTS, build_report, check_day


@pytest.mark.parametrize("day", [FIRST_DAY, LAST_DAY])
@pytest.mark.parametrize("name", REPORTS)
def test_every_report_runs_at_the_edges(db, name, day):
    with db.reading() as conn:
        report = build_report(name, conn, day)
    assert report.name == name


@pytest.mark.parametrize(
    "day", [dt.date.min, dt.date(1, 1, 2), FIRST_DAY - dt.timedelta(days=1),
            LAST_DAY + dt.timedelta(days=1), dt.date.max]
)  # fmt: skip
@pytest.mark.parametrize("name", REPORTS)
def test_dates_outside_are_a_clear_value_error(db, name, day):
    with db.reading() as conn, pytest.raises(ValueError, match="out of range") as exc:
        build_report(name, conn, day)
    assert "1900-01-01" in str(exc.value) if day < FIRST_DAY else "9998-12-31" in str(exc.value)


def test_weeks_outside_are_refused_too(db):
    with db.reading() as conn:
        for week in ("9999-W52", dt.date(9999, 12, 31), "0001-W01"):
            with pytest.raises(ValueError, match="out of range"):
                build_report("weekly", conn, dt.date(2026, 11, 23), week=week)
        assert build_report("weekly", conn, LAST_DAY, week="9998-W52").params["week"] == "9998-W52"


def test_check_day_message_in_chinese():
    set_language("zh")
    with pytest.raises(ValueError, match="超出范围"):
        check_day(dt.date(9999, 12, 31))
    assert check_day(FIRST_DAY) == FIRST_DAY
