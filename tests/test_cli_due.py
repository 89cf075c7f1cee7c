"""`crm due`: JSON and CSV output, the --days window, and no ORM or Textual imports."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys

import pytest

from crm_tui.cli import main
from crm_tui.store.customers import create_customer
from crm_tui.store.tasks import create_task


def _fill(db):
    today = dt.date.today()
    with db.session() as s:
        c = create_customer(s, {"name": "华东制造", "level": "A"})
        create_task(s, {"title": "回访", "due": today - dt.timedelta(days=2), "customer_id": c.id})
        create_task(s, {"title": "Call", "due": today, "due_time": "23:59"})
        create_task(s, {"title": "Demo", "due": today + dt.timedelta(days=3), "type": "demo"})
        create_task(s, {"title": "Done", "due": today, "status": "done"})
    return today


def test_due_json(db, capsys):
    today = _fill(db)
    assert main(["--db", str(db.path), "due", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["as_of"] == today.isoformat() and out["days"] == 0 and out["count"] == 2
    first, second = out["tasks"]
    assert first == {
        "id": 1,
        "group": "overdue",
        "due": (today - dt.timedelta(days=2)).isoformat(),
        "due_time": None,
        "days_overdue": 2,
        "title": "回访",
        "type": "call",
        "status": "planned",
        "customer_code": first["customer_code"],
        "customer": "华东制造",
        "opportunity": None,
    }
    assert first["customer_code"].startswith("C")
    assert (second["title"], second["group"], second["due_time"]) == ("Call", "today", "23:59")
    assert main(["--db", str(db.path), "due", "--days", "3", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [t["group"] for t in out["tasks"]] == ["overdue", "today", "next7"]


def test_due_csv_and_table(db, capsys):
    _fill(db)
    assert main(["--db", str(db.path), "due", "--days", "7", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == "\ufeffid,group,due,due_time,days_overdue,title,type,status,customer_code,customer,opportunity"
    )
    assert len(lines) == 4
    assert main(["--db", str(db.path), "due"]) == 0
    out = capsys.readouterr().out
    assert "2d overdue" in out and "回访" in out and "Demo" not in out


@pytest.mark.parametrize("days", ["-1", "-5", "100000000", "1.5", "abc"])
def test_due_days_out_of_range_is_a_usage_error(db, capsys, days):
    """CLI.md: a usage error exits 2 (never 1, never a traceback from a date past 9999)."""
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(db.path), "due", "--days", days])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        f"crm due: error: argument --days: must be a whole number from 0 to 1000000, not {days}"
    )


def test_due_days_at_the_limit(db, capsys):
    _fill(db)
    assert main(["--db", str(db.path), "due", "--days", "1000000", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["count"] == 3  # every open task


def test_due_imports_no_orm_or_textual(db):
    _fill(db)
    code = (
        "import sys; from crm_tui.cli import main; "
        f"main(['--db', {str(db.path)!r}, 'due', '--format', 'json']); "
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'sqlmodel', 'textual', 'alembic', 'pydantic')]; "
        "sys.stderr.write(repr(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stderr == "[]"


def test_due_table_states_and_alignment(db, capsys):
    """Each lateness reads right, and columns line up with Chinese text (2 columns a character)."""
    from crm_tui.textwidth import cell_width

    today = _fill(db)
    with db.session() as s:
        create_task(s, {"title": "季度回顾", "due": today + dt.timedelta(days=9)})
    assert main(["--db", str(db.path), "due", "--days", "10"]) == 0
    header, *rows, total = capsys.readouterr().out.splitlines()
    assert header.split() == ["Due", "Status", "Task", "Type", "Customer"]
    states = [re.split(r"\s{2,}", row)[1] for row in rows]
    assert states == ["2d overdue", "Today", "Next 7 days", "Later"]
    assert rows[1].startswith(f"{today.isoformat()} 23:59")
    assert total == f"4 open tasks (1 overdue) as of {today.isoformat()}"
    # the Type column starts at the same terminal column on every line
    starts = {
        cell_width(line[: line.rindex(kind)])
        for line, kind in zip(
            [header, *rows], ["Type", "Call", "Call", "Demo", "Call"], strict=True
        )
    }
    assert len(starts) == 1, starts
    assert main(["--db", str(db.path), "--lang", "zh", "due", "--days", "10"]) == 0
    header, *_rows = capsys.readouterr().out.splitlines()
    assert header.split() == ["截止", "状态", "任务", "类型", "客户"]  # (not 时间, a time)


def test_one_due_task_is_counted_in_the_singular(db, capsys):
    today = dt.date.today()
    with db.session() as s:
        create_task(s, {"title": "Call back", "due": today})
    assert main(["--db", str(db.path), "due"]) == 0
    total = capsys.readouterr().out.splitlines()[-1]
    assert total == f"1 open task (0 overdue) as of {today.isoformat()}"  # "1 open tasks"


def test_a_long_title_is_cut_and_pads_no_other_row(db, capsys):
    """Titles go up to 200 characters: one padded every row of the table to its width.
    The Task and Customer columns are capped (Chinese counting 2 a character) and cut
    with "…"; CSV and JSON keep the whole text."""
    from crm_tui.textwidth import cell_width

    TASK_WIDTH, CUSTOMER_WIDTH = 40, 30  # (commands/due.py)

    today = _fill(db)
    long_title = ("Prepare the yearly framework agreement " * 5).strip()  # 194 characters
    chinese = "准备年度框架协议并与采购部门逐条确认付款条款" * 4  # 88 characters, 176 columns
    with db.session() as s:
        big = create_customer(s, {"name": "深圳市前海国际供应链管理服务集团股份有限公司"})
        create_task(s, {"title": long_title, "due": today, "customer_id": big.id})
        create_task(s, {"title": chinese, "due": today})
    assert main(["--db", str(db.path), "due"]) == 0
    header, *rows, _total = capsys.readouterr().out.splitlines()
    by_title = {re.split(r"\s{2,}", row)[2]: row for row in rows}
    cut = next(t for t in by_title if t.startswith("Prepare the yearly"))
    assert cut.endswith("agreement…") and cell_width(cut) <= TASK_WIDTH
    cut_zh = next(t for t in by_title if t.startswith("准备年度"))
    assert cut_zh.endswith("…") and cell_width(cut_zh) <= TASK_WIDTH
    assert "深圳市前海国际供应链管理服务…" in by_title[cut]
    assert cell_width(re.split(r"\s{2,}", by_title[cut])[4]) <= CUSTOMER_WIDTH
    # no row padded to the long title: the Type column starts after at most TASK_WIDTH
    assert header.index("Type") <= len("2026-01-01 23:59  2d overdue  ") + TASK_WIDTH + 2
    # the Type column still starts at one terminal column on every line
    calls = [row for row in rows if re.split(r"\s{2,}", row)[3] == "Call"]
    starts = {cell_width(row[: row.rindex("Call")]) for row in calls}
    starts.add(cell_width(header[: header.index("Type")]))
    assert len(starts) == 1, starts
    assert main(["--db", str(db.path), "due", "--format", "json"]) == 0
    titles = {t["title"] for t in json.loads(capsys.readouterr().out)["tasks"]}
    assert {long_title, chinese} <= titles
    assert main(["--db", str(db.path), "due", "--format", "csv"]) == 0
    assert long_title in capsys.readouterr().out
