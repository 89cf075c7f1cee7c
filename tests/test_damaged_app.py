"""The app on a damaged database: its daily backup is refused and the header says so."""

from __future__ import annotations

import datetime as dt
import os

from damaged_db import damage_page

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


async def test_the_daily_backup_of_a_damaged_database_is_refused_and_shown(db):
    good = _damaged_with_an_old_backup(db)
    app = make_app(db.path, lang="en")
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert list_backups(backup_dir(db.path)) == [good]  # nothing written, nothing rotated
        assert verify(good) == HEAD_REVISION
        header = app.screen.query_one(AppHeader)
        assert " backup refused: database damaged " in header.text
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and "is damaged" in errors[0] and str(good) in errors[0]
    app.db.close()


async def test_the_warning_is_in_chinese(db):
    _damaged_with_an_old_backup(db)
    app = make_app(db.path, lang="zh")
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert " 未备份：数据库已损坏 " in app.screen.query_one(AppHeader).text
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and "已损坏" in errors[0]
    app.db.close()


async def test_a_damaged_database_never_backed_up_says_so_too(db):
    """With no backup at all, the newest backup's time never changes: the refusal must
    reach the header on its own."""
    with db.session() as s:
        cs.create_customer(s, {"name": "Acme Robotics Ltd."})
    db.close()
    damage_page(db.path)
    app = make_app(db.path, lang="en")
    async with app.run_test() as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert list_backups(backup_dir(db.path)) == []
        assert " backup refused: database damaged " in app.screen.query_one(AppHeader).text
    app.db.close()
