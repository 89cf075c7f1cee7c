"""`crm check`: SQLite integrity and foreign-key checks."""

from __future__ import annotations

import argparse
import sys

HELP = "integrity and consistency check; exit 1 if anything is wrong"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.cli import CommandError
    from crm_tui.i18n import _
    from crm_tui.store.backups import restore_hint
    from crm_tui.store.sqlite import foreign_key_problems, integrity_problems

    db = ctx.database()
    with db.reading() as conn:
        damage = integrity_problems(conn)
        # A damaged file's references are not worth listing (and may not be readable).
        dangling = [] if damage else foreign_key_problems(conn)
    if damage:
        for p in damage[1:]:
            print(p, file=sys.stderr)
        problem = damage[0] + (
            _(" (and {n} more)").format(n=len(damage) - 1) if len(damage) > 1 else ""
        )
        raise CommandError(
            _("{path} is damaged ({problem}); {hint}").format(
                path=db.path, problem=problem, hint=restore_hint(db.path)
            )
        )
    if dangling:
        for p in dangling[1:]:
            print(p, file=sys.stderr)
        raise CommandError(
            f"{db.path}: {dangling[0]}"
            + (_(" (and {n} more)").format(n=len(dangling) - 1) if len(dangling) > 1 else "")
        )
    print(f"ok: {db.path}")
    return 0
