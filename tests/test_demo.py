"""Sample data: reproducible, proportioned, consistent histories, searchable, and `crm demo`."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from crm_tui.cli import main
from crm_tui.store import enums
from crm_tui.store.demo import DemoError, generate
from crm_tui.store.name_order import name_sort_key
from crm_tui.store.sqlite import search_match_expression

AS_OF = dt.date(2026, 11, 23)
TABLES = (
    "customer", "contact", "tag", "customer_tag", "opportunity", "stage_change", "interaction",
    "task", "sales_order", "payment", "sales_target",
)  # fmt: skip


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("demo") / "crm.db"
    counts = generate(path, customers=150, seed=7, as_of=AS_OF)
    conn = sqlite3.connect(path)
    yield conn, counts, path
    conn.close()


def dump(path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in TABLES}
    finally:
        conn.close()


def test_same_seed_same_rows_different_seed_different_rows(tmp_path):
    generate(tmp_path / "a.db", customers=60, seed=3, as_of=AS_OF)
    generate(tmp_path / "b.db", customers=60, seed=3, as_of=AS_OF)
    generate(tmp_path / "c.db", customers=60, seed=4, as_of=AS_OF)
    a, b, c = dump(tmp_path / "a.db"), dump(tmp_path / "b.db"), dump(tmp_path / "c.db")
    for table in TABLES:
        assert a[table] == b[table], table
    for table in ("customer", "contact", "opportunity", "interaction", "task", "sales_order"):
        assert a[table] != c[table], table


def test_proportions(demo_db):
    conn, counts, _path = demo_db
    n = 150
    assert counts["customers"] == n
    assert 2.3 * n <= counts["contacts"] <= 3.5 * n
    assert 1.5 * n <= counts["opportunities"] <= 2.5 * n
    assert 8 * n <= counts["interactions"] <= 12 * n
    assert 2.3 * n <= counts["orders"] <= 3.7 * n
    assert 0.7 * n <= counts["tasks"] <= 1.3 * n
    for table, key in (("customer", "customers"), ("interaction", "interactions")):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == counts[key]


def test_enums_use_keys(demo_db):
    conn, _counts, _path = demo_db
    checks = {
        ("customer", "kind"): enums.CUSTOMER_KIND, ("customer", "industry"): enums.INDUSTRY,
        ("customer", "size"): enums.SIZE, ("customer", "source"): enums.SOURCE,
        ("customer", "level"): enums.LEVEL, ("customer", "status"): enums.STATUS,
        ("contact", "role"): enums.CONTACT_ROLE, ("contact", "gender"): enums.GENDER,
        ("contact", "preferred_channel"): enums.PREFERRED_CHANNEL,
        ("contact", "relationship"): enums.RELATIONSHIP, ("opportunity", "stage"): enums.STAGE,
        ("interaction", "channel"): enums.CHANNEL, ("interaction", "attitude"): enums.ATTITUDE,
        ("task", "type"): enums.TASK_TYPE, ("task", "status"): enums.TASK_STATUS,
    }  # fmt: skip
    for (table, column), vocab in checks.items():
        values = {
            v for (v,) in conn.execute(f"SELECT DISTINCT {column} FROM {table}") if v is not None
        }
        assert values, (table, column)
        assert values <= set(vocab.keys), (table, column, values - set(vocab.keys))


def test_names_are_mixed_chinese_and_english(demo_db):
    conn, _counts, _path = demo_db
    names = [n for (n,) in conn.execute("SELECT name FROM customer")]
    assert len(set(names)) == len(names)
    chinese = [n for n in names if any("\u4e00" <= ch <= "\u9fff" for ch in n)]
    assert 0.4 * len(names) < len(chinese) < 0.85 * len(names)
    assert any(n.endswith("有限公司") for n in names)
    assert any(n.endswith(("Ltd.", "Inc.", "LLC", "GmbH", "Limited", "Corporation")) for n in names)
    codes = [c for (c,) in conn.execute("SELECT code FROM customer")]
    assert len(set(codes)) == len(codes)
    assert all(c.startswith("C") and c[1:].isdigit() and len(c) >= 12 for c in codes)
    order_nos = [o for (o,) in conn.execute("SELECT order_no FROM sales_order")]
    assert len(set(order_nos)) == len(order_nos) and all(o.startswith("SO") for o in order_nos)
    keys = conn.execute("SELECT name, name_sort FROM customer").fetchall()
    assert all(key == name_sort_key(name) for name, key in keys)  # (listed by name)


def test_every_stage_with_a_plausible_history(demo_db):
    conn, _counts, _path = demo_db
    stages = {s for (s,) in conn.execute("SELECT DISTINCT stage FROM opportunity")}
    assert stages == set(enums.STAGE.keys)
    ladder = list(enums.STAGE_LADDER)
    history: dict[int, list[tuple]] = {}
    for opp, frm, to, when in conn.execute(
        "SELECT opportunity_id, from_stage, to_stage, changed_at FROM stage_change ORDER BY id"
    ):
        history.setdefault(opp, []).append((frm, to, when))
    rows = conn.execute(
        "SELECT id, stage, actual_close, lost_reason, stage_entered_at, created_at FROM opportunity"
    ).fetchall()
    for opp, stage, actual_close, lost_reason, entered, created in rows:
        steps = history[opp]
        path = [to for _frm, to, _when in steps]
        times = [when for _frm, _to, when in steps]
        assert times == sorted(times) and len(set(times)) == len(times), opp
        assert steps[0][0] is None and path[0] == "initial_contact"
        assert [frm for frm, _to, _w in steps[1:]] == path[:-1]
        assert path[-1] == stage
        if stage == "lost":
            assert path[:-1] == ladder[: len(path) - 1] and lost_reason and actual_close
        else:
            assert path == ladder[: ladder.index(stage) + 1]
        if stage in ("won", "after_sales"):
            assert actual_close
        assert entered == times[-1] and created == times[0]
        assert times[-1] < AS_OF.isoformat()
    won_with_order = conn.execute(
        "SELECT count(DISTINCT opportunity_id) FROM sales_order WHERE opportunity_id IS NOT NULL"
    ).fetchone()[0]
    won = conn.execute(
        "SELECT count(*) FROM opportunity WHERE stage IN ('won', 'after_sales')"
    ).fetchone()[0]
    assert won_with_order >= 0.7 * won


def test_tasks_overdue_today_soon_later_and_done(demo_db):
    conn, _counts, _path = demo_db
    today = AS_OF.isoformat()
    week = (AS_OF + dt.timedelta(days=7)).isoformat()

    def count(where: str, *params) -> int:
        return conn.execute(f"SELECT count(*) FROM task WHERE {where}", params).fetchone()[0]

    open_ = "status IN ('planned', 'in_progress')"
    assert count(f"{open_} AND due < ?", today) > 0
    assert count(f"{open_} AND due = ?", today) > 0
    assert count(f"{open_} AND due > ? AND due <= ?", today, week) > 0
    assert count(f"{open_} AND due > ?", week) > 0
    assert count("status = 'done' AND completed_at IS NOT NULL") > 0
    # closed, done or cancelled, at a time (as the app records it): cancelled ones had
    # none, and the completed list showed them without a date, sorted last
    assert count("status = 'cancelled'") > 0
    assert count("status IN ('done', 'cancelled') AND completed_at IS NULL") == 0
    assert count("status NOT IN ('done', 'cancelled') AND completed_at IS NOT NULL") == 0
    assert count("status = 'cancelled' AND completed_at < created_at") == 0
    assert count("status = 'cancelled' AND updated_at != completed_at") == 0


def test_the_completed_list_dates_cancelled_sample_tasks_too(demo_db):
    """The due list's completed group (`c`) showed the sample's cancelled tasks with no
    date, all at its end; each says when it was closed, in order with the done ones."""
    from crm_tui.screens.tasks import DueListSource

    conn, _counts, _path = demo_db
    source = DueListSource(conn, AS_OF, show_completed=True)
    start = source.header_index("completed")
    rows = source.fetch(start + 1, source.counts["completed"])
    shown = [row[4] for row in rows]
    cancelled = [text for text in shown if text.startswith("cancelled")]
    assert cancelled and all(len(text) == len("cancelled 2026-11-22 09:30") for text in cancelled)
    assert not shown[-1].startswith("cancelled")  # (they were all last, undated)
    assert all(len(text) > len("cancelled ") for text in shown)


def test_derived_columns_match_the_records(demo_db):
    conn, _counts, _path = demo_db
    wrong = conn.execute(
        """SELECT count(*) FROM customer c WHERE
             total_amount_cents != coalesce((SELECT sum(amount_cents) FROM sales_order
                                              WHERE customer_id = c.id), 0)
          OR coalesce(last_order, '') != coalesce((SELECT max(order_date) FROM sales_order
                                                    WHERE customer_id = c.id), '')
          OR coalesce(last_interaction_at, '') != coalesce((SELECT max(occurred_at)
                                          FROM interaction WHERE customer_id = c.id), '')"""
    ).fetchone()[0]
    assert wrong == 0
    wrong = conn.execute(
        """SELECT count(*) FROM opportunity o WHERE coalesce(last_interaction_at, '') !=
             coalesce((SELECT max(occurred_at) FROM interaction WHERE opportunity_id = o.id), '')"""
    ).fetchone()[0]
    assert wrong == 0
    # spread for RFM/ABC: many different totals, recent and old last orders
    totals = [t for (t,) in conn.execute("SELECT total_amount_cents FROM customer")]
    assert len(set(totals)) > 50
    days = {d[:7] for (d,) in conn.execute("SELECT order_date FROM sales_order")}
    assert len(days) >= 18
    assert conn.execute("SELECT count(*) FROM payment").fetchone()[0] > 0
    assert conn.execute("SELECT count(*) FROM customer_tag").fetchone()[0] > 0
    latest = conn.execute("SELECT max(occurred_at) FROM interaction").fetchone()[0]
    assert latest < AS_OF.isoformat()


def test_search_index_finds_a_chinese_name_by_three_characters(demo_db):
    conn, _counts, _path = demo_db
    cid, name = conn.execute(
        "SELECT id, name FROM customer WHERE name LIKE '%有限公司' ORDER BY id LIMIT 1"
    ).fetchone()
    needle = name[2:5]
    found = [
        r
        for (r,) in conn.execute(
            "SELECT rowid FROM customer_search WHERE customer_search MATCH ?",
            (search_match_expression(needle),),
        )
    ]
    assert cid in found
    hits = conn.execute(
        "SELECT count(*) FROM interaction_search WHERE interaction_search MATCH ?",
        (search_match_expression("合同条款"),),
    ).fetchone()[0]
    assert (
        hits
        == conn.execute(
            "SELECT count(*) FROM interaction WHERE subject LIKE '%合同条款%' "
            "OR content LIKE '%合同条款%' OR feedback LIKE '%合同条款%'"
        ).fetchone()[0]
    )
    assert hits > 0
    triggers = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    assert "interaction_search_ai" in triggers


def test_refuses_a_database_with_customers_unless_replace(tmp_path):
    path = tmp_path / "crm.db"
    generate(path, customers=20, seed=1, as_of=AS_OF)
    before = dump(path)
    with pytest.raises(DemoError, match="already has 20 customers"):
        generate(path, customers=20, seed=2, as_of=AS_OF)
    assert dump(path) == before
    generate(path, customers=20, seed=1, as_of=AS_OF, replace=True)
    assert dump(path) == before


def test_replace_forgets_the_files_imported_into_what_it_deleted(tmp_path, capsys):
    db = str(tmp_path / "crm.db")
    csv = tmp_path / "mine.csv"
    csv.write_text("name\nAcme\n", encoding="utf-8")
    assert main(["--db", db, "import", "customers", str(csv)]) == 0
    assert main(["--db", db, "demo", "--customers", "5", "--replace", "--as-of", "2026-11-23"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "import", "customers", str(csv)]) == 0  # not "already imported"
    assert "imported 1" in capsys.readouterr().err


def test_progress_is_reported(tmp_path):
    calls = []
    generate(
        tmp_path / "p.db", customers=30, as_of=AS_OF, progress=lambda d, t: calls.append((d, t))
    )
    assert calls and calls[-1][0] == calls[-1][1]
    assert [d for d, _t in calls] == sorted(d for d, _t in calls)


def test_crm_demo_then_check(tmp_path, capsys):
    db = str(tmp_path / "crm.db")
    assert main(["--db", db, "demo", "--customers", "40", "--as-of", "2026-11-23"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("40 customers, ") and out.count("\n") == 1
    assert main(["--db", db, "check"]) == 0
    capsys.readouterr()
    assert main(["--db", db, "demo", "--customers", "40"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "--replace" in err
    assert main(["--db", db, "demo", "--customers", "10", "--replace", "--seed", "5"]) == 0
    assert capsys.readouterr().out.startswith("10 customers, ")


@pytest.mark.parametrize(
    "argv", [["--customers", "0"], ["--customers", "many"], ["--as-of", "someday"], ["--seed", "x"]]
)
def test_crm_demo_usage_errors(tmp_path, capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "crm.db"), "demo", *argv])
    assert exc.value.code == 2


def test_nothing_happens_after_as_of_or_before_the_customer_existed(demo_db):
    conn, _counts, _path = demo_db
    today = AS_OF.isoformat()
    past_columns = {
        "customer": ("created_at", "updated_at", "first_contact", "last_order"),
        "contact": ("created_at",),
        "opportunity": ("created_at", "updated_at", "actual_close", "stage_entered_at"),
        "stage_change": ("changed_at",),
        "interaction": ("occurred_at", "created_at"),
        "task": ("completed_at", "created_at"),
        "sales_order": ("order_date", "created_at"),
        "payment": ("paid_on",),
    }
    for table, columns in past_columns.items():
        for column in columns:
            latest = conn.execute(f"SELECT max({column}) FROM {table}").fetchone()[0]
            assert latest is None or latest < today, (table, column, latest)
    for table, column in (
        ("opportunity", "created_at"),
        ("interaction", "occurred_at"),
        ("contact", "created_at"),
    ):
        early = conn.execute(
            f"SELECT count(*) FROM {table} x JOIN customer c ON c.id = x.customer_id "
            f"WHERE x.{column} < c.created_at"
        ).fetchone()[0]
        assert early == 0, table
    paid_too_much = conn.execute(
        "SELECT count(*) FROM sales_order o WHERE amount_cents < "
        "(SELECT sum(amount_cents) FROM payment WHERE order_id = o.id)"
    ).fetchone()[0]
    assert paid_too_much == 0


def test_a_task_that_names_a_contact_is_that_contacts(demo_db):
    """ "Email the quote to David Lin" was linked to another contact, so logging it
    filled in Daniel Lim."""
    conn, _counts, _path = demo_db
    named = conn.execute(
        "SELECT t.title, c.name FROM task t JOIN contact c ON c.customer_id = t.customer_id"
        " WHERE t.type IN ('visit', 'call', 'email') AND instr(t.title, c.name) > 0"
        " AND length(c.name) > 3"
    ).fetchall()
    assert len(named) > 10
    wrong = conn.execute(
        "SELECT count(*) FROM task t JOIN contact c ON c.customer_id = t.customer_id"
        " WHERE t.type IN ('visit', 'call', 'email') AND instr(t.title, c.name) > 0"
        " AND length(c.name) > 3 AND t.contact_id IS NOT c.id"
        " AND NOT EXISTS (SELECT 1 FROM contact o WHERE o.id = t.contact_id"
        "  AND instr(t.title, o.name) > 0)"
    ).fetchone()[0]
    assert wrong == 0


def test_an_open_deal_was_never_due_to_close_before_it_was_opened(demo_db):
    """Some open deals have slipped past their expected close (the forecast's "overdue"),
    but none was to close within a week of being opened (the board showed deals opened
    on the 20th that were to close on the 4th)."""
    conn, _counts, _path = demo_db
    early, slipped = conn.execute(
        "SELECT sum(expected_close < date(created_at, '+7 days')), sum(expected_close < ?)"
        " FROM opportunity WHERE stage NOT IN ('won', 'lost', 'after_sales')",
        (AS_OF.isoformat(),),
    ).fetchone()
    assert early == 0 and slipped > 0


def test_cancelling_from_progress_leaves_the_database_as_it_was(tmp_path):
    path = tmp_path / "crm.db"

    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        generate(path, customers=30, as_of=AS_OF, progress=cancel)
    assert all(not rows for rows in dump(path).values())
    conn = sqlite3.connect(path)
    triggers = {n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'")}
    conn.close()
    assert {"interaction_search_ai", "interaction_search_ad", "interaction_search_au"} <= triggers
    assert generate(path, customers=30, as_of=AS_OF)["customers"] == 30


def test_every_reference_points_to_an_existing_row(demo_db):
    conn, _counts, _path = demo_db
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    dangling = conn.execute(
        """SELECT (SELECT count(*) FROM customer WHERE primary_contact_id NOT IN
                     (SELECT id FROM contact WHERE customer_id = customer.id))
                + (SELECT count(*) FROM customer WHERE decision_maker_id IS NOT NULL AND
                     decision_maker_id NOT IN (SELECT id FROM contact WHERE customer_id = customer.id))
                + (SELECT count(*) FROM opportunity o WHERE contact_id NOT IN
                     (SELECT id FROM contact WHERE customer_id = o.customer_id))
                + (SELECT count(*) FROM interaction i WHERE opportunity_id IS NOT NULL AND
                     opportunity_id NOT IN (SELECT id FROM opportunity WHERE customer_id = i.customer_id))
                + (SELECT count(*) FROM interaction i WHERE task_id IS NOT NULL AND
                     task_id NOT IN (SELECT id FROM task WHERE customer_id = i.customer_id))"""
    ).fetchone()[0]
    assert dangling == 0


def test_foreign_keys_setting_of_a_given_connection_is_kept(tmp_path):
    from crm_tui.store.database import Database

    conn = Database(tmp_path / "crm.db").connect()
    try:
        generate(conn, customers=10, as_of=AS_OF)
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.isolation_level == "" and not conn.in_transaction
    finally:
        conn.close()


def test_big_load_rebuilds_exactly_the_indexes_it_dropped(tmp_path, monkeypatch):
    """Large demos drop secondary indexes for the load; the schema and rows end up the same."""
    import sqlite3

    from crm_tui.store import demo as demo_module
    from crm_tui.store.database import Database

    def schema_and_rows(path):
        conn = sqlite3.connect(path)
        try:
            indexes = conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
            ).fetchall()
            rows = conn.execute("SELECT * FROM interaction ORDER BY id").fetchall()
            return indexes, rows
        finally:
            conn.close()

    small = Database(tmp_path / "small.db").path
    demo_module.generate(small, customers=40, seed=3, as_of=dt.date(2026, 11, 23))
    monkeypatch.setattr(demo_module, "BULK_INDEX_THRESHOLD", 1)
    bulk = Database(tmp_path / "bulk.db").path
    demo_module.generate(bulk, customers=40, seed=3, as_of=dt.date(2026, 11, 23))
    assert schema_and_rows(bulk) == schema_and_rows(small)
    conn = sqlite3.connect(bulk)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_big_load_goes_through_a_rollback_journal_and_leaves_wal(tmp_path, monkeypatch):
    """Bulk loads skip WAL's double write when the database is theirs alone, then restore it."""
    from crm_tui.store import demo as demo_module
    from crm_tui.store.database import Database

    monkeypatch.setattr(demo_module, "BULK_INDEX_THRESHOLD", 1)
    switched = []
    real = demo_module.rollback_journal
    monkeypatch.setattr(
        demo_module, "rollback_journal", lambda c: switched.append(real(c)) or switched[-1]
    )
    path = Database(tmp_path / "crm.db").path

    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        demo_module.generate(path, customers=30, as_of=AS_OF, progress=cancel)
    assert switched[-1] is not None
    assert all(not rows for rows in dump(path).values())
    demo_module.generate(path, customers=30, seed=3, as_of=AS_OF)
    assert switched[-1] is not None
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    # with another connection open the switch would have to wait: the load stays in WAL
    other_path = Database(tmp_path / "other.db").path
    other = sqlite3.connect(other_path)
    try:
        other.execute("SELECT count(*) FROM customer").fetchone()
        demo_module.generate(other_path, customers=30, seed=3, as_of=AS_OF)
        assert switched[-1] is None
        assert other.execute("SELECT count(*) FROM customer").fetchone()[0] == 30
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()
    assert dump(other_path) == dump(path)


def test_rows_made_by_a_second_process_are_the_same(tmp_path, monkeypatch):
    """Big loads make the rows in a child process; same rows, cancellable, optional."""
    from crm_tui.store import demo as demo_module

    demo_module.generate(tmp_path / "here.db", customers=60, seed=3, as_of=AS_OF)
    monkeypatch.setattr(demo_module, "PARALLEL_THRESHOLD", 1)
    in_process = demo_module._rows
    monkeypatch.setattr(demo_module, "_rows", lambda *a: pytest.fail("rows made in-process"))
    demo_module.generate(tmp_path / "child.db", customers=60, seed=3, as_of=AS_OF)
    assert dump(tmp_path / "child.db") == dump(tmp_path / "here.db")

    def cancel(done: int, total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        demo_module.generate(
            tmp_path / "cancelled.db", customers=3000, as_of=AS_OF, progress=cancel
        )
    assert all(not rows for rows in dump(tmp_path / "cancelled.db").values())

    # a child that cannot start, or stops before sending anything: the rows are made here
    monkeypatch.setattr(demo_module, "_rows", in_process)
    monkeypatch.setattr(demo_module, "_CHILD_CODE", "import sys; sys.exit(1)")
    demo_module.generate(tmp_path / "fallback.db", customers=60, seed=3, as_of=AS_OF)
    assert dump(tmp_path / "fallback.db") == dump(tmp_path / "here.db")
    monkeypatch.setattr("sys.executable", str(tmp_path / "no-such-python"))
    demo_module.generate(tmp_path / "fallback2.db", customers=60, seed=3, as_of=AS_OF)
    assert dump(tmp_path / "fallback2.db") == dump(tmp_path / "here.db")


def test_a_failure_in_the_second_process_is_reported():
    from crm_tui.store import demo as demo_module

    rows = demo_module._rows_from_child(10, 1, AS_OF, {}, [1, 2, 3, 4, 5], "me", {})  # no ids
    with pytest.raises(RuntimeError, match="KeyError"):
        list(rows)


def test_a_new_customer_has_its_share_of_a_year_of_interactions(tmp_path):
    """Interactions come at a steady pace: a customer known for a few weeks has a few
    weeks' worth (a whole year's squeezed into its first days made the latest weeks
    four times a usual one). The busiest level averages 31 a year: at most 2 × 31 ×
    29 / 364, rounded, for a customer created in the last 29 days."""
    path = tmp_path / "crm.db"
    generate(path, customers=600, seed=3, as_of=AS_OF)
    conn = sqlite3.connect(path)
    try:
        young = conn.execute(
            "SELECT c.id, count(i.id) FROM customer c LEFT JOIN interaction i"
            " ON i.customer_id = c.id WHERE c.created_at >= ? GROUP BY c.id",
            ((AS_OF - dt.timedelta(days=29)).isoformat(),),
        ).fetchall()
    finally:
        conn.close()
    assert len(young) >= 10  # about 6 % of the customers are new
    assert max(n for _id, n in young) <= 5


@pytest.mark.parametrize(
    "as_of, said",
    [
        ("2999-01-01", "Sample data leads up to a day that has come: the latest is today ("),
        ("1900-06-01", "Sample data covers the 1200 days before it: the earliest is 1903-04-16"),
    ],
)
def test_demo_as_of_a_day_to_come_or_too_early_is_a_usage_error(tmp_path, capsys, as_of, said):
    """A future --as-of wrote orders and interactions dated after today, which every form
    and import refuses (an export of the demo did not import back); one in 1900 wrote
    records of 1897."""
    db = tmp_path / "crm.db"
    with pytest.raises(SystemExit) as stopped:
        main(["--db", str(db), "demo", "--customers", "3", "--as-of", as_of])
    assert stopped.value.code == 2
    assert said in capsys.readouterr().err
    assert not db.exists() or db.stat().st_size == 0
    assert main(["--db", str(db), "demo", "--customers", "3", "--as-of", "1903-04-16"]) == 0
