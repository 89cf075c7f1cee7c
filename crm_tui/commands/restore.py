"""`crm restore FILE`: verify a backup, back up the current database, then replace it."""

from __future__ import annotations

import argparse
import sys

HELP = "verify FILE, back up the current db, then replace it"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument("file", metavar="FILE", help=_("a backup made by `crm backup`"))


def run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.cli import CommandError
    from crm_tui.i18n import _
    from crm_tui.store.backups import BackupError, restore

    # The current file is not opened through Database: restoring must work when it is damaged.
    try:
        safety = restore(ctx.db_path, args.file)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    if safety is not None:
        print(_("previous database saved as {path}").format(path=safety), file=sys.stderr)
    # bring an older backup's schema up to date now rather than at the next start
    ctx.database()
    print(_("restored {source} into {path}").format(source=args.file, path=ctx.db_path))
    return 0
