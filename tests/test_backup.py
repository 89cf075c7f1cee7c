"""`crm backup` / `crm restore`: online copies, retention, automatic backups, verified restore."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import stat
import threading
from pathlib import Path

import pytest

from crm_tui.cli import main
from crm_tui.settings import Settings
from crm_tui.store import sqlite as sq
from crm_tui.store.backups import (
    BackupError,
    auto_backup_if_due,
    backup_dir,
    backup_problem,
    last_backup_time,
    list_backups,
    make_backup,
    verify,
)
from crm_tui.store.database import HEAD_REVISION


def add_customers(path, n: int, start: int = 0) -> None:
    conn = sq.connect(path)
    try:
        conn.executemany(
            "INSERT INTO customer (code, name, name_norm, kind, status, total_amount_cents, version)"
            " VALUES (?, ?, ?, 'company', 'active', 0, 1)",
            [(f"T{i}", f"Name {i}", f"name{i}") for i in range(start, start + n)],
        )
        sq.rebuild_search_index(conn)  # every customer has its search row (crm check)
        conn.commit()
    finally:
        conn.close()


def count(path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT count(*) FROM customer").fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_connection_writes(db, tmp_path):
    add_customers(db.path, 100)
    stop = threading.Event()
    written = threading.Event()
    errors: list[BaseException] = []

    def writer() -> None:
        i = 1000
        try:
            while not stop.is_set():
                add_customers(db.path, 10, i)
                i += 10
                written.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert written.wait(30)
        target = make_backup(db.path, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join(30)
    assert not errors
    assert verify(target) == HEAD_REVISION
    copied = count(target)
    assert 100 < copied <= count(db.path)
    assert copied % 10 == 0  # whole transactions only
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600


def test_cli_backup_default_folder_mode_and_retention(db, tmp_path, capsys):
    (tmp_path / "config.toml").write_text("backup_keep = 2\n", encoding="utf-8")
    made = []
    for _ in range(3):
        assert main(["--db", str(db.path), "backup"]) == 0
        made.append(capsys.readouterr().out.strip())
    folder = backup_dir(db.path)
    assert folder.parent == tmp_path / "xdg-data" / "crm-tui" / "backups"
    assert folder.name.startswith("crm-")
    kept = list_backups(folder)
    assert [str(p) for p in kept] == made[1:]
    for p in kept:
        assert p.name.startswith("crm-") and p.suffix == ".db"
        assert stat.S_IMODE(p.stat().st_mode) == 0o600
    assert last_backup_time(folder) is not None


def test_cli_backup_out_file(db, tmp_path, capsys):
    add_customers(db.path, 3)
    out = tmp_path / "mine.db"
    assert main(["--db", str(db.path), "backup", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert count(out) == 3


def test_cli_backup_out_a_folder_writes_a_dated_copy_in_it(db, tmp_path, capsys):
    add_customers(db.path, 2)
    folder = tmp_path / "usb"
    folder.mkdir()
    assert main(["--db", str(db.path), "backup", "--out", str(folder)]) == 0
    written = Path(capsys.readouterr().out.strip())
    assert written.parent == folder and written.name.startswith("crm-")
    assert written.suffix == ".db" and count(written) == 2
    assert [p.name for p in folder.iterdir()] == [written.name]  # no partial file left


def test_auto_backup_only_when_due(db, tmp_path):
    folder = tmp_path / "bk"
    assert last_backup_time(folder) is None
    first = auto_backup_if_due(db.path, Settings(backup_keep=3), folder)
    assert first is not None and first.exists()
    assert auto_backup_if_due(db.path, Settings(backup_keep=3), folder) is None
    old = (dt.datetime.now() - dt.timedelta(days=2)).timestamp()
    os.utime(first, (old, old))
    second = auto_backup_if_due(db.path, Settings(backup_keep=3), folder)
    assert second is not None and second != first
    assert last_backup_time(folder) >= dt.datetime.now().replace(microsecond=0) - dt.timedelta(
        minutes=5
    )


def test_a_refusal_is_checked_again_at_the_next_start_even_with_a_recent_backup(db, tmp_path):
    """The app stops on a noted refusal: once the file is whole again (mended by other
    means than `crm restore`), the next start must find that out, not stop again."""
    from crm_tui.store.backups import backup_problem

    folder = tmp_path / "bk"
    assert auto_backup_if_due(db.path, Settings(backup_keep=3), folder) is not None
    (folder / "backup-refused.txt").write_text("page 12 is damaged\n")  # as `crm backup` noted
    again = auto_backup_if_due(db.path, Settings(backup_keep=3), folder)
    assert again is not None  # tried again although the newest backup is minutes old
    assert backup_problem(folder) is None  # healthy: the note is gone


def test_restore_replaces_after_backing_up_current(db, tmp_path, capsys):
    add_customers(db.path, 5)
    saved = make_backup(db.path, tmp_path / "five.db")
    add_customers(db.path, 7, 100)
    assert count(db.path) == 12
    db.close()
    assert main(["--db", str(db.path), "restore", str(saved)]) == 0
    err = capsys.readouterr().err
    assert "previous database saved as" in err
    assert count(db.path) == 5
    safety = [p for p in list_backups(backup_dir(db.path)) if "before-restore" in p.name]
    assert len(safety) == 1 and count(safety[0]) == 12
    assert stat.S_IMODE(os.stat(db.path).st_mode) == 0o600
    assert main(["--db", str(db.path), "check"]) == 0


def test_backup_and_restore_through_a_link_keep_the_link_and_never_replace_a_pipe(db, tmp_path):
    """A link given as the backup or as the database: the file it points to is written
    or replaced, the link stays; a pipe or a device is refused, never replaced."""
    add_customers(db.path, 3)
    saved = tmp_path / "saved.db"
    out = tmp_path / "out-link.db"
    out.symlink_to(saved)
    make_backup(db.path, out)
    assert out.is_symlink() and count(saved) == 3
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(BackupError, match="is not a file"):
        make_backup(db.path, pipe)
    assert pipe.is_fifo()
    add_customers(db.path, 4, 100)
    db.close()
    link = tmp_path / "db-link.db"
    link.symlink_to(db.path)
    assert main(["--db", str(link), "restore", str(saved)]) == 0
    assert link.is_symlink() and count(db.path) == 3


def test_restore_waits_for_the_app_to_close_the_file(db, tmp_path, capsys):
    """Replaced under a running app the file would keep its connections on the old one,
    and every later save would go with it: refused while the app has it open."""
    from crm_tui.app import make_app

    add_customers(db.path, 5)
    saved = make_backup(db.path, tmp_path / "five.db")
    add_customers(db.path, 7, 100)
    db.close()
    app = make_app(db.path)  # what `crm` opens: the file stays marked open until it quits
    assert main(["--db", str(db.path), "restore", str(saved)]) == 1
    err = capsys.readouterr().err
    assert f"crm is open on {db.path}: quit it first, then restore" in err
    assert count(db.path) == 12  # untouched, and no safety copy of it was made
    assert not [p for p in list_backups(backup_dir(db.path)) if "before-restore" in p.name]
    other = make_app(db.path)  # a second window on the same file is fine
    other.db.close()
    app.db.close()
    assert main(["--db", str(db.path), "restore", str(saved)]) == 0
    assert count(db.path) == 5


@pytest.mark.parametrize("damage", ["random", "truncated", "not_crm", "newer"])
def test_restore_refuses_bad_files(db, tmp_path, capsys, damage):
    add_customers(db.path, 4)
    bad = tmp_path / "bad.db"
    if damage == "random":
        bad.write_bytes(os.urandom(8192))
    elif damage == "truncated":
        good = make_backup(db.path, tmp_path / "good.db")
        data = good.read_bytes()
        bad.write_bytes(data[:100] + os.urandom(len(data) - 100))
    elif damage == "not_crm":
        conn = sqlite3.connect(bad)
        conn.execute("CREATE TABLE x (y)")
        conn.commit()
        conn.close()
    else:
        shutil.copyfile(make_backup(db.path, tmp_path / "good.db"), bad)
        conn = sqlite3.connect(bad)
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
        conn.commit()
        conn.close()
    capsys.readouterr()
    assert main(["--db", str(db.path), "restore", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(bad) in err and err.count("\n") == 1
    assert count(db.path) == 4
    assert not [p for p in list_backups(backup_dir(db.path)) if "before-restore" in p.name]


def test_verify_reports_problem(tmp_path):
    f = tmp_path / "x.db"
    f.write_text("hello", encoding="utf-8")
    with pytest.raises(BackupError, match="not a SQLite database"):
        verify(f)


def test_each_database_keeps_its_own_backups(tmp_path):
    from crm_tui.store.database import Database

    real = Database(tmp_path / "real.db")
    scratch = Database(tmp_path / "scratch.db")
    make_backup(real.path, keep=1)
    for _ in range(3):
        make_backup(scratch.path, keep=1)
    assert backup_dir(real.path) != backup_dir(scratch.path)
    assert len(list_backups(backup_dir(real.path))) == 1  # not pushed out by the scratch file


def test_backup_folders_are_private(db):
    target = make_backup(db.path)
    for folder in (target.parent, target.parent.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


# --- a damaged database is never backed up ------------------------------------------


def damaged_with_backups(db, tmp_path, n: int, keep: int = 3):
    """``db`` with ``n`` good backups (each over a day old), then a damaged page."""
    from damaged_db import damage_page

    add_customers(db.path, 20)
    folder = backup_dir(db.path)
    for i in range(n):
        made = make_backup(db.path, keep=keep)
        old = (dt.datetime.now() - dt.timedelta(days=10 - i)).timestamp()
        os.utime(made, (old, old))
    db.close()
    damage_page(db.path)
    return folder


def test_cli_backup_refuses_a_damaged_database(db, tmp_path, capsys):
    folder = damaged_with_backups(db, tmp_path, 2)
    good = list_backups(folder)
    capsys.readouterr()
    assert main(["--db", str(db.path), "backup"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert "is damaged (Page " in err and "no backup was made" in err
    assert str(good[-1]) in err and str(folder) in err  # where to restore from
    assert list_backups(folder) == good
    assert not [p for p in folder.iterdir() if p.name.endswith(".partial")]


def test_backup_out_refuses_a_damaged_database_and_keeps_the_old_file(db, tmp_path, capsys):
    from damaged_db import damage_page

    add_customers(db.path, 6)
    out = tmp_path / "mine.db"
    assert main(["--db", str(db.path), "backup", "--out", str(out)]) == 0
    before = out.read_bytes()
    db.close()
    damage_page(db.path)
    capsys.readouterr()
    assert main(["--db", str(db.path), "backup", "--out", str(out)]) == 1
    assert "is damaged" in capsys.readouterr().err
    assert out.read_bytes() == before and verify(out) == HEAD_REVISION
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_auto_backup_never_rotates_out_the_good_backups(db, tmp_path):
    """A week of daily starts on a damaged file: the last good backups all survive."""
    folder = damaged_with_backups(db, tmp_path, 3, keep=3)
    good = list_backups(folder)
    for _day in range(7):
        with pytest.raises(BackupError, match="is damaged"):
            auto_backup_if_due(db.path, Settings(backup_keep=3))
    assert list_backups(folder) == good
    assert all(verify(p) == HEAD_REVISION for p in good)
    assert backup_problem(folder) is not None  # the app's header warns


def test_a_good_backup_clears_the_warning(db, tmp_path):
    folder = backup_dir(db.path)
    make_backup(db.path)
    (folder / "backup-refused.txt").write_text("Page 48: btreeInitPage()\n")
    assert backup_problem(folder) == "Page 48: btreeInitPage()"
    make_backup(db.path)
    assert backup_problem(folder) is None


def test_backup_out_into_a_missing_folder_is_an_error(db, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "folder" / "x.db"
    assert main(["--db", str(db.path), "backup", "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(target) in err and err.count("\n") == 1
    assert not (tmp_path / "no").exists()  # a mistyped path is not created


def test_restore_over_a_damaged_database_keeps_it_aside_not_as_a_backup(db, tmp_path, capsys):
    folder = damaged_with_backups(db, tmp_path, 1)
    [good] = list_backups(folder)
    with pytest.raises(BackupError):
        make_backup(db.path)
    assert backup_problem(folder) is not None
    capsys.readouterr()
    assert main(["--db", str(db.path), "restore", str(good)]) == 0
    assert "damaged-" in capsys.readouterr().err
    kept = [p.name for p in folder.iterdir() if p.name.startswith("damaged-")]
    assert len(kept) == 1 and kept[0].endswith("-before-restore.db")
    assert list_backups(folder) == [good]  # never offered as the newest backup, never pruned
    assert backup_problem(folder) is None
    assert main(["--db", str(db.path), "check"]) == 0


def test_a_backups_folder_that_is_a_file_is_one_error_line(db, capsys):
    """CLI.md: a failure is one `error:` line, never a traceback, whatever is in the way."""
    folder = backup_dir(db.path)
    folder.parent.mkdir(parents=True, exist_ok=True)
    folder.write_text("not a folder")
    try:
        assert main(["--db", str(db.path), "backup"]) == 1
        err = capsys.readouterr().err
        assert err.startswith("error: cannot use ") and len(err.splitlines()) == 1
        assert "Traceback" not in err
    finally:
        folder.unlink()


# --- a database file emptied to 0 bytes -----------------------------------------------


def emptied_with_backups(db, n: int = 2):
    """``db`` with ``n`` good backups (each over a day old), then truncated to 0 bytes."""
    folder = with_good_backups(db, n)
    db.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db.path}{suffix}").unlink(missing_ok=True)
    db.path.write_bytes(b"")  # (`: > crm.db`)
    return folder


def with_good_backups(db, n: int) -> Path:
    add_customers(db.path, 5)
    for i in range(n):
        made = make_backup(db.path, keep=3)
        old = (dt.datetime.now() - dt.timedelta(days=10 - i)).timestamp()
        os.utime(made, (old, old))
    return backup_dir(db.path)


@pytest.mark.parametrize("argv", [["check"], ["backup"], ["export", "customers"]])
def test_an_emptied_database_with_backups_is_damaged_not_new(db, capsys, argv):
    folder = emptied_with_backups(db)
    good = list_backups(folder)
    capsys.readouterr()
    assert main(["--db", str(db.path), *argv]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"error: {db.path} is damaged (emptied to 0 bytes); ")
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"crm --db {db.path} restore FILE" in err and str(good[-1]) in err
    assert db.path.stat().st_size == 0  # not made a new database
    assert list_backups(folder) == good


def test_an_emptied_database_is_never_backed_up_nor_rotates_the_good_ones_out(db):
    folder = emptied_with_backups(db, 3)
    good = list_backups(folder)
    for _day in range(5):
        with pytest.raises(BackupError, match="emptied to 0 bytes"):
            auto_backup_if_due(db.path, Settings(backup_keep=3))
        with pytest.raises(BackupError, match="no backup was made"):
            make_backup(db.path, keep=3)
    assert list_backups(folder) == good
    assert backup_problem(folder) == "emptied to 0 bytes"  # the app's header warns
    assert db.path.stat().st_size == 0


def test_an_emptied_database_opened_by_the_app_is_refused(db):
    from crm_tui.app import make_app
    from crm_tui.store.database import DatabaseError

    folder = emptied_with_backups(db)
    with pytest.raises(DatabaseError, match="emptied to 0 bytes") as refused:
        make_app(db.path)
    assert str(list_backups(folder)[-1]) in str(refused.value)
    assert db.path.stat().st_size == 0


def test_restoring_over_an_emptied_database_keeps_it_aside_not_as_a_backup(db, capsys):
    folder = emptied_with_backups(db)
    good = list_backups(folder)
    assert main(["--db", str(db.path), "restore", str(good[-1])]) == 0
    assert list_backups(folder) == good  # the empty file is not the newest backup
    assert [p.name for p in folder.iterdir() if p.name.startswith("damaged-")]
    assert count(db.path) == 5 and backup_problem(folder) is None


def test_an_empty_file_without_backups_is_a_new_database(tmp_path, capsys):
    new = tmp_path / "new.db"
    new.touch(mode=0o600)
    assert main(["--db", str(new), "check"]) == 0
    assert capsys.readouterr().out.strip() == f"ok: {new}"
    assert main(["--db", str(new), "backup"]) == 0
    assert len(list_backups(backup_dir(new))) == 1


@pytest.mark.parametrize("as_given", ["itself", "hard link", "its -wal"])
def test_backup_out_never_writes_over_the_database_or_its_companions(
    db, tmp_path, capsys, as_given
):
    """The same file under another name is the database too: a hard link to it, or its
    write-ahead log (overwritten, the last commits would be lost)."""
    add_customers(db.path, 3)
    target = {
        "itself": db.path,
        "hard link": tmp_path / "linked.db",
        "its -wal": db.path.with_name(db.path.name + "-wal"),
    }[as_given]
    if as_given == "hard link":
        os.link(db.path, target)
    before = db.path.read_bytes()
    assert main(["--db", str(db.path), "backup", "--out", str(target)]) == 1
    assert "cannot overwrite the database itself" in capsys.readouterr().err
    assert db.path.read_bytes() == before and count(db.path) == 3


# --- backups started together ---------------------------------------------------------


def test_backups_started_in_the_same_second_all_succeed(db, monkeypatch):
    """Two windows opened together, cron's `crm backup` while the app starts: each backup
    writes its own partial copy and takes its own name (they shared both)."""
    import types

    from crm_tui.store import backups

    class SameSecond(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 11, 25, 9, 30, 0)

    monkeypatch.setattr(backups, "dt", types.SimpleNamespace(datetime=SameSecond))
    add_customers(db.path, 20)
    n = 6
    start = threading.Barrier(n)
    made: list[Path] = []
    errors: list[BaseException] = []

    def back_up() -> None:
        start.wait()
        try:
            made.append(make_backup(db.path, keep=10))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=back_up) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(set(made)) == n and set(made) == set(list_backups(backup_dir(db.path)))
    assert {p.name for p in made} == {"crm-20261125-093000.db"} | {
        f"crm-20261125-093000-{i}.db" for i in range(1, n)
    }
    assert all(count(p) == 20 for p in made)
    assert not [p for p in backup_dir(db.path).iterdir() if p.name.endswith(".partial")]


def test_parallel_crm_backup_processes_all_succeed(db, tmp_path):
    import subprocess
    import sys

    add_customers(db.path, 5)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "crm_tui", "--db", str(db.path), "backup"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )  # fmt: skip
        for _ in range(3)
    ]
    results = [(p.wait(60), *p.communicate()) for p in runs]
    assert [(rc, err) for rc, _out, err in results] == [(0, "")] * 3
    assert len({out.strip() for _rc, out, _err in results}) == 3
    assert len(list_backups(backup_dir(db.path))) == 3


async def test_the_header_follows_backups_made_by_another_window(db, monkeypatch):
    """This window's own backup failed (or was skipped); another window's or cron's
    backup made afterwards shows at the next minute's tick, not "no backup yet" all day."""
    from crm_tui.app import make_app
    from crm_tui.store import backups
    from crm_tui.widgets.app_header import AppHeader

    add_customers(db.path, 3)
    db.close()
    real = backups.make_backup

    def fails(*args, **kwargs):
        raise BackupError("the other window's backup got in the way")

    monkeypatch.setattr(backups, "make_backup", fails)
    app = make_app(db.path, lang="en")
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert " no backup yet " in app.screen.query_one(AppHeader).text
        real(db.path, keep=7)  # another window, or cron
        app.clock_tick()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert " backed up just now " in app.screen.query_one(AppHeader).text


# --- a database file removed (or its folder) while backups of it exist ------------------


def removed_with_backups(db, n: int = 2, folder_too: bool = True) -> Path:
    """``db`` with ``n`` good backups, then its file (and folder) removed (`rm -rf`)."""
    folder = with_good_backups(db, n)
    db.close()
    gone = db.path.with_name("gone") / db.path.name
    gone.parent.mkdir()
    shutil.copyfile(db.path, gone)
    make_backup(gone, keep=3)
    if folder_too:
        shutil.rmtree(gone.parent)
    else:
        gone.unlink()
    del folder
    return gone


@pytest.mark.parametrize(
    "argv",
    [["demo", "--customers", "3"], ["import", "customers", "{csv}"], ["due"], ["check"],
     ["backup"], ["export", "customers"]],
)  # fmt: skip
@pytest.mark.parametrize("chosen", ["--db", "CRM_DB"])
def test_a_removed_database_with_backups_is_not_made_anew(db, tmp_path, capsys, monkeypatch, argv, chosen):  # fmt: skip
    gone = removed_with_backups(db)
    kept = list_backups(backup_dir(gone))
    csv = tmp_path / "c.csv"
    csv.write_text("name\nAcme\n", encoding="utf-8")
    argv = [a.replace("{csv}", str(csv)) for a in argv]
    if chosen == "--db":
        argv = ["--db", str(gone), *argv]
    else:
        monkeypatch.setenv("CRM_DB", str(gone))
    capsys.readouterr()
    assert main(argv) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"error: no database at {gone}, but 1 backup of it exists ({kept[-1]}):")
    assert f"`crm --db {gone} restore {kept[-1]}` brings it back" in err
    assert f"`crm --db {gone} --start-empty`" in err
    assert not gone.parent.exists()  # nothing created
    assert list_backups(backup_dir(gone)) == kept


def test_the_app_never_opens_a_removed_database_with_backups_as_a_new_one(db):
    from crm_tui.app import make_app
    from crm_tui.store.database import DatabaseError

    gone = removed_with_backups(db, folder_too=False)
    with pytest.raises(DatabaseError, match="no database at .* but 1 backup of it exists"):
        make_app(gone)
    assert not gone.exists()


def test_start_empty_keeps_the_earlier_backups_aside_never_pruned(db, capsys):
    gone = removed_with_backups(db)
    kept = list_backups(backup_dir(gone))
    capsys.readouterr()
    assert main(["--db", str(gone), "--start-empty", "demo", "--customers", "3"]) == 0
    err = capsys.readouterr().err
    folder = backup_dir(gone)
    (aside,) = [p for p in folder.iterdir() if p.is_dir()]
    assert aside.name.startswith("earlier-") and f"kept in {aside}" in err
    assert sorted(p.name for p in aside.iterdir()) == sorted(p.name for p in kept)
    assert list_backups(folder) == []  # the header says "no backup yet": this file has none
    for _day in range(4):  # the new file's backups rotate only among themselves
        made = make_backup(gone, keep=2)
        old = (dt.datetime.now() - dt.timedelta(days=5 - _day)).timestamp()
        os.utime(made, (old, old))
    assert len(list_backups(folder)) == 2
    assert sorted(p.name for p in aside.iterdir()) == sorted(p.name for p in kept)
    assert main(["--db", str(gone), "--start-empty", "check"]) == 0  # (there now: nothing to do)


@pytest.mark.parametrize("key, choice", [("r", "restore"), ("e", "empty"), ("q", None)])
async def test_the_app_asks_what_to_do_about_a_removed_database(key, choice):
    from crm_tui.screens.dialogs.missing_database import MissingDatabaseApp

    app = MissingDatabaseApp("no database at x, but 2 backups of it exist")
    async with app.run_test() as pilot:
        assert "2 backups" in str(app.screen.query_one("#message").render())
        await pilot.press(key)
        await pilot.pause()
    assert app.return_value == choice


def test_the_app_restores_the_newest_backup_when_asked(db, monkeypatch):
    from crm_tui import app as app_module
    from crm_tui.cli import CliContext
    from crm_tui.screens.dialogs import missing_database

    gone = removed_with_backups(db)
    monkeypatch.setattr(missing_database.MissingDatabaseApp, "run", lambda self: "restore")
    notice = app_module._database_gone(CliContext(db_path=gone, lang="en", chosen=True))
    assert notice.startswith("restored ") and count(gone) == 5
