"""`crm report` in-process: formats, --out, --week, usage errors, exit codes, aligned Chinese tables."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
import test_reports_data as d

from crm_tui.cli import main
from crm_tui.reports import REPORTS
from crm_tui.reports.output import cell_width
from crm_tui.store.database import Database


@pytest.fixture
def dbfile(tmp_path):
    path = tmp_path / "crm.db"
    db = Database(path)
    conn = db.connect()
    c1 = d.customer(conn, "上海云杉科技有限公司", code="C1", region="上海", level="A")
    c2 = d.customer(conn, "Acme Ltd", code="C2", region="Shanghai", level="C")
    d.order(conn, c1, "2026-11-02", 123450)
    d.order(conn, c2, "2026-10-01", 5000)
    opp = d.deal(conn, c1, "云平台", stage="proposal", probability=50, cents=100000,
                 created="2026-11-01 09:00:00", expected_close="2026-12-15")  # fmt: skip
    d.change(conn, opp, None, "proposal", "2026-11-01 09:00:00")
    d.interaction(conn, c1, "2026-11-30 09:00:00", "拜访", "visit")
    conn.commit()
    conn.close()
    db.close()
    return str(path)


@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_every_report_every_format(dbfile, capsys, name, fmt):
    code = main(["--db", dbfile, "report", name, "--as-of", "2026-11-30", "--format", fmt])
    out = capsys.readouterr().out
    assert code == 0
    if fmt == "json":
        assert json.loads(out)["report"] == name
    elif fmt == "csv":
        assert out.startswith("\ufeff")


def test_csv_stdout(dbfile, capsys):
    assert main(["--db", dbfile, "report", "rfm", "--as-of", "2026-11-30", "--format", "csv"]) == 0
    rows = list(csv.reader(capsys.readouterr().out.lstrip("\ufeff").splitlines()))
    assert rows[1][:6] == ["C1", "上海云杉科技有限公司", "2026-11-02", "28", "1", "1234.50"]


def test_out_file_round_trip(dbfile, tmp_path, capsys):
    target = tmp_path / "out" / "abc.csv"
    args = ["--db", dbfile, "report", "abc", "--as-of", "2026-11-30", "--format", "csv"]
    assert main([*args, "--out", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and str(target) in captured.err
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with open(target, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == [
        "code",
        "customer",
        "total_amount",
        "share",
        "cumulative_share",
        "abc",
        "level",
    ]
    assert rows[1] == ["C1", "上海云杉科技有限公司", "1234.50", "0.9611", "0.9611", "A", "A"]


def test_week_option(dbfile, capsys):
    assert main(["--db", dbfile, "report", "weekly", "--week", "2026-W49", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["week"], data["from"], data["to"]) == ("2026-W49", "2026-11-30", "2026-12-06")
    interactions = [r for r in data["rows"] if r["section"] == "interactions"]
    assert interactions == [
        {"section": "interactions", "date": "2026-11-30", "customer": "上海云杉科技有限公司",
         "item": "拜访", "detail": "visit", "amount": None}
    ]  # fmt: skip


@pytest.mark.parametrize(
    "argv",
    [
        ["report", "nope"],
        ["report"],
        ["report", "funnel", "--as-of", "not-a-date"],
        ["report", "weekly", "--week", "2026-49"],
        ["report", "weekly", "--week", "2026-W60"],
        ["report", "funnel", "--format", "xml"],
    ],
)
def test_usage_errors_exit_2(dbfile, capsys, argv):
    with pytest.raises(SystemExit) as exc:
        main(["--db", dbfile, *argv])
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


def test_unwritable_out_is_error_1(dbfile, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code = main(["--db", dbfile, "report", "funnel", "--out", str(blocker / "x.csv")])
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_chinese_table_aligned(dbfile, capsys):
    args = ["--db", dbfile, "--lang", "zh", "report", "distribution", "--as-of", "2026-11-30"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any("上海" in line for line in lines) and any("Shanghai" in line for line in lines)
    # the last column (total_amount) is right-aligned: every line ends at the same terminal column
    assert len({cell_width(line) for line in lines}) == 1


def test_level_labels_in_chinese_table(dbfile, capsys):
    args = ["--db", dbfile, "--lang", "zh", "report", "abc", "--as-of", "2026-11-30"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "A 战略客户" in out and "C 普通客户" in out


def test_report_does_not_import_the_orm(dbfile):
    code = (
        "import sys\n"
        "from crm_tui.cli import main\n"
        f"main(['--db', {dbfile!r}, 'report', 'funnel', '--format', 'json'])\n"
        "bad = [m for m in ('sqlalchemy', 'sqlmodel', 'textual') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_forecast_targets_from_config_and_database(dbfile, tmp_path, capsys):
    (tmp_path / "config.toml").write_text(
        '[targets]\n"2026-11" = "1000"\n"2026-12" = "5,000.50"\n', encoding="utf-8"
    )
    from crm_tui.store.targets import set_target

    db = Database(dbfile)
    with db.connect() as conn:
        set_target(conn, "2026-12", "2000")
    db.close()
    args = ["--db", dbfile, "report", "forecast", "--as-of", "2026-11-30", "--format", "json"]
    assert main(args) == 0
    months = {r["month"]: r for r in json.loads(capsys.readouterr().out)["rows"]}
    assert months["2026-11"]["target"] == 1000.0  # from config.toml
    assert months["2026-12"]["target"] == 2000.0  # the database wins over config.toml
    # December: the deal 1000.00 at 50 % -> weighted 500.00; gap 2000 - 0 - 500
    assert months["2026-12"]["weighted_amount"] == 500.0
    assert months["2026-12"]["gap"] == 1500.0


def test_command_names_match_reports():
    from crm_tui.commands.report import NAMES

    assert NAMES == REPORTS
