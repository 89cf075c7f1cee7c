"""A deal whose probability was not set by hand follows its stage's configured default,
whenever it was created: the board, the forecast and an export → import round trip give
the same weighted sums for one database and one config.toml."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from crm_tui.settings import Settings
from crm_tui.store import opportunities as ops
from crm_tui.store.board import BoardFilter, column_summaries
from crm_tui.store.customers import create_customer
from crm_tui.store.database import Database
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
