"""`crm export`: BOM, headers, formats, Chinese round trip, `all`, exit codes, and write_csv."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import sqlite3

import pytest

from crm_tui.cli import main
from crm_tui.csvio import write_csv
from crm_tui.store import export
from crm_tui.store.demo import TAGS, generate

AS_OF = dt.date(2026, 11, 23)
EXPECTED_COLUMNS = {
    "customers": {"code", "name", "industry", "level", "status", "budget", "tags"},
    "contacts": {"customer", "customer_code", "name", "title", "mobile", "email"},
    "opportunities": {"customer", "name", "amount", "stage", "expected_close", "created"},
    "interactions": {"customer", "when", "subject", "channel", "contact", "attitude"},
    "tasks": {"title", "due", "customer", "type", "status"},
    "orders": {"customer", "date", "amount", "product", "order_no"},
}


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "crm.db"
    generate(path, customers=80, seed=11, as_of=AS_OF)
    return path


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def export_stdout(capfd, db, kind) -> list[list[str]]:
    assert main(["--db", str(db), "export", kind]) == 0
    out = capfd.readouterr().out
    return read(out.encode("utf-8"))


@pytest.mark.parametrize("kind", export.KINDS)
def test_each_kind_to_stdout(capfd, demo_path, kind):
    table = export_stdout(capfd, demo_path, kind)
    header, body = table[0], table[1:]
    assert tuple(header) == export.header(kind)
    assert EXPECTED_COLUMNS[kind] <= set(header)
    assert body and all(len(r) == len(header) for r in body)
    conn = sqlite3.connect(demo_path)
    table_name = {
        "customers": "customer", "contacts": "contact", "opportunities": "opportunity",
        "interactions": "interaction", "tasks": "task", "orders": "sales_order",
    }[kind]  # fmt: skip
    assert len(body) == conn.execute(f"SELECT count(*) FROM {table_name}").fetchone()[0]
    conn.close()


def test_formats(capfd, demo_path):
    orders = export_stdout(capfd, demo_path, "orders")
    h = orders[0]
    for row in orders[1:]:
        assert re.fullmatch(r"\d+\.\d\d", row[h.index("amount")])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row[h.index("date")])
        assert re.fullmatch(r"C\d{11,}", row[h.index("customer_code")])
    inter = export_stdout(capfd, demo_path, "interactions")
    h = inter[0]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", r[h.index("when")]) for r in inter[1:])
    assert {r[h.index("channel")] for r in inter[1:]} <= {
        "phone", "email", "meeting", "visit", "online_meeting", "wechat",
    }  # fmt: skip
    opps = export_stdout(capfd, demo_path, "opportunities")
    h = opps[0]
    stages = {r[h.index("stage")] for r in opps[1:]}
    assert stages <= {"initial_contact", "needs_confirmed", "proposal", "negotiation", "won",
                      "after_sales", "lost"}  # fmt: skip
    customers = export_stdout(capfd, demo_path, "customers")
    h = customers[0]
    tags = [r[h.index("tags")] for r in customers[1:] if r[h.index("tags")]]
    assert tags and any(";" in t for t in tags)
    assert {part for t in tags for part in t.split(";")} <= set(TAGS)
    assert any(r[h.index("budget")] for r in customers[1:])


def test_chinese_round_trips_through_utf8_sig(capfd, demo_path):
    conn = sqlite3.connect(demo_path)
    names = [n for (n,) in conn.execute("SELECT name FROM customer ORDER BY id")]
    conn.close()
    table = export_stdout(capfd, demo_path, "customers")
    col = table[0].index("name")
    assert [r[col] for r in table[1:]] == names
    assert any("有限公司" in n for n in names)


def test_all_writes_every_kind_into_a_folder(tmp_path, demo_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["--db", str(demo_path), "export", "all"]) == 0
    folder = tmp_path / f"crm-export-{dt.date.today():%Y%m%d}"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{k}.csv" for k in export.KINDS)
    assert "customers" in capsys.readouterr().out
    for kind in export.KINDS:
        data = (folder / f"{kind}.csv").read_bytes()
        assert tuple(read(data)[0]) == export.header(kind)
        assert (folder / f"{kind}.csv").stat().st_mode & 0o077 == 0
    out = tmp_path / "mine"
    capsys.readouterr()
    assert main(["--db", str(demo_path), "export", "all", "--out", str(out)]) == 0
    assert len(list(out.glob("*.csv"))) == len(export.KINDS)
    assert "Not in the CSV files: payments, sales targets and stage history" in (
        capsys.readouterr().err
    )  # the round trip loses them: said, so the folder is not taken for a backup


def test_single_kind_to_a_file_or_folder(tmp_path, demo_path, capsys):
    target = tmp_path / "orders.csv"
    assert main(["--db", str(demo_path), "export", "orders", "--out", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert read(target.read_bytes())[0][0] == "customer"
    assert main(["--db", str(demo_path), "export", "tasks", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "tasks.csv").exists()


def test_progress_is_told_as_records_are_written(tmp_path, demo_path, monkeypatch):
    monkeypatch.setattr(export, "PROGRESS_EVERY", 20)
    conn = sqlite3.connect(demo_path)
    (tasks,) = conn.execute("SELECT count(*) FROM task").fetchone()
    told: list[tuple] = []
    count = export.export_kind(conn, "tasks", tmp_path / "t.csv", lambda *a: told.append(a))
    assert count == tasks > 40
    assert told == [*((n, tasks) for n in range(20, tasks, 20)), (tasks, tasks)]
    told.clear()
    counts = export.export_all(conn, tmp_path / "all", lambda *a: told.append(a))
    conn.close()
    assert [t for t in told if t[1] == t[2]] == [(k, counts[k], counts[k]) for k in export.KINDS]


#: kind → (a SELECT of some records' ids, its parameters, the CSV column and the value
#: that tells those records in the whole export)
ONLY = {
    "customers": ("SELECT c.id FROM customer c WHERE c.level = ?", ["A"], "level", "A"),
    "contacts": ("SELECT p.id FROM contact p WHERE p.role = ?", ["decision_maker"], "role",
                 "decision_maker"),
    "opportunities": ("SELECT o.id FROM opportunity o WHERE o.stage = ?", ["won"], "stage", "won"),
    "interactions": ("SELECT i.id FROM interaction i WHERE i.channel = ?", ["visit"], "channel",
                     "visit"),
    "tasks": ("SELECT t.id FROM task t WHERE t.status = ?", ["done"], "status", "done"),
    "orders": ("SELECT o.id FROM sales_order o WHERE o.product = ?", ["年度维保"], "product",
               "年度维保"),
}  # fmt: skip


@pytest.mark.parametrize("kind", export.KINDS)
def test_only_writes_those_records_as_crm_export_writes_them(
    capfd, tmp_path, demo_path, monkeypatch, kind
):
    """``only`` (a list screen's search and filters): the header and the rows of `crm export
    KIND` (in its order, every cell the same), less the records it leaves out; the progress
    counts those records only."""
    whole = export_stdout(capfd, demo_path, kind)
    sql, params, column, value = ONLY[kind]
    at = whole[0].index(column)
    expected = [r for r in whole[1:] if r[at] == value]
    assert 0 < len(expected) < len(whole) - 1
    monkeypatch.setattr(export, "PROGRESS_EVERY", 5)
    told: list[tuple[int, int]] = []
    conn = sqlite3.connect(demo_path)
    count = export.export_kind(
        conn, kind, tmp_path / "some.csv", lambda *a: told.append(a), only=(sql, params)
    )
    conn.close()
    table = read((tmp_path / "some.csv").read_bytes())
    assert table[0] == whole[0]
    assert table[1:] == expected
    assert count == len(expected)
    assert {total for _done, total in told} == {len(expected)}
    assert told[-1] == (len(expected), len(expected))


def test_only_selecting_nothing_writes_the_header_alone(tmp_path, demo_path):
    conn = sqlite3.connect(demo_path)
    only = ("SELECT c.id FROM customer c WHERE c.name = ?", ["no such customer"])
    assert export.export_kind(conn, "customers", tmp_path / "none.csv", only=only) == 0
    conn.close()
    assert read((tmp_path / "none.csv").read_bytes()) == [list(export.header("customers"))]


@pytest.mark.parametrize("on_terminal", [True, False])
def test_a_long_export_shows_progress_on_a_terminal_only(
    tmp_path, demo_path, capsys, monkeypatch, on_terminal
):
    """A terminal sees a line per file that ends before the summary; a pipe or a log
    file gets no carriage returns."""
    monkeypatch.setattr(export, "PROGRESS_EVERY", 100)
    monkeypatch.setattr("sys.stderr.isatty", lambda: on_terminal)
    assert main(["--db", str(demo_path), "export", "all", "--out", str(tmp_path / "a")]) == 0
    assert main(["--db", str(demo_path), "export", "tasks", "--out", str(tmp_path / "t.csv")]) == 0
    out, err = capsys.readouterr()
    if on_terminal:
        assert "\rExporting interactions.csv 100%\n" in err
        assert "\rExporting t.csv 100%\nExported " in err
    else:
        assert "\r" not in err and "Exporting" not in err
    assert out.startswith("Exported ")  # the summary of all, on a line of its own


def test_exit_codes(tmp_path, demo_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(demo_path), "export", "nonsense"])
    assert exc.value.code == 2
    capsys.readouterr()
    missing = tmp_path / "no" / "such" / "folder" / "x.csv"
    assert main(["--db", str(demo_path), "export", "orders", "--out", str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert f"cannot write {missing}: " in err  # the path given, not a hidden temporary file
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(["--db", str(demo_path), "export", "all", "--out", str(blocker)]) == 1
    assert capsys.readouterr().err.startswith("error: ")


def test_empty_database_exports_headers_only(tmp_path, capfd):
    from crm_tui.store.database import Database

    db = tmp_path / "empty.db"
    Database(db).close()
    table = export_stdout(capfd, db, "customers")
    assert table == [list(export.header("customers"))]


def test_an_export_imports_back(tmp_path, demo_path, capsys):
    folder = tmp_path / "out"
    assert main(["--db", str(demo_path), "export", "all", "--out", str(folder)]) == 0
    fresh = str(tmp_path / "fresh.db")
    for kind in ("customers", "contacts", "opportunities", "orders"):
        assert main(["--db", fresh, "import", kind, str(folder / f"{kind}.csv")]) == 0, kind
    capsys.readouterr()
    a, b = sqlite3.connect(demo_path), sqlite3.connect(fresh)
    for sql in (
        "SELECT code, name, level, status, budget_cents FROM customer ORDER BY code",
        "SELECT sum(amount_cents), count(*) FROM sales_order",
        "SELECT stage, count(*), sum(amount_cents) FROM opportunity GROUP BY stage",
    ):
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall(), sql
    a.close()
    b.close()


def test_write_csv_streams_rows_with_bom_and_empty_none(tmp_path):
    def rows():
        yield ("上海明远科技有限公司", None, 3)
        yield ('quote "x", y', "", 4)

    buf = io.StringIO(newline="")
    assert write_csv(rows(), ["name", "note", "n"], buf) == 2
    text = buf.getvalue()
    assert text.startswith("\ufeffname,note,n\r\n")
    assert list(csv.reader(io.StringIO(text[1:], newline=""))) == [
        ["name", "note", "n"], ["上海明远科技有限公司", "", "3"], ['quote "x", y', "", "4"],
    ]  # fmt: skip
    path = tmp_path / "x.csv"
    assert write_csv(iter([]), ["a"], path) == 0
    assert path.read_bytes() == b"\xef\xbb\xbfa\r\n"
    assert [p.name for p in tmp_path.iterdir()] == ["x.csv"]


def test_a_file_written_through_a_link_or_into_a_pipe_keeps_what_is_there(tmp_path):
    """`--out` a symbolic link writes its target (the link stays); a device or a pipe
    is written into, never replaced by a file (run as root, `--out /dev/null` replaced
    the system's /dev/null with a file of the report)."""
    import os
    import threading

    target = tmp_path / "target.csv"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert write_csv([("a",)], ["x"], link) == 1
    assert link.is_symlink() and target.read_bytes() == "\ufeffx\r\na\r\n".encode()

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(pipe.read_bytes()), daemon=True)
    reader.start()
    write_csv([("b",)], ["y"], pipe)
    reader.join(10)
    assert got == ["\ufeffy\r\nb\r\n".encode()]
    assert pipe.is_fifo() and not list(tmp_path.glob(".pipe*"))


@pytest.mark.parametrize("command", ["export", "report"])
def test_out_through_a_link_writes_its_file_in_place(demo_path, tmp_path, capsys, command):
    """`--out` a link to an existing file: that file gets the data in place, keeping its
    mode and its other hard links (it was replaced by a new 0600 file: the link's file
    changed mode, and a second name of it kept the old data)."""
    import os
    import stat

    target = tmp_path / "shared" / "target.csv"
    target.parent.mkdir()
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    other = tmp_path / "other-name.csv"
    os.link(target, other)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    args = ["export", "orders"] if command == "export" else ["report", "abc", "--format", "csv"]
    assert main(["--db", str(demo_path), *args, "--out", str(link)]) == 0, capsys.readouterr()
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and len(read(data)) > 1
    assert link.is_symlink() and other.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == 0o640 and target.stat().st_nlink == 2
    assert sorted(p.name for p in target.parent.iterdir()) == ["target.csv"]  # no temporary


def test_a_failed_write_through_a_link_leaves_its_file_untouched(tmp_path):
    target = tmp_path / "target.csv"
    target.write_bytes(b"old")
    link = tmp_path / "link.csv"
    link.symlink_to(target)

    def rows():
        yield ("a",)
        raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        write_csv(rows(), ["x"], link)
    assert target.read_bytes() == b"old" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "target.csv"]


def test_a_file_with_another_hard_link_is_written_in_place(tmp_path):
    import os

    target = tmp_path / "a.csv"
    target.write_bytes(b"old")
    os.link(target, tmp_path / "b.csv")
    assert write_csv([("1",)], ["x"], target) == 1
    assert (tmp_path / "b.csv").read_bytes() == "\ufeffx\r\n1\r\n".encode()


def _database_copy(demo_path, folder, name: str = "crm.db"):
    import shutil

    db = folder / name
    shutil.copy(demo_path, db)
    return db, db.read_bytes()


@pytest.mark.parametrize(
    "command", [["export", "customers", "--out"], ["report", "rfm", "--format", "csv", "--out"]]
)
@pytest.mark.parametrize("name", ["crm.db", "crm.db-wal", "link.db"])
def test_out_never_overwrites_the_database(tmp_path, demo_path, capsys, command, name):
    """`--out crm.db` (a slip of the shell's completion) replaced every record with a CSV."""
    db, before = _database_copy(demo_path, tmp_path)
    (tmp_path / "link.db").symlink_to(db)
    assert main(["--db", str(db), *command, str(tmp_path / name)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is a file of the database itself" in err
    assert db.read_bytes() == before and not (tmp_path / "crm.db-wal").exists()
    assert main(["--db", str(db), "check"]) == 0


def test_export_all_never_overwrites_the_database(tmp_path, demo_path, capsys):
    db, before = _database_copy(demo_path, tmp_path, "customers.csv")
    assert main(["--db", str(db), "export", "all", "--out", str(tmp_path)]) == 1
    assert "is a file of the database itself" in capsys.readouterr().err
    assert db.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["customers.csv"]


# --- a damaged database ----------------------------------------------------------------


def damaged_copy(demo_path, tmp_path, btree: str):
    """A copy of the demo database with a backup made by `crm backup`, then a damaged page
    of ``btree``; returns it and that backup."""
    import shutil

    from damaged_db import damage_page

    from crm_tui.store.backups import backup_dir, list_backups

    db = tmp_path / "w" / "damaged.db"
    db.parent.mkdir()
    shutil.copyfile(demo_path, db)
    assert main(["--db", str(db), "backup"]) == 0
    damage_page(db, btree)
    return db, list_backups(backup_dir(db))[-1]


@pytest.mark.parametrize(
    ("kind", "btree", "to_file"),
    [
        ("contacts", "contact", False),
        ("contacts", "contact", True),
        ("opportunities", "opportunity", False),
        ("interactions", "interaction", True),
        ("tasks", "task", False),
        ("all", "contact", True),
    ],
)
def test_an_export_meeting_a_damaged_page_says_how_to_restore(
    demo_path, tmp_path, capsys, kind, btree, to_file
):
    db, newest = damaged_copy(demo_path, tmp_path, btree)
    out = db.parent / "out"
    capsys.readouterr()
    argv = ["--out", str(out)] if to_file else []
    assert main(["--db", str(db), "export", kind, *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: {db} is damaged (")
    assert f"crm --db {db} restore FILE" in err[0] and str(newest) in err[0]
    assert sorted(p.name for p in db.parent.iterdir()) == ["damaged.db"]  # nothing half written


def test_a_failed_export_all_leaves_no_folder_nor_an_earlier_export_changed(
    demo_path, tmp_path, capsys
):
    db, _newest = damaged_copy(demo_path, tmp_path, "contact")
    new = tmp_path / "new" / "sub" / "folder"
    assert main(["--db", str(db), "export", "all", "--out", str(new)]) == 1
    assert not (tmp_path / "new").exists()  # nor the folders made for it
    earlier = tmp_path / "earlier"
    assert main(["--db", str(demo_path), "export", "all", "--out", str(earlier)]) == 0
    (earlier / "notes.txt").write_text("mine")
    (earlier / "customers.csv").write_bytes(b"old customers")
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    capsys.readouterr()
    assert main(["--db", str(db), "export", "all", "--out", str(earlier)]) == 1
    assert "is damaged" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before


def test_export_all_into_an_existing_folder_replaces_its_files_and_keeps_links(
    demo_path, tmp_path, capsys
):
    import os
    import stat

    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    (folder / "orders.csv").write_bytes(b"old")
    (folder / "orders.csv").chmod(0o644)
    kept = tmp_path / "kept.csv"
    kept.write_text("old tasks")
    kept.chmod(0o640)
    (folder / "tasks.csv").symlink_to(kept)
    assert main(["--db", str(demo_path), "export", "all", "--out", str(folder)]) == 0
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted([*(f"{k}.csv" for k in export.KINDS), "notes.txt"])  # no temporary
    for kind in export.KINDS:
        assert tuple(read((folder / f"{kind}.csv").read_bytes())[0]) == export.header(kind)
        if kind != "tasks":
            assert stat.S_IMODE((folder / f"{kind}.csv").stat().st_mode) == 0o600
    assert (folder / "tasks.csv").is_symlink() and read(kept.read_bytes())[0][0] == "title"
    assert stat.S_IMODE(os.stat(kept).st_mode) == 0o640


def test_a_write_problem_is_said_in_chinese_too(tmp_path, demo_path, capsys):
    """`无法写入 …：No such file or directory`: the system's words stayed English."""
    target = tmp_path / "no-such-folder" / "c.csv"
    assert (
        main(["--db", str(demo_path), "--lang", "zh", "export", "customers", "--out", str(target)])
        == 1
    )
    assert capsys.readouterr().err.strip().endswith("没有那个文件或目录")


def test_one_record_exported_is_counted_in_the_singular(db, tmp_path, capsys):
    from crm_tui.store import customers as cs

    with db.session() as s:
        cs.create_customer(s, {"name": "Acme"})
    out = tmp_path / "c.csv"
    assert main(["--db", str(db.path), "export", "customers", "--out", str(out)]) == 0
    assert capsys.readouterr().err == f"Exported 1 customer to {out}\n"  # "1 customers"


def test_export_all_that_cannot_write_names_the_folder_not_its_staging_copy(
    demo_path, tmp_path, capsys, monkeypatch
):
    """The error named the hidden staging folder (`ro/.all.partial-8863-0`)."""
    out = tmp_path / "ro"

    def refused(conn, folder, progress=None):
        raise PermissionError(13, "Permission denied", str(out / ".all.partial-1-0"))

    monkeypatch.setattr(export, "export_all", refused)
    assert main(["--db", str(demo_path), "export", "all", "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"error: cannot write {out}: Permission denied\n"
