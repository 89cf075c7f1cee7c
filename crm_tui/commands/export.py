"""`crm export KIND|all [--out PATH]`: CSV files that `crm import` reads back."""

from __future__ import annotations

import argparse
import sys
from typing import Any

HELP = "export CSV; `all` writes one file per kind into a folder"
KINDS = ("customers", "contacts", "opportunities", "interactions", "tasks", "orders")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from crm_tui.i18n import _

    parser.add_argument("kind", choices=(*KINDS, "all"), metavar="KIND|all", help=", ".join(KINDS))
    parser.add_argument(
        "--out",
        metavar="PATH",
        help=_(
            "file to write (default: standard output); for `all` a folder "
            "(default: crm-export-YYYYMMDD in the current folder)"
        ),
    )


class _ProgressLines:
    """A progress line per file written, on a terminal (none for standard output)."""

    def __init__(self) -> None:
        self.shown = sys.stderr.isatty()
        self.file: str | None = None
        self.line: Any = None

    def of_file(self, file: str, done: int, total: int) -> None:
        from crm_tui.i18n import _
        from crm_tui.progress import PercentLine

        if file != self.file:
            self.close()
            self.file, self.line = file, PercentLine(_("Exporting {file}").format(file=file))
        self.line(done, total)

    def of_kind(self, kind: str, done: int, total: int) -> None:
        """(export all: a file per kind)"""
        self.of_file(f"{kind}.csv", done, total)

    def close(self) -> None:
        if self.line is not None:
            self.line.close()
            self.line = None


def run(args: argparse.Namespace, ctx) -> int:
    import sqlite3
    from contextlib import closing
    from functools import partial
    from pathlib import Path

    from crm_tui.cli import CommandError, sqlite_problem
    from crm_tui.commands import not_the_database
    from crm_tui.csvio import utf8_stdout
    from crm_tui.i18n import _, os_problem
    from crm_tui.store import export

    db = ctx.database(to_read=True)
    target = args.out
    lines = _ProgressLines()
    with db.reading() as conn, closing(lines):
        try:
            if args.kind == "all":
                folder = Path(args.out).expanduser() if args.out else export.default_folder()
                target = folder
                if folder.exists() and not folder.is_dir():
                    raise CommandError(_("{path} exists and is not a folder").format(path=folder))
                for kind in export.KINDS:
                    not_the_database(folder / f"{kind}.csv", db.path)
                counts = export.export_all(conn, folder, lines.of_kind if lines.shown else None)
                lines.close()  # (before the summary, on its own line)
                summary = _(", ").join(f"{counts[k]} {_(k)}" for k in export.KINDS)
                print(_("Exported {summary} to {path}").format(summary=summary, path=folder))
                print(  # (so that nobody takes the folder for a backup)
                    _(
                        "Not in the CSV files: payments, sales targets and stage history;"
                        " `crm backup` keeps everything"
                    ),
                    file=sys.stderr,
                )
                return 0
            if not args.out or args.out == "-":
                target = None  # (standard output)
                with utf8_stdout() as out:
                    export.export_kind(conn, args.kind, out)
                return 0
            path = Path(args.out).expanduser()
            if path.is_dir():
                path = path / f"{args.kind}.csv"
            target = not_the_database(path, db.path)
            told = partial(lines.of_file, path.name) if lines.shown else None
            count = export.export_kind(conn, args.kind, path, told)
        except BrokenPipeError:
            raise
        except sqlite3.Error as exc:  # a damaged page says how to restore, as elsewhere
            raise CommandError(sqlite_problem(db.path, exc)) from None
        except OSError as exc:
            # (`all` writes a hidden staging folder first: the folder asked for is named)
            where = target if args.kind == "all" else exc.filename or target
            raise CommandError(
                _("cannot write {path}: {reason}").format(
                    path=where or _("standard output"), reason=os_problem(exc)
                )
            ) from None
    print(
        _("Exported {count} {kind} to {path}").format(
            count=count, kind=export.kind_noun(args.kind, count), path=path
        ),
        file=sys.stderr,
    )
    return 0
