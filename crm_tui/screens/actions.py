"""Actions several screens share: log an interaction, add a task for the selected record.

Screens call these instead of importing the dialogs directly, so `l` and `t`
behave the same everywhere.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

from textual.app import App

from crm_tui.i18n import _, os_problem


def open_form(
    app: App,
    make: Callable[[], Any],
    saved: Callable[[Any], None],
    gone: Callable[[], None] | None = None,
) -> None:
    """Push the form ``make()`` builds, dismissing into ``saved``. A form that edits a
    record reads it when built: deleted in another window meanwhile, that raised, and
    the app closed with a traceback. It says so instead and calls ``gone`` (the screen
    drops what it shows of the record)."""
    from crm_tui.store.common import NotFoundError

    try:
        form = make()
    except NotFoundError as exc:
        app.show_error(str(exc))  # type: ignore[attr-defined]
        if gone is not None:
            gone()
        return
    app.push_screen(form, saved)


def log_interaction(
    app: App, *, customer_id: int | None = None, opportunity_id: int | None = None,
    task_id: int | None = None, on_done: Callable[[], None] | None = None,
    on_next_step: Callable[[], None] | None = None, task_done: bool = False,
) -> None:  # fmt: skip
    """Open the log form for the record (asks for the customer when none is given);
    ``on_next_step`` is called (before ``on_done``) when its next step made a task.
    ``task_done``: the task ``task_id`` was just marked done (what happened is logged
    after `x`), so the notice does not offer to mark it done."""
    from crm_tui.screens.dialogs.log_interaction import LogInteractionDialog

    def done(result) -> None:
        if result:
            if task_id is not None and not task_done:
                app.logged_tasks.add(task_id)  # type: ignore[attr-defined]
                # (the task stays open: logging what was said does not finish it)
                app.notify(_("Interaction logged; x marks the task done"))
            else:
                app.notify(_("Interaction logged"))
            app.data_changed()  # type: ignore[attr-defined]
            if on_next_step and _next_step_task(app, result) is not None:
                on_next_step()
            if on_done:
                on_done()

    app.push_screen(
        LogInteractionDialog(
            customer_id=customer_id, opportunity_id=opportunity_id, task_id=task_id
        ),
        done,
    )


def _next_step_task(app: App, interaction_id: int) -> int | None:
    """The task a just logged interaction's next step made (a new log makes a new one)."""
    from crm_tui.store.interaction_log import interaction_detail

    with app.db.reading() as conn:  # type: ignore[attr-defined]
        found = interaction_detail(conn, interaction_id)
    return found["task_id"] if found else None


def new_task(
    app: App, *, customer_id: int | None = None, opportunity_id: int | None = None,
    due: str | None = None, title: str | None = None, contact_id: int | None = None,
    kind: str | None = None, on_done: Callable[[], None] | None = None,
) -> None:  # fmt: skip
    """Open the task form for the record (``due``, ``title`` and ``contact_id`` filled
    in, when given; otherwise the deal's contact or the customer's only one)."""
    from crm_tui.screens.dialogs.task_form import TaskFormDialog

    def done(result) -> None:
        if result:
            app.notify(_("Task saved"))
            app.data_changed()  # type: ignore[attr-defined]
            if on_done:
                on_done()

    form = TaskFormDialog(
        customer_id=customer_id, opportunity_id=opportunity_id, due=due, title=title,
        contact_id=contact_id, kind=kind,
    )  # fmt: skip
    app.push_screen(form, done)


def offer_next_follow_up(
    app: App, task: Mapping[str, Any], *, logged: Callable[[], None] | None = None,
    scheduled: Callable[[], None] | None = None, next_step: Callable[[], None] | None = None,
) -> None:  # fmt: skip
    """After a task is done (`x`): log what happened, or schedule the next step due
    tomorrow, or nothing. The loop never drops a customer (the due list and the review).
    When what happened was logged from the task already, scheduling comes first.
    ``next_step`` is called when the log's next step made a task (before ``logged``)."""
    import datetime as dt

    from crm_tui.screens.dialogs.task_form import NextFollowUp

    def chosen(what: str | None) -> None:
        if what == "log":
            log_interaction(
                app, customer_id=task["customer_id"], opportunity_id=task.get("opportunity_id"),
                task_id=task["id"], on_done=logged, on_next_step=next_step, task_done=True,
            )  # fmt: skip
        elif what == "task":
            # the next step of the same thread: the finished task's customer, contact,
            # deal and title, due tomorrow
            tomorrow = app.today() + dt.timedelta(days=1)  # type: ignore[attr-defined]
            new_task(
                app, customer_id=task.get("customer_id"),
                opportunity_id=task.get("opportunity_id"), due=tomorrow.isoformat(),
                title=task.get("title"), contact_id=task.get("contact_id"),
                kind=task.get("type"), on_done=scheduled,
            )  # fmt: skip

    logged_already = task["id"] in app.logged_tasks  # type: ignore[attr-defined]
    app.push_screen(NextFollowUp(task["title"], logged=logged_already), chosen)


def after_typing(app: App, then: Callable[[], None]) -> None:
    """Run ``then`` once the keys typed before a priority key (ctrl+e) are in the focused
    text field: a priority binding is handled as soon as its key arrives, while keys that
    came with it in one read of the terminal (a paste, a fast typist) may still wait in
    the field's queue."""
    from textual.widgets import Input

    focused = app.focused
    if isinstance(focused, Input) and focused.call_later(then):
        return
    then()


#: One record of each kind the lists export ("Exported the 1 customer shown").
def export_records(
    app: App,
    kind: str,
    only: tuple[str, Sequence[Any]] | None = None,
    shown: int | None = None,
    order: str | None = None,
) -> None:
    """``ctrl+e`` on a list: the records it shows as ``crm export KIND`` writes them (the
    same CSV, for the same scripts, less the records the list leaves out), into the export
    folder, off the UI thread.

    ``only``: ``(sql, params)`` selecting the ids of the records the list shows (its search
    and filters), None when it shows every record of ``kind``; the message says which.
    ``shown``: how many the list shows. A list that a search or filter leaves empty writes
    no file and says there is nothing to export. ``order``: the list's order (see
    ``export.export_kind``), so the file lists the records as the screen does.

    The file is ``crm-{kind}-{date}.csv``, or ``-2``, ``-3``… when that name is taken:
    an earlier export (of another database, say) is never overwritten."""
    from crm_tui.settings import default_export_dir
    from crm_tui.store import export

    nothing = _("Nothing to export: 0 {kind} shown").format(kind=_(kind))
    if only is not None and shown == 0:
        app.notify(nothing, severity="warning", markup=False)
        return
    folder = Path(app.settings.export_dir or default_export_dir())  # type: ignore[attr-defined]
    stem = f"crm-{kind}-{app.today():%Y-%m-%d}"  # type: ignore[attr-defined]
    path = folder / f"{stem}.csv"
    try:
        path = claim_free_name(folder, stem)
    except OSError as exc:
        app.notify(_cannot_write(path, exc), severity="error", timeout=8, markup=False)
        return

    def write() -> None:
        kept = False
        try:
            with app.db.reading() as conn:  # type: ignore[attr-defined]
                count = export.export_kind(conn, kind, path, only=only, order=order)
            kept = count > 0 or only is None  # (gone meanwhile: no file of a header alone)
        except OSError as exc:
            message = _cannot_write(path, exc)
            app.call_from_thread(app.notify, message, severity="error", timeout=8, markup=False)
            return
        except Exception as exc:  # a damaged page: said, not lost in a failed worker
            message = app.problem_text(exc)  # type: ignore[attr-defined]
            app.call_from_thread(app.notify, message, severity="error", timeout=8, markup=False)
            return
        finally:
            if not kept:  # the name claimed is free again
                with suppress(OSError):
                    path.unlink(missing_ok=True)
        if not kept:
            app.call_from_thread(app.notify, nothing, severity="warning", markup=False)
            return
        if count == 0:  # an empty database: the file is a template to fill in and import
            text = _(
                "Nothing here yet: wrote {path} with the column headings, to fill in and import"
            )
        elif only is None:
            text = _("Exported all {count} {kind} to {path}")
        else:
            text = _("Exported the {count} {kind} shown to {path}")
        message = text.format(count=count, kind=export.kind_noun(kind, count), path=path)
        app.call_from_thread(app.notify, message, title=_("Exported"), timeout=10, markup=False)

    # a million interactions take seconds: say it started
    app.notify(_("Exporting {file}").format(file=path.name) + "…", timeout=3, markup=False)
    app.run_worker(write, thread=True, group="export", exit_on_error=False)


def _cannot_write(path: Path, exc: OSError) -> str:
    return _("cannot write {path}: {reason}").format(path=path, reason=os_problem(exc))


def claim_free_name(folder: Path | str, stem: str, suffix: str = ".csv") -> Path:
    """The first of ``stem.csv``, ``stem-2.csv``, ``stem-3.csv``… that does not exist in
    ``folder``, created there empty (readable by its owner only) so that no other export
    takes it meanwhile; the export then replaces it. OSError when the folder cannot be
    written (or, absurdly, ten thousand names are taken)."""
    folder = Path(folder)
    for n in range(1, 10_000):
        path = folder / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            continue
        return path
    raise OSError(errno.EEXIST, os.strerror(errno.EEXIST), str(folder / f"{stem}{suffix}"))
