"""Report results shared by every report: typed columns, rows, extras, and the SQL helpers they use.

A report function takes a standard-library ``sqlite3`` connection (from
``Database.reading()``) and an as-of date (weekly: an ISO week) and returns a
:class:`Report`. Rows hold typed values -- money as integer cents, shares as
``Decimal`` with exactly four places (:func:`ratio`), dates as ``datetime.date`` -- and each
:class:`Column` says how to render its value; :mod:`crm_tui.reports.output`
turns a report into CSV, JSON or an aligned text table. Nothing here imports
SQLAlchemy, SQLModel or Textual, so ``crm report`` starts fast.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import repeat
from operator import add, floordiv, mul
from typing import Any, overload

#: Report names in the order of CLI.md.
REPORTS: tuple[str, ...] = (
    "funnel",
    "rfm",
    "abc",
    "forecast",
    "activity",
    "distribution",
    "weekly",
)

#: Column kinds: how a value is written (see output.py).
KINDS = ("text", "int", "money", "ratio", "date", "days", "enum", "flag")

_FOUR_PLACES = Decimal("0.0001")

#: The as-of dates (and weeks) the reports accept. The weeks, months and quarters around
#: a date must exist in the calendar (``datetime`` ends at 9999-12-31), and nothing a
#: rep records predates 1900.
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(9998, 12, 31)


def check_day(day: dt.date, shown: str | None = None) -> dt.date:
    """``day`` if the reports can run as of it, else a ValueError that says the range
    (naming ``shown``, what the user typed, when given)."""
    if day < FIRST_DAY:  # (the screen and the CLI refuse later days as not come yet)
        from crm_tui.i18n import _

        raise ValueError(
            _("{date} is out of range: reports start on {first}").format(
                date=shown or day.isoformat(), first=FIRST_DAY.isoformat()
            )
        )
    if day > LAST_DAY:
        from crm_tui.i18n import _

        raise ValueError(
            _("{date} is out of range: reports run from {first} to {last}").format(
                date=shown or day.isoformat(),
                first=FIRST_DAY.isoformat(),
                last=LAST_DAY.isoformat(),
            )
        )
    return day


def not_after_today(day: dt.date, today: dt.date) -> dt.date:
    """``day`` if it has come, else a ValueError that says so. Reports look back: as of a
    later day, every task not yet due would count as overdue and every open deal as
    forecast for a past month (the reports screen and `crm report --as-of`)."""
    if day > today:
        from crm_tui.i18n import _

        raise ValueError(
            _("Reports look back: the latest as-of date is today ({today})").format(
                today=today.isoformat()
            )
        )
    return day


@dataclass(frozen=True)
class Column:
    """One output column: its CSV/JSON key, the kind of its values, and where it appears.

    ``vocabulary`` (an :class:`crm_tui.store.enums.Vocabulary`) lets the text table show
    labels in the UI language while CSV and JSON keep the English keys. ``csv=False``
    columns are extras for JSON and the table only (CLI.md fixes the CSV columns).
    """

    key: str
    kind: str = "text"
    vocabulary: Any = None
    csv: bool = True


class LazyRows(Sequence[dict[str, Any]]):
    """A report's rows, made by ``build()`` the first time they are read; ``len()`` is known before.

    Big reports (RFM, ABC: one row per customer) hand their CSV to the writer as ready
    cells (:attr:`Report.csv_cells`); the typed row dicts cost as much again and are only
    made when something reads them (JSON, the text table, the screen, tests). With
    ``row(i)`` (row ``i`` alone), indexing and slicing before a full read make just the
    rows asked for (the screen shows the first 200); such dicts are fresh copies, so
    treat rows as read-only.
    """

    __slots__ = ("_build", "_len", "_row", "_rows")

    def __init__(
        self,
        length: int,
        build: Callable[[], list[dict[str, Any]]],
        row: Callable[[int], dict[str, Any]] | None = None,
    ) -> None:
        self._len = length
        self._build: Callable[[], list[dict[str, Any]]] | None = build
        self._row = row
        self._rows: list[dict[str, Any]] | None = None

    def _list(self) -> list[dict[str, Any]]:
        if self._rows is None:
            assert self._build is not None
            self._rows = self._build()
            self._build = self._row = None
        return self._rows

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if self._row is not None:
            if isinstance(index, slice):
                return list(map(self._row, range(*index.indices(self._len))))
            if -self._len <= index < self._len:
                return self._row(index % self._len)
            raise IndexError("report row index out of range")
        return self._list()[index]

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyRows):
            other = other._list()
        return self._list() == other

    __hash__ = None  # type: ignore[assignment]  # like a list

    def __repr__(self) -> str:
        return repr(self._list())


@dataclass
class Report:
    """A report's result: rows under ``columns``, report-level ``extras`` and secondary tables.

    ``extras`` maps a key to ``(kind, value)`` (for example the funnel's ``win_rate``);
    ``tables`` holds secondary lists (forecast quarters and overdue deals, RFM segments)
    that appear in JSON and in the text table but never in the CSV.

    ``csv_cells``, when set, gives the CSV data rows as strings, exactly as
    :func:`crm_tui.reports.output.csv_rows` would format ``rows`` (a fast path for
    reports with a row per customer; the tests hold the two equal).
    """

    name: str
    columns: tuple[Column, ...]
    rows: Sequence[dict[str, Any]]
    params: dict[str, str | int] = field(default_factory=dict)
    extras: dict[str, tuple[str, Any]] = field(default_factory=dict)
    tables: dict[str, Report] = field(default_factory=dict)
    csv_cells: Callable[[], Iterable[Sequence[str]]] | None = field(
        default=None, repr=False, compare=False
    )

    @property
    def csv_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.csv)

    @property
    def has_amounts(self) -> bool:
        """Whether a column holds money (what the currency setting names)."""
        return any(c.kind == "money" for c in self.columns)

    def column(self, key: str) -> list[Any]:
        """All values of one column (handy for tests and charts)."""
        return [row.get(key) for row in self.rows]


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """``numerator / denominator`` rounded half up to four places; None when the denominator is 0."""
    if not denominator:
        return None
    if numerator >= 0 and denominator > 0:
        # integer half-up rounding: exact, and much cheaper than Decimal division
        units = (2 * numerator * 10000 + denominator) // (2 * denominator)
        return Decimal(units).scaleb(-4)
    return (Decimal(numerator) / Decimal(denominator)).quantize(_FOUR_PLACES, ROUND_HALF_UP)


def ratio_units(numerators: Iterable[int], denominator: int) -> Iterator[int]:
    """``numerator / denominator`` in ten-thousandths, rounded half up as :func:`ratio` rounds,
    for many numerators ``>= 0`` at once (``denominator > 0``); see :func:`ratio_text`."""
    twice = 2 * denominator
    return map(
        floordiv, map(add, map(mul, numerators, repeat(20000)), repeat(denominator)), repeat(twice)
    )


def ratio_text(units: int) -> str:
    """The CSV text of ``ratio()`` for ``units`` ten-thousandths (``>= 0``): ``0.0004``, ``1.0000``."""
    return f"{units // 10000}.{units % 10000:04d}"


def amount_texts(cents: Iterable[int]) -> dict[int, str]:
    """Each distinct amount's CSV text, as ``validation.format_amount`` writes it, made in bulk.

    Reports with a row per customer format each distinct amount once, at about half the
    cost of a ``format_amount`` call.
    """
    from crm_tui.store.validation import format_amount

    distinct = set(cents)
    texts = dict(
        zip(distinct, map("%d.%02d".__mod__, map(divmod, distinct, repeat(100))), strict=True)
    )
    if distinct and min(distinct) < 0:  # divmod floors: negative amounts the careful way
        texts.update((c, format_amount(c)) for c in distinct if c < 0)
    return texts


def round_cents(hundredths_of_cents: int) -> int:
    """Σ(amount_cents × probability%) → cents, rounded half up, in integer arithmetic."""
    if hundredths_of_cents >= 0:
        return (hundredths_of_cents + 50) // 100
    return -((-hundredths_of_cents + 50) // 100)


def day_start(day: dt.date) -> str:
    """The timestamp text at which ``day`` begins (timestamps are ``YYYY-MM-DD HH:MM:SS``)."""
    return day.isoformat() + " 00:00:00"


def day_after(day: dt.date) -> str:
    """The timestamp text just after ``day`` ends: compare ``ts < day_after(d)`` for "on or before"."""
    return day_start(day + dt.timedelta(days=1))


def stage_position_sql(column: str) -> str:
    """A SQL CASE giving a stage's position on the ladder (0 = initial contact … 5 = after-sales).

    ``lost`` and unknown stages give NULL: lost is an outcome, not a step.
    """
    from crm_tui.store.enums import STAGE_LADDER

    whens = " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STAGE_LADDER))
    return f"(CASE {column} {whens} END)"


def build_report(
    name: str,
    conn: Any,
    as_of: dt.date,
    week: dt.date | str | None = None,
    targets: dict[str, int] | None = None,
    probabilities: dict[str, int] | None = None,
) -> Report:
    """Run report ``name`` (one of :data:`REPORTS`) on a stdlib connection.

    The single entry point for the CLI and the reports screen. ``week`` (a date in the week
    or ``YYYY-Www``) is the weekly report's week, by default the week of ``as_of``, which
    is also the weekly report's "today". ``targets`` are config.toml's monthly targets
    (``Settings.targets``), the forecast's fallback when the database has none;
    ``probabilities`` the stages' default probabilities (``Settings.probabilities()``),
    which deals moved since the as-of date had then (forecast and weekly).
    Dates outside :data:`FIRST_DAY` … :data:`LAST_DAY` raise ValueError (:func:`check_day`).
    """
    if name not in REPORTS:
        raise ValueError(f"unknown report {name!r}")
    check_day(as_of)
    if isinstance(week, dt.date):
        check_day(week)
    elif isinstance(week, str):
        from crm_tui.dates import parse_iso_week

        try:
            monday = parse_iso_week(week)[0]
        except OverflowError:  # the week's Sunday is past the calendar's end
            monday = dt.date.max
        check_day(monday, week)
    if name == "weekly":
        from crm_tui.reports.weekly import weekly

        return weekly(conn, week or as_of, today=as_of, probabilities=probabilities)
    if name == "forecast":
        from crm_tui.reports.forecast import forecast

        return forecast(conn, as_of, targets, probabilities=probabilities)
    module = importlib.import_module(f"crm_tui.reports.{name}")
    return getattr(module, name)(conn, as_of)


def fetch_tuples(conn: Any, sql: str, params: Any = ()) -> list[tuple]:
    """All rows of ``sql`` as plain tuples (cheaper than ``sqlite3.Row`` for big results)."""
    cur = conn.cursor()
    cur.row_factory = None
    try:
        return cur.execute(sql, params).fetchall()
    finally:
        cur.close()
