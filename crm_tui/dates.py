"""Reading the dates people type: `2026-11-30`, `11-30`, `today`, `tomorrow`, `+3d`, `+2w`, `mon`…`sun`,
`next wed`, `in 3 days`, `3 days ago`.

Also the Chinese forms 今天, 明天, 后天, 周一…周日, 礼拜三, 下周三, 本周五, 3天后, 三天后, 两周后,
3天前, 11月30日, 2026年11月30日; and where a time may follow a date (:func:`parse_day_and_time`),
with or without a space, `14:30`, 9点, 9点半, 下午2点, 上午10点30分, `2pm`. Anything else is a
ValueError whose message can be shown to the user as it is, and so is a planned date outside the sane
range (:data:`FIRST_DAY` … :data:`LAST_DAY`; see :func:`parse_date`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from dateutil.relativedelta import relativedelta

from crm_tui.i18n import _

_WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6, "周一": 0, "周二": 1, "周三": 2, "周四": 3, "周五": 4, "周六": 5, "周日": 6,
    "周天": 6, "星期一": 0, "星期二": 1, "星期三": 2, "星期四": 3, "星期五": 4, "星期六": 5,
    "星期日": 6, "星期天": 6, "礼拜一": 0, "礼拜二": 1, "礼拜三": 2, "礼拜四": 3, "礼拜五": 4,
    "礼拜六": 5, "礼拜日": 6, "礼拜天": 6,
}  # fmt: skip
_WORDS = {
    "today": 0, "tomorrow": 1, "yesterday": -1, "今天": 0, "明天": 1, "后天": 2, "大后天": 3,
    "昨天": -1, "前天": -2,
}  # fmt: skip
#: 下周三 (next week's Wednesday), 本周五 / 这周五 (this week's), 上星期一, 下礼拜天.
_CN_WEEK = re.compile(r"^(上|下|本|这)个?(?:周|星期|礼拜)([一二三四五六日天])$")
_CN_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_CN_WEEK_SHIFT = {"上": -1, "下": 1, "本": 0, "这": 0}
#: next wed, this friday, last mon: as 下周三 (next week's Wednesday), 本周五, 上周一.
_EN_WEEK = re.compile(r"^(next|this|last)\s+([a-z]+)$")
_EN_WEEK_SHIFT = {"next": 1, "this": 0, "last": -1}
#: A number in Chinese numerals (三, 两, 十五, 二十, 一百零五) or digits.
_NUMBER = r"\d+|[零〇一二两三四五六七八九十百]+"
#: 3天后, 三天后, 两周后, 2个星期后, 1个月后, 5天前: the relative forms +3d, +2w, +2w, +1m, -5d.
_CN_RELATIVE = re.compile(rf"^({_NUMBER})\s*(天|周|个?星期|个?礼拜|个?月|年)(?:以|之)?(后|前)$")
_CN_UNIT = {"天": "d", "周": "w", "星期": "w", "礼拜": "w", "月": "m", "年": "y"}
#: in 3 days, in a week, in 2 months; 3 days ago: the relative forms +3d, +1w, +2m, -3d.
_EN_IN = re.compile(r"^in\s+(\d+|an?|one)\s*(day|week|month|year)s?$")
_EN_AGO = re.compile(r"^(\d+|an?|one)\s*(day|week|month|year)s?\s+ago$")
#: 11月30日, 11月30号, 2026年11月30日.
_CN_DATE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})[日号]?$")
#: +3d, -2w, +1m, +1y: as many digits as the calendar takes (the date range limits them).
_RELATIVE = re.compile(r"^([+-])\s*(\d+)\s*([dwmy])$")
_FULL = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_SHORT = re.compile(r"^(\d{1,2})[-/.](\d{1,2})$")
_ISO_T = re.compile(r"^(\d{4}-\d{1,2}-\d{1,2})[Tt](\d{1,2}:\d{2})(?::\d{2}(?:\.\d+)?)?$")

#: The full-width forms a Chinese input method types (１４：３０, ２０２６－１１－３０, ＋３ｄ)
#: and the ideographic space, as their ASCII characters (what NFKC makes of them).
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def half_width(text: str) -> str:
    """``text`` with full-width ASCII forms and ideographic spaces as plain ASCII: a date or
    time typed with the input method on (``14：30``, ``１４：３０``) reads as typed without."""
    return text.translate(_HALF_WIDTH)


#: The dates a plan can have (a task's due date, an expected close, a next step): ``+9999w``
#: or ``9999-12-31`` typed in a form or a CSV file is a slip (and a task due then cannot be
#: snoozed). Dates of what has happened (``past``) are not limited here: where it matters
#: their callers check them against today (a close within the last year, a birthday or an
#: interaction not in the future, a report's day within crm_tui.reports' own range).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)

#: The accepted forms in English (the message id of date_help()).
DATE_HELP = "2026-11-30, 11-30, today, tomorrow, +3d, +2w, mon…sun"


def date_help() -> str:
    """The accepted forms in the current language (the Chinese one names 今天, 明天, 周一…)."""
    return _("2026-11-30, 11-30, today, tomorrow, +3d, +2w, mon…sun")


def past_date_help() -> str:
    """The forms of a day that has come (a report's as-of date): the planning forms'
    "tomorrow" and "+3d" were offered there, and refused."""
    return _("2026-11-20, 11-20, today, yesterday, -3d, -1w, fri (the last one)")


def date_placeholder() -> str:
    """A short hint for a date field, in the current language."""
    return _("2026-11-30, 11-30, today, +3d, mon")


def _error(text: str) -> ValueError:
    return ValueError(
        _("Unreadable date “{text}” (try {forms})").format(text=text, forms=date_help())
    )


def parse_date(text: str, today: dt.date | None = None, *, past: bool = False) -> dt.date:
    """Parse one of the accepted date forms relative to ``today``.

    A weekday name means the next such day (never today) and ``MM-DD`` the next such
    day (today included). With ``past`` (the date of something that happened) both
    read backwards: the latest such day, today included.

    A form that lands outside the calendar (``+9999y``, ``tomorrow`` of 9999-12-31)
    is unreadable like any other bad date, never Python's own range error. A planned
    date the calendar has but outside :data:`FIRST_DAY` … :data:`LAST_DAY` (``+9999w``,
    ``9999-12-31``) is refused with a message that says the range; a ``past`` one is
    left to the caller's own check (see :data:`FIRST_DAY`).
    """
    try:
        day = _parse_date(text, today or dt.date.today(), past)
    except (ValueError, OverflowError):
        raise _error(text) from None
    if not past and not FIRST_DAY <= day <= LAST_DAY:
        raise _out_of_range(text, day)
    return day


class DateOutOfRange(ValueError):
    """A planned date the calendar has, outside :data:`FIRST_DAY` … :data:`LAST_DAY`."""


def _out_of_range(text: str, day: dt.date) -> ValueError:
    shown = text.strip()
    if shown == day.isoformat():
        message = _("Date {date} is out of range: use a date from {first} to {last}")
    else:  # and what the typed form came to: "+9999w" of 2026-11-23 is 2218-07-13
        message = _("Date “{text}” is {date}, out of range: use a date from {first} to {last}")
    return DateOutOfRange(
        message.format(
            text=shown,
            date=day.isoformat(),
            first=FIRST_DAY.isoformat(),
            last=LAST_DAY.isoformat(),
        )
    )


def _parse_date(text: str, today: dt.date, past: bool = False) -> dt.date:
    t = half_width(text).strip().lower()
    if t in _WORDS:
        return today + dt.timedelta(days=_WORDS[t])
    if t in _WEEKDAYS:
        if past:
            return today - dt.timedelta(days=(today.weekday() - _WEEKDAYS[t]) % 7)
        ahead = (_WEEKDAYS[t] - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead)
    m = _CN_WEEK.match(t)
    if m:
        monday = today - dt.timedelta(days=today.weekday())
        week = _CN_WEEK_SHIFT[m.group(1)]
        return monday + dt.timedelta(weeks=week, days=_CN_WEEKDAY[m.group(2)])
    m = _EN_WEEK.match(t)
    if m and m.group(2) in _WEEKDAYS:  # as 下周三: the week's day, whatever ``past`` says
        monday = today - dt.timedelta(days=today.weekday())
        week = _EN_WEEK_SHIFT[m.group(1)]
        return monday + dt.timedelta(weeks=week, days=_WEEKDAYS[m.group(2)])
    m = _CN_DATE.match(t)
    if m:
        if m.group(1):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        return _month_day(int(m.group(2)), int(m.group(3)), today, past)
    m = _CN_RELATIVE.match(t)
    if m:  # as the +/- form
        unit = _CN_UNIT[m.group(2).removeprefix("个")]
        t = f"{'+' if m.group(3) == '后' else '-'}{_number(m.group(1))}{unit}"
    m = _EN_IN.match(t) or _EN_AGO.match(t)
    if m:  # as the +/- form
        n = 1 if m.group(1) in ("a", "an", "one") else int(m.group(1))
        t = f"{'-' if t.endswith('ago') else '+'}{n}{m.group(2)[0]}"
    m = _RELATIVE.match(t)
    if m:
        sign = 1 if m.group(1) == "+" else -1
        n = sign * int(m.group(2))
        unit = m.group(3)
        delta = {
            "d": relativedelta(days=n),
            "w": relativedelta(weeks=n),
            "m": relativedelta(months=n),
            "y": relativedelta(years=n),
        }[unit]
        return today + delta
    m = _FULL.match(t)
    if m:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _SHORT.match(t)
    if m:
        return _month_day(int(m.group(1)), int(m.group(2)), today, past)
    raise _error(text)


_CN_DIGITS = {
    "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100}


def _number(text: str) -> int:
    """``3``, or in Chinese numerals: 三, 两, 十 (10), 十五, 二十, 一百零五. A ValueError for
    what is no number (三三, 十百)."""
    if text.isdigit():
        return int(text)
    total, digit, last_unit = 0, None, 1000
    for ch in text:
        if ch in "零〇":  # a placeholder (一百零五)
            continue
        if ch in _CN_DIGITS and digit is None:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS and _CN_UNITS[ch] < last_unit:
            last_unit = _CN_UNITS[ch]
            total += (1 if digit is None else digit) * last_unit
            digit = None
        else:
            raise ValueError(text)
    return total + (digit or 0)


def _month_day(month: int, day: int, today: dt.date, past: bool) -> dt.date:
    """``MM-DD``: the next such day, today included (``01-05`` typed in late November
    is next January's), as the README promises; with ``past`` the latest up to today."""
    days: list[dt.date] = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            days.append(dt.date(year, month, day))
        except ValueError:  # 02-29 of a common year; a 13th month fails in every year
            continue
    if past:
        return max(d for d in days if d <= today)  # (ValueError when there is none)
    return min(d for d in days if d >= today)


def parse_optional_date(text: str | None, today: dt.date | None = None) -> dt.date | None:
    """Like :func:`parse_date` but blank means no date."""
    if text is None or not text.strip():
        return None
    return parse_date(text, today)


def parse_datetime(text: str, now: dt.datetime | None = None, *, past: bool = False) -> dt.datetime:
    """A date form optionally followed by ``HH:MM``; blank or ``now`` means now.

    ``past`` reads the date part backwards, as :func:`parse_date` does, and a day given
    without a time is taken at 09:00 unless that is still to come (``today`` typed at
    8 am is now, not a future 9 o'clock)."""
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    if not text.strip():
        return now
    day, time = parse_day_and_time(text, now, past=past)
    if time is not None:
        return dt.datetime.combine(day, time)
    when = dt.datetime.combine(day, dt.time(9, 0))
    # (only today's 09:00 becomes now: a later day stays, for the caller to refuse)
    return min(when, now) if past and day == now.date() else when


def parse_day_and_time(
    text: str, now: dt.datetime | None = None, *, past: bool = False
) -> tuple[dt.date, dt.time | None]:
    """A date form optionally followed by a time: the day, and the time or None when the
    text gives none (a time alone is today's). What forms and imports both read for a
    date that may carry a time (a task's due ``下周三 14:30``, an interaction's when),
    spreadsheets' own forms included (``2026/1/5 14:30:00``, ``2026年1月5日14:30``,
    ``2026-01-05T14:30``), and as a Chinese input method types them: no space between the
    two (``明天14:30``), the hour in words (``明天 9点``, ``周三下午2点半``, ``上午10点30分``);
    ``2pm`` and ``2:30 pm`` too. ``now`` is this minute; ``past`` as in :func:`parse_date`.
    A day that is unreadable or out of range says so as parse_date does (``xyz 14:30``
    names ``xyz``; typed touching its time, the whole text)."""
    now = (now or dt.datetime.now()).replace(second=0, microsecond=0)
    t = spreadsheet_date(_ISO_T.sub(r"\1 \2", half_width(text).strip()), keep_time=True)
    if t.lower() in ("now", "现在"):
        return now.date(), now.time()
    first_error: ValueError | None = None
    for day_text, time, spaced in _day_and_time_splits(t):
        if not day_text:  # a time alone is today's
            return now.date(), time
        try:
            return parse_date(day_text, now.date(), past=past), time
        except DateOutOfRange as exc:
            first_error = first_error or exc
        except ValueError as exc:  # 周二十点: not 周 at 20:00 but 周二 at 10:00
            # (明天x14:30 typed as one is unreadable as typed; `xyz 14:30` names xyz)
            first_error = first_error or (exc if spaced else _error(t))
    if first_error is not None:
        raise first_error
    return parse_date(t, now.date(), past=past), None


#: A time of day at the end of a date: 14:30, 9点, 9点半, 9点一刻, 10点30分, 14时30分,
#: 下午2点, 上午10:30, 晚上八点, 2pm, 2:30 p.m.; with seconds as Excel writes h:mm:ss
#: (14:30:00, 下午2:30:00), which are dropped as everywhere a time is read.
_CLOCK = re.compile(
    r"^(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上)?\s*"
    r"(?P<hour>\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
    r"(?::(?P<colon>\d{2})(?::(?P<second>\d{2})(?:\.\d+)?)?"
    r"|(?P<dian>[点时])(?:(?P<half>半)|(?P<quarter>[一1三3])刻|钟|整"
    r"|(?P<minute>\d{1,2}|[零〇一二三四五六七八九十]{1,3})分?)?)?"
    r"\s*(?P<ampm>am|pm|a\.m\.|p\.m\.)?$"
)
#: The hours each part of the day takes, as the 24-hour clock's (晚上12点, the next day's
#: midnight, is left out: a due a day early is worse than a question).
_ALL_DAY = {h: h for h in range(24)}
_AFTERNOON = {h: h + 12 for h in range(1, 12)}
_HOURS: dict[str | None, dict[int, int]] = {
    None: _ALL_DAY,
    "am": {h: h for h in range(1, 12)} | {12: 0},
    "pm": {12: 12} | _AFTERNOON,
    "凌晨": {h: h for h in range(7)} | {12: 0},
    "早上": {h: h for h in range(13)},
    "早晨": {h: h for h in range(13)},
    "上午": {h: h for h in range(13)},
    "中午": {11: 11, 12: 12} | {h: h + 12 for h in range(1, 4)},
    "下午": _AFTERNOON | {h: h for h in range(12, 24)},
    "傍晚": _AFTERNOON | {h: h for h in range(13, 24)},
    "晚上": _AFTERNOON | {h: h for h in range(13, 24)},
}
_PERIODS = tuple(p for p in _HOURS if p and not p.isascii())
#: The longest time of day _CLOCK reads, with room for spaces (上午 十二点三十分); what
#: every time has (a colon, 点 or 时, am or pm) and what one may begin with.
_CLOCK_MAX = 20
_CLOCK_MARK = re.compile(r"[:点时]|[ap]\.?m\.?$", re.IGNORECASE)
_CLOCK_START = frozenset("0123456789零〇一二两三四五六七八九十凌早上中下傍晚 \t")


def parse_time(text: str) -> dt.time | None:
    """A time of day as typed in a time field (``14:30``, ``下午2点半``, ``2pm``), or None."""
    return _clock(half_width(text).strip().lower())


def _clock(text: str) -> dt.time | None:
    """The time of day ``text`` is (_CLOCK), or None: ``14`` alone (no colon, no 点, no
    am/pm) is not one, nor 下午25点, 上午13点 or 2:30 pm typed with 下午."""
    m = _CLOCK.fullmatch(text.strip())
    if not m or not (m["colon"] or m["dian"] or m["ampm"]):
        return None
    if m["period"] and m["ampm"] or not m["hour"].isdigit() and not m["dian"]:
        return None
    period = m["period"] or (m["ampm"] and m["ampm"][0] + "m")
    try:
        hour = _HOURS[period].get(_number(m["hour"]))
        minute = (
            int(m["colon"]) if m["colon"]
            else 30 if m["half"]
            else 15 if m["quarter"] in ("一", "1")
            else 45 if m["quarter"]
            else _number(m["minute"]) if m["minute"]
            else 0
        )  # fmt: skip
    except ValueError:  # 三三点
        return None
    if hour is None or minute > 59 or m["second"] and int(m["second"]) > 59:
        return None
    return dt.time(hour, minute)


def _day_and_time_splits(t: str) -> Iterator[tuple[str, dt.time, bool]]:
    """The ways ``t`` reads as a date followed by a time of day, the longest time first:
    (the date's text, possibly blank, and the time). The two may touch, as a Chinese input
    method types them (明天14:30, 12月1日14:30, 周三下午2点), but a digit never ends the
    date where one begins the time (``11-3014:30`` is no date), nor does a part of the day
    (晚上12点 is no date 晚上 at noon). Each with whether a space parts the two."""
    if not _CLOCK_MARK.search(t):  # (most dates: no loop)
        return
    for i in range(max(0, len(t) - _CLOCK_MAX), len(t)):
        if t[i] not in _CLOCK_START:
            continue
        day_text, time_text = t[:i], t[i:]
        if day_text[-1:].isdigit() and time_text[0].isdigit():
            continue
        if day_text.rstrip().endswith(_PERIODS):
            continue
        time = _clock(time_text.lower())
        if time is not None:
            yield day_text.strip(), time, day_text[-1:].isspace() or time_text[:1].isspace()


_CN_DATE_TIME = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?\s*(.*)$")
_SECONDS = re.compile(r"^(.+?\s\d{1,2}:\d{2}):\d{2}(?:\.\d+)?$")


def spreadsheet_date(text: str, keep_time: bool) -> str:
    """What spreadsheets write for dates, in the forms this module reads.

    ``2026年1月5日`` → ``2026-1-5``; ``2026/1/5 14:30:00`` → ``2026/1/5 14:30``; in a date
    column a time part is dropped (``2026-01-05 00:00:00`` → ``2026-01-05``). Full-width
    digits and colons are read as plain ones (half_width).
    """
    t = half_width(text).strip()
    m = _CN_DATE_TIME.match(t)
    if m:
        t = f"{m.group(1)}-{m.group(2)}-{m.group(3)} {m.group(4)}".strip()
    m = _SECONDS.match(t)
    if m:
        t = m.group(1)
    if not keep_time and " " in t and ":" in t:
        t = t.split(" ", 1)[0]
    return t


def parse_iso_week(text: str) -> tuple[dt.date, dt.date]:
    """``YYYY-Www`` → (Monday, Sunday) of that ISO week."""
    m = re.match(r"^(\d{4})-?W(\d{1,2})$", text.strip(), re.IGNORECASE)
    if not m:
        raise ValueError(
            _("Unreadable week “{text}” (use YYYY-Www, e.g. 2026-W48)").format(text=text)
        )
    try:
        monday = dt.date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ValueError(_("No such week: {text}").format(text=text)) from None
    return monday, monday + dt.timedelta(days=6)


def as_date(value: object) -> dt.date | None:
    """A date from database text ``YYYY-MM-DD`` (or a timestamp's date part), a date or None."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def iso_week(day: dt.date) -> str:
    year, week, _wd = day.isocalendar()
    return f"{year}-W{week:02d}"
