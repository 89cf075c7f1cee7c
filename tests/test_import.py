"""`crm import`: encodings, delimiters, headers, rejected rows, strict/dry-run, dedupe, crash safety."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import sqlite3
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_tui.cli import main
from crm_tui.store import customers as cs
from crm_tui.store import sqlite as sq
from crm_tui.store.importing import ImportRefused, import_file
from crm_tui.store.validation import _SUFFIXES, ValidationError, normalise_name

TABLES = (
    "customer", "contact", "tag", "customer_tag", "opportunity", "stage_change", "interaction",
    "task", "sales_order", "import_log",
)  # fmt: skip
VALID_ID = "11010519491231002X"  # a well-formed mainland ID number (check digit valid)


def snapshot(path: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(path)
    try:
        out = {t: sorted(map(tuple, conn.execute(f"SELECT * FROM {t}"))) for t in TABLES}
        out["customer_search"] = sorted(
            map(tuple, conn.execute("SELECT rowid, * FROM customer_search"))
        )
        return out
    finally:
        conn.close()


def rows(path: Path, sql: str, params: tuple = ()) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def crm(db, *args: str) -> int:
    return main(["--db", str(db.path), *args])


@pytest.fixture
def base(db, tmp_path, capsys):
    """A database holding one customer with a contact, for the kinds that reference customers."""
    f = tmp_path / "base.csv"
    f.write_text(
        "name,contact_name,contact_phone,contact_email\n"
        '"ACME Co., Ltd.",Ann,138 0013 8000,ann@acme.com\n',
        encoding="utf-8",
    )
    status = crm(db, "import", "customers", str(f))
    err = capsys.readouterr().err
    assert status == 0, err
    return db


def test_gbk_file_with_chinese_headers(db, tmp_path, capsys):
    f = tmp_path / "客户.csv"
    text = (
        "客户名称,行业分类,客户等级,首次接触日期,预算范围,联系人,联系电话,邮箱,标签\r\n"
        '华为技术有限公司,制造业,A 战略客户,2026-01-05,"1,000.50",李雷,13800138000,li@hw.com,高潜力;竞品对比中\r\n'
        "深圳某某贸易公司,贸易,C,2026/2/1,300,韩梅梅,0755-8888 1234,,\r\n"
    )
    f.write_bytes(text.encode("gbk"))
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "GB18030" in err and "imported 2" in err
    got = rows(
        db.path,
        "SELECT name, name_norm, industry, level, first_contact, budget_cents, code, owner"
        " FROM customer ORDER BY id",
    )
    assert got[0][:6] == (
        "华为技术有限公司",
        "华为技术",
        "manufacturing",
        "A",
        "2026-01-05",
        100050,
    )
    assert got[1][:6] == ("深圳某某贸易公司", "深圳某某贸易", "trade", "C", "2026-02-01", 30000)
    assert got[0][6].startswith("C") and len(got[0][6]) == 12 and got[0][6] != got[1][6]
    contacts = rows(
        db.path,
        "SELECT c.name, c.mobile, c.phone, c.email, k.primary_contact_id = c.id"
        " FROM contact c JOIN customer k ON k.id = c.customer_id ORDER BY c.id",
    )
    assert contacts == [
        ("李雷", "13800138000", None, "li@hw.com", 1),
        ("韩梅梅", None, "0755-8888 1234", None, 1),
    ]
    tags = rows(
        db.path,
        "SELECT t.name FROM tag t JOIN customer_tag ct ON ct.tag_id = t.id ORDER BY t.name",
    )
    assert tags == [("竞品对比中",), ("高潜力",)]
    hits = rows(db.path, "SELECT rowid FROM customer_search WHERE customer_search MATCH '\"李雷\"'")
    assert len(hits) == 0  # two characters: trigram needs three
    hits = rows(
        db.path, "SELECT rowid FROM customer_search WHERE customer_search MATCH '\"华为技\"'"
    )
    assert hits == [(1,)]
    assert sq.check(sqlite3.connect(db.path)) == []


def test_a_landline_and_a_mobile_column_both_land(db, tmp_path, capsys):
    """客户名称,电话,手机 (a common Chinese sheet): 手机 was read as a second 电话 column,
    reported as ignored, and every mobile number was lost."""
    f = tmp_path / "客户.csv"
    f.write_text(
        "客户名称,电话,手机\n"
        "甲公司,010-6234 5678,13800138000\n"
        "乙公司,,13900139000\n"
        "丙公司,13700137000,\n",  # a mobile in 电话 alone is a mobile, as before
        "utf-8",
    )
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "unknown columns" not in err and "imported 3, rejected 0" in err
    assert rows(db.path, "SELECT name, phone, mobile FROM contact ORDER BY id") == [
        ("甲公司", "010-6234 5678", "13800138000"),
        ("乙公司", None, "13900139000"),
        ("丙公司", None, "13700137000"),
    ]
    hits = "SELECT count(*) FROM customer_search WHERE phones LIKE ?"
    assert rows(db.path, hits, ("%13800138000%",)) == [(1,)]
    # the mobile finds the customer when the landline is another one
    g = tmp_path / "again.csv"
    g.write_text("客户名称,固定电话,手机号码\n甲公司分部,010-1111 2222,138 0013 8000\n", "utf-8")
    assert crm(db, "import", "customers", str(g)) == 0
    err = capsys.readouterr().err
    assert "unknown columns" not in err
    assert "duplicate of" in err and "甲公司 (same phone); skipped" in err
    h = tmp_path / "contacts.csv"
    h.write_text("客户,姓名,座机,移动电话\n甲公司,王伟,021-5555 6666,13600136000\n", "utf-8")
    assert crm(db, "import", "contacts", str(h)) == 0
    assert "unknown columns" not in capsys.readouterr().err
    assert rows(db.path, "SELECT phone, mobile FROM contact WHERE name = '王伟'") == [
        ("021-5555 6666", "13600136000")
    ]


def test_semicolon_utf8_bom_file(db, tmp_path, capsys):
    f = tmp_path / "semi.csv"
    f.write_bytes(
        "\ufeffName;Industry;STATUS;first contact;tags\n"
        "Müller GmbH;Retail;dormant;03-15;a;\n"
        '"Smith; Sons";software & it;活跃;2026-03-01;"x;y"\n'.encode()
    )
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "UTF-8" in err and "“;”" in err
    got = rows(db.path, "SELECT name, industry, status FROM customer ORDER BY id")
    assert got == [("Müller GmbH", "retail", "dormant"), ("Smith; Sons", "software", "active")]


def test_bad_rows_rejected_with_exact_lines_and_reasons(base, tmp_path, capsys):
    db = base
    f = tmp_path / "deals.csv"
    f.write_text(
        "customer,name,stage,amount,expected_close,notes\n"  # line 1
        "ACME,Good deal,proposal,1000,2026-12-01,ok\n"  # line 2
        'ACME,"Two\nline name",won,5,,\n'  # lines 3-4
        "ACME,Bad date,proposal,10,2026-02-30,\n"  # line 5
        "ACME,Bad amount,proposal,12.345,,\n"  # line 6
        "ACME,Bad stage,almost won,10,,\n"  # line 7
        f"ACME,ID {VALID_ID},proposal,10,,\n"  # line 8
        "Nobody Ltd,Unknown customer,proposal,10,,\n"  # line 9
        "\n"  # line 10 (blank, skipped)
        "ACME,Minus,lost,-5,,\n",  # line 11
        encoding="utf-8",
    )
    assert crm(db, "import", "opportunities", str(f)) == 3
    err = capsys.readouterr().err
    dates = "2026-11-30, 11-30, today, tomorrow, +3d, +2w, mon…sun"
    expected = {
        5: f"expected_close: Unreadable date “2026-02-30” (try {dates})",
        6: "amount: At most two decimal places",
        7: (
            "stage: Unknown value “almost won” (one of: initial_contact, needs_confirmed, "
            "proposal, negotiation, won, after_sales, lost)"
        ),
        8: "name: Looks like a national ID number; the CRM must not store ID numbers",
        9: "customer: unknown customer “Nobody Ltd”",
        11: "amount: An amount cannot be negative",
    }
    for line, reason in expected.items():
        assert f"line {line}: {reason}" in err
    assert "unknown columns ignored: notes" in err
    assert "imported 2" in err and "rejected 6" in err
    rejected = tmp_path / "deals.csv.rejected.csv"
    data = rejected.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    import csv
    import io

    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert table[0] == ["customer", "name", "stage", "amount", "expected_close", "notes", "reason"]
    # each reason says the row's line in the imported file, as the summary does
    assert [r[-1] for r in table[1:]] == [f"line {n}: {why}" for n, why in expected.items()]
    assert table[1][:2] == ["ACME", "Bad date"]
    names = rows(db.path, "SELECT name, stage, amount_cents FROM opportunity ORDER BY id")
    assert names == [("Good deal", "proposal", 100000), ("Two line name", "won", 500)]  # one line


def test_strict_imports_nothing_when_a_row_is_bad(base, tmp_path, capsys):
    f = tmp_path / "orders.csv"
    f.write_text(
        "customer,date,amount,order_no\nACME,2026-01-02,100,A1\nACME,someday,100,A2\n",
        encoding="utf-8",
    )
    before = snapshot(base.path)
    assert crm(base, "import", "orders", str(f), "--strict") == 3
    err = capsys.readouterr().err
    assert "nothing imported" in err and "line 3: date: Unreadable date" in err
    assert snapshot(base.path) == before


def test_a_strict_dry_run_says_nothing_would_be_imported(base, tmp_path, capsys):
    """It said "would import 1" where the real --strict run imports nothing."""
    f = tmp_path / "orders.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\nACME,someday,100\n", "utf-8")
    before = snapshot(base.path)
    assert crm(base, "import", "orders", str(f), "--strict", "--dry-run") == 3
    err = capsys.readouterr().err
    assert (
        "dry run, nothing changed: nothing would be imported (--strict and some rows are bad);"
        " 1 rows were good, rejected 1\n" in err
    )
    assert "would import 1" not in err and "line 3: date: Unreadable date" in err
    assert crm(base, "--lang", "zh", "import", "orders", str(f), "--strict", "--dry-run") == 3
    assert "试运行" in capsys.readouterr().err
    assert snapshot(base.path) == before
    assert crm(base, "import", "orders", str(f), "--dry-run") == 3  # not strict: the good row
    assert "dry run, nothing changed: would import 1, rejected 1" in capsys.readouterr().err


def test_dry_run_changes_nothing_and_reports(base, tmp_path, capsys):
    f = tmp_path / "orders.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\nacme,2026-01-03,50\n", "utf-8")
    before = snapshot(base.path)
    assert crm(base, "import", "orders", str(f), "--dry-run") == 0
    err = capsys.readouterr().err
    assert "dry run, nothing changed: would import 2" in err
    assert snapshot(base.path) == before
    assert not (tmp_path / "orders.csv.rejected.csv").exists()
    # a dry run is not an import: the real one is not refused as a repeat
    assert crm(base, "import", "orders", str(f)) == 0
    assert rows(base.path, "SELECT total_amount_cents, last_order FROM customer") == [
        (15000, "2026-01-03")
    ]


def test_a_file_that_is_not_text_is_named_in_the_refusal(base, tmp_path, capsys):
    f = tmp_path / "photo.csv"
    f.write_bytes(bytes(range(256)) * 8)  # no text encoding reads every byte
    before = snapshot(base.path)
    assert crm(base, "import", "customers", str(f)) == 1
    err = capsys.readouterr().err
    assert err == "error: photo.csv: Cannot tell the text encoding (save the file as UTF-8 CSV)\n"
    assert snapshot(base.path) == before


def _workbook(path: Path, kind: str) -> Path:
    """A file as Excel saves it: .xlsx is a zip archive, the older .xls an OLE2 file."""
    import zipfile

    if kind == "xlsx":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
            book.writestr("[Content_Types].xml", "<Types/>" * 50)
            book.writestr("xl/worksheets/sheet1.xml", "<sheetData>,name,\x1b[2J</sheetData>")
    else:
        path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 4)
    return path


@pytest.mark.parametrize("kind", ["xlsx", "xls"])
def test_an_excel_workbook_is_told_to_be_saved_as_csv(base, tmp_path, capsys, kind):
    """Read as text, a workbook's "header" was binary noise, echoed with its control
    characters in "missing required column(s) name (found: PK^C^D…)"."""
    f = _workbook(tmp_path / f"accounts.{kind}", kind)
    before = snapshot(base.path)
    assert crm(base, "import", "customers", str(f)) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: accounts.{kind} is an Excel workbook (.xlsx or .xls), not a CSV file: in"
        " Excel, save it with File › Save As › “CSV UTF-8 (Comma delimited)” and import the"
        " saved file\n"
    )
    assert snapshot(base.path) == before
    assert crm(base, "--lang", "zh", "import", "customers", str(f)) == 1
    assert "是 Excel 工作簿" in capsys.readouterr().err


def test_control_characters_of_a_header_are_never_echoed(db, tmp_path, capsys):
    """A terminal obeys some (an escape clears the screen): a message shows U+FFFD."""
    f = tmp_path / "odd.csv"
    f.write_bytes("\x1b[2Jcompany,lev\x07el\x9b\nAcme,A\n".encode())  # (\x9b: CSI)
    assert crm(db, "import", "customers", str(f)) == 1
    err = capsys.readouterr().err
    assert err == (
        "error: odd.csv: missing required column(s) name (found: \ufffd[2Jcompany,"
        " lev\ufffdel\ufffd)\n"
    )
    f.write_bytes(b"name,note\x01s\r\nAcme,x\r\n")
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "unknown columns ignored: note\ufffds\n" in err
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f]", err)


def test_same_file_refusal_names_the_kind_in_chinese(base, tmp_path, capsys):
    f = tmp_path / "orders.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 0
    capsys.readouterr()
    assert crm(base, "--lang", "zh", "import", "orders", str(f)) == 1
    err = capsys.readouterr().err
    assert "orders.csv 已经导入过（订单，" in err, err


def test_same_file_refused_unless_again(base, tmp_path, capsys):
    f = tmp_path / "orders.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\nACME,2026-01-02,100\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 0
    assert rows(base.path, "SELECT count(*) FROM sales_order") == [(2,)]  # identical rows both
    capsys.readouterr()
    before = snapshot(base.path)
    assert crm(base, "import", "orders", str(f)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: orders.csv was already imported") and "--again" in err
    assert snapshot(base.path) == before
    assert crm(base, "import", "orders", str(f), "--again") == 0
    # brought again: its two orders are there already (each stands for one of its rows)
    assert "imported 0, 2 unchanged, rejected 0" in capsys.readouterr().err
    assert rows(base.path, "SELECT count(*) FROM sales_order") == [(2,)]
    copy = tmp_path / "orders-copy.csv"  # the same rows under another name: which file
    copy.write_bytes(f.read_bytes())
    capsys.readouterr()
    assert crm(base, "import", "orders", str(copy)) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: orders-copy.csv holds the same rows as orders.csv, already")


@pytest.mark.parametrize(
    "body, status",
    [
        ("ACME,someday,100\nNobody Ltd,2026-01-02,5\n", 3),  # every row rejected
        ("", 0),  # the header alone
        ("ACME,2026-01-02,100\n", 0),  # (imported, then refused: the control)
    ],
)
def test_only_an_import_that_changed_something_is_refused_next_time(
    base, tmp_path, capsys, body, status
):
    """A file whose rows were all rejected was recorded as imported: fixed or not, it was
    then refused as imported before ("use --again")."""
    f = tmp_path / "orders.csv"
    f.write_text(f"customer,date,amount\n{body}", "utf-8")
    assert crm(base, "import", "orders", str(f)) == status
    changed = rows(base.path, "SELECT count(*) FROM sales_order") == [(1,)]
    assert rows(base.path, "SELECT count(*) FROM import_log WHERE kind = 'orders'") == [
        (int(changed),)
    ]
    capsys.readouterr()
    assert crm(base, "import", "orders", str(f)) == (1 if changed else status)
    assert ("already imported" in capsys.readouterr().err) == changed


def test_orders_matched_on_order_no_never_double(base, tmp_path):
    f = tmp_path / "orders.csv"
    f.write_text(
        "customer,date,amount,order_no,product\n"
        "ACME,2026-01-02,100,SO-1,Widget\nACME,2026-02-03,250.50,SO-2,\n",
        "utf-8",
    )
    assert crm(base, "import", "orders", str(f)) == 0
    assert crm(base, "import", "orders", str(f), "--again") == 0
    assert rows(base.path, "SELECT count(*), sum(amount_cents) FROM sales_order") == [(2, 35050)]
    assert rows(base.path, "SELECT total_amount_cents, last_order FROM customer") == [
        (35050, "2026-02-03")
    ]


def test_an_orders_export_without_numbers_imports_back_unchanged(base, tmp_path, capsys):
    """Orders made in the TUI have no order_no: an export of them imported back into its
    database doubled every one, and the revenue of every report with it."""
    f = tmp_path / "o.csv"
    f.write_text("customer,date,amount\nACME,2026-01-05,1000.00\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 0
    back = tmp_path / "back.csv"
    assert crm(base, "export", "orders", "--out", str(back)) == 0
    capsys.readouterr()
    before = snapshot(base.path)
    assert crm(base, "import", "orders", str(back)) == 0
    assert "imported 0, 1 unchanged, rejected 0" in capsys.readouterr().err
    assert snapshot(base.path) == before
    assert crm(base, "report", "abc", "--format", "csv") == 0
    assert ",1000.00," in capsys.readouterr().out
    assert rows(base.path, "SELECT total_amount_cents FROM customer") == [(100000,)]


def test_orders_without_numbers_are_matched_one_order_per_row(base, tmp_path, capsys):
    """Two lines alike are two orders (and stay two when brought again); --again after a
    fixed line adds that line only; a row without a product is an order of any product,
    one with another product is another order; create imports every row."""
    f = tmp_path / "o.csv"
    f.write_text(
        "customer,date,amount,product\n"
        "ACME,2026-01-05,100,Kit\nACME,2026-01-05,100,Kit\nACME,2026-01-06,0,Kit\n",
        "utf-8",
    )
    assert crm(base, "import", "orders", str(f)) == 3
    assert "imported 2, rejected 1" in capsys.readouterr().err
    f.write_text(
        "customer,date,amount,product\n"
        "ACME,2026-01-05,100,Kit\nACME,2026-01-05,100,Kit\nACME,2026-01-06,70,Kit\n",
        "utf-8",
    )
    assert crm(base, "import", "orders", str(f), "--again") == 0
    assert "imported 1, 2 unchanged, rejected 0" in capsys.readouterr().err
    assert rows(base.path, "SELECT count(*), sum(amount_cents) FROM sales_order") == [(3, 27000)]
    g = tmp_path / "g.csv"
    g.write_text(
        "customer,date,amount,product\n"
        "ACME,2026-01-05,100,\n"  # one of the two Kit orders
        "ACME,2026-01-05,100,Kit\n"  # the other one
        "ACME,2026-01-05,100,Kit\n"  # a third
        "ACME,2026-01-06,70,Box\n",  # another product
        "utf-8",
    )
    assert crm(base, "import", "orders", str(g)) == 0
    assert "imported 2, 2 unchanged, rejected 0" in capsys.readouterr().err
    assert rows(base.path, "SELECT count(*), sum(amount_cents) FROM sales_order") == [(5, 44000)]
    assert crm(base, "import", "orders", str(g), "--again", "--on-duplicate", "create") == 0
    err = capsys.readouterr().err
    assert "imported 4, rejected 0" in err and "warning" not in err
    assert rows(base.path, "SELECT total_amount_cents FROM customer") == [(81000,)]


def test_orders_import_keeps_the_order_forms_rules(base, tmp_path, capsys):
    """An order number is brought up to date only for its own customer, never below what
    was paid on it nor after its first payment; a number twice in one file, an amount of zero and a date after
    today are refused with their lines; the good rows go in."""
    from crm_tui.store import orders

    with base.session() as s:
        other = cs.create_customer(s, {"name": "Globex"})
        paid = orders.create_order(
            s, other.id, {"order_date": "2026-01-05", "amount_cents": "500", "order_no": "G-1"}
        )
        orders.add_payment(s, paid.id, {"paid_on": "2026-01-06", "amount_cents": "300"})
        code = other.code
    f = tmp_path / "orders.csv"
    f.write_text(
        "customer,date,amount,order_no\n"
        "ACME,2026-01-02,100,SO-1\n"  # 2: new
        "ACME,2026-01-03,120,SO-1\n"  # 3: the same number again
        "ACME,2026-01-04,0,\n"  # 4: nothing ordered
        "ACME,2099-01-04,5,\n"  # 5: not yet
        "ACME,2026-01-05,1,G-1\n"  # 6: Globex's order
        "Globex,2026-01-07,250,G-1\n"  # 7: below the 300 paid, after its payment
        "Globex,2026-01-05,600,G-1\n",  # 8: its own order, brought up to date
        "utf-8",
    )
    capsys.readouterr()
    assert crm(base, "import", "orders", str(f)) == 3
    err = capsys.readouterr().err
    assert "line 3: order_no: the order number SO-1 is on line 2 already" in err
    assert "line 4: amount: The amount must be more than zero" in err
    assert "line 5: date: This date is after today (" in err
    assert f"line 6: order_no: the order number G-1 is an order of Globex ({code})" in err
    assert "line 7: amount: Less than what has already been paid" in err
    assert "date: After this order's first payment (2026-01-06)" in err.split("line 7:")[1]
    assert "imported 1, updated 1" in err
    assert rows(
        base.path,
        "SELECT c.name, o.order_no, o.amount_cents FROM sales_order o"
        " JOIN customer c ON c.id = o.customer_id ORDER BY o.id",
    ) == [("Globex", "G-1", 60000), ("ACME Co., Ltd.", "SO-1", 10000)]
    assert rows(base.path, "SELECT name, total_amount_cents FROM customer ORDER BY id") == [
        ("ACME Co., Ltd.", 10000),
        ("Globex", 60000),
    ]


def test_an_order_number_excel_turned_into_scientific_notation_is_refused(base, tmp_path, capsys):
    """Excel saves 202511050001 as 2.02511E+11 when its column is too narrow: that text was
    taken as the order's number, and a later file's other order, mangled to the same
    text, brought the first order "up to date" with its own date and amount. A phone
    so mangled says the same."""
    SCIENCE = "Excel turned the number into scientific notation (“{}”) and its digits are lost"
    f = tmp_path / "orders.csv"
    f.write_text(
        "customer,date,amount,order_no\n"
        "ACME,2026-01-02,100,202511050001\n"
        "ACME,2026-01-03,200,2.02511E+11\n"
        "ACME,2026-01-04,300,2.02511e11\n"
        "ACME,2026-01-05,400,1E+11\n"
        "ACME,2026-01-06,500,2E10\n",  # (no point, no exponent's sign: a code, kept)
        "utf-8",
    )
    assert crm(base, "import", "orders", str(f)) == 3
    err = capsys.readouterr().err
    for line, text in ((3, "2.02511E+11"), (4, "2.02511e11"), (5, "1E+11")):
        assert f"line {line}: order_no: {SCIENCE.format(text)}: type the whole number" in err
    assert "imported 2, rejected 3" in err
    g = tmp_path / "订单.csv"  # a later file: another order, the same mangled number
    g.write_bytes(
        "客户名称,成交日期,成交金额,订单号\nACME,2026-02-01,999,2.02511E+11\n".encode("gbk")
    )
    assert crm(base, "import", "orders", str(g)) == 3
    err = capsys.readouterr().err
    assert f"line 2: 订单号: {SCIENCE.format('2.02511E+11')}" in err
    assert rows(
        base.path, "SELECT order_no, order_date, amount_cents FROM sales_order ORDER BY order_date"
    ) == [
        ("202511050001", "2026-01-02", 10000),
        ("2E10", "2026-01-06", 50000),
    ]
    h = tmp_path / "phones.csv"
    h.write_text("name,contact_name,contact_phone\nInitech,Bob,1.38001E+10\n", "utf-8")
    assert crm(base, "import", "customers", str(h)) == 3
    assert f"line 2: contact_phone: {SCIENCE.format('1.38001E+10')}" in capsys.readouterr().err


def test_an_order_brought_again_as_it_is_is_unchanged_not_updated(base, tmp_path, capsys):
    f = tmp_path / "orders.csv"
    f.write_text("customer,date,amount,product,order_no\nACME,2026-01-02,100,Kit,SO-1\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 0
    f.write_text(
        "customer,date,amount,product,order_no\n"
        "ACME,2026-01-02,100.00,Kit,SO-1\n"  # as it is
        "ACME,2026-01-03,50,,SO-2\n",
        "utf-8",
    )
    capsys.readouterr()
    assert crm(base, "import", "orders", str(f)) == 0
    assert "imported 1, 1 unchanged, rejected 0" in capsys.readouterr().err
    f.write_text("customer,date,amount,product,order_no\nACME,2026-01-02,100,Kits,SO-1\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 0
    assert "imported 0, updated 1, rejected 0" in capsys.readouterr().err
    assert rows(base.path, "SELECT order_no, product FROM sales_order ORDER BY id") == [
        ("SO-1", "Kits"),
        ("SO-2", None),
    ]


def test_an_orders_file_without_products_keeps_the_orders_products(base, tmp_path, capsys):
    """A file of the minimum columns (or an empty product cell) emptied the product of
    every order it brought up to date."""
    f = tmp_path / "orders.csv"
    f.write_text("customer,date,amount,product,order_no\nACME,2026-01-02,100,Kit,SO-1\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 0
    g = tmp_path / "minimal.csv"
    g.write_text("customer,date,amount,order_no\nACME,2026-01-02,100,SO-1\n", "utf-8")
    capsys.readouterr()
    assert crm(base, "import", "orders", str(g)) == 0
    assert "imported 0, 1 unchanged, rejected 0" in capsys.readouterr().err
    g.write_text("customer,date,amount,product,order_no\nACME,2026-01-03,120,,SO-1\n", "utf-8")
    assert crm(base, "import", "orders", str(g)) == 0
    assert "imported 0, updated 1, rejected 0" in capsys.readouterr().err
    assert rows(base.path, "SELECT order_date, amount_cents, product FROM sales_order") == [
        ("2026-01-03", 12000, "Kit")
    ]


def test_creation_and_close_dates_to_come_are_refused(base, tmp_path, capsys):
    """A deal created or closed, a customer created, after today: a typing mistake (the
    forms refuse them; a 2030 customer was "new" in a week to come)."""
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "customer,name,stage,created,actual_close\n"
        "ACME,Later,proposal,2099-01-01,\n"
        "ACME,Closing,won,2026-01-01,2099-02-01\n"
        "ACME,Fine,won,2026-01-01,2026-02-01\n",
        "utf-8",
    )
    capsys.readouterr()
    assert crm(base, "import", "opportunities", str(deals)) == 3
    err = capsys.readouterr().err
    assert "line 2: created: 2099-01-01 09:00 is in the future" in err
    assert "line 3: actual_close: The actual close date cannot be after today (" in err
    assert rows(base.path, "SELECT name, actual_close FROM opportunity") == [("Fine", "2026-02-01")]
    people = tmp_path / "customers.csv"
    today = dt.date.today().isoformat()
    people.write_text(
        f"name,created_at\nLate Co,2099-03-01 10:00\nToday Co,{today}\nOld Co,2025-03-01\n",
        "utf-8",
    )
    assert crm(base, "import", "customers", str(people)) == 3
    assert "line 2: created_at: 2099-03-01 10:00 is in the future" in capsys.readouterr().err
    assert rows(base.path, "SELECT name FROM customer WHERE name LIKE '% Co' ORDER BY name") == [
        ("Old Co",),
        ("Today Co",),
    ]


def test_a_name_two_customers_have_is_refused_with_their_codes(base, tmp_path, capsys):
    """Which of two customers of one name a row means is not known: the row is refused
    (it went to the first of them without a word); a code still finds either."""
    with base.session() as s:
        first = cs.create_customer(s, {"name": "Twin Trading"})
        second = cs.create_customer(s, {"name": "Twin Trading"})
        codes, second_id = (first.code, second.code), second.id
    f = tmp_path / "orders.csv"
    f.write_text(
        "customer,date,amount\n"
        "Twin Trading,2026-01-02,100\n"
        "twin trading ltd,2026-01-02,100\n"  # the same name key
        f"{codes[1]},2026-01-03,7\n",
        "utf-8",
    )
    capsys.readouterr()
    assert crm(base, "import", "orders", str(f)) == 3
    err = capsys.readouterr().err
    said = f"more than one customer is named “{{}}” ({codes[0]}, {codes[1]}): give its code instead"
    assert f"line 2: customer: {said.format('Twin Trading')}" in err
    assert f"line 3: customer: {said.format('twin trading ltd')}" in err
    assert rows(base.path, "SELECT customer_id, amount_cents FROM sales_order") == [
        (second_id, 700)
    ]


def test_a_line_break_in_a_field_of_one_line_becomes_a_space(db, tmp_path):
    """A spreadsheet cell of two lines: a name of two lines broke the customers list's
    row; notes and needs keep their lines."""
    f = tmp_path / "c.csv"
    f.write_bytes(
        b"name,needs,contact_name,contact_title\r\n"
        b'"Multi\r\nLine Co","first\nsecond","Ann \n Lee",Buyer\r\n'
        b'"Plain Co",,"Bob","Head of\rSales"\r\n'
        + '"深圳明亮\n贸易有限公司",,,\r\n'.encode()  # Chinese: joined with no space
    )
    assert crm(db, "import", "customers", str(f)) == 0
    assert rows(db.path, "SELECT name, needs FROM customer ORDER BY id") == [
        ("Multi Line Co", "first\nsecond"),
        ("Plain Co", None),
        ("深圳明亮贸易有限公司", None),
    ]
    assert rows(db.path, "SELECT name, title FROM contact ORDER BY id") == [
        ("Ann Lee", "Buyer"),
        ("Bob", "Head of Sales"),
    ]
    with db.session() as s:  # the store's commands: the same rule
        made = cs.create_customer(s, {"name": "Two\nLines", "needs": "a\nb"})
        assert (made.name, made.needs) == ("Two Lines", "a\nb")


def test_a_tab_in_a_field_of_one_line_becomes_a_space(db, tmp_path):
    """A tab pasted into a name shifted the customers list's columns (its amount read
    "0."); notes keep theirs."""
    f = tmp_path / "c.csv"
    f.write_text('name,needs\n"Tab\tCo","a\tb"\n', encoding="utf-8")
    assert crm(db, "import", "customers", str(f)) == 0
    assert rows(db.path, "SELECT name, needs FROM customer") == [("Tab Co", "a\tb")]
    with db.session() as s:  # the forms' path: the same rule
        made = cs.create_customer(s, {"name": 'Paste Line1\nLine2\t"tab"', "needs": "x\ty"})
        assert (made.name, made.needs) == ('Paste Line1 Line2 "tab"', "x\ty")


def test_an_id_number_as_a_mailbox_name_is_refused(base, tmp_path, capsys):
    """A QQ mailbox named by its owner's ID number still stores the ID number."""
    f = tmp_path / "contacts.csv"
    f.write_text(
        "customer,name,email\nACME,Li,110101199003077571@qq.com\nACME,Wang,12345678@qq.com\n",
        "utf-8",
    )
    capsys.readouterr()
    assert crm(base, "import", "contacts", str(f)) == 3
    err = capsys.readouterr().err
    assert "line 2: email: Looks like a national ID number" in err
    assert rows(base.path, "SELECT name, email FROM contact WHERE name IN ('Li', 'Wang')") == [
        ("Wang", "12345678@qq.com")
    ]
    with base.session() as s, pytest.raises(ValidationError, match="national ID"):
        customer = cs.find_customer(s, "ACME Co., Ltd.")
        cs.create_contact(s, customer.id, {"name": "Li", "email": "110101199003077571@qq.com"})


def test_opportunity_stage_history_is_recorded_as_the_form_does(base, tmp_path):
    """One creation row at the deal's stage (the funnel counts the stages before it), no
    made-up moves on the day of the import."""
    f = tmp_path / "deals.csv"
    f.write_text(
        "客户,机会名称,销售阶段,预计金额,成交概率\n"
        "ACME,A,方案提供,100,\nACME,B,won,5,\nACME,C,lost,1,\nACME,D,,1,33%\n",
        "utf-8",
    )
    assert crm(base, "import", "opportunities", str(f)) == 0
    deals = rows(
        base.path, "SELECT name, stage, probability, probability_overridden FROM opportunity"
    )
    assert deals == [
        ("A", "proposal", 50, 0),
        ("B", "won", 100, 0),
        ("C", "lost", 0, 0),
        ("D", "initial_contact", 33, 1),
    ]
    history = rows(
        base.path,
        "SELECT o.name, s.from_stage, s.to_stage FROM stage_change s"
        " JOIN opportunity o ON o.id = s.opportunity_id ORDER BY s.id",
    )
    assert history == [
        ("A", None, "proposal"),
        ("B", None, "won"),
        ("C", None, "lost"),
        ("D", None, "initial_contact"),
    ]


def test_a_probability_typed_full_width_is_imported(base, tmp_path, capsys):
    """５０％ (as a Chinese input method types it) was "Not a whole number"."""
    f = tmp_path / "deals.csv"
    f.write_text("客户,机会名称,成交概率\nACME,A,５０％\nACME,B,80%\n", "utf-8")
    assert crm(base, "import", "opportunities", str(f)) == 0, capsys.readouterr().err
    assert rows(base.path, "SELECT name, probability FROM opportunity ORDER BY id") == [
        ("A", 50),
        ("B", 80),
    ]


def test_a_deal_closed_after_its_creation_moves_to_its_outcome_on_its_close_date(
    base, tmp_path, capsys
):
    """Open from its creation, won (lost) on its actual close date: the funnel as of a day
    in between sees it open, the weekly report shows the close in its week; a close
    before the given creation is refused, and a close without a creation date is taken
    as the day it was created (a sales cycle of 0 days, never a negative one)."""
    from crm_tui.reports.funnel import funnel

    f = tmp_path / "deals.csv"
    f.write_text(
        "customer,name,stage,amount,created,actual_close\n"
        "ACME,Won,won,100,2026-09-01,2026-10-15\n"  # line 2
        "ACME,Lost,lost,50,2026-10-01,2026-11-10\n"  # line 3
        "ACME,Backwards,won,70,2026-10-05,2026-09-01\n"  # line 4: refused
        "ACME,Old win,won,30,,2026-03-01\n",  # line 5
        "utf-8",
    )
    capsys.readouterr()
    assert crm(base, "import", "opportunities", str(f)) == 3
    err = capsys.readouterr().err
    assert "line 4: actual_close: 2026-09-01 is before the deal was created (2026-10-05)" in err
    history = rows(
        base.path,
        "SELECT o.name, s.from_stage, s.to_stage, s.changed_at FROM stage_change s"
        " JOIN opportunity o ON o.id = s.opportunity_id ORDER BY s.id",
    )
    assert history == [
        ("Won", None, "negotiation", "2026-09-01 09:00:00"),  # (a date alone: 09:00)
        ("Won", "negotiation", "won", "2026-10-15 00:00:00"),
        ("Lost", None, "initial_contact", "2026-10-01 09:00:00"),
        ("Lost", "initial_contact", "lost", "2026-11-10 00:00:00"),
        ("Old win", None, "won", "2026-03-01 00:00:00"),
    ]
    conn = sqlite3.connect(base.path)
    try:
        mid = {r["stage"]: r["reached"] for r in funnel(conn, dt.date(2026, 9, 15)).rows}
        # Won is at negotiation then, Old win won (having passed negotiation too)
        assert (mid["negotiation"], mid["won"]) == (2, 1)
        report = funnel(conn, dt.date(2026, 11, 20))
        # cycles: Won 44 days, Old win 0 -> 22.0
        assert report.extras["avg_cycle_days"] == ("days", Decimal("22.0"))
    finally:
        conn.close()


def test_an_interactions_date_and_time_columns_make_its_time(base, tmp_path, capsys):
    """日期 and 时间 both spelt ``when``: 时间 was ignored as a second 日期 column and every
    interaction stored at 09:00. Now they make one time, as a task's 日期 and 时间 do; a
    时间 that says another day or time than 日期 is refused, not guessed."""
    f = tmp_path / "互动.csv"
    f.write_bytes(
        "客户名称,日期,时间,方式,主题\r\n"
        "ACME,2026/1/5,14:30,电话,分列时间\r\n"  # 2
        "ACME,2026/1/6,9:05:00,电话,带秒\r\n"  # 3: Excel's time with its seconds
        "ACME,2026/1/7,,电话,无时间\r\n"  # 4: no time: 09:00, as before
        "ACME,2026/1/8 0:00,下午3点,电话,午夜\r\n"  # 5: a date cell's 0:00 is no time
        "ACME,2026/1/9,2026/1/9 16:45,电话,同一天\r\n"  # 6: a date and time, that day
        "ACME,2026/1/10 10:00,14:30,电话,两个时间\r\n"  # 7: which time?
        "ACME,2026/1/11,2026/1/12 14:30,电话,另一天\r\n"  # 8: which day?
        "ACME,2026/1/13,下午,电话,坏\r\n".encode("gbk")  # 9
    )
    assert crm(base, "import", "interactions", str(f)) == 3
    err = capsys.readouterr().err
    assert "unknown columns ignored" not in err
    assert "line 7: 时间: 14:30, but 日期 says 10:00: which time is it?" in err
    assert "line 8: 时间: 2026-01-12, but 日期 says 2026-01-11: which day is it?" in err
    assert "line 9: 时间: Unreadable time “下午” (use HH:MM)" in err
    assert "imported 5, rejected 3" in err
    assert rows(base.path, "SELECT subject, occurred_at FROM interaction ORDER BY id") == [
        ("分列时间", "2026-01-05 14:30:00"),
        ("带秒", "2026-01-06 09:05:00"),
        ("无时间", "2026-01-07 09:00:00"),
        ("午夜", "2026-01-08 15:00:00"),
        ("同一天", "2026-01-09 16:45:00"),
    ]
    assert crm(base, "import", "interactions", str(f), "--again") == 3  # the same times
    assert "imported 0, 5 unchanged, rejected 3" in capsys.readouterr().err
    g = tmp_path / "one.csv"  # a 时间 column alone is the date and time, as before
    g.write_text("客户名称,时间,主题\nACME,2026/1/14 8:15,单列\n", "utf-8")
    assert crm(base, "import", "interactions", str(g)) == 0
    assert rows(base.path, "SELECT occurred_at FROM interaction WHERE subject = '单列'") == [
        ("2026-01-14 08:15:00",)
    ]
    h = tmp_path / "en.csv"  # English headings too
    h.write_text("customer,when,time,subject\nACME,2026-01-15,16:00,English\n", "utf-8")
    assert crm(base, "import", "interactions", str(h)) == 0
    assert rows(base.path, "SELECT occurred_at FROM interaction WHERE subject = 'English'") == [
        ("2026-01-15 16:00:00",)
    ]


def test_interactions_tasks_and_contacts(base, tmp_path, capsys):
    f = tmp_path / "log.csv"
    f.write_text(
        "customer,when,subject,channel,contact,next_step,next_step_due\n"
        "ACME,2026-03-01 10:00,Call,电话,Ann,Send quote,2026-03-05\n"
        "ACME,2026-04-01 09:30,Visit,visit,,,\n"
        "ACME,2026-04-02,Who,phone,Bob,,\n",
        "utf-8",
    )
    assert crm(base, "import", "interactions", str(f)) == 3
    assert rows(base.path, "SELECT last_interaction_at FROM customer") == [("2026-04-01 09:30:00",)]
    # the next step stays on the interaction; tasks come from their own file (no doubles)
    assert rows(base.path, "SELECT next_step, next_step_due FROM interaction WHERE id = 1") == [
        ("Send quote", "2026-03-05")
    ]
    assert rows(base.path, "SELECT count(*) FROM task") == [(0,)]
    # ... and the summary says so (the form makes a task of a next step: an import did
    # not, without a word)
    assert (
        "1 row has a next step: kept on the interaction; an import makes no follow-up task"
        in capsys.readouterr().err
    )
    t = tmp_path / "tasks.tsv"
    t.write_text(
        "title\tdue\tcustomer\tstatus\nCall back\t2026-05-01 14:30\tACME\t已完成\nFree\t+3d\t\t\n",
        "utf-8",
    )
    assert crm(base, "import", "tasks", str(t)) == 0
    got = rows(base.path, "SELECT title, due_time, status, completed_at IS NOT NULL FROM task")
    assert got == [("Call back", "14:30", "done", 1), ("Free", None, "planned", 0)]
    c = tmp_path / "contacts.csv"
    c.write_text("客户,姓名,手机,角色\nACME,Bob,13900001111,决策者\n", "utf-8")
    assert crm(base, "import", "contacts", str(c)) == 0
    assert rows(
        base.path,
        "SELECT k.decision_maker_id = c.id FROM contact c JOIN customer k ON k.id = c.customer_id"
        " WHERE c.name = 'Bob'",
    ) == [(1,)]


def test_missing_required_column_is_an_error(db, tmp_path, capsys):
    f = tmp_path / "x.csv"
    f.write_text("industry,level\nretail,A\n", "utf-8")
    assert crm(db, "import", "customers", str(f)) == 1
    assert capsys.readouterr().err.startswith("error: x.csv: missing required column(s) name")


# --- duplicates ------------------------------------------------------------

DUPES = (
    "name,industry,contact_name,contact_phone,contact_email\n"
    "acme company limited,retail,Carl,,\n"  # same normalised name
    "Other Name,,Dora,+86 138-0013-8000,\n"  # same phone digits
    "Third,,Eve,,ANN@acme.com\n"  # same email
)


def test_duplicates_skipped_by_default(base, tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text(DUPES, "utf-8")
    before = snapshot(base.path)
    assert crm(base, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    code = before["customer"][0][1]
    assert f"line 2: duplicate of {code} ACME Co., Ltd. (same name); skipped" in err
    assert f"line 3: duplicate of {code} ACME Co., Ltd. (same phone); skipped" in err
    assert f"line 4: duplicate of {code} ACME Co., Ltd. (same email); skipped" in err
    assert "skipped 3 duplicates" in err
    after = snapshot(base.path)
    assert after["customer"] == before["customer"]


def test_duplicates_merged(base, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text(DUPES, "utf-8")
    assert crm(base, "import", "customers", str(f), "--on-duplicate", "merge") == 0
    assert rows(base.path, "SELECT count(*), industry FROM customer") == [(1, "retail")]
    names = [r[0] for r in rows(base.path, "SELECT name FROM contact ORDER BY id")]
    assert names == ["Ann", "Carl"]  # Dora and Eve match Ann's phone / email


def test_a_merge_that_adds_only_a_contact_and_a_tag_marks_the_customer_changed(base, tmp_path):
    """Its updated_at and version stayed as they were, so nothing said it had changed."""
    conn = sqlite3.connect(base.path)
    conn.execute("UPDATE customer SET updated_at = '2026-01-01 00:00:00', version = 3")
    conn.commit()
    conn.close()
    f = tmp_path / "m.csv"
    f.write_text('name,contact_name,tags\n"ACME Co., Ltd.",Bob,key account\n', "utf-8")
    assert crm(base, "import", "customers", str(f), "--on-duplicate", "merge") == 0
    ((updated, version),) = rows(base.path, "SELECT updated_at, version FROM customer")
    assert updated > "2026-01-01 00:00:00" and version == 4


def test_a_merge_with_nothing_new_changes_nothing_and_says_so(base, tmp_path, capsys):
    """The base file again, with a different name: each row matches a customer that has
    all it says. Nothing is written, nothing counted as updated, nothing recorded (the
    file may be brought again once it says more)."""
    before = snapshot(base.path)
    f = tmp_path / "again.csv"
    f.write_text(
        "name,contact_name,contact_phone,contact_email\n"
        '"ACME Co., Ltd.",Ann,138 0013 8000,ann@acme.com\n'
        "ACME CO LTD,ANN,,\n",
        "utf-8",
    )
    capsys.readouterr()
    status = crm(base, "import", "customers", str(f), "--on-duplicate", "merge")
    err = capsys.readouterr().err
    assert status == 0, err
    assert "imported 0, 2 unchanged, rejected 0" in err
    assert "line 2: duplicate of " in err and "(same name); nothing new to merge" in err
    assert "updated" not in err
    assert snapshot(base.path) == before
    assert rows(base.path, "SELECT count(*) FROM import_log") == [(1,)]  # the base file's
    f.write_text(f.read_text("utf-8").replace("ANN,,", "ANN,,\nACME CO LTD,Bob,,"), "utf-8")
    assert crm(base, "import", "customers", str(f), "--on-duplicate", "merge") == 0
    assert "imported 0, updated 1, 2 unchanged, rejected 0" in capsys.readouterr().err
    assert rows(base.path, "SELECT name FROM contact ORDER BY id") == [("Ann",), ("Bob",)]


def test_a_merge_says_which_of_the_files_values_it_did_not_take(base, tmp_path, capsys):
    """A merge fills empty fields only: the values the customer had were kept unsaid."""
    g = tmp_path / "first.csv"
    g.write_text("name,industry,budget\nACME Co. Ltd,other,8000\n", "utf-8")
    assert crm(base, "import", "customers", str(g), "--on-duplicate", "merge") == 0
    f = tmp_path / "again.csv"
    f.write_text("name,industry,budget,region\nACME CO LTD,finance,9999,华东\n", "utf-8")
    capsys.readouterr()
    assert crm(base, "import", "customers", str(f), "--on-duplicate", "merge") == 0
    err = capsys.readouterr().err
    assert "(same name); merged (kept as they were: industry, budget)" in err
    assert rows(base.path, "SELECT industry, budget_cents, region FROM customer") == [
        ("other", 800000, "华东")
    ]


def test_duplicates_created(base, tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text(DUPES, "utf-8")
    assert crm(base, "import", "customers", str(f), "--on-duplicate", "create") == 0
    assert "created anyway" in capsys.readouterr().err
    assert rows(base.path, "SELECT count(*), count(DISTINCT code) FROM customer") == [(4, 4)]


def test_duplicates_within_one_file(db, tmp_path):
    f = tmp_path / "d.csv"
    f.write_text("name\nAlpha Ltd\nALPHA\nBeta\n", "utf-8")
    assert crm(db, "import", "customers", str(f)) == 0
    assert rows(db.path, "SELECT name FROM customer ORDER BY id") == [("Alpha Ltd",), ("Beta",)]


# --- robustness --------------------------------------------------------------

_alphabet = st.sampled_from(list('ab,;\t"\n\r 1-:.客户名称¥') + ["\x00", "\ufeff", "é"])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    header=st.sampled_from(
        ["name,industry,first_contact\n", "客户名称;预算\n", "name\tlevel\n", ""]
    ),
    body=st.text(alphabet=_alphabet, max_size=200),
)
def test_arbitrary_csv_never_crashes_or_half_imports(db, tmp_path, header, body):
    f = tmp_path / "fuzz.csv"
    f.write_text(header + body, encoding="utf-8")
    before = rows(db.path, "SELECT count(*) FROM customer")[0][0]
    try:
        result = import_file(db.path, "customers", f, again=True)
    except ImportRefused:
        assert rows(db.path, "SELECT count(*) FROM customer")[0][0] == before
        return
    after = rows(db.path, "SELECT count(*) FROM customer")[0][0]
    assert after == before + result.imported
    assert result.imported + len(result.rejected) + result.skipped == result.rows_in
    assert sq.check(sqlite3.connect(db.path)) == []


def test_sigkill_halfway_leaves_database_unchanged(base, tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "w", encoding="utf-8") as fh:
        fh.write("name,industry,contact_name,contact_email\n")
        for i in range(60_000):
            fh.write(f"Company {i},retail,Person {i},p{i}@example.com\n")
    before = snapshot(base.path)
    env = dict(os.environ, CRM_PROGRESS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "crm_tui", "--db", str(base.path), "import", "customers", str(big)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env=env,
        text=True,
    )
    try:
        seen = None
        for _ in range(1000):  # bounded: one line per chunk, then EOF
            line = proc.stderr.readline()
            if not line:
                break
            if line.startswith("progress "):
                done, total = map(int, line.split()[1].split("/"))
                if 0 < done < total:
                    seen = done
                    break
        assert seen, "the import never reported rows flowing"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert snapshot(base.path) == before
    assert main(["--db", str(base.path), "check"]) == 0


def test_locked_database_is_a_clear_error(base, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sq, "BUSY_TIMEOUT_MS", 50)
    f = tmp_path / "o.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\n", "utf-8")
    other = sqlite3.connect(base.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert crm(base, "import", "orders", str(f)) == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot write to the database (database is locked)")
    assert rows(base.path, "SELECT count(*) FROM sales_order") == [(0,)]


def test_header_spellings_and_unknown_columns(tmp_path):
    from crm_tui.csvread import read_table

    f = tmp_path / "h.csv"
    f.write_text(
        "客户名称*,金额(元),Contact Name,contact-email,Region,区域,Whatever\nA,1,B,c@d.ef,x,y,z\n",
        "utf-8",
    )
    table = read_table(f, "customers")
    assert table.delimiter == ","
    assert sorted(table.columns.values()) == ["contact_email", "contact_name", "name", "region"]
    # a second column for the same field is reported, not silently merged
    assert table.unknown == ["金额(元)", "区域 (a second Region column)", "Whatever"]


def test_a_column_without_heading_is_reported_when_it_holds_values(base, tmp_path, capsys):
    """A column with a blank heading was dropped in silence, values and all; an empty one
    (Excel leaves such columns at the end of a sheet) loses nothing and is not named."""
    f = tmp_path / "gap.csv"
    f.write_text("name,,level\nGap Co,zzz,A\n", "utf-8")
    assert crm(base, "import", "customers", str(f), "--dry-run") == 0
    assert "column 2 has no heading: its values are ignored" in capsys.readouterr().err
    assert crm(base, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "column 2 has no heading: its values are ignored" in err
    assert "imported 1, rejected 0" in err
    g = tmp_path / "trailing.csv"  # empty columns, at the end and between two others
    g.write_text("customer,date,,amount,,\nACME,2026-01-02,,100,,\nACME,2026-01-03, ,5\n", "utf-8")
    assert crm(base, "import", "orders", str(g)) == 0
    err = capsys.readouterr().err
    assert "heading" not in err and "unknown" not in err and "imported 2" in err
    h = tmp_path / "late.csv"  # a value in one row only, two such columns
    h.write_text("customer,,date,amount,\nACME,,2026-01-04,7,\nACME,x,2026-01-05,8,y\n", "utf-8")
    assert crm(base, "import", "orders", str(h)) == 0
    assert "columns 2, 5 have no heading: their values are ignored" in capsys.readouterr().err
    zh = ["--db", str(base.path), "--lang", "zh", "import", "customers", str(f), "--again"]
    assert main(zh) == 0
    assert "第 2 列没有列名：其中的值已忽略" in capsys.readouterr().err


def test_a_row_with_two_problems_in_chinese_takes_full_width_punctuation(db, tmp_path, capsys):
    """ "客户等级: 未知取值“Z”…; 联系电话: …" mixed ASCII ": " and "; " into Chinese."""
    f = tmp_path / "c.csv"
    f.write_text("客户名称,客户等级,联系电话\n坏客户,Z,123\n", "utf-8")
    assert main(["--db", str(db.path), "--lang", "zh", "import", "customers", str(f)]) == 3
    err = capsys.readouterr().err
    note = next(line for line in err.splitlines() if line.startswith("第 2 行："))
    assert note.startswith("第 2 行：客户等级：未知取值“Z”") and "；联系电话：" in note
    assert ": " not in note and "; " not in note


def test_summary_in_chinese(base, tmp_path, capsys):
    f = tmp_path / "o.csv"
    f.write_text("客户,成交日期,金额\nACME,2026-01-02,100\nNobody,2026-01-02,1\n", "utf-8")
    assert main(["--db", str(base.path), "--lang", "zh", "import", "orders", str(f)]) == 3
    err = capsys.readouterr().err
    assert "已导入 1 行，拒绝 1 行" in err  # one sentence: a Chinese comma, not ", "
    assert "第 3 行：客户：未知客户“Nobody”" in err  # (full-width, as 第 3 行：)


def test_on_duplicate_for_another_kind_is_said_to_be_ignored(base, tmp_path, capsys):
    f = tmp_path / "o.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\n", "utf-8")
    assert crm(base, "import", "orders", str(f), "--on-duplicate", "merge") == 0
    err = capsys.readouterr().err
    assert "warning: --on-duplicate merge does not apply to orders" in err
    assert "imported 1, rejected 0" in err
    assert crm(base, "import", "orders", str(f), "--on-duplicate", "merge", "--again") == 0
    assert "imported 0, 1 unchanged, rejected 0" in capsys.readouterr().err  # as skip
    g = tmp_path / "c.csv"
    g.write_text("name\nGlobex\n", "utf-8")
    assert crm(base, "import", "customers", str(g)) == 0
    assert "warning" not in capsys.readouterr().err  # the default: nothing to say


def test_search_rows_match_a_full_rebuild(db, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(
        "name,contact_name,contact_phone,contact_email,tags\n"
        "Alpha Trading,Ann Lee,13800138000,ann@alpha.com,vip;高潜力\n"
        "Beta Works,,,,\n"
        "Gamma,Gus,010-1234 5678,,x\n",
        "utf-8",
    )
    assert crm(db, "import", "customers", str(f)) == 0

    def words() -> list[tuple]:
        return [
            (r[0], *(tuple(sorted((c or "").split())) for c in r[1:]))
            for r in rows(db.path, "SELECT rowid, * FROM customer_search ORDER BY rowid")
        ]

    imported = words()
    conn = sqlite3.connect(db.path)
    sq.rebuild_search_index(conn)
    conn.commit()
    conn.close()
    assert imported == words()


def test_spreadsheet_date_forms(base, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text(
        "customer,date,amount\nACME,2026/1/15 0:00:00,1\nACME,2026年2月3日,2\n"
        "ACME,2026-03-04 00:00:00,3\nACME,2026年3月5号,4\n",  # (号: the spoken day)
        "utf-8",
    )
    assert crm(base, "import", "orders", str(f)) == 0
    assert rows(base.path, "SELECT order_date FROM sales_order ORDER BY id") == [
        ("2026-01-15",),
        ("2026-02-03",),
        ("2026-03-04",),
        ("2026-03-05",),
    ]
    g = tmp_path / "i.csv"
    g.write_text(
        "customer,when,subject\nACME,2026年3月1日 10:05,a\nACME,2026/3/2 11:06:59,b\n", "utf-8"
    )
    assert crm(base, "import", "interactions", str(g)) == 0
    assert rows(base.path, "SELECT occurred_at FROM interaction ORDER BY id") == [
        ("2026-03-01 10:05:00",),
        ("2026-03-02 11:06:00",),
    ]


def test_bulk_load_recreates_the_same_indexes(db, tmp_path, monkeypatch):
    from crm_tui.store import import_customers

    monkeypatch.setattr(import_customers, "BULK_INDEX_ROWS", 2)
    schema = "SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name"
    before = rows(db.path, schema)
    f = tmp_path / "c.csv"
    f.write_text("name,contact_name,contact_phone\nA,Al,13800000001\nB,Bo,13800000002\n", "utf-8")
    assert crm(db, "import", "customers", str(f)) == 0
    assert rows(db.path, schema) == before
    assert rows(db.path, "SELECT count(*) FROM customer") == [(2,)]
    plan = rows(db.path, "EXPLAIN QUERY PLAN SELECT id FROM customer WHERE name_norm = 'a'")
    assert "ix_customer_name_norm" in plan[0][-1]


def test_a_rejected_file_that_cannot_be_written_lists_the_rows_instead(db, tmp_path, capsys):
    """The good rows are committed before the rejected file is written: when it cannot be
    (here its name is taken by a folder; a read-only share does the same) the import
    still ends as CLI.md says, exit 3 with the rejected rows on stderr, not a traceback."""
    f = tmp_path / "in.csv"
    lines = [f"Bad {n},Z" for n in range(25)]
    f.write_text("name,level\nGood Co,A\n" + "\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "in.csv.rejected.csv").mkdir()
    assert crm(db, "import", "customers", str(f)) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert rows(db.path, "SELECT name FROM customer WHERE name = 'Good Co'") == [("Good Co",)]
    assert f"could not write the rejected rows to {tmp_path / 'in.csv.rejected.csv'}" in err
    # all 25, not the first 20: the file that would have held them is not there
    assert all(f"line {n + 3}: level: " in err for n in range(25))
    assert "more" not in err


def test_a_control_character_rejects_its_row_naming_the_column(db, tmp_path, capsys):
    """A NUL (a damaged export) would be stored, cut the name short for SQLite's string
    functions and travel on into every export: the row is refused, the others go in;
    a control character in a column the import ignores does not matter."""
    f = tmp_path / "nul.csv"
    f.write_bytes("name,level,remark\nNUL\x00公司,A,\nGood Co,B,x\x01y\nTab\tCo,C,\n".encode())
    assert crm(db, "import", "customers", str(f)) == 3
    err = capsys.readouterr().err
    assert "line 2: name: a control character (such as NUL) in the value" in err
    assert rows(db.path, "SELECT name FROM customer ORDER BY name") == [("Good Co",), ("Tab Co",)]


def test_fixed_rejected_file_imports_cleanly(base, tmp_path, capsys):
    f = tmp_path / "o.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\nACME,2026-13-02,5\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 3
    rejected = tmp_path / "o.csv.rejected.csv"
    fixed = rejected.read_text("utf-8-sig").replace("2026-13-02", "2026-11-02")
    rejected.write_text(fixed, "utf-8-sig")
    capsys.readouterr()
    assert crm(base, "import", "orders", str(rejected)) == 0
    assert "unknown columns" not in capsys.readouterr().err
    assert rows(base.path, "SELECT sum(amount_cents) FROM sales_order") == [(10500,)]


def test_an_import_rejecting_nothing_removes_the_rejected_file_an_earlier_one_left(
    base, tmp_path, capsys
):
    """FILE.rejected.csv stayed after the fixed FILE went in whole: a script looking for
    it took the rows for rejected still. A dry run changes nothing, that file included;
    a file of that name this program did not write is left alone."""
    f = tmp_path / "o.csv"
    f.write_text("customer,date,amount\nACME,2026-01-02,100\nACME,2026-13-02,5\n", "utf-8")
    assert crm(base, "import", "orders", str(f)) == 3
    rejected = tmp_path / "o.csv.rejected.csv"
    assert rejected.is_file()
    f.write_text("customer,date,amount\nACME,2026-01-02,100\nACME,2026-11-02,5\n", "utf-8")
    assert crm(base, "import", "orders", str(f), "--dry-run") == 0
    assert rejected.is_file() and "removed" not in capsys.readouterr().err
    assert crm(base, "import", "orders", str(f)) == 0
    err = capsys.readouterr().err
    assert "imported 1, 1 unchanged, rejected 0" in err
    assert f"no row was rejected: removed the earlier {rejected}" in err
    assert not rejected.exists()
    assert crm(base, "import", "orders", str(f), "--again") == 0
    assert "removed" not in capsys.readouterr().err  # nothing left to remove
    # the user's own file of that name (no reason column, no BOM): kept
    rejected.write_text("customer,date,amount\nACME,2026-01-02,100\n", "utf-8")
    assert crm(base, "import", "orders", str(f), "--again") == 0
    assert rejected.is_file() and "removed" not in capsys.readouterr().err
    g = tmp_path / "c.csv"
    g.write_text("name,level\nOk Co,Z\n", "utf-8")
    assert crm(base, "import", "customers", str(g)) == 3
    g.write_text("name,level\nOk Co,A\n", "utf-8")
    assert main(["--db", str(base.path), "--lang", "zh", "import", "customers", str(g)]) == 0
    assert "没有被拒绝的行：已删除之前的" in capsys.readouterr().err
    assert not (tmp_path / "c.csv.rejected.csv").exists()


def test_a_rejected_file_imported_again_gets_a_new_reason_in_place_of_the_old(
    base, tmp_path, capsys
):
    """Its rejected rows' file ended with `reason,reason`, the old reason kept as a value."""
    f = tmp_path / "o.csv"
    f.write_text(
        "customer,date,amount\nACME,2026-01-02,100\nACME,2026-13-02,5\nACME,2026-01-03,x\n",
        "utf-8",
    )
    assert crm(base, "import", "orders", str(f)) == 3
    rejected = tmp_path / "o.csv.rejected.csv"
    first = rejected.read_text("utf-8-sig").splitlines()
    assert first[0] == "customer,date,amount,reason" and len(first) == 3
    fixed = rejected.read_text("utf-8-sig").replace("2026-13-02", "2026-11-02")
    rejected.write_text(fixed, "utf-8-sig")  # the amount is still bad
    capsys.readouterr()
    assert crm(base, "import", "orders", str(rejected)) == 3
    err = capsys.readouterr().err
    assert "unknown columns" not in err and "imported 1" in err
    again = (tmp_path / "o.csv.rejected.csv.rejected.csv").read_text("utf-8-sig").splitlines()
    assert again[0] == "customer,date,amount,reason"
    # the same row, the same reason, once: at its line in the file imported (line 3 there)
    assert first[2].endswith(",line 4: amount: Not an amount: “x”")
    assert again[1] == first[2].replace("line 4:", "line 3:")


def test_huge_cell_rejects_its_row_only(base, tmp_path, capsys):
    f = tmp_path / "o.csv"
    f.write_text(
        f"customer,date,amount,product\nACME,2026-01-02,1,{'x' * 200_000}\nACME,2026-01-03,2,ok\n",
        "utf-8",
    )
    assert crm(base, "import", "orders", str(f)) == 3
    assert "line 2: product: Too long: 200,000 characters (at most 200)" in capsys.readouterr().err
    assert rows(base.path, "SELECT product FROM sales_order") == [("ok",)]


def test_export_then_import_round_trip(base, tmp_path):
    """Everything `crm export all` writes comes back the same, and nothing is doubled."""
    from crm_tui.store import export

    files = {
        "contacts": "customer,name,mobile,role\nACME,Bob,13900001111,decision_maker\n",
        "opportunities": "customer,name,stage,amount,contact,probability\n"
        "ACME,Deal,proposal,1000,Bob,\nACME,Big,won,5000,,90\n",
        "interactions": "customer,when,subject,channel,contact,next_step,next_step_due\n"
        "ACME,2026-03-01 10:05,Call,phone,Bob,Quote,2026-03-05\n",
        "tasks": "title,due,customer,status\nQuote,2026-03-05 09:30,ACME,planned\n",
        "orders": "customer,date,amount,order_no\nACME,2026-01-02,100.50,SO-1\nACME,2026-02-02,7,\n",
    }
    for kind, text in files.items():
        f = tmp_path / f"{kind}.csv"
        f.write_text(text, "utf-8")
        assert crm(base, "import", kind, str(f)) == 0, kind
    out = tmp_path / "export"
    out.mkdir()
    conn = sqlite3.connect(base.path)
    for kind in export.KINDS:
        export.export_kind(conn, kind, out / f"{kind}.csv")
    conn.close()

    from crm_tui.store.database import Database

    fresh = Database(tmp_path / "fresh.db")
    try:
        for kind in export.KINDS:
            assert main(["--db", str(fresh.path), "import", kind, str(out / f"{kind}.csv")]) == 0
        queries = {
            "customer": "SELECT code, name, total_amount_cents, last_order,"
            " last_interaction_at FROM customer",
            "contact": "SELECT name, mobile, role FROM contact ORDER BY id",
            "opportunity": "SELECT name, stage, amount_cents, probability,"
            " probability_overridden FROM opportunity ORDER BY id",
            "stage_change": "SELECT count(*) FROM stage_change",
            "interaction": "SELECT occurred_at, subject, next_step, next_step_due FROM interaction",
            "task": "SELECT title, due, due_time, status FROM task",
            "sales_order": "SELECT order_date, amount_cents, order_no FROM sales_order ORDER BY id",
        }
        for table, sql in queries.items():
            assert rows(fresh.path, sql) == rows(base.path, sql), table
    finally:
        fresh.close()


# --- fast paths of the customers import (each must give what the field specs give) -------

BANK_CARD = "6222 0212 3456 7894"  # 16 digits passing the Luhn check


def test_sensitive_numbers_in_any_text_column_rejected_with_line(db, tmp_path, capsys):
    full_width_id = (
        VALID_ID[:17].translate(str.maketrans("0123456789", "０１２３４５６７８９")) + "X"
    )
    f = tmp_path / "c.csv"
    f.write_text(
        "name,code,needs,owner,address,contact_name,contact_title,contact_phone,budget\n"
        "Fine Co,,,,,,,,\n"  # line 2
        f"Needs Co,,call about {VALID_ID},,,,,,\n"  # line 3
        f"Title Co,,,,,Ann,{VALID_ID[:6]} {VALID_ID[6:14]} {VALID_ID[14:]},,\n"  # line 4
        f"Owner Co,,,{BANK_CARD},,,,,\n"  # line 5
        f"Address Co,,,,Road {full_width_id},,,,\n"  # line 6
        f"Code Co,{VALID_ID},,,,,,,\n"  # line 7
        "Phone Co,,,,,,,110105491231002,\n"  # line 8: a 15-digit (old) ID number
        "Digits Co,,order 1234567890123 ok,,,,,,\n"  # line 9: 13 digits, neither rule
        f"{VALID_ID},,,,,,,,\n"  # line 10
        f"Phone X Co,,,,,,,{VALID_ID},\n",  # line 11: no phone number either, but an ID
        encoding="utf-8",
    )
    assert crm(db, "import", "customers", str(f)) == 3
    err = capsys.readouterr().err
    id_msg = "Looks like a national ID number; the CRM must not store ID numbers"
    card_msg = "Looks like a bank card number; the CRM must not store card numbers"
    for line, reason in {
        3: f"needs: {id_msg}",
        4: f"contact_title: {id_msg}",
        5: f"owner: {card_msg}",
        6: f"address: {id_msg}",
        7: f"code: {id_msg}",
        8: f"contact_phone: {id_msg}",
        10: f"name: {id_msg}",
        11: f"contact_phone: {id_msg}",
    }.items():
        assert f"line {line}: {reason}" in err
    assert "rejected 8" in err
    got = rows(db.path, "SELECT name, needs FROM customer ORDER BY id")
    assert got == [("Fine Co", None), ("Digits Co", "order 1234567890123 ok")]


def _spec_result(spec, name, text, keep_time=None):
    """What a column's field spec itself says about a cell (the import's reference)."""
    from crm_tui.store.import_common import spreadsheet_date
    from crm_tui.store.validation import ValidationError

    if keep_time is not None:
        text = spreadsheet_date(text, keep_time=keep_time)
    try:
        return True, spec(name, text)
    except ValidationError as exc:
        return False, exc.message


_cell = st.lists(
    st.sampled_from(
        [" ", "-", "1", "0", "12345", "1234567", "０", "X", "a", "@", ".", "x.com", "客户",
         "有限公司", "A", "retail", "零售", "2026-01-05", "2026年1月5日", "10:30", "won", "¥",
         ",", "\t", "true", "50%", VALID_ID, "3", "y" * 60]
    ),
    max_size=6,
).map("".join)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(_cell, min_size=0, max_size=12), pick=st.integers(0, 2))
def test_row_validator_matches_the_field_specs(cells, pick):
    from crm_tui.store.import_common import _DATE_FIELDS, _DATETIME_FIELDS, RowValidator
    from crm_tui.store.import_customers import _CUSTOMER_COLUMNS
    from crm_tui.store.import_records import OPPORTUNITY_FIELDS, TASK_FIELDS

    columns = [
        dict(_CUSTOMER_COLUMNS),
        {k: ("row", OPPORTUNITY_FIELDS, k) for k in OPPORTUNITY_FIELDS},
        {k: ("row", TASK_FIELDS, k) for k in TASK_FIELDS},
    ][pick]
    names = list(columns)[:12]
    check = RowValidator(enumerate(names), columns, {})
    expected: dict = {}
    reasons = []
    for i, column in enumerate(names):
        bucket, specs, field = columns[column]
        keep = False if field in _DATE_FIELDS else True if field in _DATETIME_FIELDS else None
        ok, value = _spec_result(specs[field], field, cells[i] if i < len(cells) else "", keep)
        if ok:
            expected[check.slots[(bucket, field)]] = value
        else:
            reasons.append(f"{column}: {value}")
    for _ in range(2):  # the second time from the memo
        try:
            got = check(cells)
        except Exception as exc:
            assert getattr(exc, "reasons", None) == reasons
        else:
            assert not reasons
            assert {i: v for i, v in enumerate(got) if i in expected} == expected


@pytest.mark.parametrize(
    ("column", "text"),
    [("contact_phone", p) for p in (
        "13800138000", " 13800138000 ", "12345", "1234", "123456789012", "1234567890123",
        "0755-8888 1234", "+86 138 0013 8000", "１３８００１３８０００", VALID_ID, "138-0013-8000x",
        "13800138000\n", "（０１０）１２３４－５６７８", "١٣٨٠٠١٣٨٠٠٠",
    )] + [("contact_email", e) for e in (
        "a@b.cn", " A.B@Example.COM ", "a@b", "a b@c.d", "@b.cn", "a@b.cn\n", "张@例子.中国",
        f"{VALID_ID}@qq.com", "wang@ｅｘａｍｐｌｅ.com", "ｗａｎｇ＠ｅｘａｍｐｌｅ。ｃｏｍ",
    )],
)  # fmt: skip
def test_phone_and_email_shortcuts_are_what_the_checks_say(column, text):
    from crm_tui.store.import_common import RowValidator
    from crm_tui.store.import_customers import _CUSTOMER_COLUMNS
    from crm_tui.store.validation import check_email, check_phone

    check = RowValidator([(0, column)], _CUSTOMER_COLUMNS, {})
    spec = check_phone if column == "contact_phone" else check_email
    ok, value = _spec_result(spec, "x", text)
    try:
        got = (True, check([text])[0])
    except Exception as exc:
        got = (False, exc.reasons[0].split(": ", 1)[1])  # type: ignore[attr-defined]
    assert got == (ok, value)


def test_duplicate_phones_whatever_their_format(base, tmp_path, capsys):
    f = tmp_path / "d.csv"
    f.write_text(
        "name,contact_phone\n"
        "P1,+86 138-0013-8000\n"  # base: 138 0013 8000
        "P2,008613800138000\n"
        "P3,(010) 1234-5678\n"
        "P4,010 1234 5678\n"  # same as P3
        "P5,8613800138001\n"  # a new mobile, so P6 matches it
        "P6,13800138001\n"
        "P7,123456\n"  # too short to compare
        "P8,123456\n",
        "utf-8",
    )
    assert crm(base, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    for line in (2, 3, 5, 7):
        assert re.search(f"line {line}: duplicate of .* \\(same phone\\); skipped", err)
    assert "line 4:" not in err and "line 6:" not in err and "line 9:" not in err
    got = rows(base.path, "SELECT c.name, k.mobile, k.phone FROM customer c"
               " LEFT JOIN contact k ON k.id = c.primary_contact_id ORDER BY c.id")  # fmt: skip
    assert got[1:] == [
        ("P3", None, "(010) 1234-5678"),
        ("P5", "8613800138001", None),
        ("P7", None, "123456"),
        ("P8", None, "123456"),
    ]


def test_a_full_width_phone_is_stored_in_ascii_and_found_as_a_duplicate(db, tmp_path, capsys):
    """A phone typed with a Chinese input method on (１３９…) was stored as typed: the
    same number in ASCII made a second customer, and the full-width mobile in the phone
    column was not taken for the mobile it is."""
    f = tmp_path / "客户.csv"
    f.write_text(
        "客户名称,联系人,电话\n乙公司,乙,１３９８７６５４３２１\n丙公司,丙,13987654321\n", "utf-8"
    )
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert re.search(r"line 3: duplicate of \S+ 乙公司 \(same phone\); skipped", err), err
    got = rows(db.path, "SELECT c.name, k.name, k.mobile, k.phone FROM customer c"
               " JOIN contact k ON k.customer_id = c.id ORDER BY k.id")  # fmt: skip
    assert got == [("乙公司", "乙", "13987654321", None)]
    # a contacts file: the full-width mobile, then the same one in ASCII
    for n, mobile in enumerate(("１３９１２３４５６７８", "13912345678")):
        k = tmp_path / f"k{n}.csv"
        k.write_text(f"customer,name,mobile\n乙公司,张三,{mobile}\n", "utf-8")
        assert crm(db, "import", "contacts", str(k)) == 0
    err = capsys.readouterr().err
    assert "imported 0, 1 unchanged" in err, err
    assert rows(db.path, "SELECT mobile FROM contact WHERE name = '张三'") == [("13912345678",)]


def test_full_width_emails_and_codes_are_stored_in_ascii(db, tmp_path, capsys):
    """ｄｉｎｇ＠ｅｘａｍｐｌｅ。ｃｏｍ (as the input method types it) is the address
    ding@example.com, and Ｃ００１ the code C001: each was stored as typed, so the same
    address or code in ASCII was taken for another."""
    f = tmp_path / "c.csv"
    f.write_text(
        "code,name,contact_email\n"
        "Ｃ００１,丁公司,ｄｉｎｇ＠ｅｘａｍｐｌｅ。ｃｏｍ\n"
        "C001,丁公司二,x@y.cn\n"
        "C002,戊公司,ding@example.com\n",
        "utf-8",
    )
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert re.search(r"line 3: duplicate of C001 丁公司 \(same code\); skipped", err), err
    assert re.search(r"line 4: possible duplicate of C001 丁公司 \(same email\)", err), err
    assert rows(
        db.path,
        "SELECT c.code, k.email FROM customer c JOIN contact k"
        " ON k.customer_id = c.id ORDER BY c.id",
    ) == [  # fmt: skip
        ("C001", "ding@example.com"),
        ("C002", "ding@example.com"),
    ]
    k = tmp_path / "k.csv"
    k.write_text("customer_code,name\nＣ００１,丁一\n", "utf-8")
    assert crm(db, "import", "contacts", str(k)) == 0, capsys.readouterr().err
    assert rows(db.path, "SELECT customer_id FROM contact WHERE name = '丁一'") == [(1,)]


def test_a_code_ending_in_a_superscript_digit_does_not_break_the_next_code(db, tmp_path, capsys):
    """str.isdigit() is true of "²", which int() refuses: the next code crashed."""
    odd = f"C{dt.date.today():%Y%m%d}²"
    f = tmp_path / "c.csv"
    f.write_text(f"code,name\n{odd},甲公司\n", "utf-8")
    assert crm(db, "import", "customers", str(f)) == 0
    g = tmp_path / "d.csv"
    g.write_text("name\n乙公司\n", "utf-8")
    assert crm(db, "import", "customers", str(g)) == 0, capsys.readouterr().err
    with db.session() as s:
        made = cs.create_customer(s, {"name": "丙公司"}).code
    assert [c for (c,) in rows(db.path, "SELECT code FROM customer ORDER BY id")] == [
        odd,
        f"C{dt.date.today():%Y%m%d}001",
        made,
    ]


@pytest.mark.parametrize(
    "a, b",
    [
        ("Acme Capital GmbH", "Acme Capital GmbH."),  # a trailing dot
        ("Acme Capital Co., Ltd.", "ACME capital co ltd"),
        ("Acme Capital Co., Ltd.", "Acme Capital Co. Ltd"),
        ("华为技术有限公司", "华为技术（有限公司）"),  # brackets around the form
        ("华为技术有限公司", "华为技术(有限公司)"),
        ("北京某某集团股份有限公司", "北京 某某 集团 股份有限公司"),
        ("ＡＢＣ 有限公司", "abc"),  # full width
        ("Smith & Sons Company Limited", "smith sons"),
    ],
)
def test_name_keys_see_through_punctuation_and_company_forms(a, b):
    assert normalise_name(a) == normalise_name(b) != ""


@pytest.mark.parametrize(
    "name, key",
    [
        ("Zinc Mining", "zincmining"),  # "inc" only as a word of its own
        ("Zinc", "zinc"),
        ("Costco", "costco"),
        ("有限公司", "有限"),  # nothing but a form: something is left
        ("Ltd", "ltd"),
        ("a_b", "ab"),
        ("", ""),
    ],
)
def test_name_keys_keep_what_is_not_a_company_form(name, key):
    assert normalise_name(name) == key


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(
        st.sampled_from(
            [*_SUFFIXES, " ", ",", ".", "a", "公", "Ltd", "CO.", "，", "Ｌｔｄ", "x", "华", "_", "（", ")"]
        ),
        max_size=6,
    ),
)  # fmt: skip
def test_a_name_key_is_stable(parts):
    """Whatever the pile of forms and punctuation, a key is a key: normalising it again,
    or the name with its punctuation changed, gives the same."""
    name = "Acme " + "".join(parts)
    key = normalise_name(name)
    assert key.isalnum() or key == ""
    assert normalise_name(name.replace(",", ".").replace("（", "(")) == key


def test_only_the_file_columns_are_written_and_defaults_kept(db, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(
        "name,first_contact,budget,contact_email\nAlpha,2026-01-05,100,a@x.com\nBeta,,,\n",
        "utf-8",
    )
    assert crm(db, "import", "customers", str(f)) == 0
    got = rows(
        db.path,
        "SELECT name, kind, status, first_contact, budget_cents, industry, total_amount_cents,"
        " version, owner, created_at = updated_at, primary_contact_id IS NOT NULL"
        " FROM customer ORDER BY id",
    )
    assert [g[:8] for g in got] == [
        ("Alpha", "company", "active", "2026-01-05", 10000, None, 0, 1),
        ("Beta", "company", "active", None, None, None, 0, 1),
    ]
    assert [g[9:] for g in got] == [(1, 1), (1, 0)]
    contact = rows(db.path, "SELECT name, email, version, created_at FROM contact")
    assert contact[0][:3] == ("Alpha", "a@x.com", 1) and contact[0][3]


def test_bulk_load_restores_the_search_index_settings(db, tmp_path, monkeypatch):
    from crm_tui.store import import_customers

    monkeypatch.setattr(import_customers, "BULK_INDEX_ROWS", 2)
    f = tmp_path / "c.csv"
    f.write_text("name,tags\nAlpha Trading,vip\nBeta Works,\n", "utf-8")
    assert crm(db, "import", "customers", str(f)) == 0
    config = dict(rows(db.path, "SELECT k, v FROM customer_search_config"))
    assert config.get("hashsize", 1024 * 1024) == 1024 * 1024
    conn = sqlite3.connect(db.path)
    conn.execute("INSERT INTO customer_search(customer_search) VALUES ('integrity-check')")
    conn.close()
    hits = rows(db.path, "SELECT rowid FROM customer_search WHERE customer_search MATCH 'Trad'")
    assert hits == [(1,)]


@settings(max_examples=1000, deadline=None)
@given(
    text=st.text(
        alphabet=st.sampled_from(list('a,"\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029 客')),
        max_size=60,
    ),
    chunk=st.integers(min_value=1, max_value=8),
)
def test_physical_lines_are_what_csv_read_from_stringio(text, chunk):
    import io

    from crm_tui.csvread import physical_lines

    lines = list(io.StringIO(text, newline=""))
    assert list(physical_lines(text)) == lines
    assert list(physical_lines(text, chunk)) == lines  # split a few characters at a time


@pytest.mark.parametrize("action", ["merge", "create", "skip"])
def test_search_rows_match_a_full_rebuild_after_duplicates(db, tmp_path, monkeypatch, action):
    from crm_tui.store import import_customers

    monkeypatch.setattr(import_customers, "BULK_INDEX_ROWS", 2)
    f = tmp_path / "c.csv"
    f.write_text(
        "name,code,contact_name,contact_phone,contact_email,tags\n"
        "Alpha Trading,,Ann Lee,13800138000,ann@alpha.com,vip\n"
        "Beta Works,B1,,,,\n"
        "ALPHA TRADING,,Al Bo,13900139000,,高潜力\n"
        "Gamma,B1,Gus,,gus@x.com,x\n",
        "utf-8",
    )
    assert crm(db, "import", "customers", str(f), "--on-duplicate", action) == 0

    def words() -> list[tuple]:
        return [
            (r[0], *(tuple(sorted((c or "").split())) for c in r[1:]))
            for r in rows(db.path, "SELECT rowid, * FROM customer_search ORDER BY rowid")
        ]

    imported = words()
    assert len(imported) == {"merge": 2, "create": 4, "skip": 2}[action]
    conn = sqlite3.connect(db.path)
    sq.rebuild_search_index(conn)
    conn.commit()
    conn.close()
    assert imported == words()


def test_bulk_import_goes_through_a_rollback_journal_and_leaves_wal(db, tmp_path, monkeypatch):
    """A big file is written once (no WAL copy to checkpoint) when the database is the
    import's alone; the result is the same, and WAL mode comes back."""
    import shutil

    from crm_tui.store import import_customers, importing

    text = (
        "name,contact_name,contact_phone,contact_email,tags\n"
        "Alpha Trading,Al,13800000001,al@alpha.com,vip;east\n"
        "Beta Works,Bo,13800000002,,vip\n"
        "Alpha Trading Ltd,Ann,,,\n"
    )
    f = tmp_path / "c.csv"
    f.write_text(text, "utf-8")
    copy = tmp_path / "copy.db"
    shutil.copyfile(db.path, copy)
    clock = dt.datetime(2026, 11, 23, 9, 30)  # one clock: the two runs may straddle a second
    assert import_file(copy, "customers", f, now=clock).committed  # the ordinary way
    monkeypatch.setattr(importing, "BULK_JOURNAL_ROWS", 2)
    monkeypatch.setattr(import_customers, "BULK_INDEX_ROWS", 2)
    switched: list = []
    real = sq.rollback_journal
    monkeypatch.setattr(sq, "rollback_journal", lambda c: switched.append(real(c)) or switched[-1])
    assert import_file(db.path, "customers", f, now=clock).committed
    assert switched[-1] is not None
    assert snapshot(db.path) == snapshot(copy)
    assert rows(db.path, "PRAGMA journal_mode") == [("wal",)]
    assert sq.check(sqlite3.connect(db.path)) == []

    # with another connection open the switch would have to wait: the import stays in WAL
    other = sqlite3.connect(copy)
    try:
        other.execute("SELECT count(*) FROM customer").fetchone()
        again = text.replace("Alpha", "Gamma").replace("Beta", "Delta").replace("@alpha", "@g")
        f.write_text(again.replace("1380000", "1390000"), "utf-8")
        assert import_file(copy, "customers", f).imported == 2
        assert switched[-1] is None
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        other.close()


def test_progress_reports_each_batch_once(db, tmp_path, capsys, monkeypatch):
    from crm_tui.store import importing

    monkeypatch.setattr(importing, "CHUNK", 2)
    monkeypatch.setenv("CRM_PROGRESS", "1")
    f = tmp_path / "c.csv"
    f.write_text("name\nA\nB\nC\nD\n", "utf-8")
    capsys.readouterr()
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err.splitlines()
    assert [line for line in err if line.startswith("progress")] == [
        "progress 2/4",
        "progress 4/4",
    ]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
@pytest.mark.parametrize("end", ["", "\n", "\r\n", "\n\n"])
def test_line_count_from_the_bytes_is_the_texts(tmp_path, encoding, end):
    from crm_tui.csvread import read_table

    f = tmp_path / "c.csv"
    f.write_bytes(("\n名称\n客户甲\r\n客户乙,“引号”\n\n客户丙" + end).encode(encoding))
    table = read_table(f, "customers")
    counted = table.count_lines()
    table._lines = None  # counted again from the decoded text
    assert counted == table.count_lines() == (5 if end == "\n\n" else 4)


def test_progress_ends_at_the_total_after_blank_lines(db, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("name\nA\nB\n\n\n", "utf-8")
    seen: list[tuple[int, int]] = []
    import_file(db.path, "customers", f, progress=lambda *p: seen.append(p))
    assert seen == [(2, 4), (4, 4)]


# --- customer codes: a row with a code belongs to that customer, never to a look-alike -------


def test_unknown_customer_code_is_refused_not_matched_by_name(base, tmp_path, capsys):
    code = rows(base.path, "SELECT code FROM customer")[0][0]
    f = tmp_path / "contacts.csv"
    f.write_text(
        "customer,customer_code,name\n"
        f"Nobody,  {code} ,Known\n"  # line 2: the code decides
        '"ACME Co., Ltd.",C20990101001,Lost\n'  # line 3: exact name, unknown code
        "acme company limited,,ByName\n",  # line 4: no code: by (normalised) name
        "utf-8",
    )
    assert crm(base, "import", "contacts", str(f)) == 3
    err = capsys.readouterr().err
    assert (
        "line 3: customer_code: no customer has the code “C20990101001”"
        " (a row with a customer code is never matched by name)"
    ) in err
    assert "imported 2, rejected 1" in err
    assert rows(base.path, "SELECT name FROM contact ORDER BY id") == [
        ("Ann",),
        ("Known",),
        ("ByName",),
    ]


def _two_look_alikes(db, tmp_path: Path) -> Path:
    """Two customers whose names normalise alike, each with its own records; exported."""
    from crm_tui.store import export

    f = tmp_path / "c.csv"
    f.write_text(
        "code,name,industry\nC20231129003,Granite Cloud Ltd.,finance\n"
        "C20240531002,Granite Cloud LLC,retail\n",
        "utf-8",
    )
    assert import_file(db.path, "customers", f, on_duplicate="create").committed
    for kind, text in {
        "contacts": "customer_code,name\nC20231129003,Ann\nC20240531002,Bob\nC20240531002,Cy\n",
        "orders": "customer_code,date,amount\nC20231129003,2026-01-02,10\n"
        "C20240531002,2026-02-03,200\n",
        "opportunities": "customer_code,name\nC20240531002,Deal\n",
        "interactions": "customer_code,when,subject\nC20240531002,2026-03-01 10:00,Call\n",
        "tasks": "customer_code,title,due\nC20240531002,Call back,2026-03-05\n",
    }.items():
        g = tmp_path / f"in-{kind}.csv"
        g.write_text(text, "utf-8")
        assert import_file(db.path, kind, g).committed
    out = tmp_path / "export"
    out.mkdir()
    conn = sqlite3.connect(db.path)
    for kind in export.KINDS:
        export.export_kind(conn, kind, out / f"{kind}.csv")
    conn.close()
    return out


_BY_CUSTOMER = {
    "contact": "SELECT c.code, x.name FROM contact x JOIN customer c ON c.id = x.customer_id",
    "sales_order": "SELECT c.code, x.amount_cents FROM sales_order x"
    " JOIN customer c ON c.id = x.customer_id",
    "opportunity": "SELECT c.code, x.name FROM opportunity x JOIN customer c"
    " ON c.id = x.customer_id",
    "interaction": "SELECT c.code, x.subject FROM interaction x JOIN customer c"
    " ON c.id = x.customer_id",
    "task": "SELECT c.code, x.title FROM task x JOIN customer c ON c.id = x.customer_id",
    "customer": "SELECT code, name, industry, total_amount_cents, last_interaction_at"
    " FROM customer",
}


def test_export_all_into_an_empty_database_keeps_look_alike_customers_apart(db, tmp_path, capsys):
    """`crm export all`, then each file imported with the defaults: the same data, nothing
    moved to the customer whose name looks alike, and the look-alike pair is noted."""
    from crm_tui.store import export
    from crm_tui.store.database import Database

    out = _two_look_alikes(db, tmp_path)
    fresh = Database(tmp_path / "fresh.db")
    try:
        capsys.readouterr()
        for kind in export.KINDS:
            assert main(["--db", str(fresh.path), "import", kind, str(out / f"{kind}.csv")]) == 0
            err = capsys.readouterr().err
            if kind == "customers":
                assert (
                    "line 3: possible duplicate of C20231129003 Granite Cloud Ltd. (same name);"
                    " created, as the file gives it a code of its own (C20240531002)"
                ) in err
        for table, sql in _BY_CUSTOMER.items():
            assert sorted(rows(fresh.path, sql)) == sorted(rows(db.path, sql)), table
    finally:
        fresh.close()


def test_a_duplicate_of_an_existing_customer_with_its_own_code_says_what_follows(
    db, tmp_path, capsys
):
    """Into a database that has the look-alike already, the row is a duplicate as ever, but
    the note says so, and the records naming its code are refused with their lines."""
    from crm_tui.store.database import Database

    out = _two_look_alikes(db, tmp_path)
    other = tmp_path / "other.db"
    Database(other).close()
    f = tmp_path / "one.csv"
    f.write_text("code,name\nC20250101001,Granite Cloud Limited\n", "utf-8")
    assert import_file(other, "customers", f).committed
    capsys.readouterr()
    assert main(["--db", str(other), "import", "customers", str(out / "customers.csv")]) == 0
    err = capsys.readouterr().err
    for line, code in ((2, "C20231129003"), (3, "C20240531002")):
        assert (
            f"line {line}: duplicate of C20250101001 Granite Cloud Limited (same name); skipped:"
            f" records naming its code {code} will find no customer"
            " (--on-duplicate create imports it)"
        ) in err
    assert main(["--db", str(other), "import", "contacts", str(out / "contacts.csv")]) == 3
    err = capsys.readouterr().err
    assert "imported 0, rejected 3" in err
    assert "line 2: customer_code: no customer has the code “C20231129003”" in err
    assert rows(other, "SELECT count(*) FROM contact") == [(0,)]


def test_rows_with_distinct_codes_of_one_file_are_distinct_whatever_the_action(db, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(
        "code,name\nK1,Look Alike Ltd\nK2,Look Alike LLC\n,LOOK ALIKE\nK1,Look Alike Again\n",
        "utf-8",
    )
    result = import_file(db.path, "customers", f, on_duplicate="merge")
    assert rows(db.path, "SELECT code, name FROM customer ORDER BY id") == [
        ("K1", "Look Alike Ltd"),
        ("K2", "Look Alike LLC"),
    ]
    notes = {n.line: n.message for n in result.duplicates}
    assert notes[3].startswith("possible duplicate of K1 Look Alike Ltd (same name); created")
    # a row without a code, and one with a known code, are duplicates as ever
    assert notes[4] == "duplicate of K2 Look Alike LLC (same name); nothing new to merge"
    assert notes[5] == "duplicate of K1 Look Alike Ltd (same code); nothing new to merge"


# --- vocabularies ----------------------------------------------------------------------


def test_chinese_level_labels_alone_are_accepted(db, tmp_path, capsys):
    f = tmp_path / "客户.csv"
    f.write_bytes(
        "客户名称,客户等级\n甲公司,战略客户\n乙公司,重要客户\n丙公司,普通客户\n丁公司,潜在客户\n"
        "戊公司,A 战略客户\n".encode("gbk")
    )
    assert crm(db, "import", "customers", str(f)) == 0, capsys.readouterr().err
    assert rows(db.path, "SELECT level FROM customer ORDER BY id") == [
        ("A",),
        ("B",),
        ("C",),
        ("D",),
        ("A",),
    ]


# --- encodings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        ("name,needs\nCafé Müller GmbH,crème\n", "cp1252", "cp1252"),
        # every accented letter followed by an ASCII letter: decodes as GB18030 too
        ("name,needs\nMüller GmbH,crème brûlée\n", "cp1252", "cp1252"),
        ("name,city\nStraße AG,Köln; € 100\n", "cp1252", "cp1252"),
        ("name\nZażółć gęślą jaźń sp. z o.o.\n", "cp1250", "cp1250"),
        ("名称,行业\n上海华为技术有限公司,制造业\n喆堃商贸,零售业\n", "gbk", "gb18030"),
        ("名称\n北京明远科技\n", "gb18030", "gb18030"),
        ("名称\n北京明远科技\n", "utf-8", "utf-8-sig"),
        ("名称\n北京明远科技\n", "utf-8-sig", "utf-8-sig"),
    ],
)
def test_encoding_detection(text, encoding, expected):
    from crm_tui.csvread import decode

    got, found = decode(text.encode(encoding))
    assert (got.lstrip("\ufeff"), found) == (text, expected)


def _windows_gbk(text: str) -> bytes:
    """``text`` as Chinese Windows' code page 936 saves it: GBK, with ``€`` the byte 0x80
    (Python's gbk and gb18030 codecs have no such byte)."""
    return b"\x80".join(part.encode("gbk") for part in text.split("€"))


def test_a_gbk_file_with_a_euro_sign_is_read_as_gbk_not_as_western_garbage(db, tmp_path, capsys):
    """Excel on a Chinese Windows writes € as the single byte 0x80, which GB18030 lacks:
    the file was read as Windows-1252 (欧元公司 stored as Å·Ôª¹«Ë¾, exit 0), and with
    Chinese headings refused for a missing name column."""
    f = tmp_path / "euro.csv"
    f.write_bytes(
        _windows_gbk("name,budget,needs\r\n欧元公司,100,价格€100\r\n北京科技有限公司,200,需求\r\n")
    )
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "euro.csv: 2 data rows (GB18030, “,”)" in err and "guess" not in err
    assert rows(db.path, "SELECT name, budget_cents, needs FROM customer ORDER BY id") == [
        ("欧元公司", 10000, "价格€100"),
        ("北京科技有限公司", 20000, "需求"),
    ]
    g = tmp_path / "欧元.csv"  # Chinese headings; a few rarer characters beside the €
    g.write_bytes(_windows_gbk("客户名称,主要需求\r\n王喆,€100\r\n"))
    assert crm(db, "import", "customers", str(g)) == 0
    err = capsys.readouterr().err
    assert "(GB18030, “,”)" in err and "imported 1" in err
    assert rows(db.path, "SELECT name, needs FROM customer WHERE id = 3") == [("王喆", "€100")]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # 0x80 as the second byte of a character is that character (亐 is 0x81 0x80)
        (
            b"name\n" + "亐".encode("gb18030") + _windows_gbk("€北京明远科技\n"),
            ("name\n亐€北京明远科技\n", "gb18030"),
        ),
        # Windows-1252 has € at 0x80 too: a Western file stays Western
        (b"name,needs\nM\xfcller GmbH,\x80 100\n", ("name,needs\nMüller GmbH,€ 100\n", "cp1252")),
        (b"name,needs\nAcme,\x80100\n", ("name,needs\nAcme,€100\n", "cp1252")),
        # any other byte GB18030 lacks is no euro sign
        (_windows_gbk("名称\n北京明远科技€\n") + b"\xff\n", (None, "cp1252")),
    ],
)
def test_a_lone_0x80_is_the_euro_sign_only_where_a_character_starts(data, expected):
    from crm_tui.csvread import decode

    text, encoding = decode(data)
    assert (text if expected[0] is not None else None, encoding) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"name,needs\n" + "张三公司,x\n".encode() + "李四公司,y\n".encode("gbk"),
            "Line 3 is not UTF-8 but line 2 is: the file mixes two encodings",
        ),
        (
            b"\xef\xbb\xbfname,needs\n" + "李四公司,y\n".encode("gbk"),
            "The file starts as UTF-8 but line 2 is not",
        ),
    ],
)
def test_a_file_in_two_encodings_is_refused_not_read_as_garbage(
    db, tmp_path, capsys, data, message
):
    """Read as GB18030, its UTF-8 rows came in as 寮犱笁鍏徃, without a word; with a BOM
    the header read 锘縩ame and the import said only that `name` was missing."""
    f = tmp_path / "mixed.csv"
    f.write_bytes(data)
    assert crm(db, "import", "customers", str(f)) == 1
    assert message in capsys.readouterr().err
    assert rows(db.path, "SELECT count(*) FROM customer") == [(0,)]


def test_a_big5_file_is_read_as_big5_and_the_guess_is_said(db, tmp_path, capsys):
    f = tmp_path / "b5.csv"
    f.write_bytes("name,needs\nBig5公司,測試\n".encode("big5"))
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "b5.csv: 1 data row (Big5, “,”)" in err
    assert "it reads as Big5 (Traditional Chinese), which is a guess" in err
    assert rows(db.path, "SELECT name, needs FROM customer") == [("Big5公司", "測試")]
    g = tmp_path / "gbk.csv"  # GBK, Traditional characters and all: sure, no guess
    g.write_bytes("name,needs\n臺灣公司,測試\n".encode("gbk"))
    assert crm(db, "import", "customers", str(g)) == 0
    err = capsys.readouterr().err
    assert "(GB18030, “,”)" in err and "guess" not in err
    assert rows(db.path, "SELECT name FROM customer ORDER BY id") == [("Big5公司",), ("臺灣公司",)]


def test_a_western_file_is_read_as_windows_1252_and_the_guess_is_said(db, tmp_path, capsys):
    f = tmp_path / "latin1.csv"
    f.write_bytes(b"name,needs\nCaf\xe9 M\xfcller GmbH,cr\xe8me\n")
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "latin1.csv: 1 data row (cp1252, “,”)" in err
    assert "its encoding cp1252 is a guess" in err
    assert rows(db.path, "SELECT name, needs FROM customer") == [("Café Müller GmbH", "crème")]
    g = tmp_path / "utf8.csv"
    g.write_text("name\nMüller\n", "utf-8")
    assert crm(db, "import", "customers", str(g)) == 0
    assert "is a guess" not in capsys.readouterr().err


# --- malformed CSV: quotes and ragged rows -------------------------------------------------


def test_unclosed_quote_and_extra_values_are_rejected_with_their_lines(db, tmp_path, capsys):
    import csv
    import io

    f = tmp_path / "ragged.csv"
    f.write_text(
        "name,industry\n"
        "Rag One Ltd,finance,extra,more\n"  # line 2: two values too many
        "Rag Two Ltd\n"  # line 3: fine
        '"Stray quote Ltd,finance\n'  # line 4: never closed before line 6
        "Rag Three,retail\n"  # line 5
        '"Smith, John",finance\n'  # line 6: a proper quoted value
        '"Acme" Ltd,retail\n'  # line 7: read as spreadsheets do: Acme Ltd
        '"unterminated quote Ltd,finance\n',  # line 8: runs to the end of the file
        "utf-8",
    )
    assert crm(db, "import", "customers", str(f)) == 3
    err = capsys.readouterr().err
    quote = 'unclosed quote (") on this line; a quote inside a value is written twice ("")'
    assert "line 2: 4 values, but the header has 2" in err
    assert f"line 4: {quote}" in err
    assert f"line 8: {quote}" in err
    assert "7 data rows" in err and "imported 4, rejected 3" in err
    assert rows(db.path, "SELECT name, industry FROM customer ORDER BY id") == [
        ("Rag Two Ltd", None),
        ("Rag Three", "retail"),
        ("Smith, John", "finance"),
        ("Acme Ltd", "retail"),
    ]
    data = (tmp_path / "ragged.csv.rejected.csv").read_text("utf-8-sig")
    table = list(csv.reader(io.StringIO(data, newline="")))
    assert table == [
        ["name", "industry", "extra_1", "extra_2", "reason"],
        [
            "Rag One Ltd",
            "finance",
            "extra",
            "more",
            "line 2: 4 values, but the header has 2",
        ],
        ['"Stray quote Ltd', "finance", "", "", f"line 4: {quote}"],
        ['"unterminated quote Ltd', "finance", "", "", f"line 8: {quote}"],
    ]
    # the fixed file imports; values left in the extra columns would be reported
    fixed = data.replace('"""Stray', "Stray").replace('"""unterminated', "unterminated")
    g = tmp_path / "fixed.csv"
    g.write_text(fixed.replace(",extra,more,", ",,,"), "utf-8")
    assert crm(db, "import", "customers", str(g)) == 0
    assert "unknown columns ignored: extra_1, extra_2" in capsys.readouterr().err
    assert rows(db.path, "SELECT count(*) FROM customer") == [(7,)]


@settings(max_examples=200, deadline=None)
@given(
    table=st.lists(
        st.lists(st.text(alphabet=st.sampled_from(list('ab ,;"\n\r客')), max_size=6), min_size=2,
                 max_size=2),
        min_size=1, max_size=6,
    ),
    junk=st.text(alphabet=st.sampled_from(list('ab,"\n')), max_size=12),
)  # fmt: skip
def test_csv_records_well_formed_exactly_and_any_text_without_error(tmp_path_factory, table, junk):
    import csv
    import io

    from crm_tui.csvread import CsvTable, Unreadable

    def records(text: str) -> list[tuple[int, list[str]]]:
        t = CsvTable(tmp_path_factory.mktemp("r") / "x.csv", "utf-8", ",", "", ["a", "b"], {},
                     [], text=text)  # fmt: skip
        return list(t.records())

    out = io.StringIO(newline="")
    csv.writer(out).writerows([["a", "b"], *table])
    got = records(out.getvalue())
    assert [cells for _line, cells in got] == [r for r in table if any(c.strip() for c in r)]
    # anything: records in order, unreadable ones with their reason last
    lines = [line for line, _cells in records(out.getvalue() + junk)]
    assert lines == sorted(set(lines))
    for _line, cells in records('a,b\n"x\n' + junk):
        assert all(c.__class__ is not Unreadable for c in cells[:-1])


def test_a_second_column_for_one_field_is_reported_as_such(db, tmp_path, capsys):
    f = tmp_path / "dup.csv"
    f.write_text("name,客户名称\nAcme,Other\n", encoding="utf-8")
    assert crm(db, "import", "customers", str(f)) == 0
    err = capsys.readouterr().err
    assert "unknown columns ignored: 客户名称 (a second name column)" in err
    assert rows(db.path, "SELECT name FROM customer") == [("Acme",)]


@pytest.mark.parametrize(
    ("kind", "text", "column"),
    [
        (
            "interactions",
            "customer,when,subject\nACME,0001-01-01,old\nACME,1900-01-01,ok\n",
            "when",
        ),
        (
            "customers",
            "name,first_contact\nOld Ltd,0500-01-01\nNew Ltd,1900-01-01\n",
            "first_contact",
        ),
        ("customers", "name,created_at\nOld Ltd,0500-01-01\nNew Ltd,1999-01-01\n", "created_at"),
        (
            "tasks",
            "title,due,status,completed_at\nold,2026-11-01,done,0500-01-01 10:00\n"
            "ok,2026-11-01,done,2026-11-02 10:00\n",
            "completed_at",
        ),
    ],
)
def test_a_happened_date_before_1900_is_rejected_not_stored_unreadable(
    base, tmp_path, capsys, kind, text, column
):
    """0500-01-01 was stored as "500-01-01 …", which crm check called corrupt and an export
    wrote back unreadable: the year is mistyped, the row is rejected like any bad date."""
    f = tmp_path / "old.csv"
    f.write_text(text, "utf-8")
    assert crm(base, "import", kind, str(f)) == 3
    err = capsys.readouterr().err
    assert f"line 2: {column}: This date is before 1900-01-01: check the year" in err, err
    assert "imported 1" in err
    assert crm(base, "check") == 0


# --- records already there: contacts, deals, interactions and tasks are not imported twice ----

RECORD_KINDS = ("contacts", "opportunities", "interactions", "tasks")
RECORD_TABLES = {
    "contacts": "contact", "opportunities": "opportunity", "interactions": "interaction",
    "tasks": "task",
}  # fmt: skip


def count(db, table: str) -> int:
    return rows(db.path, f"SELECT count(*) FROM {table}")[0][0]


@pytest.fixture
def exported(db, tmp_path, capsys):
    """A demo database and its `crm export all` folder."""
    assert crm(db, "demo", "--customers", "40", "--seed", "5") == 0
    out = tmp_path / "exp"
    assert crm(db, "export", "all", "--out", str(out)) == 0
    capsys.readouterr()
    return db, out


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_reimporting_an_export_changes_nothing_and_says_unchanged(exported, kind, capsys):
    db, out = exported
    before = snapshot(db.path)
    n = count(db, RECORD_TABLES[kind])
    assert crm(db, "import", kind, str(out / f"{kind}.csv"), "--dry-run") == 0
    dry = capsys.readouterr().err
    assert f"would import 0, {n} unchanged, rejected 0" in dry
    assert crm(db, "import", kind, str(out / f"{kind}.csv")) == 0
    err = capsys.readouterr().err
    assert f"imported 0, {n} unchanged, rejected 0" in err
    assert snapshot(db.path) == before  # nothing written, not even the import log
    # a second try is not refused as "already imported": nothing was
    assert crm(db, "import", kind, str(out / f"{kind}.csv")) == 0
    assert "already imported" not in capsys.readouterr().err


def test_forecast_stays_the_same_after_reimporting_everything(exported, tmp_path, capsys):
    db, out = exported
    assert crm(db, "report", "forecast", "--format", "csv") == 0
    forecast = capsys.readouterr().out
    for kind in ("customers", *RECORD_KINDS, "orders"):
        assert crm(db, "import", kind, str(out / f"{kind}.csv")) == 0, kind
    capsys.readouterr()
    assert crm(db, "report", "forecast", "--format", "csv") == 0
    assert capsys.readouterr().out == forecast


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_on_duplicate_create_imports_them_again(exported, kind, capsys):
    db, out = exported
    n = count(db, RECORD_TABLES[kind])
    assert crm(db, "import", kind, str(out / f"{kind}.csv"), "--on-duplicate", "create") == 0
    err = capsys.readouterr().err
    assert f"imported {n}, rejected 0" in err and "warning" not in err
    assert count(db, RECORD_TABLES[kind]) == 2 * n


#: per kind: a header, a row, the same record again (case and spacing aside, or saying
#: less), and rows differing in the key (each a new record)
SAME_AND_OTHER = {
    "contacts": (
        "customer,name,mobile,email,title",
        "ACME,Bob Li,13900001111,bob@acme.com,CTO",
        ["acme,  bob   LI ,139 0000 1111,BOB@acme.com,", "ACME,Bob Li,,,CTO"],
        [
            "ACME,Bob Li,13900002222,,",  # another mobile: another Bob Li
            "ACME,Bob Li,13900001111,bob2@acme.com,",  # the same mobile, another email
            "ACME,Rob Li,13900001111,,",
        ],  # another name
    ),
    "opportunities": (
        "customer,name,amount,stage,created",
        "ACME,ERP 2026,1000,proposal,2026-01-05 10:00",
        ["ACME,erp  2026,1000,proposal,2026-01-05 10:00", "ACME,ERP 2026,,,2026-01-05 10:00"],
        [
            "ACME,ERP 2026,1000,proposal,2026-02-05 10:00",  # created at another time
            "ACME,ERP 2027,1000,proposal,2026-01-05 10:00",
        ],
    ),
    "interactions": (
        "customer,when,subject,channel",
        "ACME,2026-03-01 10:05,Call about quote,phone",
        [
            "ACME,2026-03-01 10:05,call about  QUOTE,phone",
            "ACME,2026-03-01 10:05,Call about quote,",
        ],
        [
            "ACME,2026-03-01 10:06,Call about quote,phone",
            "ACME,2026-03-01 10:05,Call about price,phone",
        ],
    ),
    "tasks": (
        "title,due,customer,status",
        "Send quote,2026-03-05 09:30,ACME,planned",
        ["send  Quote,2026-03-05 09:30,ACME,planned", "Send quote,2026-03-05,ACME,"],
        [
            "Send quote,2026-03-06 09:30,ACME,planned",  # another day
            "Send quote,2026-03-05 15:00,ACME,planned",  # another time that day
            "Send quote,2026-03-05 09:30,,planned",
        ],  # no customer
    ),
}


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_the_same_row_twice_in_a_file_is_imported_once(base, tmp_path, capsys, kind):
    header, row, same, _other = SAME_AND_OTHER[kind]
    f = tmp_path / "f.csv"
    f.write_text("\n".join([header, row, row, *same]) + "\n", "utf-8")
    before = count(base, RECORD_TABLES[kind])  # (the customer's contact Ann)
    assert crm(base, "import", kind, str(f)) == 0
    err = capsys.readouterr().err
    assert f"imported 1, {1 + len(same)} unchanged, rejected 0" in err, err
    assert count(base, RECORD_TABLES[kind]) == before + 1
    g = tmp_path / "g.csv"  # and again, from another file: all of it is there already
    g.write_text("\n".join([header, *same]) + "\n", "utf-8")
    assert crm(base, "import", kind, str(g)) == 0
    assert f"imported 0, {len(same)} unchanged" in capsys.readouterr().err
    assert count(base, RECORD_TABLES[kind]) == before + 1


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_a_row_differing_in_the_key_is_imported(base, tmp_path, capsys, kind):
    header, row, _same, other = SAME_AND_OTHER[kind]
    f = tmp_path / "f.csv"
    f.write_text(f"{header}\n{row}\n", "utf-8")
    assert crm(base, "import", kind, str(f)) == 0
    before = count(base, RECORD_TABLES[kind])
    g = tmp_path / "g.csv"
    g.write_text("\n".join([header, *other]) + "\n", "utf-8")
    assert crm(base, "import", kind, str(g)) == 0
    assert f"imported {len(other)}, rejected 0" in capsys.readouterr().err
    assert count(base, RECORD_TABLES[kind]) == before + len(other)


def test_a_known_record_saying_otherwise_is_skipped_with_a_note_or_merged(base, tmp_path, capsys):
    f = tmp_path / "f.csv"
    f.write_text("customer,name,title\nACME,Bob,CTO\n", "utf-8")
    assert crm(base, "import", "contacts", str(f)) == 0
    g = tmp_path / "g.csv"
    g.write_text("customer,name,title,department,mobile\nACME,bob,CEO,Sales,13900001111\n", "utf-8")
    assert crm(base, "import", "contacts", str(g), "--dry-run") == 0
    dry = capsys.readouterr().err
    assert "would import 0, skipped 1 duplicates, rejected 0" in dry
    assert crm(base, "import", "contacts", str(g)) == 0
    err = capsys.readouterr().err
    assert "imported 0, skipped 1 duplicates, rejected 0" in err
    assert (
        "line 2: already in the database (same customer and name); skipped: the file says"
        " otherwise in title, department, mobile" in err
    )
    assert rows(base.path, "SELECT title, department, mobile FROM contact WHERE name = 'Bob'") == [
        ("CTO", None, None)
    ]
    assert crm(base, "import", "contacts", str(g), "--on-duplicate", "merge") == 0
    err = capsys.readouterr().err
    assert "imported 0, updated 1, rejected 0" in err
    assert "merged, filled: department, mobile (kept as they were: title)" in err
    assert rows(base.path, "SELECT title, department, mobile FROM contact WHERE name = 'Bob'") == [
        ("CTO", "Sales", "13900001111")
    ]
    # the merged mobile is found by search
    assert rows(
        base.path, "SELECT count(*) FROM customer_search WHERE phones LIKE '%13900001111%'"
    ) == [(1,)]
    assert crm(base, "import", "contacts", str(g), "--on-duplicate", "merge", "--again") == 0
    err = capsys.readouterr().err
    assert "imported 0, 1 unchanged, rejected 0" in err
    assert "nothing new to merge (kept as they were: title)" in err


def test_a_merged_task_keeps_its_status_and_fills_its_notes(base, tmp_path, capsys):
    f = tmp_path / "f.csv"
    f.write_text("title,due,customer,status\nCall,2026-03-05,ACME,planned\n", "utf-8")
    assert crm(base, "import", "tasks", str(f)) == 0
    g = tmp_path / "g.csv"
    g.write_text(
        "title,due,customer,status,notes\nCall,2026-03-05,ACME,done,ask for Ann\n", "utf-8"
    )
    assert crm(base, "import", "tasks", str(g), "--on-duplicate", "merge") == 0
    err = capsys.readouterr().err
    assert "updated 1" in err and "(kept as they were: status)" in err
    assert rows(base.path, "SELECT status, notes, version FROM task") == [
        ("planned", "ask for Ann", 2)
    ]


def test_a_deal_without_created_is_matched_by_customer_and_name(base, tmp_path, capsys):
    f = tmp_path / "f.csv"
    f.write_text("customer,name,amount\nACME,Big deal,5000\n", "utf-8")
    assert crm(base, "import", "opportunities", str(f)) == 0
    # the same spreadsheet later, the deal won meanwhile: still the same deal
    conn = sqlite3.connect(base.path)
    conn.execute("UPDATE opportunity SET stage = 'won', probability = 100")
    conn.commit()
    conn.close()
    assert crm(base, "import", "opportunities", str(f), "--again") == 0
    assert "imported 0, 1 unchanged" in capsys.readouterr().err
    assert count(base, "opportunity") == 1


def test_reimported_interactions_leave_the_last_interaction_alone(base, tmp_path, capsys):
    f = tmp_path / "f.csv"
    f.write_text("customer,when,subject\nACME,2026-03-01 10:05,Call\n", "utf-8")
    assert crm(base, "import", "interactions", str(f)) == 0
    before = snapshot(base.path)
    g = tmp_path / "g.csv"
    g.write_text("customer,when,subject\nACME,2026-03-01 10:05:00,CALL\n", "utf-8")
    assert crm(base, "import", "interactions", str(g)) == 0
    assert "imported 0, 1 unchanged" in capsys.readouterr().err
    assert snapshot(base.path) == before


def test_a_customer_name_that_says_another_customer_than_the_code_is_said(base, tmp_path, capsys):
    """The code wins (exports carry both), but a name naming another customer went by
    in silence: the row's note says which customer it went to."""
    g = tmp_path / "other.csv"
    g.write_text("name\nOther Co\n", encoding="utf-8")
    assert crm(base, "import", "customers", str(g)) == 0
    (acme,) = rows(base.path, "SELECT code FROM customer WHERE name LIKE 'ACME%'")
    f = tmp_path / "contacts.csv"
    f.write_text(
        "customer_code,customer,name\n"
        f"{acme[0]},Other Co,Wang\n"  # another customer's name beside ACME's code
        f'{acme[0]},"ACME Co., Ltd.",Li\n'  # its own name: nothing to say
        f"{acme[0]},acme co ltd,Zhao\n",  # its name written another way: the same customer
        encoding="utf-8",
    )
    capsys.readouterr()
    assert crm(base, "import", "contacts", str(f)) == 0
    err = capsys.readouterr().err
    assert (
        f"line 2: customer code “{acme[0]}” is “ACME Co., Ltd.”, not “Other Co”: the row went"
        " to “ACME Co., Ltd.”" in err
    )
    assert "line 3" not in err and "line 4" not in err
    assert rows(base.path, "SELECT count(*) FROM contact c JOIN customer u ON u.id = c.customer_id"
                " WHERE u.code = ?", (acme[0],)) == [(4,)]  # fmt: skip


def test_a_cell_starting_as_a_spreadsheet_formula_rejects_its_row(db, tmp_path, capsys):
    f = tmp_path / "c.csv"
    f.write_text('name,needs\n"=HYPERLINK(""http://x"",""Acme"")",\nGood Co,+86 138\n', "utf-8")
    assert crm(db, "import", "customers", str(f)) == 3
    err = capsys.readouterr().err
    assert "line 2: name: Starts as a spreadsheet formula does (“=H…”)" in err
    assert rows(db.path, "SELECT name, needs FROM customer") == [("Good Co", "+86 138")]
    # the rejected file, opened in Excel to mend the row, does not run it either
    rejected = (tmp_path / "c.csv.rejected.csv").read_text("utf-8-sig").splitlines()
    assert rejected[1].startswith('"\'=HYPERLINK(""http://x"",""Acme"")"')
