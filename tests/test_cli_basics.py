"""The `crm` command: help, check, exit codes, --db / CRM_DB, settings errors."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from crm_tui.cli import build_parser, main, parse_args


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


def test_check_on_a_healthy_database(tmp_path, capsys):
    db = tmp_path / "a.db"
    assert main(["--db", str(db), "check"]) == 0
    assert "ok" in capsys.readouterr().out
    assert db.stat().st_mode & 0o777 == 0o600


def test_db_option_after_the_command_and_env_var(tmp_path, monkeypatch, capsys):
    db = tmp_path / "b.db"
    assert main(["check", "--db", str(db)]) == 0
    assert db.exists()
    other = tmp_path / "c.db"
    monkeypatch.setenv("CRM_DB", str(other))
    assert main(["check"]) == 0
    assert other.exists()


def test_check_reports_a_broken_foreign_key(tmp_path, capsys):
    db = tmp_path / "d.db"
    assert main(["--db", str(db), "check"]) == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("INSERT INTO contact (customer_id, name, version) VALUES (999, 'orphan', 1)")
    conn.commit()
    conn.close()
    capsys.readouterr()
    assert main(["--db", str(db), "check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "Traceback" not in err


def test_not_a_database_is_one_error_line(tmp_path, capsys):
    bad = tmp_path / "notes.db"
    bad.write_text("just text, not sqlite at all")
    assert main(["--db", str(bad), "check"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:") and "crm restore" in err[0]


def test_malformed_config_is_a_clear_error(tmp_path, monkeypatch, capsys):
    cfg = tmp_path / "config.toml"
    cfg.write_text("language = [unclosed")
    monkeypatch.setenv("CRM_CONFIG", str(cfg))
    assert main(["--db", str(tmp_path / "e.db"), "check"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error:") and "config.toml" in err


def test_python_dash_m_runs(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "crm_tui", "--db", str(tmp_path / "f.db"), "check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
