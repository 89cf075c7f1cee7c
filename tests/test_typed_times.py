"""A date with a time, typed or imported: the forms read what the imports read."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import Label

from crm_tui.app import make_app
from crm_tui.cli import main
from crm_tui.dates import parse_datetime
from crm_tui.store import customers as cs
from crm_tui.store.fields import time_field
from crm_tui.store.validation import ValidationError

#: A due with a time, in the forms a tasks file may hold (a rep's, a spreadsheet's).
DUE_WITH_TIME = [
    "下周三 14:30",
    "2026/12/2 14:30:00",
    "2026年12月2日14:30",
    "2026-12-02T14:30",
    "12-02 9:05",
    "明天14:30",  # as a Chinese input method types them: no space, the hour in words
    "周三下午2点半",
    "tomorrow 08:15",
    "下周三 下午2:30:00",  # Excel's h:mm:ss after a part of the day
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
    assert imported[7][1] == "08:15" and imported[4][1] == "09:05"
    assert imported[5] == ((now.date() + dt.timedelta(days=1)).isoformat(), "14:30")
    assert imported[6][1] == "14:30"
    assert imported[8] == imported[0]


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


MONDAY_930 = dt.datetime(2026, 11, 23, 9, 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14：30", dt.datetime(2026, 11, 23, 14, 30)),
        ("１４：３０", dt.datetime(2026, 11, 23, 14, 30)),
        ("下周三 14：30", dt.datetime(2026, 12, 2, 14, 30)),
        ("下周三　１４：３０", dt.datetime(2026, 12, 2, 14, 30)),  # (an ideographic space)
        ("２０２６－１２－０２ ０９：０５", dt.datetime(2026, 12, 2, 9, 5)),
        ("2026/12/2 14：30：00", dt.datetime(2026, 12, 2, 14, 30)),
        ("＋３ｄ", dt.datetime(2026, 11, 26, 9, 0)),
        ("2026/11/5 下午2:30:00", dt.datetime(2026, 11, 5, 14, 30)),  # Excel's h:mm:ss
        ("2026/11/5 上午9:05:59", dt.datetime(2026, 11, 5, 9, 5)),  # (seconds dropped)
        ("明天14:30:00", dt.datetime(2026, 11, 24, 14, 30)),
    ],
)
def test_a_time_typed_with_the_input_method_on_is_read(text, expected):
    """A full-width colon (14：30, as a Chinese input method types it) was unreadable."""
    assert parse_datetime(text, MONDAY_930) == expected


@pytest.mark.parametrize(
    "text",
    [
        "14：30", "１４：３０", " 14:30 ", "下午2点半", "2:30pm", "14点30分",
        "14:30:00", "14：30：00", "下午2:30:00", "2:30:59 pm",  # seconds (Excel's h:mm:ss)
    ],
)  # fmt: skip
def test_a_time_field_reads_full_width_forms_and_hour_words(text):
    """The task form's time field reads a time as its due field does (下午2点半)."""
    assert time_field("due_time", text) == "14:30"


@pytest.mark.parametrize(
    "text", ["24：00", "²:30", "14:30:60", "14:30:0", "14", "下午25点", "晚上12点"]
)
def test_a_time_field_still_refuses_what_is_no_time(text):
    with pytest.raises(ValidationError):
        time_field("due_time", text)


def test_imports_read_full_width_times(db, tmp_path, capsys):
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    f = tmp_path / "log.csv"
    f.write_text("customer,when,subject\nAcme Robotics,2026-03-01 10：05,Call\n", "utf-8")
    assert main(["--db", str(db.path), "import", "interactions", str(f)]) == 0, capsys.readouterr()
    t = tmp_path / "tasks.csv"
    t.write_text(
        "title,due,due_time\nA,2026-12-02 １４：３０,\nB,2026-12-03,９：１５\n", encoding="utf-8"
    )
    assert main(["--db", str(db.path), "import", "tasks", str(t)]) == 0, capsys.readouterr()
    with db.reading() as conn:
        assert [tuple(r) for r in conn.execute("SELECT occurred_at FROM interaction")] == [
            ("2026-03-01 10:05:00",)
        ]
    assert _tasks(db, "") == [("2026-12-02", "14:30"), ("2026-12-03", "09:15")]


def test_imports_read_times_with_seconds(db, tmp_path, capsys):
    """Excel writes a time as h:mm:ss: ``14:30:00`` in a due_time column was "Unreadable
    time", and ``2026/11/5 下午2:30:00`` in a ``when`` an "Unreadable date"."""
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    f = tmp_path / "log.csv"
    f.write_text("customer,when,subject\nAcme Robotics,2026/11/5 下午2:30:00,Call\n", "utf-8")
    assert main(["--db", str(db.path), "import", "interactions", str(f)]) == 0, capsys.readouterr()
    t = tmp_path / "tasks.csv"
    t.write_text("title,due,due_time\nA,2026-12-02,14:30:00\nB,2026-12-03,上午9:15:00\n", "utf-8")
    assert main(["--db", str(db.path), "import", "tasks", str(t)]) == 0, capsys.readouterr()
    with db.reading() as conn:
        assert [tuple(r) for r in conn.execute("SELECT occurred_at FROM interaction")] == [
            ("2026-11-05 14:30:00",)
        ]
    assert _tasks(db, "") == [("2026-12-02", "14:30"), ("2026-12-03", "09:15")]


async def test_the_task_form_reads_a_time_with_seconds(db):
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    app = make_app(db.path, clock=lambda: MONDAY_930)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await _add_task_in_form(app, pilot, "A", "2026-12-02", "14:30:00")
        assert app.screen.__class__.__name__ != "TaskFormDialog"
    assert _tasks(db, "") == [("2026-12-02", "14:30")]


async def test_the_task_form_reads_a_full_width_time(db):
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    app = make_app(db.path, clock=lambda: MONDAY_930)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await _add_task_in_form(app, pilot, "A", "2026-12-02", "１４：３０")
        await _add_task_in_form(app, pilot, "B", "下周三 16：00")
        assert app.screen.__class__.__name__ != "TaskFormDialog"
    assert _tasks(db, "") == [("2026-12-02", "14:30"), ("2026-12-02", "16:00")]


def test_a_later_time_today_with_a_full_width_colon_is_refused_not_made_now(db, tmp_path, capsys):
    """The import reads a day without a time (no colon) as now at the latest: a time of
    later today written with a full-width colon was taken for no time and made now."""
    now = dt.datetime.now()
    if now.hour == 23:
        pytest.skip("no later hour today")
    later = f"{now.hour + 1:02d}：00"
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics"})
    f = tmp_path / "log.csv"
    f.write_text(f"customer,when,subject\nAcme Robotics,today {later},Call\n", "utf-8")
    capsys.readouterr()
    assert main(["--db", str(db.path), "import", "interactions", str(f)]) == 3
    assert "is in the future" in capsys.readouterr().err


_CN_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


def test_imported_dates_of_what_happened_read_backwards_as_the_forms_do(db, tmp_path, capsys):
    """An interaction's `周一` or `11-30` is the last such day, as the log form reads it:
    the import read it forwards (the next Monday) and refused it as in the future. So
    are the other columns of what has happened: a task's completed_at, a deal's created
    and actual close, an order's date, a customer's created_at and first contact."""
    yesterday = dt.date.today() - dt.timedelta(days=1)
    weekday = yesterday.strftime("%a").lower()  # (C locale: mon … sun)
    cn_weekday = _CN_WEEKDAYS[yesterday.weekday()]
    month_day = f"{yesterday:%m-%d}"
    forms = [weekday, cn_weekday, month_day, f"{cn_weekday} 10:00"]
    crm = ["--db", str(db.path), "import"]

    def load(kind: str, text: str) -> None:
        f = tmp_path / f"{kind}.csv"
        f.write_text(text, encoding="utf-8")
        assert main([*crm, kind, str(f)]) == 0, capsys.readouterr().err

    load(
        "customers",
        "name,created_at,first_contact\n"
        + "".join(f"Co {i},{d},{d.split()[0]}\n" for i, d in enumerate(forms)),
    )
    load(  # (subjects told apart: one call at one minute is one interaction, not three)
        "interactions",
        "customer,when,subject\n" + "".join(f"Co 0,{d},Call {i}\n" for i, d in enumerate(forms)),
    )
    load(
        "tasks",
        "title,due,status,completed_at\n"
        + "".join(f"T {i},{d},done,{d}\n" for i, d in enumerate(forms)),
    )
    load(
        "opportunities",
        "customer,name,stage,created,actual_close\n"
        + "".join(f"Co 0,D {i},won,{d},{d.split()[0]}\n" for i, d in enumerate(forms)),
    )
    load("orders", "customer,date,amount\n" + "".join(f"Co 0,{d},1\n" for d in forms[:3]))
    day = yesterday.isoformat()
    at_nine, at_ten = f"{day} 09:00:00", f"{day} 10:00:00"
    with db.reading() as conn:

        def column(sql: str) -> list[str]:
            return [r[0] for r in conn.execute(sql)]

        assert column("SELECT occurred_at FROM interaction ORDER BY id") == [at_nine] * 3 + [at_ten]
        assert column("SELECT completed_at FROM task ORDER BY id") == [at_nine] * 3 + [at_ten]
        assert column("SELECT created_at FROM opportunity ORDER BY id") == [at_nine] * 3 + [at_ten]
        assert column("SELECT actual_close FROM opportunity") == [day] * 4
        assert column("SELECT created_at FROM customer ORDER BY id") == [at_nine] * 3 + [at_ten]
        assert column("SELECT first_contact FROM customer") == [day] * 4
        assert column("SELECT order_date FROM sales_order") == [day] * 3
