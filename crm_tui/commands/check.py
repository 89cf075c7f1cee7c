"""`crm check`: SQLite integrity and foreign-key checks, then the app's own rules
(store/consistency.py); `--repair` recomputes what the app derives itself."""

from __future__ import annotations

import argparse

HELP = "integrity and consistency check; exit 1 if anything is wrong"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument(
        "--repair",
        action="store_true",
        help=_(
            "recompute stale customer totals and last orders and rebuild the search index"
            " (in one transaction), then check again; other problems are only reported"
        ),
    )


def run(args: argparse.Namespace, ctx) -> int:
    from crm_tui.cli import CommandError
    from crm_tui.i18n import _
    from crm_tui.store.backups import restore_hint
    from crm_tui.store.consistency import consistency_findings, file_mode_problems, repair
    from crm_tui.store.sqlite import foreign_key_problems, integrity_problems

    db = ctx.database(to_read=True, deals=False)
    findings = []
    with db.reading() as conn:
        damage = integrity_problems(conn)
        # A damaged file's references are not worth listing (and may not be readable).
        dangling = [] if damage else foreign_key_problems(conn)
        if not (damage or dangling):
            findings = consistency_findings(conn)
            if args.repair and any(f.repairable for f in findings):
                search = any(f.repairable and f.search for f in findings)
                repaired = repair(conn, search=search)
                if repaired.customers:
                    print(
                        _("repaired: total amount and last order of {n} customers").format(
                            n=repaired.customers
                        )
                    )
                if repaired.search_rebuilt:
                    print(_("repaired: search index rebuilt"))
                findings = consistency_findings(conn)
    # Every problem is listed on stdout; stderr gets the one `error:` line of CLI.md. A
    # single damage finding is not: the `error:` line names it ("database disk image is
    # malformed" on stdout too said it twice, and not as one line).
    for problem in damage if len(damage) > 1 else dangling:
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
        text = (
            _(
                "{path} has 1 reference to a record that does not exist (listed above): {first}; {hint}"
            )
            if len(dangling) == 1
            else _(
                "{path} has {n} references to records that do not exist (listed above), e.g. {first}; {hint}"
            )
        )
        raise CommandError(
            text.format(
                path=db.path, n=len(dangling), first=dangling[0], hint=restore_hint(db.path)
            )
        )
    mode = file_mode_problems(db.path)
    for problem in [*findings, *mode]:
        print(problem)
    if findings or mode:
        raise CommandError(_advice(db.path, findings, mode))
    print(f"ok: {db.path}")
    return 0


def _advice(path, findings, mode) -> str:
    """The `error:` line after the listed problems: how many, and what to do about each kind."""
    import shlex

    from crm_tui.i18n import _
    from crm_tui.store.backups import restore_hint

    n = len(findings) + len(mode)
    todo = []
    if any(f.repairable for f in findings):
        todo.append(
            _(
                "`crm --db {db} check --repair` recomputes the customers' totals and rebuilds"
                " the search index"
            ).format(db=shlex.quote(str(path)))
        )
    if not all(f.repairable for f in findings):
        todo.append(
            # (values the app never writes: its screens cannot show or change them)
            _("the other values are none the app writes: {hint}").format(hint=restore_hint(path))
        )
    if mode:
        todo.append(
            _("`chmod 600 {path}` makes the file readable by you only").format(
                path=shlex.quote(str(path))
            )
        )
    found = _("1 problem") if n == 1 else _("{n} problems").format(n=n)
    return _("{path}: {found} (listed above): {todo}").format(
        path=path, found=found, todo=_("; ").join(todo)
    )
