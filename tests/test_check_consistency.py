"""`crm check` beyond SQLite's own checks: values the app's rules forbid, stale derived
columns, the search index, the file's mode, `--repair`, and a missing file."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from crm_tui.cli import main


@pytest.fixture
def demo(tmp_path, capsys):
    """A healthy sample database (30 customers): `crm check` says ok before each test
    spoils it."""
    path = tmp_path / "crm.db"
    assert main(["--db", str(path), "demo", "--customers", "30", "--seed", "7"]) == 0
    capsys.readouterr()
    assert main(["--db", str(path), "check"]) == 0
    assert capsys.readouterr().out == f"ok: {path}\n"
    return path


def spoil(path, *statements: str) -> None:
    """Change the file behind the app's back, as sqlite3 on the command line would."""
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def value(path, sql: str):
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def check(path, capsys, *extra: str) -> tuple[int, list[str], str]:
    status = main(["--db", str(path), "check", *extra])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err


BAD_VALUES = [
    (
        "UPDATE opportunity SET stage = 'bogus' WHERE id = 12",
        'opportunity: 1 row with an unknown stage (id 12: "bogus")',
    ),
    (
        "UPDATE opportunity SET probability = 250 WHERE id = 3",
        "opportunity: 1 row whose probability is outside 0–100 (id 3: 250)",
    ),
    (
        "UPDATE customer SET status = 'zombie' WHERE id IN (4, 9)",
        'customer: 2 rows with an unknown status (id 4: "zombie")',
    ),
    (
        "UPDATE customer SET level = 'Q' WHERE id = 5",
        'customer: 1 row with an unknown level (id 5: "Q")',
    ),
    (
        "UPDATE task SET status = 'weird' WHERE id = 2",
        'task: 1 row with an unknown status (id 2: "weird")',
    ),
    (
        "UPDATE task SET type = '' WHERE id = 6",
        'task: 1 row with an unknown type (id 6: "")',
    ),
    (
        "UPDATE interaction SET channel = 'fax' WHERE id = 8",
        'interaction: 1 row with an unknown channel (id 8: "fax")',
    ),
    (
        "UPDATE interaction SET attitude = 'meh' WHERE id = 8",
        'interaction: 1 row with an unknown attitude (id 8: "meh")',
    ),
    (
        "UPDATE contact SET role = 'boss' WHERE id = 2",
        'contact: 1 row with an unknown role (id 2: "boss")',
    ),
    (
        "UPDATE stage_change SET to_stage = 'limbo' WHERE id = 1",
        'stage_change: 1 row with an unknown to_stage (id 1: "limbo")',
    ),
    (
        "UPDATE opportunity SET amount_cents = -1 WHERE id = 7",
        "opportunity: 1 row whose amount_cents is negative (id 7: -1)",
    ),
    (
        "UPDATE payment SET amount_cents = 0 WHERE id = 2",
        "payment: 1 row whose amount_cents is not above zero (id 2: 0)",
    ),
    (
        "UPDATE payment SET amount_cents = 'lots' WHERE id = 3",
        'payment: 1 row whose amount_cents is not above zero (id 3: "lots")',
    ),
    (
        "UPDATE customer SET budget_cents = -100 WHERE id = 3",
        "customer: 1 row whose budget_cents is negative (id 3: -100)",
    ),
    (
        "UPDATE opportunity SET expected_close = '2026-02-30' WHERE id = 5",
        'opportunity: 1 row whose expected_close is not a date YYYY-MM-DD (id 5: "2026-02-30")',
    ),
    (
        "UPDATE contact SET birthday = '1980/05/04' WHERE id = 1",
        'contact: 1 row whose birthday is not a date YYYY-MM-DD (id 1: "1980/05/04")',
    ),
    (
        "UPDATE interaction SET occurred_at = '2026-11-02T10:00' WHERE id IN (4, 5, 6)",
        "interaction: 3 rows whose occurred_at is not a date and time YYYY-MM-DD HH:MM:SS"
        ' (id 4: "2026-11-02T10:00")',
    ),
    (
        "UPDATE interaction SET created_at = 'yesterday' WHERE id = 9",
        "interaction: 1 row whose created_at is not a date and time YYYY-MM-DD HH:MM:SS"
        ' (id 9: "yesterday")',
    ),
    (
        "UPDATE task SET due_time = '25:00' WHERE id = 1",
        'task: 1 row whose due_time is not a time HH:MM (id 1: "25:00")',
    ),
    (
        "INSERT INTO sales_target (month, amount_cents) VALUES ('2026-13', 100)",
        'sales_target: 1 row whose month is not a month YYYY-MM (month: "2026-13")',
    ),
    (
        "INSERT INTO customer_search (rowid, name) VALUES (9999, 'ghost')",
        "customer_search: 1 row for customers that do not exist (rowid 9999)",
    ),
]


@pytest.mark.parametrize(
    ("statement", "line"),
    BAD_VALUES,
    ids=[statement.split(" WHERE")[0].split(" (")[0] for statement, _line in BAD_VALUES],
)
def test_each_kind_of_bad_value_is_one_line(demo, capsys, statement, line):
    spoil(demo, statement)
    status, out, err = check(demo, capsys)
    assert status == 1
    assert out == [line]
    assert err.count("\n") == 1 and err.startswith(f"error: {demo}: 1 problem (listed above): ")


def test_a_payment_before_its_order_is_named_by_its_order_and_customer(demo, capsys):
    """The app shows no payment ids: the line says where to find it and what mends it."""
    spoil(demo, "UPDATE payment SET paid_on = '2000-01-01' WHERE id = 1")
    order_no, day, code, name = (
        sqlite3.connect(demo)
        .execute(
            "SELECT o.order_no, o.order_date, c.code, c.name FROM payment p"
            " JOIN sales_order o ON o.id = p.order_id JOIN customer c ON c.id = o.customer_id"
            " WHERE p.id = 1"
        )
        .fetchone()
    )
    status, out, _err = check(demo, capsys)
    assert status == 1
    assert out == [
        'payment: 1 row whose paid_on is before the date of its order (id 1: "2000-01-01");'
        f" it pays the order {order_no} of {day} of {code} {name}: in the app delete the"
        " payment (its customer's timeline) and record it again"
    ]


def test_one_line_per_kind_whichever_thread_scans_the_rows(demo):
    """The interaction scan is split between two threads: counts add up, and the example
    is the lowest id either half found."""
    from crm_tui.store.consistency import consistency_findings, consistency_problems

    spoil(demo, "UPDATE interaction SET channel = 'fax' WHERE id IN (5, 300, 301)")
    line = 'interaction: 3 rows with an unknown channel (id 5: "fax")'
    conn = sqlite3.connect(demo)
    try:
        assert consistency_problems(conn) == [line]
        assert [str(p) for p in consistency_findings(conn, workers=1)] == [line]
    finally:
        conn.close()


def test_bad_orders_are_named_with_the_totals_they_make_stale(demo, capsys):
    """An order changed behind the app's back leaves its customer's derived columns stale."""
    customer = value(demo, "SELECT customer_id FROM sales_order WHERE id = 7")
    amount = value(demo, "SELECT amount_cents FROM sales_order WHERE id = 7")
    before = value(demo, f"SELECT total_amount_cents FROM customer WHERE id = {customer}")
    last = value(demo, f"SELECT last_order FROM customer WHERE id = {customer}")
    spoil(
        demo,
        "UPDATE sales_order SET amount_cents = -500 WHERE id = 7",
        "UPDATE sales_order SET order_date = 'not-a-date' WHERE id = 7",
    )
    status, out, err = check(demo, capsys)
    assert status == 1
    assert out == [
        'sales_order: 1 row whose order_date is not a date YYYY-MM-DD (id 7: "not-a-date")',
        "sales_order: 1 row whose amount_cents is not above zero (id 7: -500)",
        f"customer: 1 row whose total_amount_cents is not the sum of the customer's orders"
        f" (id {customer}: {before}, orders {before - amount - 500})",
        f"customer: 1 row whose last_order is not the date of the customer's latest order"
        f' (id {customer}: "{last}", latest order NULL)',  # (a bad date is no last order)
    ]
    assert (
        "4 problems" in err
        and "check --repair" in err
        and "the other values are none the app writes: restore a backup" in err
    )


def test_stale_totals_and_a_missing_search_row(demo, capsys):
    total = value(demo, "SELECT total_amount_cents FROM customer WHERE id = 3")
    last = value(demo, "SELECT last_order FROM customer WHERE id = 6")
    spoil(
        demo,
        "UPDATE customer SET total_amount_cents = total_amount_cents + 100 WHERE id = 3",
        "UPDATE customer SET last_order = '2001-01-01' WHERE id = 6",
        "DELETE FROM customer_search WHERE rowid = 11",
    )
    status, out, err = check(demo, capsys)
    assert status == 1
    assert out == [
        f"customer: 1 row whose total_amount_cents is not the sum of the customer's orders"
        f" (id 3: {total + 100}, orders {total})",
        f"customer: 1 row whose last_order is not the date of the customer's latest order"
        f' (id 6: "2001-01-01", latest order "{last}")',
        "customer_search: no row for 1 customer (id 11)",
    ]
    assert err == (
        f"error: {demo}: 3 problems (listed above): `crm --db {demo} check --repair`"
        " recomputes the customers' totals and rebuilds the search index\n"
    )


def test_repair_mends_totals_and_search_and_leaves_bad_values_reported(demo, capsys):
    total = value(demo, "SELECT total_amount_cents FROM customer WHERE id = 3")
    name = value(demo, "SELECT name FROM customer WHERE id = 11")
    spoil(
        demo,
        "UPDATE customer SET total_amount_cents = total_amount_cents + 100 WHERE id = 3",
        "UPDATE customer SET last_order = '2001-01-01' WHERE id = 6",
        "DELETE FROM customer_search WHERE rowid = 11",
        "UPDATE opportunity SET stage = 'bogus' WHERE id = 12",
    )
    status, out, err = check(demo, capsys, "--repair")
    assert status == 1
    assert out == [
        "repaired: total amount and last order of 2 customers",
        "repaired: search index rebuilt",
        'opportunity: 1 row with an unknown stage (id 12: "bogus")',
    ]
    assert "1 problem" in err and "--repair" not in err and f"crm --db {demo} restore FILE" in err
    assert value(demo, "SELECT total_amount_cents FROM customer WHERE id = 3") == total
    found = value(
        demo, f"SELECT rowid FROM customer_search WHERE customer_search MATCH '\"{name}\"'"
    )
    assert found == 11
    # the bad stage is not guessed at: put right by hand, all is well
    spoil(demo, "UPDATE opportunity SET stage = 'proposal' WHERE id = 12")
    assert check(demo, capsys) == (0, [f"ok: {demo}"], "")


def test_repair_of_a_healthy_database_changes_nothing(demo, capsys):
    spoil(demo, "DELETE FROM customer_search WHERE rowid = 2")
    assert check(demo, capsys, "--repair") == (
        0,
        ["repaired: search index rebuilt", f"ok: {demo}"],
        "",
    )
    assert check(demo, capsys, "--repair") == (0, [f"ok: {demo}"], "")


def test_a_database_readable_by_others(demo, capsys):
    demo.chmod(0o644)
    status, out, err = check(demo, capsys)
    assert status == 1
    assert out == [
        f"{demo} can be read by other users (mode 0644, should be 0600): customer data is for"
        " its owner only"
    ]
    assert err == (
        f"error: {demo}: 1 problem (listed above): `chmod 600 {demo}` makes the file readable"
        " by you only\n"
    )
    demo.chmod(0o620)
    assert check(demo, capsys)[1] == [
        f"{demo} can be changed by other users (mode 0620, should be 0600): customer data is"
        " for its owner only"
    ]
    demo.chmod(0o600)
    assert check(demo, capsys)[0] == 0


def test_problems_in_chinese(demo, capsys):
    spoil(
        demo,
        "UPDATE opportunity SET stage = 'bogus' WHERE id = 12",
        "UPDATE sales_order SET order_date = '2026-1-5' WHERE id = 2",
        "DELETE FROM customer_search WHERE rowid = 11",
    )
    status = main(["--db", str(demo), "--lang", "zh", "check"])
    out, err = capsys.readouterr()
    assert status == 1
    lines = out.splitlines()
    assert lines[0] == '商机：1 条记录的销售阶段取值未知（id 12："bogus"）'
    assert lines[1] == '订单：1 条记录的成交日期不是 YYYY-MM-DD 格式的日期（id 2："2026-1-5"）'
    assert lines[-1] == "客户搜索索引：缺少 1 个客户的索引行（id 11）"
    assert err.startswith(
        f"error: {demo}：发现 {len(lines)} 个问题（见上）：运行 `crm --db {demo} check --repair`"
    )
    assert "其余取值不是应用会写入的：" in err


def test_what_the_store_commands_write_passes(db):
    """No false alarms: records made through the app's own commands (forms, moves,
    logging, completing, payments) are all in the app's formats."""
    from crm_tui.store import orders
    from crm_tui.store.consistency import consistency_problems
    from crm_tui.store.customers import create_contact, create_customer
    from crm_tui.store.interactions import log_interaction
    from crm_tui.store.opportunities import create_opportunity, move_stage
    from crm_tui.store.targets import set_target
    from crm_tui.store.tasks import complete_task, create_task

    with db.session() as s:
        customer = create_customer(
            s,
            {"name": "Acme Ltd", "level": "A", "industry": "软件和信息技术服务业",
             "first_contact": "2026-01-05", "budget_cents": "12,000.50"},
            tags=["高预算"],
        )  # fmt: skip
        create_contact(s, customer.id, {"name": "李娜", "role": "决策者", "birthday": "1985-03-04"})
        deal = create_opportunity(
            s,
            customer.id,
            {"name": "ERP", "amount_cents": "500000", "expected_close": "2026-12-01"},
        )
        move_stage(s, deal.id, "proposal")
        move_stage(s, deal.id, "won", actual_close=dt.date(2026, 1, 20))
        order = orders.create_order(
            s, customer.id, {"order_date": "2026-01-20", "amount_cents": "500000"}
        )
        orders.add_payment(s, order.id, {"paid_on": "2026-01-25", "amount_cents": "1000"})
        log_interaction(
            s, customer.id,
            {"subject": "Kick-off", "channel": "visit", "attitude": "positive",
             "next_step": "Send plan", "next_step_due": "2026-12-10"},
        )  # fmt: skip
        task = create_task(
            s,
            {"title": "Call", "due": "2026-12-11", "due_time": "9:30", "customer_id": customer.id},
        )
        complete_task(s, task.id)
    with db.reading() as conn:
        set_target(conn, "2026-12", "100000")
        conn.commit()
        assert consistency_problems(conn) == []


def test_repair_does_not_make_a_damaged_order_date_the_last_order(demo, capsys):
    """--repair recomputed last_order as the latest order date, a corrupt one included:
    the customer's last order became "2026-13-45" and `check` then reported it twice."""
    cid = value(
        demo, "SELECT customer_id FROM sales_order GROUP BY customer_id HAVING count(*) > 1"
    )
    first = value(demo, f"SELECT min(id) FROM sales_order WHERE customer_id = {cid}")
    others = value(
        demo, f"SELECT max(order_date) FROM sales_order WHERE customer_id = {cid} AND id != {first}"
    )
    spoil(demo, f"UPDATE sales_order SET order_date = '2026-13-45' WHERE id = {first}")
    status, out, _err = check(demo, capsys, "--repair")
    assert status == 1
    assert [line for line in out if "last_order" in line] == []
    assert any("order_date" in line and "2026-13-45" in line for line in out), out
    assert value(demo, f"SELECT last_order FROM customer WHERE id = {cid}") == others
