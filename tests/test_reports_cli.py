"""`crm report` in-process: formats, --out, --week, usage errors, exit codes, aligned Chinese tables."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import subprocess
import sys

import pytest
import test_reports_data as d
from hypothesis import given
from hypothesis import strategies as st

from crm_tui.cli import main
from crm_tui.csvio import write_csv
from crm_tui.reports import REPORTS, amount_texts
from crm_tui.store.database import Database
from crm_tui.store.validation import format_amount
from crm_tui.textwidth import cell_width

#: The day the tests run on: after the data's last day (2026-11-30) and its week's end.
TODAY = dt.date(2026, 12, 31)


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch):
    monkeypatch.setattr("crm_tui.cli.today", lambda: TODAY)


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
    target = tmp_path / "abc.csv"
    args = ["--db", dbfile, "report", "abc", "--as-of", "2026-11-30", "--format", "csv"]
    assert main([*args, "--out", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and str(target) in captured.err
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert target.stat().st_mode & 0o777 == 0o600  # customer data: owner only
    assert not list(target.parent.glob(".*.tmp"))
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


@pytest.mark.parametrize(
    ("name", "fmt", "starts"),
    [("w.CSV", None, b"\xef\xbb\xbfcode,"), ("w.json", None, b"{"), ("w.txt", None, b"As of"),
     ("w.csv", "table", b"As of")],
)  # fmt: skip
def test_out_file_format_follows_its_name_unless_given(dbfile, tmp_path, name, fmt, starts):
    """`crm report abc --out abc.csv` (a Friday cron job) wrote a text table Excel could
    not read: without --format, .csv and .json files get those formats."""
    target = tmp_path / name
    args = ["--db", dbfile, "report", "abc", "--as-of", "2026-11-30", "--out", str(target)]
    assert main([*args, *(["--format", fmt] if fmt else [])]) == 0
    assert target.read_bytes().startswith(starts), target.read_bytes()[:40]
    if starts == b"As of":  # a text table says what it covers, as on the terminal
        assert target.read_text(encoding="utf-8").rstrip().endswith("Amounts in CNY")


def test_week_option(dbfile, capsys):
    # (as of that Sunday, so that the whole week counts whatever day the test runs)
    argv = ["report", "weekly", "--week", "2026-W49", "--as-of", "2026-12-06", "--format", "json"]
    assert main(["--db", dbfile, *argv]) == 0
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
    out = capsys.readouterr().out
    heading, table, note = out.split("\n\n")  # what it covers, the table, the currency
    assert heading == "截至 2026-11-30"
    lines = table.splitlines()
    assert any("上海" in line for line in lines) and any("Shanghai" in line for line in lines)
    # the last column (total_amount) is right-aligned: every line ends at the same terminal column
    assert len({cell_width(line) for line in lines}) == 1
    assert note == "金额单位：CNY\n"


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


_CELL = st.one_of(
    st.text(alphabet=st.sampled_from('ab,"\r\n 上;'), max_size=6),
    st.text(max_size=4),
    st.integers(),
    st.none(),
)


@given(st.lists(st.lists(_CELL, min_size=1, max_size=4), max_size=30), st.integers(1, 4))
def test_csv_writer_fast_path_writes_what_csv_writer_writes(rows, width):
    # rows of any width; cells that need quotes, numbers, None
    header = [f"h{i}" for i in range(width)]
    got = io.StringIO()
    count = write_csv(rows, header, got)
    want = io.StringIO()
    writer = csv.writer(want)
    writer.writerow(header)
    writer.writerows(rows)
    assert count == len(rows)
    assert got.getvalue() == "\ufeff" + want.getvalue()


@given(
    st.integers(2, 5).flatmap(
        lambda w: st.lists(
            st.lists(
                st.text(alphabet=st.sampled_from('ab,"\r\n 上'), max_size=5), min_size=w, max_size=w
            ),
            max_size=40,
        ).map(lambda rows: (w, rows))
    )
)
def test_csv_writer_fast_path_all_text_rows(case):
    width, rows = case  # the fast path's own case: every row `width` strings
    header = [f"h{i}" for i in range(width)]
    got = io.StringIO()
    write_csv(rows, header, got)
    want = io.StringIO()
    csv.writer(want).writerows([header, *rows])
    assert got.getvalue() == "\ufeff" + want.getvalue()


def test_csv_writer_fast_path_in_big_batches():
    rows = [(f"C{i}", "上海, 云杉" if i % 7 == 0 else f"n{i}", 'q"' if i % 501 == 0 else "x", str(i))
            for i in range(2500)]  # fmt: skip
    got = io.StringIO()
    write_csv(rows, ["a", "b", "c", "d"], got)
    want = io.StringIO()
    csv.writer(want).writerows([["a", "b", "c", "d"], *rows])
    assert got.getvalue() == "\ufeff" + want.getvalue()


@given(st.lists(st.integers(min_value=-(10**15), max_value=10**15)))
def test_amount_texts_are_format_amount(values):
    texts = amount_texts(values)
    assert texts == {v: format_amount(v) for v in values}


def test_csv_writer_takes_any_iterable_rows():
    rows = [iter(["a", "b"]), ("c", "d"), ["e,", None]]
    got = io.StringIO()
    assert write_csv(rows, ["x", "y"], got) == 3
    assert got.getvalue() == '\ufeffx,y\r\na,b\r\nc,d\r\n"e,",\r\n'


def test_table_cells_of_missing_and_empty_values_are_blank_and_columns_align():
    from crm_tui.reports import Column
    from crm_tui.reports.output import table_lines

    columns = (Column("name"), Column("amount", "money"), Column("day", "date"))
    rows = [
        {"name": "上海云杉", "amount": 123450, "day": None},
        {"name": "Acme", "amount": None},  # no "day" at all
    ]
    lines = table_lines(columns, rows)
    assert lines == [
        "name        amount  day",
        "--------  --------  ---",
        "上海云杉  1,234.50",
        "Acme",
    ]


def test_table_headers_and_figures_are_for_people_csv_keeps_keys(dbfile, capsys):
    """The text table names its columns and extras in the UI language; CSV keeps CLI.md's keys."""
    args = ["--db", dbfile, "--lang", "zh", "report", "funnel", "--as-of", "2026-11-30"]
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()[2:]  # (what it covers, a blank line)
    assert lines[0].split() == ["阶段", "到达数", "金额", "转化到下一阶段"]
    assert any(line.startswith("赢单率: ") for line in lines)
    assert not any(line.startswith("win_rate") for line in lines)
    args[3] = "en"
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "As of 2026-11-30" and not lines[1]
    lines = lines[2:]
    assert lines[0].split() == ["Stage", "Reached", "Amount", "To", "next", "stage"]
    assert any(line.startswith("Win rate: ") for line in lines)
    assert main([*args, "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("\ufeffstage,reached,amount,conversion\r\n")
    args = [
        "--db",
        dbfile,
        "--lang",
        "zh",
        "report",
        "weekly",
        "--week",
        "2026-W49",
        "--as-of",
        "2026-12-06",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "第 2026-W49 周：2026-11-30 – 2026-12-06"  # (a whole week)
    assert out.splitlines()[2].split() == ["部分", "日期", "客户", "项目", "详情", "金额"]
    # the sections and enumerated details read as on the screen (the CSV keeps the keys)
    assert "拜访" in out and "visit" not in out and "汇总" in out
    # two different "overdue" figures, two names: the weekly's is every task overdue at the
    # week's end, the activity's those due in the week and not done
    assert "全部逾期任务" in out
    assert (
        main(["--db", dbfile, "--lang", "zh", "report", "activity", "--as-of", "2026-12-06"]) == 0
    )
    assert "未完成" in capsys.readouterr().out.splitlines()[2]


def test_stage_names_from_config_label_the_reports(dbfile, tmp_path, monkeypatch, capsys):
    """config.toml renames a stage: the funnel says so too, as the board does (CLI.md:
    stage names are a setting); CSV keeps the stable key."""
    from crm_tui.store import enums

    cfg = tmp_path / "config.toml"
    cfg.write_text('[stages.proposal]\nname_en = "Quote"\nname_zh = "报价"\n', encoding="utf-8")
    monkeypatch.setenv("CRM_CONFIG", str(cfg))
    try:
        assert main(["--db", dbfile, "report", "funnel"]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert any(line.startswith("Quote ") for line in lines)
        assert not any(line.startswith("Proposal") for line in lines)
        assert main(["--db", dbfile, "--lang", "zh", "report", "funnel"]) == 0
        assert any(line.startswith("报价 ") for line in capsys.readouterr().out.splitlines())
        assert main(["--db", dbfile, "report", "funnel", "--format", "csv"]) == 0
        assert "\r\nproposal," in capsys.readouterr().out
        assert enums.STAGE.parse("报价") == "proposal"  # an import reads the rep's names
    finally:
        enums.RENAMED.clear()


def test_out_into_a_missing_folder_is_an_error_as_for_export(dbfile, tmp_path, capsys):
    """A typo in --out must not create a tree of folders (export and backup refuse too)."""
    target = tmp_path / "no-such-folder" / "funnel.csv"
    assert main(["--db", dbfile, "report", "funnel", "--format", "csv", "--out", str(target)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {target}:") and len(err.splitlines()) == 1
    assert not target.parent.exists()
    target = tmp_path / "funnel.csv"
    assert main(["--db", dbfile, "report", "funnel", "--format", "csv", "--out", str(target)]) == 0
    assert target.read_text(encoding="utf-8-sig").startswith("stage,reached")


def test_the_configured_currency_names_the_amounts(dbfile, tmp_path, monkeypatch, capsys):
    """CLI.md lists `currency` among the settings: a table of amounts says which."""
    cfg = tmp_path / "config.toml"
    cfg.write_text('currency = "USD"\n', encoding="utf-8")
    monkeypatch.setenv("CRM_CONFIG", str(cfg))
    assert main(["--db", dbfile, "report", "funnel"]) == 0
    assert capsys.readouterr().out.endswith("\nAmounts in USD\n")
    assert main(["--db", dbfile, "report", "funnel", "--format", "csv"]) == 0
    assert "USD" not in capsys.readouterr().out  # CSV: plain decimals, as CLI.md says


def test_a_month_day_as_of_reads_backwards(dbfile, capsys, monkeypatch):
    """Reports look back: --as-of 01-05 is the latest 5 January, not the next one."""
    assert main(["--db", dbfile, "report", "funnel", "--as-of", "01-05", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["as_of"] == "2026-01-05"
    monkeypatch.setattr("crm_tui.cli.today", lambda: dt.date(2026, 1, 4))
    assert main(["--db", dbfile, "report", "funnel", "--as-of", "01-05", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["as_of"] == "2025-01-05"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", REPORTS)
@pytest.mark.parametrize("when", ["2027-01-01", "tomorrow", "2030-01-01"])
def test_an_as_of_date_after_today_is_a_usage_error(dbfile, capsys, lang, name, when):
    """Reports look back, as the reports screen says when a later date is typed: as of a
    day to come every task not yet due would count as overdue."""
    with pytest.raises(SystemExit) as exit_:
        main(["--db", dbfile, "--lang", lang, "report", name, "--as-of", when])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    said = {
        "en": "crm report: error: argument --as-of: "
        "Reports look back: the latest as-of date is today (2026-12-31)",
        "zh": "crm report: error: 参数 --as-of：报表只回看过去：截止日期最晚为今天（2026-12-31）",
    }
    assert err.splitlines()[-1] == said[lang] and "Traceback" not in err


def test_today_and_a_week_to_come(dbfile, capsys):
    assert main(["--db", dbfile, "report", "funnel", "--as-of", "2026-12-31"]) == 0
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit_:  # (the reports screen goes no further either)
        main(["--db", dbfile, "report", "weekly", "--week", "2027-W01"])
    assert exit_.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == (  # no date was typed: the week's words
        "crm report: error: argument --week: The week 2027-W01 has not begun yet: reports look back"
    )
    # the current week (2026-W53, to Sunday 2027-01-03): the other reports as of today
    args = ["--db", dbfile, "report", "funnel", "--week", "2026-W53", "--format", "json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["as_of"] == "2026-12-31"
    args = ["--db", dbfile, "report", "weekly", "--week", "2026-W53", "--format", "json"]
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["to"] == "2027-01-03"


def test_a_figure_with_no_value_yet_reads_as_a_dash(tmp_path, capsys):
    """No deal closed yet: the funnel has no win rate nor sales cycle ("Win rate: " ended
    the line), as the reports screen shows it."""
    path = tmp_path / "empty.db"
    Database(path).close()
    assert main(["--db", str(path), "report", "funnel", "--as-of", "2026-11-30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "Win rate: —" in lines
    assert "Average sales cycle (days): —" in lines


def test_a_past_forecast_weighs_moved_deals_by_the_configured_probability(
    dbfile, tmp_path, monkeypatch, capsys
):
    """The deal was at proposal on Nov 10 and moved to negotiation since: as of Nov 10 it
    weighs at config.toml's proposal probability (40 %), not negotiation's 75 %."""
    conn = sqlite3.connect(dbfile)
    opp = conn.execute("SELECT id FROM opportunity").fetchone()[0]
    conn.execute("UPDATE opportunity SET stage = 'negotiation', probability = 75")
    d.change(conn, opp, "proposal", "negotiation", "2026-11-20 09:00:00")
    conn.commit()
    conn.close()
    cfg = tmp_path / "config.toml"
    cfg.write_text("[stages.proposal]\nprobability = 40\n", encoding="utf-8")
    monkeypatch.setenv("CRM_CONFIG", str(cfg))
    args = ["--db", dbfile, "report", "forecast", "--format", "csv", "--as-of"]
    assert main([*args, "2026-11-10"]) == 0
    assert "\r\n2026-12,1,1000.00,400.00," in capsys.readouterr().out
    assert main([*args, "2026-11-30"]) == 0
    assert "\r\n2026-12,1,1000.00,750.00," in capsys.readouterr().out


@pytest.mark.parametrize(
    "lang, said",
    [
        ("en", "crm report: error: argument --week: The week 2026-W48 begins after --as-of"
         " 2026-11-20: reports look back"),
        ("zh", "crm report: error: 参数 --week：2026-W48 周在 --as-of 2026-11-20 之后才开始：报表只能回看"),
    ],
)  # fmt: skip
def test_a_week_that_begins_after_the_as_of_date_is_a_usage_error(dbfile, capsys, lang, said):
    """It printed a week ending before it began: no activity, yet the backlog and the
    pipeline as of the earlier day."""
    argv = ["--db", dbfile, "--lang", lang, "report", "weekly", "--week", "2026-W48"]
    assert main([*argv, "--as-of", "2026-11-20"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == said
    assert main([*argv, "--as-of", "2026-11-24"]) == 0  # inside the week: up to that day


def test_a_text_table_says_what_it_covers_and_a_partial_week_says_so(dbfile, capsys):
    """The table began with its column titles: nothing said the day, nor that a week not
    over yet was counted only up to the as-of day (the screen says so)."""
    argv = ["--db", dbfile, "report", "weekly", "--week", "2026-W49", "--as-of", "2026-12-02"]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(
        "Week 2026-W49: 2026-11-30 – 2026-12-06, up to 2026-12-02\n\n"
    )
    assert main([*argv, "--format", "csv"]) == 0  # (CLI.md's columns: nothing above them)
    assert capsys.readouterr().out.startswith("\ufeffsection,date,customer,item,detail,amount")
