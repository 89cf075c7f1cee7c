"""Screen 5: the reports — a tab per report, tables and bar charts, as of a chosen date and week.

Each tab runs :func:`crm_tui.reports.build_report` (the entry point the CLI uses too) in a
thread worker and caches the result for the current as-of date; ``ctrl+e`` writes the
shown report's CLI CSV through :mod:`crm_tui.reports.output`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    DataTable,
    Input,
    Label,
    Static,
    TabbedContent,
    TabPane,
)
from textual.worker import get_current_worker

from crm_tui.dates import iso_week, parse_date, past_date_help
from crm_tui.i18n import _, os_problem
from crm_tui.reports import REPORTS, Report, check_day, not_after_today
from crm_tui.screens import report_view
from crm_tui.screens.report_view import (
    chart_for,
    empty_message,
    fill_table,
    is_empty,
    shown_rows,
    summary_line,
    tab_titles,
    table_titles,
    week_bounds,
    weekly_metrics,
)
from crm_tui.screens.resume import ReloadOnResume
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.charts import BarChart, MetricGrid
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized


class ReportsScreen(ReloadOnResume, Localized, Screen):
    """The manager's view: funnel, RFM, ABC, forecast, activity, distribution, the weekly report."""

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
        # (off the forecast the footer leaves T out, but the key still opens the forecast's
        # target dialog: it did nothing there, without a word)
        Binding("T", "target_elsewhere", "Target", show=False),
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
        #: T was pressed on another report: the target dialog opens when the forecast shows.
        self._target_next = False
        #: Whether the tables shown were filled for a narrow terminal.
        self._filled_narrow: bool | None = None

    #: Narrower than this, the tables leave the customer code and the last order's date
    #: to the export and cut names shorter (report_view.NARROW_DROPPED): at 80 columns
    #: the RFM segment and the ABC class were off the screen's right edge.
    NARROW = 110

    #: Fewer rows than this, the forecast's chart gives its room to the tables under it
    #: (quarters, overdue deals), which hold the same numbers: at 24 rows the quarters
    #: were cut off under the chart, out of reach. The other reports have one table,
    #: which scrolls, and keep their charts.
    SHORT = 30

    @property
    def narrow(self) -> bool:
        return self.app.size.width < self.NARROW

    @property
    def short(self) -> bool:
        return self.app.size.height < self.SHORT

    def on_screen_suspend(self) -> None:
        """What was said about a date tried before leaving is stale on return."""
        self._date_error("")

    def on_resize(self, event: events.Resize) -> None:
        if self._filled_narrow is not None and self.narrow != self._filled_narrow:
            for name, report in list(self._shown.items()):
                self._show_report(name, self.as_of, report)
        for name, report in self._shown.items():
            chart = self.query_one(f"#chart-{name}", BarChart)
            chart.display = self._chart_shown(chart, report)

    def _chart_shown(self, chart: BarChart, report: Report) -> bool:
        crowded = self.short and report.name == "forecast"
        return bool(chart.bars) and not is_empty(report) and not crowded

    def compose(self) -> ComposeResult:
        yield AppHeader("reports")
        with Horizontal(id="report-bar"):
            yield Label("", id="report-status", classes="status-line", markup=False)
            yield Input(placeholder=past_date_help(), id="as-of-input", compact=True)
        # on a line of its own: beside the field, 80 columns left it a dozen
        yield Label("", id="as-of-error", classes="field-error", markup=False)
        titles = tab_titles()
        with TabbedContent(id="report-tabs"):
            for name in REPORTS:
                with (
                    TabPane(titles[name], id=f"tab-{name}"),
                    Vertical(id=f"body-{name}", classes="report-body"),
                ):
                    if name == REPORTS[0]:
                        yield from self._pane_widgets(name)
        yield Footer()

    @staticmethod
    def _pane_widgets(name: str) -> list[Widget]:
        """One report's pane; the widgets that wait for data start hidden."""
        waiting: list[Widget] = [
            Static("", id=f"empty-{name}", classes="empty-state report-empty", markup=False),
            BarChart(id=f"chart-{name}", centered=name == "funnel"),
            DataTable(
                id=f"table-{name}", classes="report-table", cursor_type="row", zebra_stripes=True
            ),
            Static("", id=f"note-{name}", classes="report-note", markup=False),
        ]
        for widget in waiting:
            widget.display = False
        if name == "weekly":  # the summary figures, where no column scrolls them away
            waiting.insert(1, MetricGrid(id=f"metrics-{name}", classes="report-metrics"))
            waiting[1].display = False
        summary = Static("", id=f"summary-{name}", classes="report-summary", markup=False)
        extra = Vertical(id=f"extra-{name}", classes="report-extra")
        return [summary, *waiting, extra]

    def _ensure_pane(self, name: str) -> None:
        """Build a report's pane on its first visit: composing all seven up front made the
        screen's first frame several times slower, for tabs most visits never open."""
        body = self.query_one(f"#body-{name}", Vertical)
        if not body.children:
            body.mount_all(self._pane_widgets(name))

    def on_mount(self) -> None:
        self.as_of = self.app.today()
        self._show_status()
        self.load()
        self.watch(self.app, "current_day", self._new_day, init=False)

    def _new_day(self, today: dt.date | None) -> None:
        """Past midnight, reports that were as of yesterday (today, when opened) move on."""
        if today is not None and self.as_of == today - dt.timedelta(days=1):
            self.set_as_of(today)

    def reload_on_resume(self) -> bool:
        if self.as_of is None:  # not mounted yet: on_mount loads the first report
            return False
        if self._cache:
            self._cache.clear()  # data may have changed on the other screens
            self.load()
        return True

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
        self._date_error("")
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
            elif not isinstance(self.app.focused, Input):
                # shown before: its table takes the keys again (the hidden pane took the
                # focus with it, and ↓ PgDn did nothing on a report visited twice)
                for table in self.query(f"#table-{name}"):
                    table.focus()
            self._target_if_asked(name)
            return
        if self._pending == (name, self.as_of):
            return  # already being built
        self._pending = (name, self.as_of)
        self._ensure_pane(name)
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
                settings = self.app.settings
                if name == "weekly":
                    report = build_report(
                        name, conn, weekly_today, week=as_of, probabilities=settings.probabilities()
                    )
                else:
                    report = build_report(
                        name,
                        conn,
                        as_of,
                        targets=settings.targets,
                        probabilities=settings.probabilities(),
                    )
        except Exception as exc:  # shown, never a crash
            if not worker.is_cancelled:
                self.app.call_from_thread(self._failed, name, exc)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_report, name, as_of, report)

    def _failed(self, name: str, error: Exception) -> None:
        self.query_one(f"#body-{name}").loading = False
        self._pending = None
        if self.app.database_damaged(error):  # type: ignore[attr-defined]
            return
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
        currency = self.app.settings.currency  # type: ignore[attr-defined]
        self.query_one(f"#summary-{name}", Static).update(summary_line(report, currency))
        empty_box = self.query_one(f"#empty-{name}", Static)
        empty_box.update(empty_message(name, iso_week(self.as_of)) if empty else "")
        empty_box.display = empty
        chart = self.query_one(f"#chart-{name}", BarChart)
        bars, legend = chart_for(report)
        chart.set_bars(bars, legend)
        chart.display = self._chart_shown(chart, report)
        if name == "weekly":
            metrics = self.query_one(f"#metrics-{name}", MetricGrid)
            metrics.set_items(weekly_metrics(report))
            metrics.display = not empty
        table = self.query_one(f"#table-{name}", DataTable)
        self._filled_narrow = self.narrow
        fill_table(table, report, narrow=self._filled_narrow)
        # no taller than its rows (and header, and a horizontal scroll bar): on a tall
        # terminal the space left goes below it all, not into blank rows above the
        # forecast's quarters; on a short one the table still shrinks to fit (1fr)
        table.styles.max_height = table.row_count + 2
        table.display = not empty
        if name == "activity" and table.row_count:  # weeks run oldest first: the current
            # one, the rep's, is in view (on a short terminal only the oldest showed)
            table.move_cursor(row=table.row_count - 1, animate=False)
        more = len(shown_rows(report)) - report_view.ROW_LIMIT
        note = self.query_one(f"#note-{name}", Static)
        note.update(_("{n} more in the export (ctrl+e)").format(n=more) if more > 0 else "")
        note.display = more > 0 and not empty
        self._fill_extra(name, report, empty)
        if name == self.current and not isinstance(self.app.focused, Input):
            table.focus()
        self._target_if_asked(name)

    def _target_if_asked(self, name: str) -> None:
        """T pressed on another report: its dialog, now that the forecast is shown."""
        if name == "forecast" and self._target_next and name == self.current:
            self._target_next = False
            # the focus in the forecast's pane first: the dialog gives it back on closing,
            # and a table of another report's pane would bring that report back
            for table in self.query("#table-forecast"):
                table.focus()
            self.call_after_refresh(self.action_set_target)

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
            title = titles.get(key, key)
            if key == "quarters" and report_view.quarters_short_of_targets(report):
                title += "  " + _(
                    "(a quarter has a target when each of its three months has one: T sets them)"
                )
            extra.mount(Label(title, classes="section-title"))
            extra.mount(table)
            fill_table(table, sub, narrow=self.narrow)

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        self.refresh_bindings()
        self.load()

    # --- actions -----------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "set_target":
            return self.is_mounted and self.current == "forecast"
        if action == "target_elsewhere":
            return self.is_mounted and self.current != "forecast"
        return True

    def action_next_report(self, step: int = 1) -> None:
        tabs = self.query_one(TabbedContent)
        index = REPORTS.index(self.current)
        tabs.active = f"tab-{REPORTS[(index + step) % len(REPORTS)]}"

    def action_shift_week(self, step: int) -> None:
        """Go to the previous/next ISO week: as of its Sunday, or today in the current week.

        Past the dates the reports cover (:func:`crm_tui.reports.check_day`) nothing
        changes: a bell, and the range in the status line.
        """
        monday = self.week_monday + dt.timedelta(weeks=step)
        sunday = monday + dt.timedelta(days=6)
        today = self.app.today()
        day = today if monday <= today <= sunday else sunday
        try:
            check_day(not_after_today(day, today))
        except ValueError as exc:
            self.app.bell()
            self._date_error(str(exc))
            return
        self.set_as_of(day)

    def action_type_date(self) -> None:
        field = self.query_one("#as-of-input", Input)
        field.value = ""
        field.display = True
        self._date_error("")
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
            today = self.app.today()
            day = check_day(not_after_today(parse_date(event.value, today, past=True), today))
        except (ValueError, OverflowError) as exc:
            self._date_error(str(exc))
            return
        self.action_close_date()
        self.set_as_of(day)

    @on(Input.Changed, "#as-of-input")
    def _date_editing(self) -> None:
        self._date_error("")

    def action_target_elsewhere(self) -> None:
        self.action_set_target()

    def action_set_target(self) -> None:
        """T: the month's sales target. From another report it opens the forecast (where
        targets show) first: there T did nothing, without a word."""
        if self.as_of is None:
            self.notify(_("The report is still loading"), severity="warning")
            return
        if self.current != "forecast":
            # The dialog opens once the forecast is shown: opened over another report, it
            # gave the focus back to that report's table on closing, and Textual showed
            # that report's tab again instead of the forecast.
            self._target_next = True
            self.query_one(TabbedContent).active = "tab-forecast"
            return
        from crm_tui.screens.dialogs.target_dialog import TargetDialog

        month = self.as_of.strftime("%Y-%m")
        report = self._cache.get("forecast")
        existing = None
        if report is not None:
            existing = next((r["target"] for r in report.rows if r["month"] == month), None)

        def saved(result: tuple[str, bool] | None) -> None:
            if result:
                month, cleared = result
                self._cache.pop("forecast", None)
                # (a build under way, such as the one T started from another report, read
                # the targets before this one: built again, and that one cancelled)
                self._pending = None
                said = _("Target for {month} cleared") if cleared else _("Target for {month} saved")
                self.notify(said.format(month=month))
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
            message = _("cannot write {path}: {reason}").format(path=path, reason=os_problem(exc))
            self.app.call_from_thread(
                self.notify, message, severity="error", timeout=8, markup=False
            )
            return
        message = _("{n} rows written to {path}").format(n=len(report.rows), path=path)
        self.app.call_from_thread(
            self.notify, message, title=_("Exported"), timeout=10, markup=False
        )
