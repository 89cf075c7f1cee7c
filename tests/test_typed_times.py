"""A date with a time, typed or imported: the forms read what the imports read."""

from __future__ import annotations

import datetime as dt

from textual.widgets import Label

from crm_tui.app import make_app
from crm_tui.cli import main
from crm_tui.store import customers as cs

#: A due with a time, in the forms a tasks file may hold (a rep's, a spreadsheet's).
DUE_WITH_TIME = [
    "下周三 14:30",
    "2026/12/2 14:30:00",
    "2026年12月2日14:30",
    "2026-12-02T14:30",
    "12-02 9:05",
    "tomorrow 08:15",
]


def _tasks(db, prefix: str) -> list[tuple]:
    with db.reading() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                "SELECT due, due_time FROM task WHERE title LIKE ? ORDER BY title", (prefix + "%",)
            )
        ]


async def _add_task_in_form(app, pilot, title: str, due: str, time: str = "") -> None:
    await pilot.press("down", "t")
    await pilot.pause()
    form = app.screen
    assert form.__class__.__name__ == "TaskFormDialog"
    form.query_one("#field-title").value = title
    form.query_one("#field-due").value = due
    form.query_one("#field-due_time").value = time
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_the_task_form_reads_a_due_with_a_time_as_a_tasks_import_does(db, tmp_path):
    """`下周三 14:30` a tasks file may hold was refused by the task form (its due was a
    date alone): the form reads the due field with the import's own function."""
    now = dt.datetime.now().replace(second=0, microsecond=0)
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    f = tmp_path / "tasks.csv"
    f.write_text(
        "title,due\n" + "".join(f"import {i},{due}\n" for i, due in enumerate(DUE_WITH_TIME)),
        encoding="utf-8",
    )
    assert main(["--db", str(db.path), "import", "tasks", str(f)]) == 0
    app = make_app(db.path, clock=lambda: now)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        for i, due in enumerate(DUE_WITH_TIME):
            await _add_task_in_form(app, pilot, f"form {i}", due)
            assert app.screen.__class__.__name__ != "TaskFormDialog", due
    imported = _tasks(db, "import")
    assert _tasks(db, "form") == imported
    monday = now.date() - dt.timedelta(days=now.weekday())
    assert imported[0] == ((monday + dt.timedelta(days=9)).isoformat(), "14:30")
    assert imported[-1][1] == "08:15" and imported[4][1] == "09:05"


async def test_a_second_time_typed_in_the_time_field_is_asked_about(db):
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    app = make_app(db.path, clock=lambda: dt.datetime(2026, 11, 23, 9, 30))
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await _add_task_in_form(app, pilot, "Same", "2026-12-02 14:30", "14:30")
        await _add_task_in_form(app, pilot, "Two", "2026-12-02 14:30", "16:00")
        form = app.screen
        assert form.__class__.__name__ == "TaskFormDialog"
        error = str(form.query_one("#error-due_time", Label).render())
        assert error == "Two times: 14:30 in the due date and 16:00 here"
    assert _tasks(db, "") == [("2026-12-02", "14:30")]
