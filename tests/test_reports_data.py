"""Raw-SQL builders for the report tests' small hand-made databases (no tests here)."""

from __future__ import annotations

import csv
import io
import sqlite3
from itertools import count

from crm_tui.reports import output

_seq = count(1)


def customer(
    conn: sqlite3.Connection,
    name: str,
    *,
    code: str | None = None,
    created: str = "2026-01-01 09:00:00",
    **fields,
) -> int:
    """Insert a customer; extra ``fields`` are columns (industry, region, level, status, source)."""
    values = {
        "code": code or f"C{next(_seq):05d}",
        "name": name,
        "name_norm": name.lower(),
        "kind": "company",
        "status": "active",
        "total_amount_cents": 0,
        "version": 1,
        "created_at": created,
        **fields,
    }
    cols = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cur = conn.execute(f"INSERT INTO customer ({cols}) VALUES ({marks})", list(values.values()))
    return cur.lastrowid


def order(conn: sqlite3.Connection, customer_id: int, day: str, cents: int) -> int:
    cur = conn.execute(
        "INSERT INTO sales_order (customer_id, order_date, amount_cents) VALUES (?, ?, ?)",
        (customer_id, day, cents),
    )
    return cur.lastrowid


def deal(
    conn: sqlite3.Connection,
    customer_id: int,
    name: str,
    *,
    stage: str = "initial_contact",
    cents: int = 0,
    probability: int = 10,
    created: str = "2026-01-01 09:00:00",
    expected_close: str | None = None,
    actual_close: str | None = None,
    **fields,
) -> int:
    values = {
        "customer_id": customer_id,
        "name": name,
        "amount_cents": cents,
        "stage": stage,
        "probability": probability,
        "probability_overridden": 0,
        "risk_flag": 0,
        "criteria_done": "",
        "version": 1,
        "created_at": created,
        "expected_close": expected_close,
        "actual_close": actual_close,
        **fields,
    }
    cols = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cur = conn.execute(f"INSERT INTO opportunity ({cols}) VALUES ({marks})", list(values.values()))
    return cur.lastrowid


def change(conn: sqlite3.Connection, opp_id: int, from_stage: str | None, to_stage: str, when: str):
    conn.execute(
        "INSERT INTO stage_change (opportunity_id, from_stage, to_stage, changed_at) "
        "VALUES (?, ?, ?, ?)",
        (opp_id, from_stage, to_stage, when),
    )


def interaction(
    conn: sqlite3.Connection, customer_id: int, when: str, subject: str, channel: str = "phone"
) -> int:
    cur = conn.execute(
        "INSERT INTO interaction (customer_id, occurred_at, channel, subject, version) "
        "VALUES (?, ?, ?, ?, 1)",
        (customer_id, when, channel, subject),
    )
    return cur.lastrowid


def task(
    conn: sqlite3.Connection,
    title: str,
    due: str,
    *,
    customer_id: int | None = None,
    status: str = "planned",
    completed: str | None = None,
    type: str = "call",
    result: str | None = None,
) -> int:
    cur = conn.execute(
        "INSERT INTO task (title, type, customer_id, due, status, completed_at, result, version) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
        (title, type, customer_id, due, status, completed, result),
    )
    return cur.lastrowid


def assert_csv_cells_are_the_formatted_rows(report) -> None:
    """A report's fast CSV cells equal its formatted rows as csv.writer writes them (None
    empty, numbers by str()), and its CSV text is what csv.writer makes of those rows."""
    assert report.csv_cells is not None
    cells = [list(row) for row in report.csv_cells()]
    expected = [
        ["" if v is None else str(v) for v in row] for row in output.format_csv_rows(report)
    ]
    assert cells == expected
    assert all(isinstance(cell, str) for row in cells for cell in row)
    buf = io.StringIO()
    csv.writer(buf).writerows([[c.key for c in report.csv_columns], *expected])
    assert output.render_csv(report) == "\ufeff" + buf.getvalue()
