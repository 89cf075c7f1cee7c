"""`crm due`: open tasks overdue or due within N days, as a table, CSV or JSON.

Fast path for shell prompts and cron: the standard library only (no SQLAlchemy,
SQLModel or Textual), reading through :mod:`crm_tui.store.due`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys

HELP = "open tasks overdue or due within N days (default 0 = today)"

#: Columns of `--format csv` (and the keys of each `--format json` task).
COLUMNS = (
    "id", "group", "due", "due_time", "days_overdue", "title", "type", "status",
    "customer_code", "customer", "opportunity",
)  # fmt: skip


#: Widest the table's Task and Customer columns get (terminal columns, Chinese counting
#: 2): titles go up to 200 characters, and one padded every row to its width. Wider
#: text is cut with "…"; CSV and JSON keep it whole.
TASK_WIDTH = 40
CUSTOMER_WIDTH = 30

#: The largest --days: some 2,700 years ahead, still inside Python's dates (year 9999).
MAX_DAYS = 1_000_000


def _days(text: str) -> int:
    """A whole number of days from 0 to MAX_DAYS; anything else is a usage error (exit 2)."""
    from crm_tui.commands import whole_number

    return whole_number(text, 0, MAX_DAYS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument(
        "--days",
        type=_days,
        default=0,
        metavar="N",
        help=_("also list tasks due in the next N days (default 0: overdue and today)"),
    )
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def _record(task: dict) -> dict:
    return {key: task.get(key) for key in COLUMNS}


def _table(rows: list[tuple[str, int, str, str, str]], today: dt.date) -> None:
    """An aligned table of :func:`~crm_tui.store.due.due_table_rows`, then a count line.

    Built column by column with comprehensions: at 100,000 customers it prints
    ~15,000 tasks, and `crm due` runs in shell prompts.
    """
    from crm_tui.i18n import _, label
    from crm_tui.store import enums
    from crm_tui.textwidth import aligned_lines, cell_width, clip_column

    if not rows:
        print(_("Nothing due."))
        return
    overdue_text, today_text = _("{n}d overdue"), _("Today")
    next7_text, later_text = _("Next 7 days"), _("Later")

    def state_of(late: int) -> str:
        if late > 0:
            return overdue_text.format(n=late)
        if late == 0:
            return today_text
        return next7_text if late >= -7 else later_text

    # Thousands of rows share a few lateness values and types: translate those once.
    states = {late: state_of(late) for late in {r[1] for r in rows}}
    types = {kind: label(enums.TASK_TYPE, kind) for kind in {r[3] for r in rows}}
    # ("When" read 时间 in Chinese, a time of day; the column says how late a task is)
    headers = (_("Due"), _("Status"), _("Task"), _("Type"), _("Customer"))
    columns = [
        [r[0] for r in rows],
        [states[r[1]] for r in rows],
        [r[2] for r in rows],
        [types[r[3]] for r in rows],
        [r[4] for r in rows],
    ]
    known = {text: cell_width(text) for text in (*states.values(), *types.values())}
    measured = [
        [len(text) for text in columns[0]],  # dates are ASCII
        [known[text] for text in columns[1]],
        [cell_width(text) for text in columns[2]],
        [known[text] for text in columns[3]],
        [cell_width(text) for text in columns[4]],
    ]
    columns[2], measured[2] = clip_column(columns[2], measured[2], TASK_WIDTH)
    columns[4], measured[4] = clip_column(columns[4], measured[4], CUSTOMER_WIDTH)
    out = aligned_lines(
        [[h, *cells] for h, cells in zip(headers, columns, strict=True)],
        [[cell_width(h), *sizes] for h, sizes in zip(headers, measured, strict=True)],
    )
    out.append(
        (
            _("1 open task ({overdue} overdue) as of {today}")
            if len(rows) == 1
            else _("{n} open tasks ({overdue} overdue) as of {today}")
        ).format(
            n=len(rows),
            overdue=sum(1 for r in rows if r[1] > 0),
            today=today.isoformat(),
        )
    )
    sys.stdout.write("\n".join(out) + "\n")


def run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.store.due import due_list, due_table_rows

    today = dt.date.today()
    db = ctx.database(to_read=True, deals=False)
    with db.reading(mmap=True) as conn:
        if args.format == "table":
            table_rows = due_table_rows(conn, today, args.days)
        else:
            tasks = due_list(conn, today, args.days)
    if args.format == "table":
        _table(table_rows, today)
    elif args.format == "json":
        json.dump(
            {
                "as_of": today.isoformat(),
                "days": args.days,
                "count": len(tasks),
                "tasks": [_record(t) for t in tasks],
            },
            sys.stdout,
            ensure_ascii=False,
            indent=2,
        )
        sys.stdout.write("\n")
    elif args.format == "csv":
        from crm_tui.csvio import utf8_stdout, write_csv

        with utf8_stdout() as out:
            write_csv(([t.get(k) for k in COLUMNS] for t in tasks), COLUMNS, out)
    return 0
