"""Shared fixtures: a fresh migrated database per test, English by default."""

from __future__ import annotations

import pytest

from crm_tui.i18n import set_language
from crm_tui.store.database import Database


@pytest.fixture(autouse=True)
def _english_and_isolated(monkeypatch, tmp_path):
    """Every test starts in English with its own config/data folders (never the user's)."""
    set_language("en")
    monkeypatch.setenv("CRM_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("CRM_DB", raising=False)
    monkeypatch.delenv("CRM_LANG", raising=False)
    yield
    set_language("en")


@pytest.fixture(autouse=True)
def _toasts_kept_for_reading(monkeypatch):
    """A test reads what the app said from ``app._notifications``, which drops a toast
    once its seconds are up: on a loaded host a test slower than a toast's timeout
    missed what had been said. In tests a toast is kept until cleared (what was said
    is asserted, never how long it stays)."""
    from textual.notifications import Notification

    monkeypatch.setattr(Notification, "has_expired", property(lambda self: False))
    # a toast on screen (run_test(notifications=True)) removes itself, and what it said,
    # when its own timer, set from time_left, runs out; and a toast mounted again (a
    # screen switch) after its seconds got a negative timer, which Textual's timer
    # loop spins on for ever (a clean-clone CI run hung in test_logging_and_planning_say_so)
    monkeypatch.setattr(Notification, "time_left", property(lambda self: 3600.0))


@pytest.fixture
def db(tmp_path) -> Database:
    database = Database(tmp_path / "crm.db")
    yield database
    database.close()


@pytest.fixture
def session(db):
    with db.session() as s:
        yield s
