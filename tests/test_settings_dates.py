"""Settings from config.toml, language choice, and the date forms of CLI.md."""

from __future__ import annotations

import datetime as dt

import pytest

from crm_tui.dates import (
    iso_week,
    parse_date,
    parse_datetime,
    parse_day_and_time,
    parse_iso_week,
)
from crm_tui.i18n import _, detect_language, set_language
from crm_tui.settings import SettingsError, load_settings, resolve_db_path

MONDAY = dt.date(2026, 11, 23)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-11-30", dt.date(2026, 11, 30)),
        ("2026/12/01", dt.date(2026, 12, 1)),
        ("11-30", dt.date(2026, 11, 30)),
        ("today", MONDAY),
        ("tomorrow", dt.date(2026, 11, 24)),
        ("明天", dt.date(2026, 11, 24)),
        ("+3d", dt.date(2026, 11, 26)),
        ("+2w", dt.date(2026, 12, 7)),
        ("+1m", dt.date(2026, 12, 23)),
        ("mon", dt.date(2026, 11, 30)),  # the next Monday, not today
        ("fri", dt.date(2026, 11, 27)),
        ("周五", dt.date(2026, 11, 27)),
        # as a Chinese rep says them
        ("后天", dt.date(2026, 11, 25)),
        ("大后天", dt.date(2026, 11, 26)),
        ("前天", dt.date(2026, 11, 21)),
        ("下周三", dt.date(2026, 12, 2)),  # next week's, not the coming Wednesday
        ("下星期一", dt.date(2026, 11, 30)),
        ("下礼拜天", dt.date(2026, 12, 6)),
        ("本周五", dt.date(2026, 11, 27)),
        ("这周一", MONDAY),
        ("上周五", dt.date(2026, 11, 20)),
        ("3天后", dt.date(2026, 11, 26)),
        ("2周以后", dt.date(2026, 12, 7)),
        ("1个月后", dt.date(2026, 12, 23)),
        ("5天前", dt.date(2026, 11, 18)),
        ("11月30日", dt.date(2026, 11, 30)),
        ("1月5号", dt.date(2027, 1, 5)),
        ("2026年12月1日", dt.date(2026, 12, 1)),
        # (QA) as a rep says them too: 礼拜 for 周, numbers in words, English phrases
        ("礼拜三", dt.date(2026, 11, 25)),
        ("礼拜天", dt.date(2026, 11, 29)),
        ("下个礼拜三", dt.date(2026, 12, 2)),
        ("三天后", dt.date(2026, 11, 26)),
        ("十天以后", dt.date(2026, 12, 3)),
        ("两周后", dt.date(2026, 12, 7)),
        ("两个星期后", dt.date(2026, 12, 7)),
        ("一个礼拜后", dt.date(2026, 11, 30)),
        ("一个月后", dt.date(2026, 12, 23)),
        ("二十天后", dt.date(2026, 12, 13)),
        ("三天前", dt.date(2026, 11, 20)),
        ("3天前", dt.date(2026, 11, 20)),
        ("next wed", dt.date(2026, 12, 2)),  # as 下周三: next week's
        ("Next Wednesday", dt.date(2026, 12, 2)),
        ("this fri", dt.date(2026, 11, 27)),  # as 本周五
        ("last mon", dt.date(2026, 11, 16)),  # as 上周一
        ("in 3 days", dt.date(2026, 11, 26)),
        ("in a week", dt.date(2026, 11, 30)),
        ("in 2 months", dt.date(2027, 1, 23)),
        ("3 days ago", dt.date(2026, 11, 20)),
        ("+10000d", dt.date(2054, 4, 10)),  # five digits: the date range is the limit
    ],
)
def test_accepted_date_forms(text, expected):
    assert parse_date(text, MONDAY) == expected


@pytest.mark.parametrize(
    "text, today, expected",
    [
        ("01-05", MONDAY, dt.date(2027, 1, 5)),  # in late November: the coming January
        ("11-23", MONDAY, MONDAY),  # today counts
        ("11-20", MONDAY, dt.date(2027, 11, 20)),  # the next one (README: "next such day")
        ("12-28", dt.date(2027, 1, 5), dt.date(2027, 12, 28)),
        ("02-29", dt.date(2027, 6, 1), dt.date(2028, 2, 29)),  # the leap day that exists
    ],
)
def test_a_month_and_day_is_the_next_such_day(text, today, expected):
    assert parse_date(text, today) == expected


@pytest.mark.parametrize(
    "text, today, expected",
    [
        ("mon", MONDAY, MONDAY),  # today counts
        ("周一", MONDAY, MONDAY),
        ("fri", MONDAY, dt.date(2026, 11, 20)),  # last Friday
        ("星期五", MONDAY, dt.date(2026, 11, 20)),
        ("sun", MONDAY, dt.date(2026, 11, 22)),
        ("tue", MONDAY, dt.date(2026, 11, 17)),
        ("11-23", MONDAY, MONDAY),
        ("11-20", MONDAY, dt.date(2026, 11, 20)),
        ("12-28", dt.date(2027, 1, 5), dt.date(2026, 12, 28)),  # after today: last year's
        ("yesterday", MONDAY, dt.date(2026, 11, 22)),  # the other forms are as they read
        ("-3d", MONDAY, dt.date(2026, 11, 20)),
        ("tomorrow", MONDAY, dt.date(2026, 11, 24)),
        ("2026-12-01", MONDAY, dt.date(2026, 12, 1)),
        ("礼拜五", MONDAY, dt.date(2026, 11, 20)),  # as 星期五
        ("礼拜一", MONDAY, MONDAY),
        ("三天前", MONDAY, dt.date(2026, 11, 20)),
        ("3 days ago", MONDAY, dt.date(2026, 11, 20)),
        ("next wed", MONDAY, dt.date(2026, 12, 2)),  # a named week is as 下周三 is
        ("last fri", MONDAY, dt.date(2026, 11, 20)),
    ],
)
def test_past_dates_read_backwards(text, today, expected):
    """The date of something that happened: a weekday or MM-DD is the latest such day."""
    assert parse_date(text, today, past=True) == expected


def test_past_datetimes_read_backwards():
    now = dt.datetime(2026, 11, 23, 10, 15)
    assert parse_datetime("fri 14:30", now, past=True) == dt.datetime(2026, 11, 20, 14, 30)
    assert parse_datetime("周一", now, past=True) == dt.datetime(2026, 11, 23, 9, 0)
    assert parse_datetime("11-30", now, past=True) == dt.datetime(2025, 11, 30, 9, 0)
    assert parse_datetime("fri 14:30", now) == dt.datetime(2026, 11, 27, 14, 30)  # forwards
    with pytest.raises(ValueError, match="Unreadable date"):
        parse_date("13-01", MONDAY, past=True)
    # a day without a time is 09:00, unless that is still to come: today at 8 is now
    early = dt.datetime(2026, 11, 23, 8, 5)
    assert parse_datetime("today", early, past=True) == early
    assert parse_datetime("today", early) == dt.datetime(2026, 11, 23, 9, 0)  # a plan
    # a day still to come is not quietly made now: the form says it is in the future
    assert parse_datetime("tomorrow", early, past=True) == dt.datetime(2026, 11, 24, 9, 0)
    assert parse_datetime("+3d", now, past=True) == dt.datetime(2026, 11, 26, 9, 0)


@pytest.mark.parametrize(
    "text",
    ["someday", "2026-02-30", "13-01", "+3x", "", "31/31", "下周八", "13月1日", "天后",
     "礼拜八", "三三天后", "十百天后", "next someday", "next", "in 3 fortnights", "in days",
     "3 days", "ago"],
)  # fmt: skip
def test_unreadable_dates(text):
    with pytest.raises(ValueError, match="Unreadable date"):
        parse_date(text, MONDAY)


@pytest.mark.parametrize(
    ("text", "today"),
    [
        ("+9999y", MONDAY),
        ("-9999y", MONDAY),
        ("+9999m", dt.date(9990, 1, 1)),
        ("tomorrow", dt.date.max),
        ("fri", dt.date.max),
        ("-1d", dt.date.min),
    ],
)
def test_dates_beyond_the_calendar_are_unreadable_like_any_other(text, today):
    with pytest.raises(ValueError) as err:
        parse_date(text, today)
    assert str(err.value) == (
        f"Unreadable date “{text}” (try 2026-11-30, 11-30, today, tomorrow, +3d, +2w, mon…sun)"
    )
    with pytest.raises(ValueError, match="Unreadable date"):
        parse_datetime(f"{text} 10:00", dt.datetime.combine(today, dt.time(9)))


def test_date_hints_name_the_chinese_forms_in_chinese():
    from crm_tui.dates import date_help, date_placeholder

    set_language("zh")
    try:
        with pytest.raises(ValueError) as err:
            parse_date("+9999y", MONDAY)
        assert str(err.value) == (
            "无法识别的日期“+9999y”（可用：2026-11-30、11-30、今天、明天、+3d、3天后、周一…周日、下周三）"
        )
        assert "今天" in date_placeholder() and "周五" in date_placeholder()
        assert "明天" in date_help()
    finally:
        set_language("en")
    assert date_placeholder() == "2026-11-30, 11-30, today, +3d, mon"


NOW = dt.datetime(2026, 11, 23, 10, 15)  # a Monday


@pytest.mark.parametrize(
    "text, day, time",
    [
        # (QA) no space between day and time, as a Chinese input method types them
        ("明天14:30", dt.date(2026, 11, 24), dt.time(14, 30)),
        ("12月1日14:30", dt.date(2026, 12, 1), dt.time(14, 30)),
        ("下周三14:30", dt.date(2026, 12, 2), dt.time(14, 30)),
        ("明天１４：３０", dt.date(2026, 11, 24), dt.time(14, 30)),
        # the hour in words, with or without the part of the day
        ("明天 9点", dt.date(2026, 11, 24), dt.time(9, 0)),
        ("明天9点", dt.date(2026, 11, 24), dt.time(9, 0)),
        ("周三 下午2点", dt.date(2026, 11, 25), dt.time(14, 0)),
        ("周三下午2点", dt.date(2026, 11, 25), dt.time(14, 0)),
        ("下午2点半", NOW.date(), dt.time(14, 30)),  # a time alone is today's
        ("上午10点30分", NOW.date(), dt.time(10, 30)),
        ("上午 10:30", NOW.date(), dt.time(10, 30)),
        ("下午2:30", NOW.date(), dt.time(14, 30)),
        ("下午13点", NOW.date(), dt.time(13, 0)),
        ("明天9点一刻", dt.date(2026, 11, 24), dt.time(9, 15)),
        ("明天9点05", dt.date(2026, 11, 24), dt.time(9, 5)),
        ("明天晚上八点", dt.date(2026, 11, 24), dt.time(20, 0)),
        ("明天 两点二十分", dt.date(2026, 11, 24), dt.time(2, 20)),
        ("中午12点", NOW.date(), dt.time(12, 0)),
        ("中午1点", NOW.date(), dt.time(13, 0)),
        ("凌晨12点", NOW.date(), dt.time(0, 0)),
        ("14时30分", NOW.date(), dt.time(14, 30)),
        ("周二十点", dt.date(2026, 11, 24), dt.time(10, 0)),  # 周二 at 10, not 周 at 20
        ("下周三三点", dt.date(2026, 12, 2), dt.time(3, 0)),
        ("2026年12月1日下午2点半", dt.date(2026, 12, 1), dt.time(14, 30)),
        ("三天后 10点", dt.date(2026, 11, 26), dt.time(10, 0)),
        ("礼拜三 9:00", dt.date(2026, 11, 25), dt.time(9, 0)),
        ("下礼拜三14:30", dt.date(2026, 12, 2), dt.time(14, 30)),
        # and in English
        ("tomorrow 2pm", dt.date(2026, 11, 24), dt.time(14, 0)),
        ("next wed 2:30 pm", dt.date(2026, 12, 2), dt.time(14, 30)),
        ("in 3 days 9am", dt.date(2026, 11, 26), dt.time(9, 0)),
        ("fri 12am", dt.date(2026, 11, 27), dt.time(0, 0)),
        ("12pm", NOW.date(), dt.time(12, 0)),
        # as before
        ("下周三 14:30", dt.date(2026, 12, 2), dt.time(14, 30)),
        ("2026年12月1日14:30", dt.date(2026, 12, 1), dt.time(14, 30)),
        ("12-02 9:05", dt.date(2026, 12, 2), dt.time(9, 5)),
        ("09:05", NOW.date(), dt.time(9, 5)),
        ("明天", dt.date(2026, 11, 24), None),
    ],
)
def test_a_day_and_its_time_as_reps_type_them(text, day, time):
    assert parse_day_and_time(text, NOW) == (day, time)


@pytest.mark.parametrize(
    "text",
    ["明天14", "下午25点", "上午13点", "晚上12点", "明天 25:00", "明天 9:5", "11-3014:30",
     "周三点", "14:30pm", "下午2pm", "2点下午", "明天 下午", "三三点", "明天x14:30"],
)  # fmt: skip
def test_times_that_are_none_are_unreadable(text):
    with pytest.raises(ValueError) as err:
        parse_day_and_time(text, NOW)
    assert str(err.value).startswith(f"Unreadable date “{text}”")


def test_a_date_and_time_that_are_apart_name_the_date():
    with pytest.raises(ValueError, match="Unreadable date “xyz” "):
        parse_day_and_time("xyz 14:30", NOW)
    with pytest.raises(ValueError, match="“[+]100000d” is 2300-09-08, out of range"):
        parse_day_and_time("+100000d14:30", NOW)  # touching, and the day is a date


def test_past_times_in_words_read_the_day_backwards():
    """The new forms of a 'when' field: the day as past=True reads it, the time as typed."""
    assert parse_datetime("周一 下午2点", NOW, past=True) == dt.datetime(2026, 11, 23, 14, 0)
    assert parse_datetime("礼拜五9点", NOW, past=True) == dt.datetime(2026, 11, 20, 9, 0)
    assert parse_datetime("礼拜五9点", NOW) == dt.datetime(2026, 11, 27, 9, 0)
    assert parse_datetime("三天前 上午10点", NOW, past=True) == dt.datetime(2026, 11, 20, 10, 0)
    assert parse_datetime("3天前", NOW, past=True) == dt.datetime(2026, 11, 20, 9, 0)


def test_the_task_forms_take_a_touching_time_off_the_due():
    """The task form's due and the log form's next step (typed_dates.time_taken_off)."""
    from crm_tui.screens.dialogs.typed_dates import time_taken_off

    for text, expected in [("明天14:30", "14:30"), ("周三 下午2点", "14:00"), ("明天9点", "09:00")]:
        values, time = time_taken_off({"due": text}, "due", NOW)
        assert time == expected and dt.date.fromisoformat(values["due"]) > NOW.date()


def test_datetimes_and_weeks():
    now = dt.datetime(2026, 11, 23, 10, 15)
    assert parse_datetime("", now) == now
    assert parse_datetime("tomorrow 14:30", now) == dt.datetime(2026, 11, 24, 14, 30)
    assert parse_datetime("09:05", now) == dt.datetime(2026, 11, 23, 9, 5)
    # as programs write them (an export of another system): ISO 8601 with a "T"
    assert parse_datetime("2026-11-20T10:30", now) == dt.datetime(2026, 11, 20, 10, 30)
    assert parse_datetime("2026-11-20T10:30:59", now) == dt.datetime(2026, 11, 20, 10, 30)
    assert parse_iso_week("2026-W49") == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))
    assert iso_week(MONDAY) == "2026-W48"
    with pytest.raises(ValueError):
        parse_iso_week("2026-W60")


def test_missing_config_means_defaults(tmp_path):
    s = load_settings(tmp_path / "none.toml")
    assert s.stalled_days == 30 and s.backup_keep == 7
    assert s.stage("proposal").probability == 50
    assert s.stage_name("won", "zh") == "成交"


def test_config_overrides(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        'user_name = "李娜"\nlanguage = "zh"\nstalled_days = 45\n'
        '[stages.proposal]\nprobability = 40\nname_en = "Quote"\n'
        '[targets]\n"2026-11" = "100000"\n',
        encoding="utf-8",
    )
    s = load_settings(cfg)
    assert (s.user_name, s.language, s.stalled_days) == ("李娜", "zh", 45)
    assert s.stage("proposal").probability == 40
    assert s.stage_name("proposal", "en") == "Quote"
    assert s.targets == {"2026-11": 10_000_000}


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("language = 'fr'", "language"),
        ("stalled_days = -1", "stalled_days"),
        ("[stages.bogus]\nprobability = 1", "unknown stage"),
        ("[stages.proposal]\nprobability = 300", "probability"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_malformed_config(tmp_path, text, fragment):
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    with pytest.raises(SettingsError, match=fragment):
        load_settings(cfg)


@pytest.mark.parametrize(
    "text, message",
    [
        # each names the line, then the setting and what it must be
        ('user_name = "a"\ntargets = 5\n', ":2: [targets] must be a table of months"),
        ('targets = "500000"', ":1: [targets] must be a table of months"),
        ('[targets]\n"2026-11" = "1"\n"bogus" = "1000"', ":3: targets: “bogus” is not a month"),
        ("export_dir = 5", ":1: `export_dir` must be text in quotes"),
        ("[stages.proposal]\n# a note\nname_en = 3", ":3: `stages.proposal.name_en` must be text"),
        ("stalled_dayz = 10", ":1: unknown setting `stalled_dayz` (known: user_name,"),
        ("[stages.proposal]\nprobabilty = 40", ":2: unknown setting `stages.proposal.probabilty`"),
        ("[stages.won]\nprobability = 60", ":2: `stages.won.probability` is always 100"),
        ("[stages.lost]\nprobability = 10", ":2: `stages.lost.probability` is always 0"),
        ("[stages.proposal]\nexpected_days = 0", ":2: `stages.proposal.expected_days` must be a whole number from 1"),
        ("\n\nstalled_days = 0", ":3: `stalled_days` must be a whole number from 1 to 3650"),
    ],
)  # fmt: skip
def test_bad_config_values_name_their_line(tmp_path, text, message):
    cfg = tmp_path / "config.toml"
    cfg.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as err:
        load_settings(cfg)
    assert str(err.value).startswith(f"{cfg}{message}")


def test_config_that_cannot_be_read_is_an_error_not_a_crash(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.mkdir()
    with pytest.raises(SettingsError, match="cannot read"):
        load_settings(cfg)


def test_a_closed_stage_may_be_renamed_but_keeps_its_probability(tmp_path):
    cfg = tmp_path / "config.toml"
    cfg.write_text('[stages.won]\nname_en = "Signed"\nprobability = 100\n', encoding="utf-8")
    s = load_settings(cfg)
    assert (s.stage_name("won", "en"), s.stage("won").probability) == ("Signed", 100)


def test_db_path_resolution(monkeypatch, tmp_path):
    assert resolve_db_path(str(tmp_path / "x.db")) == tmp_path / "x.db"
    monkeypatch.setenv("CRM_DB", str(tmp_path / "env.db"))
    assert resolve_db_path(None) == tmp_path / "env.db"
    monkeypatch.delenv("CRM_DB")
    assert resolve_db_path(None).name == "crm.db"
    assert "crm-tui" in str(resolve_db_path(None))


def test_language_resolution(monkeypatch):
    monkeypatch.delenv("CRM_LANG", raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert detect_language(None, None) == "zh"
    assert detect_language("en", "zh") == "en"
    monkeypatch.setenv("CRM_LANG", "en")
    assert detect_language(None, "zh") == "en"


def test_translation_switches():
    set_language("zh")
    assert _("Customers") == "客户"
    set_language("en")
    assert _("Customers") == "Customers"
