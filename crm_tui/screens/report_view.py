"""How each report is presented on screen 5: tab titles, headers, summary lines, charts, cells.

Pure presentation of a :class:`crm_tui.reports.Report`; the screen in
:mod:`crm_tui.screens.reports` decides when to build and show them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

from crm_tui.i18n import _, label
from crm_tui.reports import Column, Report
from crm_tui.reports.output import column_titles, row_label, table_value, weekly_labels
from crm_tui.store import enums
from crm_tui.store.validation import display_amount
from crm_tui.widgets.charts import Bar

_NUMERIC = ("int", "money", "ratio", "days")


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


#: Rows shown per table; the export always has them all.
ROW_LIMIT = 200


def tab_titles() -> dict[str, str]:
    return {
        "funnel": _("Funnel"),
        "rfm": _("RFM"),
        "abc": _("ABC"),
        "forecast": _("Forecast"),
        "activity": _("Activity"),
        "distribution": _("Distribution"),
        "weekly": _("Weekly"),
    }


def table_titles() -> dict[str, str]:
    return {
        "quarters": _("Quarters"),
        "overdue": _("Overdue deals (expected to close before this month)"),
    }


def quarters_short_of_targets(report: Report) -> bool:
    """Whether a forecast quarter shows no target though some of its months have one
    (a quarter's target needs all three): its blank read as if none had been set."""
    months = {row["month"]: row.get("target") for row in report.rows if row.get("month")}
    for row in report.tables["quarters"].rows if "quarters" in report.tables else ():
        if row.get("target") is not None:
            continue
        year, q = row["quarter"][:4], int(row["quarter"][-1])
        if any(months.get(f"{year}-{m:02d}") for m in range(3 * q - 2, 3 * q + 1)):
            return True
    return False


#: Column titles and the weekly report's names, shared with the CLI's text table.
headers = column_titles


def empty_message(name: str, week: str) -> str:
    """What the tab will show and how to get the data for it."""
    if name == "funnel":
        return _(
            "No deals yet — the funnel counts the opportunities that reached each stage.\n"
            "Press 2 then n to add a deal, or press 1 then d to load sample data."
        )
    if name == "rfm":
        return _(
            "No orders yet — RFM scores customers by their orders up to the as-of date.\n"
            "Win a deal on the pipeline (2), import orders (crm import orders FILE), "
            "or press 1 then d to load sample data."
        )
    if name == "abc":
        return _(
            "No orders yet — ABC ranks customers by their total order amount.\n"
            "Win a deal on the pipeline (2), import orders (crm import orders FILE), "
            "or press 1 then d to load sample data."
        )
    if name == "forecast":
        return _(
            "No open deals with an expected close date from this quarter on, and no targets.\n"
            "Add deals with a close date on the pipeline (2), set a month's target with T, "
            "or press 1 then d to load sample data."
        )
    if name == "activity":
        return _(
            "No activity in these 12 weeks — interactions, tasks and new customers appear here.\n"
            "Log interactions with l on screens 1–4, look at other weeks with [ and ], "
            "or press 1 then d to load sample data."
        )
    if name == "distribution":
        return _(
            "No customers yet — their industry, region, level, status and source appear here.\n"
            "Press 1, then n to add one, i to import a spreadsheet, or d to load sample data."
        )
    return _(
        "Nothing recorded in week {week}.\n"
        "Look at other weeks with [ and ], or press 1 then d to load sample data."
    ).format(week=week)


def is_empty(report: Report) -> bool:
    rows = report.rows
    if report.name == "funnel":
        return not any(r["reached"] for r in rows)
    if report.name == "forecast":
        keys = ("count", "won_amount", "target")
        return not any(r[k] for r in rows for k in keys) and not report.tables["overdue"].rows
    if report.name == "activity":
        keys = ("interactions", "tasks_due", "tasks_done", "new_customers", "new_deals")
        return not any(r[k] for r in rows for k in keys)
    if report.name == "weekly":  # no records, every metric nought
        return not shown_rows(report) and not any(v for _kind, v in report.extras.values())
    return not rows


def _money(cents: Any) -> str:
    return table_value("money", cents or 0)


def _ratio(value: Any) -> str:
    return table_value("ratio", value) or "—"


def summary_line(report: Report, currency: str = "") -> str:
    """The line under a report's title; with ``currency`` (config.toml), a report of
    amounts says which currency they are in."""
    line = _summary(report)
    if currency and report.has_amounts:
        line += " · " + _("amounts in {currency}").format(currency=currency)
    return line


def _deals(n: int) -> str:
    """``n`` deals, one in the singular ("1 deals" read wrong)."""
    return _("1 deal") if n == 1 else _("{n} deals").format(n=n)


def _summary(report: Report) -> str:
    extras = {k: v for k, (_kind, v) in report.extras.items()}
    if report.name == "funnel":
        days = extras.get("avg_cycle_days")
        return _("Win rate {rate} · average sales cycle {days} days").format(
            rate=_ratio(extras.get("win_rate")), days="—" if days is None else days
        )
    if report.name == "rfm":
        return _("{n} customers with orders · R = recency, F = orders, M = amount (1–5)").format(
            n=len(report.rows)
        )
    if report.name == "abc":
        text = _("A {a} · B {b} · C {c} customers · total {total} · ≠ marks a level that differs")
        return text.format(
            a=extras.get("a", 0), b=extras.get("b", 0), c=extras.get("c", 0),
            total=_money(extras.get("total_amount")),
        )  # fmt: skip
    if report.name == "forecast":
        # (a deal of the as-of month whose day has passed is in that month's row)
        text = _(
            "Overdue from before {month}: {deals}, {amount} · without a close date {undated},"
            " {u_amount}"
        )
        return text.format(
            month=str(report.params.get("as_of", ""))[:7],
            deals=_deals(extras.get("overdue_count", 0)), amount=_money(extras.get("overdue_amount")),
            undated=_deals(extras.get("undated_count", 0)),
            u_amount=_money(extras.get("undated_amount")),
        )  # fmt: skip
    if report.name == "activity":
        return _("{n} weeks up to the as-of date").format(n=len(report.rows))
    if report.name == "weekly":
        from crm_tui.reports.output import week_span

        return week_span(report)
    return _("Customers by industry, region, level, status and source; the bars: by industry")


def money_format(values: Iterable[Any]) -> Callable[[Any], str]:
    """One format for a column of amounts (cents): two decimals on every value when any
    has cents, so right-aligned digits line up; whole amounts otherwise."""
    fixed = any(int(v) % 100 for v in values if v is not None and v != "")
    return lambda cents: display_amount(int(cents or 0), fixed=fixed)


def chart_for(report: Report) -> tuple[list[Bar], list[str]]:
    """The bars (and legend) that say more than the table, or none."""
    if report.name == "funnel":
        rows = [r for r in report.rows if r["stage"] != "lost"]
        money = money_format(r["amount"] for r in rows)
        return [
            Bar(
                label(enums.STAGE, r["stage"]),
                (r["reached"],),
                f"{r['reached']} · {money(r['amount'])}",
            )
            for r in rows
        ], []
    if report.name == "rfm":
        segments = report.tables["segments"].rows
        money = money_format(r["monetary"] for r in segments)
        return [
            Bar(label(enums.RFM_SEGMENT, r["segment"]), (r["customers"],),
                f"{r['customers']} · {money(r['monetary'])}")
            for r in segments
        ], []  # fmt: skip
    if report.name == "forecast":
        months = report.rows[:12]
        keys = ("won_amount", "weighted_amount", "target")
        money = money_format(r[k] for r in months for k in keys)
        bars = [
            Bar(r["month"], (r["won_amount"], r["weighted_amount"]),
                f"{money(r['won_amount'])} + {money(r['weighted_amount'])}"
                + (f" / {money(r['target'])}" if r["target"] else ""),
                r["target"])
            for r in months
        ]  # fmt: skip
        return bars, [_("won"), _("weighted pipeline"), _("target")]
    if report.name == "activity":
        return [
            Bar(r["week"], (r["interactions"],),
                _("{n} interactions · {done} tasks done").format(
                    n=r["interactions"], done=r["tasks_done"]))
            for r in report.rows
        ], []  # fmt: skip
    if report.name == "distribution":
        rows = [r for r in report.rows if r["dimension"] == "industry"]
        money = money_format(r["total_amount"] for r in rows)
        return [
            Bar(label(enums.INDUSTRY, r["value"]) or "—", (r["customers"],),
                f"{r['customers']} · {_ratio(r['share'])} · {money(r['total_amount'])}")
            for r in rows
        ], []  # fmt: skip
    return [], []


def weekly_metrics(report: Report) -> list[tuple[str, str]]:
    """The weekly report's summary figures as (label, value) for people, in metric order."""
    names = weekly_labels()
    money = money_format(v for kind, v in report.extras.values() if kind == "money")
    return [
        (names.get(key, key), money(value) if kind == "money" else str(value))
        for key, (kind, value) in report.extras.items()
    ]


def shown_rows(report: Report) -> Sequence[dict[str, Any]]:
    """The rows the table lists: the weekly report's summary (its first rows, one per
    metric) has its own grid above it."""
    if report.name == "weekly":
        return _Tail(report.rows, len(report.extras))
    return report.rows


class _Tail(Sequence[dict[str, Any]]):
    """``rows[start:]`` without reading the rows: a busy week's records (a hundred
    thousand at 100,000 customers) are made only as far as the table shows them."""

    def __init__(self, rows: Sequence[dict[str, Any]], start: int) -> None:
        self.rows, self.start = rows, start

    def __len__(self) -> int:
        return max(0, len(self.rows) - self.start)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            picked = range(len(self))[index]
            return [self.rows[self.start + i] for i in picked]
        return self.rows[self.start + range(len(self))[index]]


#: Free-text columns are cut to this many cells (with an ellipsis) so that the columns
#: after them -- the RFM segment, the amounts -- stay on screen; the export has it all.
TEXT_WIDTH = 30
_CLIPPED = ("customer", "opportunity", "item")
#: On a narrow terminal (see ReportsScreen.NARROW) free text is cut shorter and these
#: columns are left to the export, so that the RFM scores and segment, the ABC class
#: and level stay on an 80-column screen: the customer's name says who it is, the days
#: since the last order say when, and R, F and M are the score's three digits.
NARROW_TEXT_WIDTH = 18
NARROW_DROPPED = frozenset({"code", "last_order", "score"})
#: Narrow, a table with an attainment (the forecast's months and quarters) leaves the
#: plain amount and the deal count to the export, for the weighted one: with a
#: business's amounts (tens of millions a month) the attainment was off an 80-column
#: screen.
NARROW_WEIGHTED_DROPS = frozenset({"amount", "count"})


def clip(text: str, width: int = TEXT_WIDTH) -> str:
    """``text`` cut to ``width`` terminal cells, the last one an ellipsis when cut."""
    if cell_len(text) <= width:
        return text
    out: list[str] = []
    used = 0
    for ch in text:
        used += cell_len(ch)
        if used > width - 1:
            break
        out.append(ch)
    return "".join(out) + "…"


def cell(
    col: Column,
    row: dict[str, Any],
    names: dict[str, str],
    money: Callable[[Any], str] | None = None,
    width: int = TEXT_WIDTH,
) -> Text:
    """A report value as people read it (labels in the UI language, numbers right-aligned).

    ``money`` formats the column's amounts (:func:`money_format`; by default as
    :func:`~crm_tui.reports.output.table_value` does)."""
    kind = row.get("_kinds", {}).get(col.key, col.kind) if "_kinds" in row else col.kind
    value = row.get(col.key)
    own = row_label(col, row, names)
    if own is not None:
        text = own
    elif kind == "money" and money is not None and value is not None and value != "":
        text = money(value)
    else:
        text = table_value(kind, value, col.vocabulary)
    if col.key in _CLIPPED:
        text = clip(text, width)
    return Text(text, justify="right" if kind in _NUMERIC else "left")


def fill_table(
    table: DataTable, report: Report, limit: int | None = None, *, narrow: bool = False
) -> None:
    """Replace the table's columns and rows with the report's first ``limit`` shown rows
    (``narrow``: fewer columns and shorter text, see NARROW_DROPPED)."""
    titles = headers()
    names = weekly_labels()
    dropped: set[str] = set(NARROW_DROPPED) if narrow else set()
    if narrow and any(c.key == "attainment" for c in report.columns):
        dropped |= NARROW_WEIGHTED_DROPS
    columns = [c for c in report.columns if c.key not in dropped]
    width = NARROW_TEXT_WIDTH if narrow else TEXT_WIDTH
    table.clear(columns=True)
    for col in columns:
        table.add_column(titles.get(col.key, col.key), key=col.key)
    rows = shown_rows(report)[: limit or ROW_LIMIT]
    formats = {
        col.key: money_format(row.get(col.key) for row in rows)
        for col in columns
        if col.kind == "money"
    }
    table.add_rows(
        [[cell(c, row, names, formats.get(c.key), width) for c in columns] for row in rows]
    )
