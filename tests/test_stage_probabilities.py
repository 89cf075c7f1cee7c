"""A deal whose probability was not set by hand follows its stage's configured default,
whenever it was created: the board, the forecast and an export → import round trip give
the same weighted sums for one database and one config.toml."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from dataclasses import replace

import pytest

from crm_tui.cli import main
from crm_tui.settings import Settings
from crm_tui.store import opportunities as ops
from crm_tui.store.board import BoardFilter, column_summaries
from crm_tui.store.customers import create_customer
from crm_tui.store.database import Database
from crm_tui.store.export import KINDS
from crm_tui.store.stage_probabilities import META_KEY

T0 = dt.datetime(2026, 11, 2, 9, 0, 0)
TODAY = dt.date(2026, 11, 23)


def configured(**probabilities: int) -> Settings:
    """Settings as config.toml's ``[stages.NAME] probability = N`` would give them."""
    base = Settings()
    stages = dict(base.stages)
    for key, value in probabilities.items():
        stages[key] = replace(stages[key], probability=value)
    return replace(base, stages=stages)


def weighted(db: Database) -> dict[str, int]:
    """The board's Σ amount × probability per open stage, in cents."""
    with db.reading() as conn:
        sums = column_summaries(conn, BoardFilter(), TODAY)
    return {s: sums[s].weighted_cents for s in ("proposal", "negotiation")}


def forecast_weighted(db: Database, settings: Settings) -> int:
    from crm_tui.reports.forecast import forecast

    with db.reading() as conn:
        report = forecast(conn, TODAY, probabilities=settings.probabilities())
    return sum(r["weighted_amount"] for r in report.rows)


def add_deal(db: Database, settings: Settings, name: str, stage: str, cents: int, **data) -> int:
    with db.session() as s:
        customer = create_customer(s, {"name": f"{name} Ltd", "level": "B"})
        opp = ops.create_opportunity(
            s, customer.id,
            {"name": name, "amount_cents": cents / 100, "expected_close": "2026-12-15", **data},
            stage=stage, settings=settings, when=T0,
        )  # fmt: skip
        return opp.id


def probabilities(db: Database) -> dict[str, tuple[int, bool]]:
    with db.reading() as conn:
        rows = conn.execute("SELECT name, probability, probability_overridden FROM opportunity")
        return {name: (p, bool(o)) for name, p, o in rows}


def test_deals_made_before_a_config_change_follow_the_new_default(db):
    at40 = configured(proposal=40)
    db.follow_stage_probabilities(at40.probabilities())
    add_deal(db, at40, "Old", "proposal", 10_000_000)  # 100,000.00 follows: 40 %
    add_deal(db, at40, "Hand", "proposal", 2_000_000, probability=70)  # 20,000.00 by hand
    add_deal(db, at40, "Close", "negotiation", 5_000_000)  # 50,000.00 at 75 %
    assert weighted(db) == {"proposal": 4_000_000 + 1_400_000, "negotiation": 3_750_000}

    # config.toml now says proposal 30 %, negotiation 80 %; the app opens the file
    at30 = configured(proposal=30, negotiation=80)
    assert db.follow_stage_probabilities(at30.probabilities()) == 2  # Old and Close
    add_deal(db, at30, "New", "proposal", 1_000_000)  # 10,000.00 made under the new config
    assert weighted(db) == {
        "proposal": 3_000_000 + 1_400_000 + 300_000,  # Old 30 %, Hand 70 %, New 30 %
        "negotiation": 4_000_000,  # 80 %
    }
    assert forecast_weighted(db, at30) == 3_000_000 + 1_400_000 + 300_000 + 4_000_000
    assert probabilities(db) == {
        "Old": (30, False), "Hand": (70, True), "Close": (80, False), "New": (30, False)
    }  # fmt: skip
    # the same config again: nothing to do
    assert db.follow_stage_probabilities(at30.probabilities()) == 0


def test_a_probability_set_by_hand_is_kept_through_config_changes(db):
    at40 = configured(proposal=40)
    add_deal(db, at40, "Hand", "proposal", 1_000_000, probability=70)
    add_deal(db, at40, "Follows", "proposal", 1_000_000)
    for chance in (70, 20, 55):  # even one equal to it for a while: still set by hand
        db.follow_stage_probabilities(configured(proposal=chance).probabilities())
        assert probabilities(db) == {"Hand": (70, True), "Follows": (chance, False)}
    assert weighted(db)["proposal"] == 700_000 + 550_000


def test_a_file_that_never_recorded_its_probabilities_gets_the_config_applied(db, tmp_path):
    """A file written before this (or a sample made with DOMAIN.md's defaults) holds
    deals at 50 % for proposal; opened with proposal = 40 its deals follow 40."""
    add_deal(db, Settings(), "Old", "proposal", 1_000_000)
    with db.reading() as conn:
        conn.execute("DELETE FROM app_meta WHERE key = ?", (META_KEY,))
        conn.commit()
    assert probabilities(db) == {"Old": (50, False)}
    db.follow_stage_probabilities(configured(proposal=40).probabilities())
    assert probabilities(db) == {"Old": (40, False)}


def test_the_app_opens_the_file_with_its_config_applied(tmp_path):
    from crm_tui.app import make_app

    path = tmp_path / "crm.db"
    db = Database(path)
    add_deal(db, Settings(), "Old", "proposal", 1_000_000)
    db.close()
    app = make_app(path, settings=configured(proposal=35))
    try:
        assert probabilities(app.db) == {"Old": (35, False)}
    finally:
        app.db.close()


def _forecast_csv(db_path, capsys) -> list[dict[str, str]]:
    assert main(["--db", str(db_path), "report", "forecast", "--as-of", str(TODAY),
                 "--format", "csv"]) == 0  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out.lstrip("\ufeff"))))
    assert rows
    # sales targets are not in the CSV files (export says so): the sums are compared
    return [{k: r[k] for k in ("month", "count", "amount", "weighted_amount")} for r in rows]


def test_export_all_and_import_into_an_empty_database_gives_the_same_forecast(tmp_path, capsys):
    config = tmp_path / "config.toml"  # CRM_CONFIG (conftest)
    config.write_text("[stages.proposal]\nprobability = 40\n", encoding="utf-8")
    demo, copy, folder = tmp_path / "demo.db", tmp_path / "rt.db", tmp_path / "out"
    assert main(["--db", str(demo), "demo", "--customers", "80", "--seed", "3",
                 "--as-of", str(TODAY)]) == 0  # fmt: skip
    assert main(["--db", str(demo), "export", "all", "--out", str(folder)]) == 0
    for kind in KINDS:
        assert main(["--db", str(copy), "import", kind, str(folder / f"{kind}.csv")]) == 0
    capsys.readouterr()
    before = _forecast_csv(demo, capsys)
    assert _forecast_csv(copy, capsys) == before
    assert any(float(r["weighted_amount"]) for r in before)

    # and again after the rep changes the probability: both files follow it
    config.write_text("[stages.proposal]\nprobability = 30\n", encoding="utf-8")
    after = _forecast_csv(demo, capsys)
    assert after != before
    assert _forecast_csv(copy, capsys) == after
    conn = sqlite3.connect(demo)
    try:
        chances = conn.execute(
            "SELECT DISTINCT probability FROM opportunity"
            " WHERE stage = 'proposal' AND NOT probability_overridden"
        ).fetchall()
    finally:
        conn.close()
    assert chances == [(30,)]


def test_crm_due_does_not_apply_them(tmp_path, capsys):
    """`crm due` must start fast: it reads the probabilities last applied."""
    path = tmp_path / "crm.db"
    db = Database(path)
    add_deal(db, Settings(), "Old", "proposal", 1_000_000)
    db.close()
    (tmp_path / "config.toml").write_text("[stages.proposal]\nprobability = 40\n")
    assert main(["--db", str(path), "due"]) == 0
    db = Database(path)
    try:
        assert probabilities(db) == {"Old": (50, False)}
    finally:
        db.close()


@pytest.mark.parametrize("command", [["report", "funnel"], ["export", "opportunities"]])
def test_commands_that_read_deals_apply_them(tmp_path, capsys, command):
    path = tmp_path / "crm.db"
    db = Database(path)
    add_deal(db, Settings(), "Old", "proposal", 1_000_000)
    db.close()
    (tmp_path / "config.toml").write_text("[stages.proposal]\nprobability = 40\n")
    out = ["--out", str(tmp_path / "o.csv")] if command[0] == "export" else []
    assert main(["--db", str(path), *command, *out]) == 0
    db = Database(path)
    try:
        assert probabilities(db) == {"Old": (40, False)}
    finally:
        db.close()
