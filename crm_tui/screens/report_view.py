"""How each report is presented on screen 5: tab titles, headers, summary lines, charts, cells.

Pure presentation of a :class:`crm_tui.reports.Report`; the screen in
:mod:`crm_tui.screens.reports` decides when to build and show them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from crm_tui.i18n import _, label
from crm_tui.reports import Column, Report
from crm_tui.reports.output import table_value
from crm_tui.store import enums
from crm_tui.widgets.charts import Bar

_NUMERIC = ("int", "money", "ratio", "days")
_DIMENSION_VOCABULARIES = {
    "industry": enums.INDUSTRY,
    "level": enums.LEVEL,
    "status": enums.STATUS,
    "source": enums.SOURCE,
}


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
        "overdue": _("Overdue deals (expected close date has passed)"),
    }


def headers() -> dict[str, str]:
    """Column titles for people; CSV and JSON keep the CLI.md keys."""
    names = {
        "stage": _("Stage"),
        "reached": _("Reached"),
        "amount": _("Amount"),
        "conversion": _("To next stage"),
        "code": _("Code"),
        "customer": _("Customer"),
        "last_order": _("Last order"),
        "recency_days": _("Days since"),
        "frequency": _("Orders"),
        "monetary": _("Order amount"),
        "r": "R",
        "f": "F",
        "m": "M",
        "score": _("Score"),
        "segment": _("Segment"),
        "customers": _("Customers"),
        "total_amount": _("Total amount"),
        "share": _("Share"),
        "cumulative_share": _("Cumulative"),
        "abc": _("ABC"),
        "level": _("Level"),
        "mismatch": "≠",
        "month": _("Month"),
        "quarter": _("Quarter"),
        "count": _("Deals"),
        "weighted_amount": _("Weighted"),
        "won_amount": _("Won"),
        "target": _("Target"),
        "gap": _("Gap"),
        "attainment": _("Attainment"),
        "expected_close": _("Expected close"),
        "opportunity": _("Opportunity"),
        "probability": _("Probability %"),
        "week": _("Week"),
        "interactions": _("Interactions"),
        "tasks_due": _("Tasks due"),
        "tasks_done": _("Tasks done"),
        "tasks_overdue": _("Overdue"),
        "completion_rate": _("Completion"),
        "new_customers": _("New customers"),
        "new_deals": _("New deals"),
        "dimension": _("Dimension"),
        "value": _("Value"),
        "section": _("Section"),
        "date": _("Date"),
        "item": _("Item"),
        "detail": _("Detail"),
    }
    for key in enums.CHANNEL.keys:
        names[key] = label(enums.CHANNEL, key)
    return names


def weekly_labels() -> dict[str, str]:
    """The weekly report's section names and summary metrics in the UI language."""
    return {
        "summary": _("Summary"),
        "interactions": _("Interactions"),
        "tasks_done": _("Tasks done"),
        "tasks_overdue": _("Overdue tasks"),
        "stage_changes": _("Stage changes"),
        "won": _("Won"),
        "lost": _("Lost"),
        "next_week": _("Next week"),
        "new_customers": _("New customers"),
        "opportunities_created": _("Deals created"),
        "opportunities_won": _("Deals won"),
        "won_amount": _("Won amount"),
        "opportunities_lost": _("Deals lost"),
        "pipeline_weighted": _("Weighted pipeline"),
        "dimension_industry": _("Industry"),
        "dimension_region": _("Region"),
        "dimension_level": _("Level"),
        "dimension_status": _("Status"),
        "dimension_source": _("Source"),
    }


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
    if report.name == "weekly":
        return all(r["section"] == "summary" and not r["amount"] for r in rows)
    return not rows


def _money(cents: Any) -> str:
    return table_value("money", cents or 0)


def _ratio(value: Any) -> str:
    return table_value("ratio", value) or "—"


def summary_line(report: Report) -> str:
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
        text = _("Overdue {n} deals, {amount} · without a close date {u} deals, {u_amount}")
        return text.format(
            n=extras.get("overdue_count", 0), amount=_money(extras.get("overdue_amount")),
            u=extras.get("undated_count", 0), u_amount=_money(extras.get("undated_amount")),
        )  # fmt: skip
    if report.name == "activity":
        return _("{n} weeks up to the as-of date").format(n=len(report.rows))
    if report.name == "weekly":
        return _("Week {week}: {start} – {end}").format(
            week=report.params.get("week", ""),
            start=report.params.get("from", ""),
            end=report.params.get("to", ""),
        )
    return _("Customers by industry, region, level, status and source; the bars: by industry")


def chart_for(report: Report) -> tuple[list[Bar], list[str]]:
    """The bars (and legend) that say more than the table, or none."""
    if report.name == "funnel":
        return [
            Bar(
                label(enums.STAGE, r["stage"]),
                (r["reached"],),
                f"{r['reached']} · {_money(r['amount'])}",
            )
            for r in report.rows
            if r["stage"] != "lost"
        ], []
    if report.name == "rfm":
        return [
            Bar(label(enums.RFM_SEGMENT, r["segment"]), (r["customers"],),
                f"{r['customers']} · {_money(r['monetary'])}")
            for r in report.tables["segments"].rows
        ], []  # fmt: skip
    if report.name == "forecast":
        bars = [
            Bar(r["month"], (r["won_amount"], r["weighted_amount"]),
                f"{_money(r['won_amount'])} + {_money(r['weighted_amount'])}"
                + (f" / {_money(r['target'])}" if r["target"] else ""),
                r["target"])
            for r in report.rows[:12]
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
        return [
            Bar(label(enums.INDUSTRY, r["value"]) or "—", (r["customers"],),
                f"{r['customers']} · {_ratio(r['share'])} · {_money(r['total_amount'])}")
            for r in report.rows
            if r["dimension"] == "industry"
        ], []  # fmt: skip
    return [], []


def cell(col: Column, row: dict[str, Any], names: dict[str, str]) -> Text:
    """A report value as people read it (labels in the UI language, numbers right-aligned)."""
    kind = row.get("_kinds", {}).get(col.key, col.kind) if "_kinds" in row else col.kind
    value = row.get(col.key)
    vocabulary = col.vocabulary
    if col.key == "value" and row.get("dimension") in _DIMENSION_VOCABULARIES:
        vocabulary = _DIMENSION_VOCABULARIES[row["dimension"]]
        kind = "enum"
    text = table_value(kind, value, vocabulary)
    if col.key == "value" and value == "":
        text = "—"
    elif col.key == "section" or (col.key == "item" and row.get("section") == "summary"):
        text = names.get(str(value), text)
    elif col.key == "dimension":
        text = names.get(f"dimension_{value}", text)
    return Text(text, justify="right" if kind in _NUMERIC else "left")


def fill_table(table: DataTable, report: Report, limit: int | None = None) -> None:
    """Replace the table's columns and rows with the report's first ``limit`` rows."""
    titles = headers()
    names = weekly_labels()
    table.clear(columns=True)
    for col in report.columns:
        table.add_column(titles.get(col.key, col.key), key=col.key)
    rows = report.rows[: limit or ROW_LIMIT]
    table.add_rows([[cell(c, row, names) for c in report.columns] for row in rows])
