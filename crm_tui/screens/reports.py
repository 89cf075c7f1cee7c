"""Screen 5: the reports — a tab per report, tables and bar charts, as of a chosen date and week.

Each tab runs :func:`crm_tui.reports.build_report` (the entry point the CLI uses too) in a
thread worker and caches the result for the current as-of date; ``ctrl+e`` writes the
shown report's CLI CSV through :mod:`crm_tui.reports.output`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import (
    DataTable,
    Footer,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import get_current_worker

from crm_tui.dates import DATE_HELP, iso_week, parse_date
from crm_tui.i18n import _, label
from crm_tui.reports import REPORTS, Column, Report
from crm_tui.reports.output import table_value
from crm_tui.store import enums
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.charts import Bar, BarChart
from crm_tui.widgets.localized import Localized

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


class ReportsScreen(Localized, Screen):
    """The manager's view: funnel, RFM, ABC, forecast, activity, distribution, the weekly report."""

    CSS_PATH = "reports.tcss"
    #: Shown by `?` help (translated there).
    HELP = (
        "Every report is as of the date in the status line. The square-bracket keys move a "
        "week back or forward (as of that week's Sunday, or today in the current week); "
        "d types any date. "
        "The weekly report covers the ISO week of that date. Tables show the first 200 rows; "
        "ctrl+e exports the whole report as the CSV of `crm report NAME --format csv` into "
        "the export folder (export_dir in config.toml, else Documents or home)."
    )
    AUTO_FOCUS = "#table-funnel"

    BINDINGS = [
        Binding("tab", "next_report", "Next report", priority=True),
        Binding("shift+tab", "next_report(-1)", "Previous report", show=False, priority=True),
        Binding("left_square_bracket", "shift_week(-1)", "Prev week", key_display="["),
        Binding("right_square_bracket", "shift_week(1)", "Next week", key_display="]"),
        Binding("d", "type_date", "Date"),
        Binding("T", "set_target", "Target", key_display="T"),
        Binding("ctrl+e", "export", "Export CSV"),
        Binding("escape", "close_date", "Close", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.as_of: dt.date | None = None
        self._cache: dict[str, Report] = {}
        #: The report each pane shows (so revisiting a tab does not rebuild its table).
        self._shown: dict[str, Report] = {}
        #: (report, as-of) of the build in progress; one at a time (exclusive worker).
        self._pending: tuple[str, dt.date | None] | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader("reports")
        with Horizontal(id="report-bar"):
            yield Label("", id="report-status", classes="status-line", markup=False)
            yield Input(placeholder=DATE_HELP, id="as-of-input", compact=True)
            yield Label("", id="as-of-error", classes="field-error", markup=False)
        titles = tab_titles()
        with TabbedContent(id="report-tabs"):
            for name in REPORTS:
                with (
                    TabPane(titles[name], id=f"tab-{name}"),
                    Vertical(id=f"body-{name}", classes="report-body"),
                ):
                    yield Static("", id=f"summary-{name}", classes="report-summary", markup=False)
                    yield Static(
                        "", id=f"empty-{name}", classes="empty-state report-empty", markup=False
                    )
                    yield BarChart(id=f"chart-{name}", centered=name == "funnel")
                    yield DataTable(
                        id=f"table-{name}",
                        classes="report-table",
                        cursor_type="row",
                        zebra_stripes=True,
                    )
                    yield Static("", id=f"note-{name}", classes="report-note", markup=False)
                    yield Vertical(id=f"extra-{name}", classes="report-extra")
        yield Footer()

    def on_mount(self) -> None:
        self.as_of = self.app.today()
        for name in REPORTS:
            for part in ("empty", "chart", "table", "note"):
                self.query_one(f"#{part}-{name}").display = False
        self._show_status()
        self.load()

    def on_screen_resume(self) -> None:
        if self.as_of is not None and self._cache:
            self._cache.clear()  # data may have changed on the other screens
            self.load()

    # --- state -------------------------------------------------------------

    @property
    def current(self) -> str:
        active = self.query_one(TabbedContent).active or "tab-funnel"
        return active.removeprefix("tab-")

    @property
    def week_monday(self) -> dt.date:
        return week_bounds(self.as_of or self.app.today())[0]

    def _show_status(self) -> None:
        assert self.as_of is not None
        text = _("As of {date} · week {week}").format(
            date=self.as_of.isoformat(), week=iso_week(self.as_of)
        )
        self.query_one("#report-status", Label).update(text)

    def set_as_of(self, day: dt.date) -> None:
        if day == self.as_of:
            return
        self.as_of = day
        self._cache.clear()
        self._show_status()
        self.load()

    # --- loading -----------------------------------------------------------

    def load(self) -> None:
        """Show the current tab's report, from the cache or from a worker."""
        name = self.current
        report = self._cache.get(name)
        if report is not None:
            if self._shown.get(name) is not report:  # the pane shows an older result
                self._show_report(name, self.as_of, report)
            return
        if self._pending == (name, self.as_of):
            return  # already being built
        self._pending = (name, self.as_of)
        self.query_one(f"#body-{name}").loading = True
        self._build(name, self.as_of, self._weekly_today())

    def _weekly_today(self) -> dt.date:
        """The weekly report's "today": the as-of date, or today once the week is over.

        Matches ``crm report weekly --week W`` for past weeks reached with ``[``.
        """
        assert self.as_of is not None
        _monday, sunday = week_bounds(self.as_of)
        if self.as_of == sunday and sunday < self.app.today():
            return self.app.today()
        return self.as_of

    @work(thread=True, exclusive=True, exit_on_error=False, group="report")
    def _build(self, name: str, as_of: dt.date, weekly_today: dt.date) -> None:
        from crm_tui.reports import build_report

        worker = get_current_worker()
        try:
            with self.app.db.reading() as conn:
                if name == "weekly":
                    report = build_report(name, conn, weekly_today, week=as_of)
                else:
                    report = build_report(name, conn, as_of, targets=self.app.settings.targets)
        except Exception as exc:  # shown, never a crash
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, name, str(exc))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_report, name, as_of, report)

    def _failed(self, name: str, error: str) -> None:
        self.query_one(f"#body-{name}").loading = False
        self._pending = None
        self.notify(
            _("Could not build the report: {error}").format(error=error),
            severity="error",
            timeout=8,
            markup=False,
        )

    def _show_report(self, name: str, as_of: dt.date | None, report: Report) -> None:
        body = self.query_one(f"#body-{name}")
        body.loading = False
        if self._pending == (name, as_of):
            self._pending = None
        if as_of != self.as_of:
            return  # a stale result: the date changed while it was built
        self._cache[name] = report
        self._shown[name] = report
        empty = is_empty(report)
        self.query_one(f"#summary-{name}", Static).update(summary_line(report))
        empty_box = self.query_one(f"#empty-{name}", Static)
        empty_box.update(empty_message(name, iso_week(self.as_of)) if empty else "")
        empty_box.display = empty
        chart = self.query_one(f"#chart-{name}", BarChart)
        bars, legend = chart_for(report)
        chart.set_bars(bars, legend)
        chart.display = bool(bars) and not empty
        table = self.query_one(f"#table-{name}", DataTable)
        fill_table(table, report)
        table.display = not empty
        more = len(report.rows) - ROW_LIMIT
        note = self.query_one(f"#note-{name}", Static)
        note.update(_("{n} more in the export (ctrl+e)").format(n=more) if more > 0 else "")
        note.display = more > 0 and not empty
        self._fill_extra(name, report, empty)
        if name == self.current and not isinstance(self.app.focused, Input):
            table.focus()

    def _fill_extra(self, name: str, report: Report, empty: bool) -> None:
        """Secondary tables (forecast quarters and overdue deals) under the main one."""
        extra = self.query_one(f"#extra-{name}", Vertical)
        extra.remove_children()
        if empty or name != "forecast":
            return
        titles = table_titles()
        for key, sub in report.tables.items():
            if not sub.rows:
                continue
            table = DataTable(cursor_type="row", classes="report-subtable")
            extra.mount(Label(titles.get(key, key), classes="section-title"))
            extra.mount(table)
            fill_table(table, sub)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self.load()

    # --- actions -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "set_target":
            return self.is_mounted and self.current == "forecast"
        return True

    def action_next_report(self, step: int = 1) -> None:
        tabs = self.query_one(TabbedContent)
        index = REPORTS.index(self.current)
        tabs.active = f"tab-{REPORTS[(index + step) % len(REPORTS)]}"

    def action_shift_week(self, step: int) -> None:
        """Go to the previous/next ISO week: as of its Sunday, or today in the current week."""
        monday = self.week_monday + dt.timedelta(weeks=step)
        sunday = monday + dt.timedelta(days=6)
        today = self.app.today()
        self.set_as_of(today if monday <= today <= sunday else sunday)

    def action_type_date(self) -> None:
        field = self.query_one("#as-of-input", Input)
        field.value = ""
        field.display = True
        field.focus()

    def action_close_date(self) -> None:
        field = self.query_one("#as-of-input", Input)
        if not field.display:
            return
        field.display = False
        self._date_error("")
        self.query_one(f"#table-{self.current}").focus()

    def _date_error(self, message: str) -> None:
        error = self.query_one("#as-of-error", Label)
        error.update(message)
        error.set_class(bool(message), "visible")

    @on(Input.Submitted, "#as-of-input")
    def _date_typed(self, event: Input.Submitted) -> None:
        try:
            day = parse_date(event.value, self.app.today())
        except ValueError as exc:
            self._date_error(str(exc))
            return
        self.action_close_date()
        self.set_as_of(day)

    @on(Input.Changed, "#as-of-input")
    def _date_editing(self) -> None:
        self._date_error("")

    def action_set_target(self) -> None:
        if self.current != "forecast" or self.as_of is None:
            return
        from crm_tui.screens.dialogs.target_dialog import TargetDialog

        month = self.as_of.strftime("%Y-%m")
        report = self._cache.get("forecast")
        existing = None
        if report is not None:
            existing = next((r["target"] for r in report.rows if r["month"] == month), None)

        def saved(result: str | None) -> None:
            if result:
                self._cache.pop("forecast", None)
                self.notify(_("Target for {month} saved").format(month=result))
                self.load()
                self.app.data_changed()

        self.app.push_screen(TargetDialog(self.app.db, month, existing), saved)

    def action_export(self) -> None:
        name = self.current
        report = self._cache.get(name)
        if report is None or self.as_of is None:
            self.notify(_("The report is still loading"), severity="warning")
            return
        folder = self.app.settings.export_dir
        if folder is None:
            from crm_tui.settings import default_export_dir

            folder = default_export_dir()
        stamp = iso_week(self.as_of) if name == "weekly" else self.as_of.isoformat()
        self._export(report, Path(folder) / f"crm-{name}-{stamp}.csv")

    @work(thread=True, exit_on_error=False, group="export")
    def _export(self, report: Report, path: Path) -> None:
        from crm_tui.reports.output import write_csv

        try:
            write_csv(report, path)
        except OSError as exc:
            message = _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror)
            self.app.call_from_thread(
                self.notify, message, severity="error", timeout=8, markup=False
            )
            return
        message = _("{n} rows written to {path}").format(n=len(report.rows), path=path)
        self.app.call_from_thread(
            self.notify, message, title=_("Exported"), timeout=10, markup=False
        )
