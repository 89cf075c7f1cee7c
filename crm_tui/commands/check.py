"""`crm check`: SQLite integrity and foreign-key checks."""

from __future__ import annotations

import argparse

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
    # Every problem is listed on stdout; stderr gets the one `error:` line of CLI.md.
    for problem in damage or dangling:
        print(problem)
    if damage:
        problem = damage[0] + (
            _(" (and {n} more)").format(n=len(damage) - 1) if len(damage) > 1 else ""
        )
        raise CommandError(
            _("{path} is damaged ({problem}); {hint}").format(
                path=db.path, problem=problem, hint=restore_hint(db.path)
            )
        )
    if dangling:
        raise CommandError(
            _(
                "{path} has {n} references to records that do not exist (listed above), e.g. {first}; {hint}"
            ).format(path=db.path, n=len(dangling), first=dangling[0], hint=restore_hint(db.path))
        )
    print(f"ok: {db.path}")
    return 0
