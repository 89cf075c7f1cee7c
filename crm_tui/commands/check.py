"""`crm check`: SQLite integrity and foreign-key checks."""

from __future__ import annotations

import argparse
import sys

HELP = "integrity and consistency check; exit 1 if anything is wrong"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    pass


def run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.cli import CommandError
    from crm_tui.store.sqlite import check

    db = ctx.database()
    with db.reading() as conn:
        problems = check(conn)
    if problems:
        for p in problems[1:]:
            print(p, file=sys.stderr)
        raise CommandError(
            f"{db.path}: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
    print(f"ok: {db.path}")
    return 0
