"""`crm backup [--out FILE]`: a consistent online copy of the database."""

from __future__ import annotations

import argparse

HELP = "consistent online backup (SQLite backup API)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument(
        "--out",
        metavar="FILE",
        help=_(
            "where to write: a file, or a folder to put crm-YYYYMMDD-HHMMSS.db in (default: the user data folder's backups)"
        ),
    )


def run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.cli import CommandError
    from crm_tui.store.backups import BackupError, make_backup

    db = ctx.database(to_read=True, deals=False)
    try:
        target = make_backup(db.path, args.out, keep=ctx.settings.backup_keep)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(target)
    return 0
