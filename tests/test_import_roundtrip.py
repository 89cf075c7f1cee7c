"""`crm export all` then `crm import` of each kind into an empty database keeps history:
completion times, creation dates, links to deals (report_cli s8 #2); imports apply the
forms' rules (#7); short Western files are not read as Chinese or exotic (#4)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest

from crm_tui.cli import main
from crm_tui.csvread import decode
from crm_tui.reports.activity import activity
from crm_tui.reports.weekly import weekly
from crm_tui.store import export
from crm_tui.store.database import Database
from crm_tui.store.demo import generate
from crm_tui.store.importing import import_file

AS_OF = dt.date(2026, 11, 23)
NOW = dt.datetime(2026, 11, 23, 18, 30)
LINKS = """SELECT (SELECT count(*) FROM task WHERE opportunity_id IS NOT NULL),
                  (SELECT count(*) FROM task WHERE contact_id IS NOT NULL),
                  (SELECT count(*) FROM interaction WHERE opportunity_id IS NOT NULL)"""


def empty_db(path: Path) -> Path:
    Database(path).close()
    return path


def query(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def report_rows(path: Path) -> tuple[list, list]:
    conn = sqlite3.connect(path)
    try:
        return weekly(conn, AS_OF, today=AS_OF).rows, activity(conn, AS_OF).rows
    finally:
        conn.close()


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roundtrip")
    demo = folder / "demo.db"
    generate(demo, customers=120, seed=5, as_of=AS_OF)
    conn = sqlite3.connect(demo)
    export.export_all(conn, folder / "ex")
    conn.close()
    copy = empty_db(folder / "rt.db")
    for kind in export.KINDS:
        result = import_file(copy, kind, folder / "ex" / f"{kind}.csv", now=NOW)
        assert result.committed and not result.rejected, (kind, result.rejected[:3])
    return demo, copy, folder


def test_round_trip_keeps_the_weekly_and_activity_reports(round_trip):
    demo, copy, _folder = round_trip
    before_weekly, before_activity = report_rows(demo)
    after_weekly, after_activity = report_rows(copy)
    summary = {r["item"]: r["amount"] for r in before_weekly if r["section"] == "summary"}
    assert summary["tasks_overdue"] > 0 and summary["new_customers"] < 120  # a real check
    assert after_weekly == before_weekly
    assert after_activity == before_activity
    assert any(r["tasks_done"] for r in before_activity)


def test_round_trip_keeps_completion_and_creation_times_and_links(round_trip):
    demo, copy, _folder = round_trip
    links = query(demo, LINKS)
    assert all(links[0]) and query(copy, LINKS) == links
    for sql in (
        "SELECT id, substr(completed_at, 1, 16) FROM task ORDER BY id",
        "SELECT id, substr(created_at, 1, 16) FROM customer ORDER BY id",
        "SELECT id, opportunity_id, contact_id FROM task ORDER BY id",
        "SELECT id, opportunity_id FROM interaction ORDER BY id",
    ):
        assert query(copy, sql) == query(demo, sql), sql


def test_round_trip_exports_the_same_files_again(round_trip):
    _demo, copy, folder = round_trip
    conn = sqlite3.connect(copy)
    export.export_all(conn, folder / "ex2")
    conn.close()
    for kind in export.KINDS:
        name = f"{kind}.csv"
        assert (folder / "ex2" / name).read_bytes() == (folder / "ex" / name).read_bytes(), kind


def test_new_columns_come_last():
    assert export.header("customers")[-1] == "created_at"
    assert export.header("interactions")[-2:] == ("opportunity", "opportunity_created")
    assert export.header("tasks")[-4:] == (
        "contact", "opportunity", "opportunity_created", "completed_at",
    )  # fmt: skip


# --- tasks: completion time --------------------------------------------------------------


def test_a_done_task_without_completion_time_is_not_done_now(tmp_path):
    db = empty_db(tmp_path / "crm.db")
    f = tmp_path / "tasks.csv"
    f.write_text(
        "title,due,status,completed_at\n"
        "old done,2026-10-05,done,\n"
        "done today,2026-11-23,done,\n"
        "given,2026-10-05,done,2026-10-07 14:20\n"
        "cancelled,2026-10-05,cancelled,\n"
        "open,2026-10-05,planned,2026-10-07 14:20\n"
        "future,2026-11-20,done,2026-11-24 09:00\n",
        encoding="utf-8",
    )
    result = import_file(db, "tasks", f, now=NOW)
    assert [(n.line, n.message) for n in result.rejected] == [
        (
            7,
            "completed_at: 2026-11-24 09:00 is in the future: only what has happened can be recorded",
        )
    ]
    assert query(db, "SELECT title, completed_at FROM task ORDER BY id") == [
        ("old done", "2026-10-05 23:59:00"),
        ("done today", "2026-11-23 18:30:00"),  # the end of its day is still to come
        ("given", "2026-10-07 14:20:00"),
        ("cancelled", None),
        ("open", None),
    ]


# --- links to a deal ---------------------------------------------------------------------


def _with_deals(tmp_path: Path) -> Path:
    db = empty_db(tmp_path / "crm.db")
    (tmp_path / "c.csv").write_text("name,code\nAcme,C1\nBeta,C2\n", encoding="utf-8")
    (tmp_path / "o.csv").write_text(
        "customer_code,name,created\n"
        "C1,Servers,2026-01-05 10:00\nC1,Servers,2026-03-01 09:15\nC2,Other,2026-02-01 08:00\n",
        encoding="utf-8",
    )
    assert import_file(db, "customers", tmp_path / "c.csv", now=NOW).committed
    assert import_file(db, "opportunities", tmp_path / "o.csv", now=NOW).committed
    return db


def test_tasks_and_interactions_link_to_a_deal_by_name_within_their_customer(tmp_path):
    db = _with_deals(tmp_path)
    f = tmp_path / "i.csv"
    f.write_text(
        "customer_code,when,subject,opportunity,opportunity_created\n"
        "C1,2026-04-01 10:00,first,servers,\n"
        "C1,2026-04-01 10:00,second,Servers,2026-03-01 09:15\n"
        "C1,2026-04-01 10:00,third,Other,\n",
        encoding="utf-8",
    )
    result = import_file(db, "interactions", f, now=NOW)
    assert [(n.line, n.message) for n in result.rejected] == [
        (4, "opportunity: the row's customer has no opportunity “Other”")
    ]
    assert query(db, "SELECT subject, opportunity_id FROM interaction ORDER BY id") == [
        ("first", 1),
        ("second", 2),
    ]
    g = tmp_path / "t.csv"
    g.write_text("title,due,customer,销售机会\nCall,2026-12-01,Beta,Other\n", encoding="utf-8")
    assert import_file(db, "tasks", g, now=NOW).rejected == []
    assert query(db, "SELECT customer_id, opportunity_id FROM task") == [(2, 3)]


# --- customers: creation time ------------------------------------------------------------


def test_customers_keep_their_creation_time(tmp_path):
    db = empty_db(tmp_path / "crm.db")
    f = tmp_path / "c.csv"
    f.write_text("name,created_at\nOld Co,2025-03-04 08:09\nNew Co,\n", encoding="utf-8")
    assert import_file(db, "customers", f, now=NOW).rejected == []
    assert query(db, "SELECT name, created_at, updated_at FROM customer ORDER BY id") == [
        ("Old Co", "2025-03-04 08:09:00", "2026-11-23 18:30:00"),
        ("New Co", "2026-11-23 18:30:00", "2026-11-23 18:30:00"),
    ]


# --- the forms' rules (#7) ---------------------------------------------------------------


def test_closed_deals_take_their_stage_probability_and_a_close_date(tmp_path):
    db = empty_db(tmp_path / "crm.db")
    (tmp_path / "c.csv").write_text("name\nSemi One GmbH\n", encoding="utf-8")
    assert import_file(db, "customers", tmp_path / "c.csv", now=NOW).committed
    f = tmp_path / "wonp.csv"
    f.write_text(
        "客户,机会名称,预计金额,销售阶段,成交概率,预计成交日期,实际成交日期,创建时间\n"
        "Semi One GmbH,Deal C,30000,成交,30,2026-12-15,,\n"
        "Semi One GmbH,Deal D,100,won,,2026-11-02,,2026-10-01 09:00\n"
        "Semi One GmbH,Deal E,100,after_sales,50,,,\n"
        "Semi One GmbH,Deal F,100,lost,40,2026-11-10,,2026-10-01 09:00\n"
        "Semi One GmbH,Deal G,100,won,,2026-11-02,2026-11-01,\n"
        "Semi One GmbH,Deal H,100,proposal,50,,,\n"
        "Semi One GmbH,Deal I,100,proposal,35,,,\n"
        "Semi One GmbH,Deal J,100,won,,2026-11-02,,\n",
        encoding="utf-8",
    )
    assert import_file(db, "opportunities", f, now=NOW).rejected == []
    got = query(
        db,
        "SELECT name, probability, probability_overridden, actual_close FROM opportunity"
        " ORDER BY id",
    )
    assert got == [
        ("Deal C", 100, 0, "2026-11-23"),  # expected close still to come: the import's day
        ("Deal D", 100, 0, "2026-11-02"),
        ("Deal E", 100, 0, "2026-11-23"),
        ("Deal F", 0, 0, "2026-11-10"),
        ("Deal G", 100, 0, "2026-11-01"),
        ("Deal H", 50, 0, None),  # the stage's default: follows the stage, as in the form
        ("Deal I", 35, 1, None),
        ("Deal J", 100, 0, "2026-11-02"),  # a past deal: closed when expected, not today
    ]
    created = query(db, "SELECT created_at FROM opportunity WHERE name = 'Deal J'")
    assert created == [("2026-11-02 00:00:00",)]  # made then: no cycle of -21 days


def test_an_interaction_in_the_future_is_rejected_with_its_line(db, tmp_path, capsys):
    f = tmp_path / "c.csv"
    f.write_text("name\nAcme\n", encoding="utf-8")
    assert main(["--db", str(db.path), "import", "customers", str(f)]) == 0
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    g = tmp_path / "i.csv"
    g.write_text(
        f"customer,when,subject\nAcme,{dt.date.today()} 00:00,ok\nAcme,{tomorrow} 10:00,plan\n",
        encoding="utf-8",
    )
    capsys.readouterr()
    assert main(["--db", str(db.path), "import", "interactions", str(g)]) == 3
    err = capsys.readouterr().err
    assert f"line 3: when: {tomorrow} 10:00 is in the future" in err
    assert query(db.path, "SELECT subject FROM interaction") == [("ok",)]


# --- encodings (#4) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"name\nGr\xf6\xdfe GmbH\n", "name\nGröße GmbH\n"),
        (b"name,needs\nB\xe4cker AG,Gr\xf6\xdfe\n", "name,needs\nBäcker AG,Größe\n"),
        (b"name\nK\xf6nig AG\n", "name\nKönig AG\n"),
        (b"name\nAndr\xe9 Ltd\n", "name\nAndré Ltd\n"),
        (b"name\nL\xf6we GmbH\n", "name\nLöwe GmbH\n"),
        (b"name\nm\xb3 Z\xfcrich \xbfQu\xe9? 1\xba\n", "name\nm³ Zürich ¿Qué? 1º\n"),
    ],
)
def test_short_western_files_are_windows_1252(data, text):
    assert decode(data) == (text, "cp1252")


@pytest.mark.parametrize(
    "text",
    [
        "name\n张伟\n",
        "张伟",
        "name\n王喆\n",
        "name\n林\n",
        "name\n华为HUAWEI\n",
        "客户名称\n北京明远科技\n",
    ],
)
def test_short_gbk_files_are_gb18030(text):
    assert decode(text.encode("gbk")) == (text, "gb18030")


@pytest.mark.parametrize(
    "text",
    [
        "name,needs\nBig5公司,測試\n",
        "name\nIBM台灣\n",
        "客戶名稱,聯絡電話,地址\n臺灣積體電路製造股份有限公司,02-2345-6789,新竹科學園區力行六路八號\n",
    ],
)
def test_big5_files_are_big5_not_gb18030(text):
    """Traditional Chinese Excel saves Big5: read as GB18030 it came in as garbage
    (``測試`` → ``代刚``) with no word of a guess."""
    assert decode(text.encode("big5")) == (text, "cp950")


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("客戶名稱,聯絡電話,地址\n臺灣積體電路製造股份有限公司,02-2345-6789,新竹市\n", "gbk"),
        ("name\nÄrger Äpfel GmbH\n", "cp1252"),
        ("name\nÅÄÖ ÅSE AB\n", "cp1252"),
        ("name\n©Acme ©Beta\n", "cp1252"),
    ],
)
def test_gbk_traditional_characters_and_western_capitals_are_not_big5(text, encoding):
    assert decode(text.encode(encoding)) == (text, {"gbk": "gb18030"}.get(encoding, encoding))


def test_a_short_western_file_is_imported_as_written_and_the_guess_said(db, tmp_path, capsys):
    f = tmp_path / "k4.csv"
    f.write_bytes(b"name\nGr\xf6\xdfe GmbH\n")
    assert main(["--db", str(db.path), "import", "customers", str(f)]) == 0
    assert "its encoding cp1252 is a guess" in capsys.readouterr().err
    assert query(db.path, "SELECT name FROM customer") == [("Größe GmbH",)]


def test_todays_date_without_a_time_is_not_a_future_hour(db, tmp_path):
    """A day without a time is read at 09:00: today's, in a file imported at 8, is the
    import's time (not refused as the future); a time later today is refused."""
    early = dt.datetime(2026, 11, 23, 8, 0)
    c = tmp_path / "c.csv"
    c.write_text("name\nAcme\n", encoding="utf-8")
    assert import_file(db.path, "customers", c, now=early).committed
    f = tmp_path / "i.csv"
    f.write_text(
        "customer,when,subject\nAcme,2026-11-23,call\nAcme,2026-11-23 10:00,plan\n",
        encoding="utf-8",
    )
    result = import_file(db.path, "interactions", f, now=early, write_rejected_file=False)
    assert [(n.line, n.message.split(":")[0]) for n in result.rejected] == [(3, "when")]
    assert query(db.path, "SELECT subject, occurred_at FROM interaction") == [
        ("call", "2026-11-23 08:00:00")
    ]


def test_the_weekly_report_keeps_its_order_within_a_minute_after_a_round_trip(tmp_path):
    """Exports keep times to the minute: two interactions logged in one minute, the later
    one first by id, came out of the weekly report in another order after the trip."""
    from crm_tui.store.customers import create_customer
    from crm_tui.store.interactions import log_interaction

    path = tmp_path / "crm.db"
    db = Database(path)
    with db.session() as s:
        cid = create_customer(s, {"name": "Acme"}).id
        for subject, second in (("First by id", 50), ("Second by id", 10)):
            when = dt.datetime(2026, 11, 23, 10, 0, second)  # (in the week of AS_OF)
            log_interaction(s, cid, {"subject": subject, "occurred_at": when})
    db.close()
    conn = sqlite3.connect(path)
    export.export_all(conn, tmp_path / "ex")
    conn.close()
    copy = empty_db(tmp_path / "rt.db")
    for kind in ("customers", "interactions"):
        assert import_file(copy, kind, tmp_path / "ex" / f"{kind}.csv", now=NOW).committed

    def subjects(p: Path) -> list[str]:
        weekly_rows = report_rows(p)[0]
        return [r["item"] for r in weekly_rows if r["section"] == "interactions"]

    assert subjects(path) == subjects(copy) == ["First by id", "Second by id"]
