"""The `crm` command: help, check, exit codes, --db / CRM_DB, settings errors."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import stat
import subprocess
import sys

import pytest

from crm_tui.cli import build_parser, main, parse_args
from crm_tui.i18n import set_language
from crm_tui.textwidth import cell_width


def test_help_lists_only_real_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "check" in out and "demo" in out


def test_unknown_command_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["frobnicate"])
    assert exit_.value.code == 2


@pytest.mark.parametrize(
    "argv",
    [[], ["--db", "x.db"], ["--lang", "zh", "--db=x.db"], ["--db", "demo"], ["--db", "x", "due"]],
)
def test_plain_start_parses_as_the_full_parser_does(argv):
    assert vars(parse_args(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", [["--lang", "xx"], ["--bogus"], ["stray"]])
def test_plain_start_errors_are_the_full_parsers(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert "COMMAND" in capsys.readouterr().err  # the full usage line, with the commands


def test_opening_the_tui_does_not_import_the_commands():
    code = (
        "import sys; from crm_tui.cli import parse_args; a = parse_args(['--db', 'x.db']);"
        "print(a.command, a.db, any(m.startswith('crm_tui.commands.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "x.db", "False"]


def _new_database(path) -> None:
    from crm_tui.store.database import Database

    Database(path).close()


def test_check_on_a_healthy_database(tmp_path, capsys):
    db = tmp_path / "a.db"
    _new_database(db)
    assert main(["--db", str(db), "check"]) == 0
    assert "ok" in capsys.readouterr().out
    assert db.stat().st_mode & 0o777 == 0o600


def test_db_option_after_the_command_and_env_var(tmp_path, monkeypatch, capsys):
    db = tmp_path / "b.db"
    _new_database(db)
    assert main(["check", "--db", str(db)]) == 0
    assert "b.db" in capsys.readouterr().out
    other = tmp_path / "c.db"
    _new_database(other)
    monkeypatch.setenv("CRM_DB", str(other))
    assert main(["check"]) == 0
    assert "c.db" in capsys.readouterr().out


@pytest.mark.parametrize(
    "command",
    [["due"], ["report", "funnel"], ["export", "customers"], ["check"], ["backup"]],
)
def test_a_command_that_reads_refuses_a_mistyped_database_path(tmp_path, capsys, command):
    """`crm --db /tmp/typo/x.db due` made a new empty database (and its folder) and said
    "Nothing due.", exit 0: a cron job or shell prompt with a typo never knew."""
    db = tmp_path / "typo" / "x.db"
    assert main(["--db", str(db), *command]) == 1
    err = capsys.readouterr().err
    assert err == f"error: no database at {db}: check --db (or CRM_DB)\n"
    assert not db.parent.exists()
    # a command that writes still makes one where it is told (CLI.md: created on first use)
    assert main(["--db", str(db), "demo", "--customers", "1"]) == 0
    capsys.readouterr()
    assert main(["--db", str(db), *command]) == 0


def test_check_reports_a_broken_foreign_key(tmp_path, capsys):
    db = tmp_path / "d.db"
    _new_database(db)
    assert main(["--db", str(db), "check"]) == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO contact (customer_id, name, version) VALUES (999, 'orphan', 1)")
    conn.execute("INSERT INTO contact (customer_id, name, version) VALUES (998, 'stray', 1)")
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert main(["--db", str(db), "check"]) == 1
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("error:") and "2 references" in err
    assert out.splitlines() == [
        "contact row 1 points to a missing customer",
        "contact row 2 points to a missing customer",
    ]  # the list is the check's output, in order
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM contact WHERE name = 'stray'")
    conn.commit()
    conn.close()
    assert main(["--db", str(db), "check"]) == 1
    err = capsys.readouterr().err
    assert "has 1 reference to a record that does not exist (listed above): contact row 1" in err


def test_not_a_database_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "notes.db"
    bad.write_text("just text, not sqlite at all")
    assert main(["--db", str(bad), "check"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "restore FILE" in err[0]
    assert f"--db {bad} restore" in err[0]  # the restore goes into this file, not the default


@pytest.mark.parametrize("argv", [["check"], ["backup"], ["export", "all", "--out", "{out}"]])
def test_another_programs_sqlite_file_is_refused_untouched(tmp_path, capsys, argv):
    foreign = tmp_path / "foreign.db"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE notes (a)")
    conn.close()
    before = foreign.read_bytes()
    argv = [a.replace("{out}", str(tmp_path / "out")) for a in argv]
    assert main(["--db", str(foreign), *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {foreign} is a SQLite file but not a crm database (nothing in it was"
        " changed): check --db (or CRM_DB) names your crm database"
    ]
    assert foreign.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["foreign.db"]


def test_malformed_config_is_a_clear_error(tmp_path, monkeypatch, capsys):
    cfg = tmp_path / "config.toml"
    cfg.write_text("language = [unclosed")
    monkeypatch.setenv("CRM_CONFIG", str(cfg))
    assert main(["--db", str(tmp_path / "e.db"), "check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "config.toml" in err


def test_python_dash_m_runs(tmp_path):
    _new_database(tmp_path / "f.db")
    result = subprocess.run(
        [sys.executable, "-m", "crm_tui", "--db", str(tmp_path / "f.db"), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def damaged_database(tmp_path, btree: str | None = None):
    """A crm database with sample data, a backup made by `crm backup`, then a damaged page."""
    from damaged_db import UNUSED_INDEX, damage_page

    from crm_tui.store.backups import backup_dir, list_backups

    db = tmp_path / "mid.db"
    assert main(["--db", str(db), "demo", "--customers", "30"]) == 0
    assert main(["--db", str(db), "backup"]) == 0
    damage_page(db, btree or UNUSED_INDEX)
    return db, backup_dir(db), list_backups(backup_dir(db))[-1]


@pytest.mark.parametrize("btree", ["ix_payment_order_id", "customer"])
def test_check_reports_a_damaged_page_and_how_to_restore(tmp_path, capsys, btree):
    """integrity_check stops with "malformed" on such a page: that is the finding, not a crash."""
    db, folder, newest = damaged_database(tmp_path, btree)
    capsys.readouterr()
    assert main(["--db", str(db), "check"]) == 1
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert err.count("\n") == 1 and out == ""  # one `error:` line, said once (CLI.md)
    last = err.strip().splitlines()[-1]
    assert last.startswith(f"error: {db} is damaged (")
    assert "btreeInitPage" in last or "malformed" in last
    assert f"crm --db {db} restore FILE" in last and str(newest) in last and str(folder) in last


def test_damaged_database_messages_are_translated(tmp_path, capsys):
    db, folder, newest = damaged_database(tmp_path)
    capsys.readouterr()
    assert main(["--db", str(db), "--lang", "zh", "check"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "已损坏" in err and "最新的自动备份" in err
    assert str(newest) in err and str(folder) in err
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(db.read_bytes()[:20000])
    assert main(["--db", str(truncated), "--lang", "zh", "due"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "已损坏" in err[0] and "尚无自动备份" in err[0]


def test_import_of_a_folder_says_it_is_a_folder(tmp_path, capsys):
    assert main(["--db", str(tmp_path / "a.db"), "import", "customers", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path} is a folder, not a CSV file\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["funnel", "--as-of", "9999-12-31"],
        ["distribution", "--as-of", "9999-12-31"],
        ["activity", "--as-of", "0001-01-01"],
        ["weekly", "--week", "9999-W52"],
        ["weekly", "--week", "0001-W01"],
        ["rfm", "--as-of=+3000000d"],
    ],
)
def test_report_dates_out_of_range_are_usage_errors(tmp_path, capsys, argv):
    with pytest.raises(SystemExit) as exit_:
        main(["--db", str(tmp_path / "a.db"), "report", *argv])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.splitlines()[-1].startswith("crm report: error: ")


@pytest.mark.parametrize("when", [["--as-of", "1900-01-01"], ["--as-of", "9998-12-31"]])
@pytest.mark.parametrize(
    "name", ["funnel", "rfm", "abc", "forecast", "activity", "distribution", "weekly"]
)
def test_every_report_runs_at_the_ends_of_the_range(tmp_path, capsys, monkeypatch, name, when):
    monkeypatch.setattr("crm_tui.cli.today", lambda: dt.date(9998, 12, 31))  # (not later)
    _new_database(tmp_path / "a.db")
    assert main(["--db", str(tmp_path / "a.db"), "report", name, *when, "--format", "csv"]) == 0


@pytest.mark.parametrize(
    "argv", [["due"], ["report", "rfm"], ["import", "customers", "{csv}"], ["export", "customers"]]
)
def test_commands_reading_a_damaged_page_stop_with_one_error_line(tmp_path, capsys, argv):
    db, folder, newest = damaged_database(tmp_path, "customer")
    other = tmp_path / "other.csv"
    other.write_text("name\nZed Ltd\n", encoding="utf-8")
    capsys.readouterr()
    argv = [a.replace("{csv}", str(other)) for a in argv]
    assert main(["--db", str(db), *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "malformed" in err[0]


def test_usage_errors_speak_the_chosen_language(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "a.db")
    with pytest.raises(SystemExit) as done:
        main(["--db", db, "report", "funnel", "--lang", "zh", "--as-of", "someday"])
    assert done.value.code == 2
    assert "无法识别的日期" in capsys.readouterr().err
    monkeypatch.setenv("CRM_LANG", "zh")
    with pytest.raises(SystemExit):
        main(["--db", db, "due", "--days", "-1"])
    assert "0 到 1000000" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--db", db, "report", "nosuch"])
    err = capsys.readouterr().err  # argparse's own message; "error:" stays for scripts
    assert "crm report: error: 参数 NAME：无效的选择：'nosuch'" in err


#: What each command needs before its options parse (its positional arguments).
POSITIONALS = {"import": ["customers", "x.csv"], "export": ["customers"], "report": ["funnel"],
               "restore": ["x.db"]}  # fmt: skip


@pytest.mark.parametrize("value", ["abc", "0", "-1", "99999999", "9999-12-31", "2026-W99"])
def test_every_option_value_error_is_in_chinese(capsys, value):
    """Each option's own check (its argparse ``type=``) says what is wrong in the chosen
    language: demo's --customers spoke English, and ``type=int`` named Python's "int"."""
    set_language("zh")  # (as main() does before parsing)
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    checked = 0
    for name, parser in sub.choices.items():
        for action in parser._actions:
            if action.type is None or not action.option_strings:
                continue
            assert action.type not in (int, float), f"crm {name} {action.option_strings[0]}"
            argv = [name, *POSITIONALS.get(name, []), action.option_strings[0], value]
            try:
                parse_args(argv)
            except SystemExit as exit_:
                assert exit_.code == 2
                checked += 1
                err = capsys.readouterr().err.splitlines()[-1]
                message = err.split("：", 1)[1]  # after "crm demo: error: 参数 --customers："
                words = {"invalid", "must", "not", "whole", "number", "int", "value", "from"}
                assert not words & set(re.findall("[a-z]+", message)), err
            capsys.readouterr()
    assert checked >= 4


def test_help_is_in_chinese_with_lang_zh(capsys):
    """Every message exists in both languages (CLI.md): the commands' help was English."""
    with pytest.raises(SystemExit) as done:
        main(["--lang", "zh", "import", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "导入 CSV 文件" in out and "只要有一行有误就什么都不导入" in out
    usage = out.splitlines()[:2]  # argparse's own words too, its wrap under the wide word
    assert (
        usage[0].startswith("用法：crm import [-h]") and "\n选项：\n" in out
    )  # (the full-width colon)
    assert "\n位置参数：\n" in out and "参数:" not in out
    assert usage[1].index("[") == 17 == cell_width("用法：crm import ")  # under "[-h]"
    with pytest.raises(SystemExit):
        main(["--lang", "zh", "--help"])
    out = capsys.readouterr().out
    assert "键盘操作的终端 CRM" in out and "完整性与一致性检查" in out
    with pytest.raises(SystemExit):
        main(["--lang", "en", "import", "--help"])
    assert "import nothing when any row is bad" in capsys.readouterr().out


@pytest.mark.parametrize("columns", [80, 74, 60])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_help_fits_the_terminal_counting_wide_characters(capsys, monkeypatch, lang, columns):
    """argparse wraps by characters: `crm import --help` in Chinese had lines of 86 to 103
    columns at COLUMNS=80 (a Chinese character takes two), and a usage line one more
    than the terminal at 74 ("用法：" is six columns)."""
    monkeypatch.setenv("COLUMNS", str(columns))
    for command in ([], *([c] for c in ("demo", "import", "export", "report", "due", "backup",
                                        "restore", "check"))):  # fmt: skip
        with pytest.raises(SystemExit):
            main(["--lang", lang, *command, "--help"])
        lines = capsys.readouterr().out.splitlines()
        too_wide = [line for line in lines if cell_width(line) > columns]
        assert not too_wide, (command, too_wide)


def test_a_database_that_cannot_be_opened_is_not_called_damaged(tmp_path, capsys):
    """SQLITE_CANTOPEN ("unable to open database file": a folder the rep may not write,
    where SQLite cannot make the journal beside the file) is a matter of permissions;
    restoring a backup over the file would fail the same way. (Root writes to any
    folder, so here the journal's name is taken by a folder instead.)"""
    db = tmp_path / "ro.db"
    _new_database(db)
    assert main(["--db", str(db), "check"]) == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    (tmp_path / "ro.db-wal").mkdir()
    capsys.readouterr()
    assert main(["--db", str(db), "check"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"error: {db} cannot be opened or written (unable to open database")
    assert "damaged" not in err[0] and "restore" not in err[0] and str(tmp_path) in err[0]


def test_cannot_open_and_read_only_are_told_apart_from_damage(tmp_path):
    from crm_tui.i18n import set_language
    from crm_tui.store.database import open_problem
    from crm_tui.store.sqlite import cannot_open_in, damage_in, plain_problem

    path = tmp_path / "rodir" / "ro.db"
    for code, text in [
        (sqlite3.SQLITE_CANTOPEN, "unable to open database file"),
        (sqlite3.SQLITE_READONLY, "attempt to write a readonly database"),
    ]:
        error = sqlite3.OperationalError(text)
        error.sqlite_errorcode = code
        assert damage_in(error) is None and cannot_open_in(error) is error
        told = open_problem(path, error)
        assert told.startswith(f"{path} cannot be opened or written ({text}): check")
        assert str(path.parent) in told and "damaged" not in told
        assert "cannot be written" in plain_problem(error)  # a save in the app
        set_language("zh")
        assert "无法打开或写入" in open_problem(path, error)
        set_language("en")
    corrupt = sqlite3.DatabaseError("database disk image is malformed")
    corrupt.sqlite_errorcode = sqlite3.SQLITE_CORRUPT
    assert cannot_open_in(corrupt) is None and "is damaged" in open_problem(path, corrupt)


@pytest.mark.skipif(
    not (os.path.exists(os.devnull) and stat.S_ISCHR(os.stat(os.devnull).st_mode)),
    reason="needs /dev/null as the device it should be",
)
def test_a_device_as_the_database_is_one_error_line(capsys):
    """`--db /dev/null` met "disk I/O error" writing the schema, in a SQLAlchemy wrapper
    no handler caught: a traceback. The path is refused before SQLite writes beside it."""
    assert main(["--db", os.devnull, "check"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        f"error: {os.devnull} is not a regular file (a device or a pipe?): check --db (or"
        " CRM_DB) names your crm database"
    ]
    assert not os.path.exists(os.devnull + "-journal")


def test_a_sqlite_error_in_a_sqlalchemy_wrapper_is_one_error_line(tmp_path, capsys, monkeypatch):
    """Opening (the schema's migration) or a command may meet a SQLite error SQLAlchemy
    wraps in its own class: one `error:` line with SQLite's words, not the statement."""
    import sqlalchemy.exc

    from crm_tui.store import database

    def failing_disk(*args, **kwargs):
        error = sqlite3.OperationalError("disk I/O error")
        error.sqlite_errorcode = sqlite3.SQLITE_IOERR
        raise sqlalchemy.exc.OperationalError("COMMIT", (), error)

    monkeypatch.setattr(database, "upgrade", failing_disk)
    db = tmp_path / "new.db"
    assert main(["--db", str(db), "demo", "--customers", "1"]) == 1  # (it creates the file)
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"error: cannot open {db}: the disk failed")
    assert "COMMIT" not in err[0] and "damaged" not in err[0]
    monkeypatch.undo()
    assert main(["--db", str(db), "check"]) == 0
    capsys.readouterr()
    from crm_tui.commands import check

    monkeypatch.setattr(check, "run", failing_disk)
    assert main(["--db", str(db), "check"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {db}: the disk failed to write (disk I/O error); nothing was saved"]


class _FullOutput:
    """Standard output on a full disk (`crm report rfm > /dev/full`)."""

    def write(self, text: str) -> int:
        raise OSError(28, "No space left on device")

    def flush(self) -> None:
        pass


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "rfm", "--format", "csv"],
        ["report", "funnel"],
        ["export", "customers"],
        ["export", "orders", "--out", "-"],
        ["due", "--format", "json"],
    ],
)
def test_a_full_standard_output_is_blamed_not_the_database(tmp_path, capsys, monkeypatch, argv):
    """The error named the database ("cannot use crm.db: No space left on device") or
    "None": the database is fine, standard output is what could not be written."""
    db = tmp_path / "crm.db"
    _new_database(db)
    main(["--db", str(db), "demo", "--customers", "3"])
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", _FullOutput())
    assert main(["--db", str(db), *argv]) == 1
    err = capsys.readouterr().err
    assert err == "error: cannot write standard output: No space left on device\n"


def test_report_out_dash_is_standard_output_as_for_export(tmp_path, capsys, monkeypatch):
    db = tmp_path / "crm.db"
    _new_database(db)
    monkeypatch.chdir(tmp_path)
    assert main(["--db", str(db), "report", "funnel", "--format", "csv", "--out", "-"]) == 0
    assert capsys.readouterr().out.lstrip("\ufeff").startswith("stage,")
    assert not (tmp_path / "-").exists()  # (a file named "-" was written)


def test_crm_without_a_terminal_says_so_instead_of_waiting(tmp_path):
    """`crm` from cron or with stdin at /dev/null started the full-screen app, which
    waited for keys for ever."""
    db = tmp_path / "crm.db"
    done = subprocess.run(
        [sys.executable, "-m", "crm_tui", "--db", str(db)],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20,
        env={**os.environ, "CRM_LANG": "en"},
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("error: crm without a command opens the full-screen app")
    assert done.stderr.count("\n") == 1
