"""Actions several screens share: log an interaction, add a task for the selected record.

Screens call these instead of importing the dialogs directly, so `l` and `t`
behave the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from textual.app import App


def log_interaction(
    app: App, *, customer_id: int | None = None, opportunity_id: int | None = None,
    task_id: int | None = None, on_done: Callable[[], None] | None = None,
) -> None:  # fmt: skip
    """Open the log form for the record (asks for the customer when none is given)."""
    from crm_tui.screens.dialogs.log_interaction import LogInteractionDialog

    def done(result) -> None:
        if result:
            if task_id is not None:
                app.logged_tasks.add(task_id)  # type: ignore[attr-defined]
            app.data_changed()  # type: ignore[attr-defined]
            if on_done:
                on_done()

    app.push_screen(
        LogInteractionDialog(
            customer_id=customer_id, opportunity_id=opportunity_id, task_id=task_id
        ),
        done,
    )


def new_task(
    app: App, *, customer_id: int | None = None, opportunity_id: int | None = None,
    due: str | None = None, on_done: Callable[[], None] | None = None,
) -> None:  # fmt: skip
    """Open the task form for the record (``due`` filled in, when given)."""
    from crm_tui.screens.dialogs.task_form import TaskFormDialog

    def done(result) -> None:
        if result:
            app.data_changed()  # type: ignore[attr-defined]
            if on_done:
                on_done()

    form = TaskFormDialog(customer_id=customer_id, opportunity_id=opportunity_id, due=due)
    app.push_screen(form, done)


def offer_next_follow_up(
    app: App, task: Mapping[str, Any], *, logged: Callable[[], None] | None = None,
    scheduled: Callable[[], None] | None = None,
) -> None:  # fmt: skip
    """After a task is done (`x`): log what happened, or schedule the next step due
    tomorrow, or nothing. The loop never drops a customer (the due list and the review).
    When what happened was logged from the task already, scheduling comes first."""
    import datetime as dt

    from crm_tui.screens.dialogs.task_form import NextFollowUp

    def chosen(what: str | None) -> None:
        if what == "log":
            log_interaction(
                app, customer_id=task["customer_id"], opportunity_id=task.get("opportunity_id"),
                task_id=task["id"], on_done=logged,
            )  # fmt: skip
        elif what == "task":
            tomorrow = app.today() + dt.timedelta(days=1)  # type: ignore[attr-defined]
            new_task(
                app, customer_id=task["customer_id"], opportunity_id=task.get("opportunity_id"),
                due=tomorrow.isoformat(), on_done=scheduled,
            )  # fmt: skip

    logged_already = task["id"] in app.logged_tasks  # type: ignore[attr-defined]
    app.push_screen(NextFollowUp(task["title"], logged=logged_already), chosen)


def export_records(app: App, kind: str) -> None:
    """``ctrl+e`` on a list: every record of ``kind`` as ``crm export KIND`` writes it
    (the same CSV, for the same scripts), into the export folder, off the UI thread."""
    from pathlib import Path

    from crm_tui.i18n import _
    from crm_tui.settings import default_export_dir
    from crm_tui.store import export

    folder = app.settings.export_dir or default_export_dir()  # type: ignore[attr-defined]
    path = Path(folder) / f"crm-{kind}-{app.today():%Y-%m-%d}.csv"  # type: ignore[attr-defined]

    def write() -> None:
        try:
            with app.db.reading() as conn:  # type: ignore[attr-defined]
                count = export.export_kind(conn, kind, path)
        except OSError as exc:
            message = _("cannot write {path}: {reason}").format(path=path, reason=exc.strerror)
            app.call_from_thread(app.notify, message, severity="error", timeout=8, markup=False)
            return
        except Exception as exc:  # a damaged page: said, not lost in a failed worker
            message = app.problem_text(exc)  # type: ignore[attr-defined]
            app.call_from_thread(app.notify, message, severity="error", timeout=8, markup=False)
            return
        message = _("Exported {count} {kind} to {path}").format(
            count=count, kind=_(kind), path=path
        )
        app.call_from_thread(app.notify, message, title=_("Exported"), timeout=10, markup=False)

    # a million interactions take seconds: say it started
    app.notify(_("Exporting {file}").format(file=path.name) + "…", timeout=3, markup=False)
    app.run_worker(write, thread=True, group="export", exit_on_error=False)
