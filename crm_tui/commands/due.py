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


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--days",
        type=int,
        default=0,
        metavar="N",
        help="also list tasks due in the next N days (default 0: overdue and today)",
    )
    parser.add_argument("--format", choices=("table", "csv", "json"), default="table")


def _record(task: dict) -> dict:
    return {key: task.get(key) for key in COLUMNS}


def _table(tasks: list[dict], today: dt.date, days: int) -> None:
    from crm_tui.i18n import _, label
    from crm_tui.reports.output import cell_width
    from crm_tui.store import enums

    if not tasks:
        print(_("Nothing due."))
        return
    names = {
        "overdue": _("Overdue"),
        "today": _("Today"),
        "next7": _("Next 7 days"),
        "later": _("Later"),
    }
    rows = []
    for t in tasks:
        when = t["due"] + (f" {t['due_time']}" if t["due_time"] else "")
        if t["group"] == "overdue":
            state = _("{n}d overdue").format(n=t["days_overdue"])
        else:
            state = names[t["group"]]
        rows.append(
            (when, state, t["title"], label(enums.TASK_TYPE, t["type"]), t["customer"] or "")
        )
    headers = (_("Due"), _("When"), _("Task"), _("Type"), _("Customer"))
    lines = [headers, *rows]
    cells = [[cell_width(cell) for cell in line] for line in lines]  # measured once
    widths = [max(col) for col in zip(*cells, strict=True)]
    out = sys.stdout.write
    for line, measured in zip(lines, cells, strict=True):
        padded = (c + " " * (widths[i] - measured[i]) for i, c in enumerate(line))
        out("  ".join(padded).rstrip() + "\n")
    overdue = sum(1 for t in tasks if t["group"] == "overdue")
    print(
        _("{n} open tasks ({overdue} overdue) as of {today}").format(
            n=len(tasks), overdue=overdue, today=today.isoformat()
        )
    )


def run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.cli import CommandError
    from crm_tui.store.due import due_list

    if args.days < 0:
        raise CommandError("--days must be 0 or more")
    today = dt.date.today()
    db = ctx.database()
    with db.reading() as conn:
        tasks = due_list(conn, today, args.days)
    if args.format == "json":
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
    else:
        _table(tasks, today, args.days)
    return 0
