"""The `crm` command: opens the TUI, or runs one headless subcommand of CLI.md and exits.

Each subcommand lives in ``crm_tui/commands/<name>.py`` with ``add_arguments(parser)``
and ``run(args, ctx) -> int``. Those modules import only the standard library at the
top so that `crm --help` and `crm due` start fast; heavy imports go inside ``run``.
Exit status: 0 success, 1 failure (one ``error:`` line), 2 usage, 3 rejected import rows.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

#: Subcommands in `--help` order; a name whose module is absent is not offered.
COMMANDS = ("demo", "import", "export", "report", "due", "backup", "restore", "check")


class CommandError(Exception):
    """A failure to report as one ``error:`` line with exit status 1."""


@dataclass
class CliContext:
    """What every subcommand needs: the database path, settings and language."""

    db_path: Path
    lang: str
    _settings: object = field(default=None, repr=False)
    #: the path was given (--db or CRM_DB), not the default one
    chosen: bool = False
    #: --start-empty: a new, empty database where a removed one has backups
    start_empty: bool = False
    _database: object = field(default=None, repr=False)

    @property
    def settings(self):
        if self._settings is None:
            from crm_tui.settings import load_settings

            self._settings = load_settings()
        return self._settings

    def database(self, *, to_read: bool = False, deals: bool = True):
        """The opened (created, migrated) database.

        ``to_read``: the command only reads it (due, report, export, check, backup), so a
        path given with --db or CRM_DB that holds no file is a mistyped path, refused, not
        a new empty database ("Nothing due." from a cron job with a typo in its path).
        The default database is created on first use, by any command (CLI.md).

        ``deals``: the command reads or writes deals, so the deals whose probability was
        not set by hand are first brought to their stage's probability in config.toml
        if that changed (store.stage_probabilities; a report or an export that reads the
        file writes this to it too: reporting the probabilities of an earlier config
        would give one file two forecasts). `crm due`, `backup` and `check` pass False:
        due must start fast, and the others copy or examine the file as it is."""
        if to_read and self.chosen and not self.db_path.exists():
            from crm_tui.i18n import _
            from crm_tui.store.backups import missing_problem

            raise CommandError(
                missing_problem(self.db_path)  # (removed: how to restore it)
                or _("no database at {path}: check --db (or CRM_DB)").format(path=self.db_path)
            )
        if self._database is None:
            from crm_tui.store.database import Database

            if self.start_empty:
                notice = self.set_aside()
                if notice:
                    print(notice, file=sys.stderr)

            self._database = Database(self.db_path)
            if deals:
                self._database.follow_stage_probabilities(self.settings.probabilities())
        return self._database

    def set_aside(self) -> str | None:
        """For --start-empty: when the database file is not there, move the backups of
        the removed one aside (kept, never pruned by the new file's backups); returns
        what to tell the rep, or None (there were none, or the file is there)."""
        if self.db_path.exists():
            return None
        from crm_tui.i18n import _
        from crm_tui.store.backups import set_aside

        aside = set_aside(self.db_path)
        if aside is None:
            return None
        return _(
            "started a new, empty database at {path}; the backups of the earlier one are"
            " kept in {folder}"
        ).format(path=self.db_path, folder=aside)


def today():
    """The day it is for the commands (``datetime.date``; tests freeze it, as they do the
    app's clock)."""
    import datetime as dt

    return dt.date.today()


def _command_module(name: str):
    return importlib.import_module(f"crm_tui.commands.{name}")


def _available(name: str) -> bool:
    return importlib.util.find_spec(f"crm_tui.commands.{name}") is not None


def _global_options(parser: argparse.ArgumentParser, default) -> None:
    from crm_tui.i18n import _

    parser.add_argument(
        "--db",
        metavar="PATH",
        default=default,
        help=_("database file (default: $CRM_DB or crm.db in the user data folder)"),
    )
    parser.add_argument(
        "--lang",
        choices=("en", "zh"),
        default=default,
        help=_("interface language (default: $CRM_LANG, config, locale)"),
    )
    parser.add_argument(
        "--start-empty",
        action="store_true",
        default=default,
        help=_(
            "where the database file was removed but backups of it exist, start a new,"
            " empty database anyway (the backups are kept aside); without it crm refuses"
            " and names the newest backup to restore"
        ),
    )


def _argparse_speaks_the_language() -> None:
    """argparse's own words ("usage:", "options", its messages on a usage error) through
    the program's catalog: argparse looks its module's ``_`` and ``ngettext`` up at each
    use. ``error:`` stays as it is (CLI.md: scripts read it)."""
    from crm_tui.i18n import _

    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = lambda one, many, n: _(one if n == 1 else many)  # type: ignore[attr-defined]


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's help wrapped to the terminal by display columns, not characters (a
    Chinese character takes two): help texts and descriptions break between Chinese
    characters too, and a usage line wraps under itself when the word before it is wider
    than its length ("用法：" takes six columns, not three)."""

    def _format_usage(self, usage, actions, groups, prefix):  # type: ignore[override]
        from crm_tui.textwidth import cell_width

        word = argparse._("usage: ") if prefix is None else prefix  # type: ignore[attr-defined]
        extra = " " * (cell_width(word) - len(word))
        self._width -= len(extra)  # argparse counts the word's characters: the rest is less
        try:
            text = super()._format_usage(usage, actions, groups, prefix)
        finally:
            self._width += len(extra)
        first, *rest = text.split("\n")
        return "\n".join([first, *(extra + line if line[:1] == " " else line for line in rest)])

    def start_section(self, heading):  # type: ignore[override]
        if heading:
            self.__dict__.setdefault("_headings", set()).add(heading)
        super().start_section(heading)

    def format_help(self) -> str:
        # argparse puts an ASCII colon after a heading: a Chinese one takes the
        # full-width colon, as "用法：" does ("选项：", not "选项:")
        text = super().format_help()
        for heading in self.__dict__.get("_headings", ()):
            if not heading.isascii():
                text = text.replace(f"\n{heading}:\n", f"\n{heading}：\n")
        return text

    def _split_lines(self, text, width):  # type: ignore[override]
        from crm_tui.textwidth import wrap

        return wrap(text, width)

    def _fill_text(self, text, width, indent):  # type: ignore[override]
        from crm_tui.textwidth import wrap

        return "\n".join(indent + line for line in wrap(text, width - len(indent)))


def build_parser() -> argparse.ArgumentParser:
    """The whole command line; help texts in the language set before it is built."""
    from crm_tui.i18n import _

    _argparse_speaks_the_language()
    parser = argparse.ArgumentParser(
        prog="crm",
        formatter_class=_HelpFormatter,
        description=_(
            "A keyboard-driven terminal CRM. Without a command it opens the terminal UI."
        ),
    )
    _global_options(parser, None)
    # --db and --lang are accepted after the subcommand too ("any command").
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if not _available(name):
            continue
        module = _command_module(name)
        text = _(module.HELP)
        sp = sub.add_parser(
            name, help=text, description=text, parents=[common], formatter_class=_HelpFormatter
        )
        module.add_arguments(sp)
    return parser


class _NotPlain(Exception):
    """The arguments are not a plain `crm [--db PATH] [--lang L]`."""


class _TopLevelParser(argparse.ArgumentParser):
    def error(self, message: str):  # type: ignore[override]
        raise _NotPlain(message)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line. `crm` alone (the TUI, started many times a day, waiting
    for its first frame) is parsed without importing every command module for the
    subcommands' options; anything else, errors and help included, by the full parser."""
    tokens = sys.argv[1:] if argv is None else list(argv)
    if not any(t in COMMANDS or t.startswith(("-h", "--h")) for t in tokens):
        plain = _TopLevelParser(prog="crm", add_help=False)
        _global_options(plain, None)
        try:
            args, rest = plain.parse_known_args(tokens)
        except _NotPlain:
            rest = tokens
        if not rest:
            args.command = None
            return args
    return build_parser().parse_args(tokens)


def sqlite_problem(db_path: Path, exc: Exception) -> str:
    """The ``error:`` text of a SQLite error no command caught (bare, or wrapped by
    SQLAlchemy): a damaged page that the opening checks did not read (SQLITE_CORRUPT,
    SQLITE_NOTADB) says how to restore, a file or journal that cannot be opened or
    written to check the permissions; SQLAlchemy's text (the statement, the rep's
    values) is never shown."""
    from crm_tui.store.sqlite import cannot_open_in, damage_in, plain_problem

    damage = damage_in(exc)
    if damage is not None:
        from crm_tui.store.backups import damage_message

        return damage_message(db_path, damage)
    if cannot_open_in(exc) is not None:
        from crm_tui.store.database import open_problem

        return open_problem(Path(db_path), exc)
    return f"{db_path}: {plain_problem(exc)}"


def _language_option(argv: list[str]) -> str | None:
    """``--lang``'s value, read before the command line is parsed."""
    for i, token in enumerate(argv):
        if token == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if token.startswith("--lang="):
            return token.split("=", 1)[1]
    return None


def on_a_terminal() -> bool:
    """Whether the app can run here: Textual reads keys from standard input and draws on
    standard error. Without a terminal (cron, `crm < /dev/null`) it waited for ever."""
    return all(stream is not None and stream.isatty() for stream in (sys.__stdin__, sys.__stderr__))


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    from crm_tui.i18n import detect_language, set_language
    from crm_tui.settings import SettingsError, load_settings

    try:
        settings, problem = load_settings(), None
    except SettingsError as exc:
        settings, problem = None, exc
    # Usage errors (an unreadable --as-of …) are written while parsing: in the user's
    # language already.
    set_language(detect_language(_language_option(argv), getattr(settings, "language", None)))
    args = parse_args(argv)
    if args.command is None:
        # The TUI's start allocates many long-lived objects (modules, styles, widgets); the
        # cycle collector would scan them over and over before the first frame. The app
        # freezes them and turns it back on once the ORM import that follows the first
        # frame is done (CrmApp._warm_up).
        gc.disable()
    from crm_tui.settings import resolve_db_path

    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    settings.apply_labels()  # type: ignore[union-attr]
    ctx = CliContext(
        db_path=resolve_db_path(args.db),
        lang="en",
        _settings=settings,
        chosen=bool(args.db or os.environ.get("CRM_DB")),
        start_empty=bool(getattr(args, "start_empty", None)),
    )
    ctx.lang = detect_language(args.lang, settings.language)  # type: ignore[union-attr]
    set_language(ctx.lang)
    import sqlite3  # already loaded by crm_tui.store.database

    from crm_tui.store.database import DatabaseError

    try:
        if args.command is None:
            if not on_a_terminal():
                from crm_tui.i18n import _

                raise CommandError(
                    _(
                        "crm without a command opens the full-screen app, which needs a terminal;"
                        " scripts and cron jobs use a command (crm --help lists them)"
                    )
                )
            from crm_tui.app import run_app

            return run_app(ctx)
        return int(_command_module(args.command).run(args, ctx) or 0)
    except (CommandError, DatabaseError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"error: {sqlite_problem(ctx.db_path, exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a folder where a file should be, no permission …: one line
        from crm_tui.i18n import _, os_problem

        # (every file opened by name carries it; the database's own errors are SQLite's:
        # a nameless one is standard output, full or closed, not the database)
        reason = os_problem(exc)
        if exc.filename is None:
            text = _("cannot write {path}: {reason}").format(
                path=_("standard output"), reason=reason
            )
        else:
            text = _("cannot use {path}: {reason}").format(path=exc.filename, reason=reason)
        print(f"error: {text}", file=sys.stderr)
        return 1
    except Exception as exc:  # a SQLite error SQLAlchemy wraps (its own class): one line
        from crm_tui.store.sqlite import sqlite_error_in

        if sqlite_error_in(exc) is None:
            raise
        print(f"error: {sqlite_problem(ctx.db_path, exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
