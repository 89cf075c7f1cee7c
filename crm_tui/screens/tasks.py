"""Screen 4: the due-list — open tasks grouped overdue / today / next 7 days / later.

Group headers carry counts; rows are fetched a page at a time per group through
the standard-library queries of :mod:`crm_tui.store.due` (the partial index on
open tasks), so a long "later" list never sits in a widget whole.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from rich.cells import cell_len
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from crm_tui.i18n import _, label
from crm_tui.screens.resume import ReloadOnResume
from crm_tui.store import due as q
from crm_tui.store import enums
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.fitted_line import FittedLine
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized
from crm_tui.widgets.search_box import SearchBox
from crm_tui.widgets.virtual_table import ColumnDef, VirtualTable

GROUP_TITLES = {
    "overdue": "Overdue",
    "today": "Today",
    "next7": "Next 7 days",
    "later": "Later",
    "completed": "Done or cancelled",  # (both close a task: "Completed" read as done only)
}


def group_title(group: str, count: int) -> str:
    return f"▌ {_(GROUP_TITLES[group])} ({count})"


def time_passed(task: dict, now: dt.datetime | None) -> bool:
    """A task due today at a time that has come: still in today's group (tasks are grouped
    by day), but the row says so, or a 09:00 call read "Today" all afternoon."""
    at = task.get("due_time")
    return bool(at) and now is not None and task.get("group") == "today" and at <= f"{now:%H:%M}"


def due_text(task: dict, today=None, now: dt.datetime | None = None) -> str:
    """``MM-DD [HH:MM]`` (the year too when it is not this year) and days overdue, or that
    today's time has passed (``now``: the clock when the row is read).

    An overdue task's time is left out: a day or more late, its hour no longer says
    anything, and with it the lateness of an old task was cut ("2025-10-01 17:00  420d…").
    """
    due = task["due"] or ""
    text = due[5:] if today is None or due[:4] == str(today.year) else due
    if task.get("group") == "overdue":
        return text + "  " + _("{n}d overdue").format(n=task["days_overdue"])
    if task.get("due_time"):
        text += f" {task['due_time']}"
    if time_passed(task, now):
        text += "  " + _("time passed")
    elif task.get("group") == "completed":  # which way it closed, and when
        when = (task.get("completed_at") or "")[:16]
        text = _("done {when}") if task.get("status") == "done" else _("cancelled {when}")
        text = text.format(when=when).strip()
    return text


#: The widest date a Due cell holds: another year's, with a time.
_LONGEST_DATE = "0000-00-00 00:00"


def due_width(oldest_overdue: dict | None = None, today=None, *, completed=False) -> int:
    """Cells the Due column takes: its longest text whole, in the language shown.

    The lateness of an overdue task is the key fact of the morning list: the column holds
    the text of the oldest one shown (``oldest_overdue``, its days the most), however
    late; ``completed``: the closed tasks are shown, with the date each closed.
    """
    texts = [_LONGEST_DATE, f"{_LONGEST_DATE[5:]}  " + _("time passed")]
    if oldest_overdue is not None:
        texts.append(due_text(oldest_overdue, today))
    if completed:
        texts += [_("done {when}").format(when=_LONGEST_DATE)]
        texts += [_("cancelled {when}").format(when=_LONGEST_DATE)]
    return max(map(cell_len, texts))


class DueListSource:
    """Rows of the grouped due-list for a VirtualTable: a header row then each group's tasks.

    Header rows are keyed ``("group", name)``; task rows by the task id.
    """

    def __init__(
        self, conn, today, *, show_completed: bool = False, search: str = "", now=None
    ) -> None:
        self.conn = conn
        self.today = today
        self.now = now  # (the rows of today's tasks whose time has come say so)
        self.search = search
        self.show_completed = show_completed
        self.match = q.task_match(conn, search)  # (the customers it names: read once)
        self.counts = q.due_counts(conn, today, self.match)
        self.groups = list(q.GROUPS)
        if show_completed:
            self.counts["completed"] = q.count_completed(conn, self.match)
            self.groups.append("completed")
        # (group, first index of its header) for every non-empty group
        self.layout: list[tuple[str, int]] = []
        index = 0
        for group in self.groups:
            if self.counts[group]:
                self.layout.append((group, index))
                index += 1 + self.counts[group]
        self.total = index
        # the oldest overdue task (the group's first) is the latest: its text the longest
        oldest = self._fetch_group("overdue", 0, 1) if self.counts["overdue"] else []
        self.due_width = due_width(oldest[0] if oldest else None, today, completed=show_completed)

    def count(self) -> int:
        return self.total

    def first_task_index(self) -> int:
        return 1 if self.total else 0

    def header_index(self, group: str) -> int | None:
        return next((start for g, start in self.layout if g == group), None)

    def _fetch_group(self, group: str, offset: int, limit: int) -> list[dict]:
        if group == "completed":
            return q.completed_tasks(self.conn, limit=limit, offset=offset, match=self.match)
        return q.due_group(
            self.conn, group, self.today, limit=limit, offset=offset, match=self.match
        )

    def fetch(self, offset: int, limit: int) -> Sequence[tuple[Any, ...]]:
        out: list[tuple[Any, ...]] = []
        end = offset + limit
        for group, start in self.layout:
            stop = start + 1 + self.counts[group]
            if stop <= offset or start >= end:
                continue
            if start >= offset:
                out.append((("group", group), group_title(group, self.counts[group]), "", "", ""))
            first = max(offset, start + 1) - (start + 1)
            last = min(end, stop) - (start + 1)
            if last > first:
                for t in self._fetch_group(group, first, last - first):
                    out.append(
                        (
                            t["id"],
                            t["title"],
                            t.get("customer") or "",
                            label(enums.TASK_TYPE, t["type"]),
                            due_text(t, self.today, self.now),
                            "passed" if time_passed(t, self.now) else t["group"],
                        )
                    )
        return out


def run_write(app, write: Callable[[Any], Any]) -> tuple[bool, Any]:
    """Run ``write(session)`` in one unit of work; a failure is shown, never a crash."""
    try:
        with app.db.session() as session:
            return True, write(session)
    except Exception as exc:  # deleted or changed elsewhere, locked file, ...
        app.show_error(_("Could not save: {error}").format(error=app.problem_text(exc)))
        return False, None


def _is_heading(row: tuple[Any, ...]) -> bool:
    return isinstance(row[0], tuple)  # ("group", name): a group's heading


def _row_style(row: tuple[Any, ...]) -> str | None:
    if isinstance(row[0], tuple):
        return "bold"
    if len(row) > 5 and row[5] == "overdue":
        return "red"
    if len(row) > 5 and row[5] == "completed":
        return "dim"
    if len(row) > 5 and row[5] == "passed":  # today, its time come
        return "yellow"
    return None


def task_columns() -> list[ColumnDef]:
    return [
        ColumnDef(_("Task"), style=_row_style, spans=_is_heading),
        ColumnDef(_("Customer")),
        ColumnDef(
            _("Type"), max(cell_len(label(enums.TASK_TYPE, k)) for k in enums.TASK_TYPE.keys)
        ),
        ColumnDef(_("Due"), due_width(), keep=True),  # (widened to the list: reload)
    ]


class TasksScreen(ReloadOnResume, Localized, Screen):
    """The morning list: what is due, what is late; done, snooze, log, review."""

    #: Shown by `?` help (the lead's HelpScreen reads ``HELP``): how the review orders its items.
    HELP = q.PRIORITY_HELP
    HELP_KEYS = (("enter", "Open the task's card"),)  # (the table's key: screens.help)

    BINDINGS = [
        Binding("x", "done", "Done"),
        Binding("s", "snooze(1)", "Snooze +1d"),
        Binding("S", "snooze(7)", "+1 week", key_display="S"),
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("l", "log", "Log"),
        Binding("t", "task", "Task", show=False),
        Binding("r", "review", "Review"),
        Binding("c", "toggle_completed", "Completed"),
        Binding("delete", "delete", "Delete", show=False),
        # priority: also typed in the search box (whose own ctrl+e is end of line; End is too)
        Binding("ctrl+e", "export", "Export CSV", show=False, priority=True),
        Binding("slash", "search", "Search", key_display="/", show=False),
        Binding("escape", "clear_search", "Clear", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.show_completed = False
        self.source: DueListSource | None = None

    def compose(self) -> ComposeResult:
        yield AppHeader("tasks")
        yield SearchBox(_("/ search task or customer"), id="task-search", compact=True)
        yield VirtualTable(task_columns(), id="due-list")
        yield Static("", id="tasks-empty", classes="empty-state")
        yield FittedLine(id="tasks-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        # The list is read in reload_on_resume, which also runs on the first visit.
        self.conn = self.app.db.connect()  # type: ignore[attr-defined]
        self._visited = False
        self.query_one(VirtualTable).focus()
        # past midnight, yesterday's "today" group is overdue: regroup (when shown)
        self.watch(self.app, "current_day", self._new_day, init=False)

    def _new_day(self, _today: dt.date | None) -> None:
        if self._visited and self.is_current:
            self.reload(keep_cursor=True)

    def on_unmount(self) -> None:
        self.conn.close()

    def reload_on_resume(self) -> bool:
        if not hasattr(self, "conn"):  # not mounted yet
            return False
        self.reload(keep_cursor=self._visited, first=not self._visited)
        self._visited = True
        return True

    # --- data ------------------------------------------------------------------

    def reload(self, *, keep_cursor: bool = False, first: bool = False) -> None:
        table = self.query_one(VirtualTable)
        search = self.query_one("#task-search", Input).value
        self.source = DueListSource(
            self.conn,
            self.app.today(),  # type: ignore[attr-defined]
            show_completed=self.show_completed,
            search=search,
            now=self.app.now(),  # type: ignore[attr-defined]
        )
        table.columns[-1].width = self.source.due_width  # (the Due column)
        table.set_source(self.source, keep_cursor=keep_cursor)
        if first or not keep_cursor:
            table.cursor = self.source.first_task_index()
        elif table.cursor_row is not None and isinstance(table.cursor_id, tuple):
            table.cursor = min(table.cursor + 1, max(table.row_count - 1, 0))
        counts = self.source.counts
        empty = self.query_one("#tasks-empty", Static)
        if search.strip():
            empty.update(
                _("No task matches “{text}”. Press escape to clear the search.").format(
                    text=search.strip()
                )
            )
        else:
            empty.update(
                _(
                    "Nothing to follow up. \n\n"
                    "  n   add a task\n"
                    "  c   show completed tasks\n"
                    "  l   log an interaction (its next step becomes a task)"
                )
            )
        table.show_rows_or(empty)
        numbers = {g: counts[g] for g in q.GROUPS}
        # (c says which way it turns: "c completed" read the same with them shown)
        shown = self.show_completed
        self.query_one("#tasks-status", FittedLine).show(
            _("{overdue} overdue · {today} today · {next7} next 7 days · {later} later").format(
                **numbers
            )
            + "   —   "
            + (
                _("r daily review · c hides completed")
                if shown
                else _("r daily review · c completed")
            ),
            # (at 80 columns: the keys the key bar has no room for)
            _("{overdue} overdue · {today} today · {next7} next 7d · {later} later").format(
                **numbers
            )
            + " — "
            + (_("r review · c hides completed") if shown else _("r review · c completed")),
        )

    @on(Input.Changed, "#task-search")
    def _search_changed(self) -> None:
        self.reload()

    @on(Input.Submitted, "#task-search")
    def _search_done(self) -> None:
        self.query_one(VirtualTable).focus()

    def action_search(self) -> None:
        self.query_one("#task-search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#task-search", Input)
        if search.value:
            search.value = ""  # (Input.Changed reloads)
        self.query_one(VirtualTable).focus()

    def selected_task(self) -> dict | None:
        table = self.query_one(VirtualTable)
        task_id = table.cursor_id if table.display else None
        if task_id is None or isinstance(task_id, tuple):
            return None
        return q.task_detail(self.conn, task_id)

    def _task_to_act_on(self) -> dict | None:
        """The selected task, or None said: on a group's heading (Home goes there) a key
        that acts on a task did nothing, and the next one hit a task the rep had not meant."""
        task = self.selected_task()
        if task is None and self.query_one(VirtualTable).row_count:
            self.notify(_("Move to a task first (↑ ↓)"), timeout=3)
        return task

    def _changed(self) -> None:
        self.reload(keep_cursor=True)
        self.app.data_changed()  # type: ignore[attr-defined]

    # --- actions -----------------------------------------------------------------

    def _open_task(self) -> dict | None:
        """The selected task if it is open; a closed one (the completed list) is said."""
        task = self._task_to_act_on()
        if task is not None and task["status"] not in enums.OPEN_TASK_STATUSES:
            status = label(enums.TASK_STATUS, task["status"])
            self.notify(_("This task is closed ({status})").format(status=status), timeout=3)
            return None
        return task

    def action_done(self) -> None:
        task = self._open_task()
        if task is None:
            return
        from crm_tui.store.tasks import complete_task

        ok, _done = run_write(
            self.app,
            lambda s: complete_task(s, task["id"], at=self.app.now()),  # type: ignore[attr-defined]
        )
        self._changed()
        if ok:
            self.offer_next(task)

    def offer_next(self, task: dict) -> None:
        from crm_tui.screens import actions

        actions.offer_next_follow_up(self.app, task, logged=self._changed, scheduled=self._changed)

    def action_snooze(self, days: int) -> None:
        task = self._open_task()
        if task is None:
            return
        from crm_tui.store.tasks import snooze_task

        ok, due = run_write(
            self.app,
            lambda s: snooze_task(s, task["id"], days, today=self.app.today()).due,  # type: ignore[attr-defined]
        )
        if ok:
            self.notify(_("Snoozed to {due}").format(due=due.isoformat()))
        self._changed()

    def action_new(self) -> None:
        from crm_tui.screens.dialogs.customer_picker import NO_CUSTOMER, CustomerPicker

        def picked(result: tuple[int, str] | None) -> None:
            if result is None:
                return
            from crm_tui.screens import actions

            actions.new_task(
                self.app, customer_id=result[0] if result[0] != NO_CUSTOMER else None,
                on_done=self._changed,
            )  # fmt: skip

        self.app.push_screen(
            CustomerPicker(_("New task for which customer?"), allow_none=True), picked
        )

    def action_edit(self) -> None:
        task = self._task_to_act_on()
        if task is None:
            return
        from crm_tui.screens.dialogs.task_form import TaskFormDialog

        def saved(result: int | None) -> None:
            if result:
                self._changed()

        self.app.push_screen(TaskFormDialog(task_id=task["id"]), saved)

    def action_log(self) -> None:
        from crm_tui.screens import actions

        task = self.selected_task()
        actions.log_interaction(
            self.app,
            customer_id=task["customer_id"] if task else None,
            opportunity_id=task["opportunity_id"] if task else None,
            task_id=task["id"] if task else None,
            on_done=self._changed,
        )

    def action_task(self) -> None:
        from crm_tui.screens import actions

        task = self.selected_task()
        actions.new_task(
            self.app,
            customer_id=task["customer_id"] if task else None,
            opportunity_id=task["opportunity_id"] if task else None,
            on_done=self._changed,
        )

    def action_toggle_completed(self) -> None:
        self.show_completed = not self.show_completed
        self.reload(keep_cursor=True)

    def action_export(self) -> None:
        """ctrl+e: the tasks the list shows (the open ones, the completed too when `c`
        shows them, of those the search finds), as `crm export tasks` writes them."""
        from crm_tui.screens import actions

        actions.after_typing(self.app, self._export)

    def _export(self) -> None:
        from crm_tui.screens import actions

        search = self.query_one("#task-search", Input).value
        if self.source is None or self.source.search != search:  # typed just before ctrl+e
            self.reload()
        source = self.source
        assert source is not None
        only = q.shown_task_id_query(source.match, completed=source.show_completed)
        shown = sum(source.counts[group] for group in source.groups)
        actions.export_records(self.app, "tasks", only, shown=shown, order=q.EXPORT_ORDER)

    def action_delete(self) -> None:
        task = self._task_to_act_on()
        if task is None:
            return
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            from crm_tui.store.tasks import delete_task

            run_write(self.app, lambda s: delete_task(s, task["id"]))
            self._changed()

        self.app.push_screen(
            ConfirmDialog(
                _("Delete task “{title}”?").format(title=task["title"]),
                yes=_("Delete"),
                danger=True,
            ),
            answered,
        )

    @on(VirtualTable.Selected, "#due-list")
    def _open(self, event: VirtualTable.Selected) -> None:
        if isinstance(event.row_id, tuple):
            return
        task = q.task_detail(self.conn, event.row_id)
        if task is None:
            return
        from crm_tui.screens.dialogs.task_form import TaskCard

        def chosen(what: str | None) -> None:
            if what == "edit":
                self.action_edit()
            elif what == "done":
                self.action_done()
            elif what == "log":
                self.action_log()

        self.app.push_screen(TaskCard(task), chosen)

    def action_review(self) -> None:
        from crm_tui.screens.review import ReviewScreen

        self.app.push_screen(ReviewScreen())
