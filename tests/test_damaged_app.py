"""The app on a damaged database: its daily backup is refused, and the app says how to
restore before the rep works on (the header keeps the news)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os

import pytest
from damaged_db import damage_page
from ui_steps import new_customer_form

from crm_tui.app import make_app
from crm_tui.store import customers as cs
from crm_tui.store.backups import backup_dir, list_backups, make_backup, verify
from crm_tui.store.database import HEAD_REVISION
from crm_tui.widgets.app_header import AppHeader


def _damaged_with_an_old_backup(db):
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics Ltd."})
    good = make_backup(db.path, keep=7)
    old = (dt.datetime.now() - dt.timedelta(days=3)).timestamp()
    os.utime(good, (old, old))
    db.close()
    damage_page(db.path)
    return good


def _header(app) -> AppHeader:
    """The header of the screen under the damage dialog."""
    return app.screen_stack[-2].query_one(AppHeader)


async def _damage_dialog(app, pilot) -> str:
    from crm_tui.screens.dialogs.confirm import MessageDialog

    await app.workers.wait_for_complete()
    await pilot.pause()
    assert isinstance(app.screen, MessageDialog)
    assert list(app._notifications) == []  # the same news would cover the dialog
    return str(app.screen.query_one("#message").render())


async def test_the_daily_backup_of_a_damaged_database_is_refused_and_says_how_to_restore(
    db, capsys
):
    good = _damaged_with_an_old_backup(db)
    app = make_app(db.path, lang="en")
    async with app.run_test() as pilot:
        message = await _damage_dialog(app, pilot)
        assert list_backups(backup_dir(db.path)) == [good]  # nothing written, nothing rotated
        assert verify(good) == HEAD_REVISION
        assert " backup refused: database damaged " in _header(app).text
        assert f"{db.path} is damaged (" in message and str(good) in message
        await pilot.press("enter")  # Quit: nothing is saved into the damaged file
        await pilot.pause()
    assert app.return_code == 1
    assert f"error: {db.path} is damaged" in " ".join(capsys.readouterr().err.split())
    app.db.close()


async def test_the_warning_is_in_chinese(db):
    _damaged_with_an_old_backup(db)
    app = make_app(db.path, lang="zh")
    async with app.run_test() as pilot:
        message = await _damage_dialog(app, pilot)
        assert " 未备份：数据库已损坏 " in _header(app).text
        assert "已损坏" in message
    app.db.close()


async def test_a_damaged_database_never_backed_up_says_so_too(db):
    """With no backup at all, the newest backup's time never changes: the refusal must
    reach the rep on its own."""
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics Ltd."})
    db.close()
    damage_page(db.path)
    app = make_app(db.path, lang="en")
    async with app.run_test() as pilot:
        message = await _damage_dialog(app, pilot)
        assert list_backups(backup_dir(db.path)) == []
        assert " backup refused: database damaged " in _header(app).text
        assert "is damaged" in message
    app.db.close()


def _damaged_deals(db) -> None:
    """A customer with a deal, then the deals' table damaged (the customers list and
    the due badge never read it; the pipeline and the funnel do)."""
    from crm_tui.store import opportunities as ops

    with db.session() as s:
        c = cs.create_customer(s, {"name": "Acme Robotics Ltd."})
        ops.create_opportunity(s, c.id, {"name": "Robot arms", "amount_cents": "1200"})
    make_backup(db.path)  # today's, before the damage: the start checks nothing
    db.close()
    damage_page(db.path, "opportunity")


async def test_a_damaged_page_met_by_a_screen_ends_the_app_with_how_to_restore(db, capsys):
    _damaged_deals(db)
    app = make_app(db.path, lang="en")
    async with app.run_test():
        await app.workers.wait_for_complete()
        # the board reads the deals on the UI thread, and the app ends: wait for that,
        # not for the board to settle (pilot.press would; it never does)
        app.simulate_key("2")
        await asyncio.wait_for(asyncio.shield(app._task), timeout=30)
    assert app.return_code == 1
    text = " ".join(capsys.readouterr().err.split())  # as printed on the terminal, unwrapped
    assert text.startswith(f"error: {db.path} is damaged (database disk image is malformed)")
    assert f"crm --db {db.path} restore FILE" in text
    assert "Traceback" not in text
    app.db.close()


async def test_a_damaged_page_met_by_a_report_is_shown_then_the_app_ends(db, capsys):
    from crm_tui.screens.dialogs.confirm import MessageDialog

    _damaged_deals(db)
    app = make_app(db.path, lang="en")
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("5")  # the funnel is built in a worker, which catches the error
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, MessageDialog)
        message = str(app.screen.query_one("#message").render())
        assert "is damaged" in message and "restore FILE" in message
        assert app.return_code is None or app.return_code == 0  # still running: read first
        await pilot.press("enter")
        await pilot.pause()
    assert app.return_code == 1
    assert "is damaged" in " ".join(capsys.readouterr().err.split())
    app.db.close()


def test_damage_is_told_apart_from_other_sqlite_errors(db):
    """Only a damaged file gets the restore message; a locked file or a bug does not.
    Found through the wrappers an error comes in (SQLAlchemy's, a failed worker's)."""
    import sqlite3

    import sqlalchemy.exc
    from textual.worker import WorkerFailed

    from crm_tui.store.sqlite import damage_in

    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics Ltd."})
    db.close()
    damage_page(db.path, "customer")
    conn = sqlite3.connect(db.path)
    try:
        conn.execute("SELECT * FROM customer").fetchall()
    except sqlite3.DatabaseError as exc:
        damaged = exc
    conn.close()
    assert damage_in(damaged) is damaged
    wrapped = sqlalchemy.exc.DatabaseError("SELECT", {}, damaged)
    assert damage_in(wrapped) is damaged
    assert damage_in(WorkerFailed(wrapped)) is damaged
    locked = sqlite3.OperationalError("database is locked")
    locked.sqlite_errorcode = sqlite3.SQLITE_BUSY
    assert damage_in(locked) is None
    assert damage_in(ValueError("a bug")) is None


async def test_a_save_that_meets_a_damaged_page_keeps_the_form_and_says_how_to_restore(db):
    """The typed form stays (nothing to lose by reading the message), and the message
    is the restore one, not SQLite's bare "database disk image is malformed"."""
    from textual.widgets import Input, Label

    from crm_tui.widgets.form import FormScreen

    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics Ltd."})
    make_backup(db.path)  # today's, before the damage: the start checks nothing
    db.close()
    damage_page(db.path, "customer_search_data")  # written by every save of a customer
    app = make_app(db.path, lang="en")
    async with app.run_test(size=(120, 50)) as pilot:
        await app.workers.wait_for_complete()
        await new_customer_form(pilot, "Globex Corp")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, FormScreen)
        assert app.screen.query_one("#field-name", Input).value == "Globex Corp"
        error = str(app.screen.query_one("#form-error", Label).render())
        assert error.startswith("Could not save: ")
        assert f"{db.path} is damaged (" in error
        assert "restore FILE" in error
    app.db.close()


# --- the database file removed while the app runs ---------------------------------------


def _remove(path, folder_too: bool) -> None:
    import shutil

    if folder_too:  # `rm -rf` of the folder holding crm.db
        shutil.rmtree(path.parent)
    else:
        for suffix in ("", "-wal", "-shm", "-inuse"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)


@pytest.mark.parametrize("folder_too", [True, False])
async def test_a_database_removed_under_the_app_ends_it_with_how_to_restore(
    tmp_path, capsys, folder_too
):
    from crm_tui.store.database import Database

    path = tmp_path / "work" / "crm.db"
    first = Database(path)
    with first.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics Ltd."})
    good = make_backup(path, keep=7)
    first.close()
    app = make_app(path, lang="en")
    async with app.run_test():
        await app.workers.wait_for_complete()
        _remove(path, folder_too)
        app.simulate_key("2")  # the pipeline opens its connection on mount
        await asyncio.wait_for(asyncio.shield(app._task), timeout=30)
    assert app.return_code == 1
    text = " ".join(capsys.readouterr().err.split())
    assert "Traceback" not in text
    assert text.startswith(f"error: the database file {path} is gone (it, or its folder, was")
    flat = "".join(text.split())  # (wrapped lines may break a path)
    assert f"crm--db{path}restoreFILE" in flat and str(good) in flat
    assert not path.exists()  # no new, empty database made in its place
    app.db.close()


async def test_a_save_after_the_database_was_removed_says_it_is_gone(tmp_path):
    from crm_tui.store.database import Database

    path = tmp_path / "work" / "crm.db"
    Database(path).close()
    app = make_app(path, lang="en")
    async with app.run_test():
        await app.workers.wait_for_complete()
        _remove(path, folder_too=True)
        try:
            with app.db.session() as s:
                cs.create_customer(s, {"name": "Lost Ltd."})
        except Exception as exc:
            text = app.problem_text(exc)
        else:
            raise AssertionError("saved into a removed file")
    assert text.startswith(f"the database file {path} is gone"), text
    assert "read-only" not in text
    assert not path.exists()
    app.db.close()
