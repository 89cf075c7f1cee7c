"""`crm import KIND FILE`: CSV import with dedupe, rejected rows file and a summary on stderr."""

from __future__ import annotations

import argparse
import os
import sys

HELP = "import a CSV file (customers contacts opportunities interactions tasks orders)"
KINDS = ("customers", "contacts", "opportunities", "interactions", "tasks", "orders")
#: Files with more data lines than this get a progress bar (on a terminal).
PROGRESS_MIN_LINES = 5000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument("kind", choices=KINDS, metavar="KIND", help=", ".join(KINDS))
    parser.add_argument("file", metavar="FILE", help=_("CSV file (UTF-8 or GBK; , ; or tab)"))
    parser.add_argument(
        "--dry-run", action="store_true", help=_("report what would happen; change nothing")
    )
    parser.add_argument(
        "--strict", action="store_true", help=_("import nothing when any row is bad")
    )
    parser.add_argument(
        "--on-duplicate",
        choices=("skip", "merge", "create"),
        help=_(
            "a row that is a record already there (a customer of the same name, phone or"
            " email; a contact, deal, interaction or task by the rules of the README): skip"
            " it (default), merge it (fill the existing one's empty fields, and add a"
            " customer's contact and tags; values already there are kept) or create it"
            " anyway; for orders, create imports a row without an order number even when"
            " the customer has an order of that date, amount and product (an order number"
            " always brings its order up to date)"
        ),
    )
    parser.add_argument(
        "--again", action="store_true", help=_("import a file even if it was imported before")
    )


def _progress_printer():
    """A callback drawing a one-line bar on stderr, or None when stderr is not a terminal.

    ``CRM_PROGRESS=1`` forces plain progress lines (scripts and tests that watch an import).
    """
    forced = os.environ.get("CRM_PROGRESS") == "1"
    if not forced and not sys.stderr.isatty():
        return None

    def show(done: int, total: int) -> None:
        if total < PROGRESS_MIN_LINES and not forced:
            return
        if forced:
            print(f"progress {done}/{total}", file=sys.stderr, flush=True)
            return
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done >= total else ""
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}{end}")
        sys.stderr.flush()

    return show


def run(args: argparse.Namespace, ctx) -> int:
    from pathlib import Path

    from crm_tui.cli import CommandError
    from crm_tui.i18n import _
    from crm_tui.store.importing import ImportRefused, import_file, summary_lines

    path = Path(args.file).expanduser()
    if path.is_dir():
        raise CommandError(_("{path} is a folder, not a CSV file").format(path=path))
    if not path.is_file():
        raise CommandError(_("no such file: {path}").format(path=path))
    if args.on_duplicate == "merge" and args.kind == "orders":
        print(
            _(
                "warning: --on-duplicate merge does not apply to orders (a row is an order"
                " already there only when it says what that order says: there is nothing to"
                " fill); read as skip"
            ),
            file=sys.stderr,
        )
    db = ctx.database()
    settings = ctx.settings
    try:
        result = import_file(
            db.path,
            args.kind,
            path,
            dry_run=args.dry_run,
            strict=args.strict,
            on_duplicate=args.on_duplicate or "skip",
            again=args.again,
            owner=settings.user_name,
            probabilities={k: s.probability for k, s in settings.stages.items()},
            progress=_progress_printer(),
        )
    except ImportRefused as exc:
        raise CommandError(str(exc)) from None
    for line in summary_lines(result):
        print(line, file=sys.stderr)
    return result.exit_status
