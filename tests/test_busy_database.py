"""Writes while another program holds the database's write lock (a big `crm import` in a
shell), and other SQLite failures: said in words, nothing saved, nothing crashes."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
import sqlalchemy.exc
from textual.widgets import DataTable, Label
from ui_steps import new_customer_form

from crm_tui.app import make_app
from crm_tui.store import customers as cs
from crm_tui.store import sqlite as sq
from crm_tui.store.database import Database
from crm_tui.store.sqlite import plain_problem
from crm_tui.widgets.form import FormScreen

BUSY = "another program is writing to the database"


@pytest.fixture
def short_wait(monkeypatch):
    """A busy file fails a write after 50 ms, not the app's 5 s (set before connecting)."""
    monkeypatch.setattr(sq, "BUSY_TIMEOUT_MS", 50)


@contextmanager
def write_lock(path):
    """Another program's write transaction, held until the block ends."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other.execute("ROLLBACK")
        other.close()


def customer_names(path) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [name for (name,) in conn.execute("SELECT name FROM customer ORDER BY name")]
    finally:
        conn.close()


def test_a_failed_write_is_said_in_words_never_with_its_statement(tmp_path, short_wait):
    db = Database(tmp_path / "crm.db")
    with db.session() as s:
        code = cs.create_customer(s, {"name": "Acme Robotics Ltd."}).code
    with (
        write_lock(db.path),
        pytest.raises(sqlalchemy.exc.OperationalError) as locked,
        db.session() as s,
    ):
        cs.create_customer(s, {"name": "Secret Client Co."})
    text = plain_problem(locked.value)
    assert text.startswith(BUSY) and "nothing was saved" in text
    assert "Secret" not in str(text) and "INSERT" not in text
    assert "INSERT" in str(locked.value)  # (what SQLAlchemy's own text would have shown)

    raw = db.engine.raw_connection()
    try:
        raw.execute("INSERT INTO customer (code, name) VALUES (?, 'Copy')", (code,))
    except sqlite3.IntegrityError as exc:
        wrapped = sqlalchemy.exc.IntegrityError("INSERT INTO customer …", (code,), exc)
    finally:
        raw.close()
    assert plain_problem(wrapped) == str(wrapped.orig)  # SQLite's message alone
    assert "[SQL" not in plain_problem(wrapped)

    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL
    assert plain_problem(full).startswith("the disk is full")
    assert plain_problem(ValueError("a bug")) == "a bug"
    db.close()


async def test_a_save_into_a_busy_database_keeps_the_form_and_says_why(db, short_wait):
    app = make_app(db.path, lang="en")
    async with app.run_test(size=(120, 50)) as pilot:
        await app.workers.wait_for_complete()
        await new_customer_form(pilot, "Globex Corp")
        with write_lock(db.path):
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert isinstance(app.screen, FormScreen)
            error = str(app.screen.query_one("#form-error", Label).render())
            assert error.startswith(f"Could not save: {BUSY}")
            assert "INSERT" not in error and "Globex" not in error
        assert customer_names(db.path) == []
        await pilot.press("ctrl+s")  # the other program is done: the same form saves
        await pilot.pause()
        assert not isinstance(app.screen, FormScreen)
    assert customer_names(db.path) == ["Globex Corp"]


async def test_a_delete_on_a_busy_database_is_refused_without_a_crash(db, short_wait):
    """The deletes of a customer's detail caught only "removed meanwhile": a locked file
    ended the app with a traceback."""
    with db.session() as s:
        c = cs.create_customer(s, {"name": "Globex Corp"})
        cs.create_contact(s, c.id, {"name": "Emily Chen"})
    app = make_app(db.path, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("enter")  # the customer's detail, its contacts focused
        await pilot.pause()
        assert app.screen.query_one("#contacts", DataTable).has_focus
        with write_lock(db.path):
            await pilot.press("delete")
            await pilot.pause()
            await pilot.click("#yes")
            await pilot.pause()
            assert app.is_running
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert errors and errors[-1].startswith(f"Could not save: {BUSY}")
        assert app.screen.query_one("#contacts", DataTable).row_count == 1
    conn = sqlite3.connect(db.path)
    assert conn.execute("SELECT name FROM contact").fetchall() == [("Emily Chen",)]
    conn.close()


async def test_undoing_a_merge_on_a_busy_database_is_refused_without_a_crash(db, short_wait):
    with db.session() as s:
        cs.create_customer(s, {"name": "上海华为技术有限公司"})
        cs.create_customer(s, {"name": "上海华为技术 有限公司"})
    app = make_app(db.path, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("D")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("y")  # merged: one customer left
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(customer_names(db.path)) == 1
        with write_lock(db.path):
            await pilot.press("u")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.is_running
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert errors and errors[-1].startswith(f"Could not save: {BUSY}")
        assert len(customer_names(db.path)) == 1
        await pilot.press("u")  # the other program is done: the undo goes through
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert len(customer_names(db.path)) == 2
