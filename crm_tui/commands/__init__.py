"""Headless subcommands of `crm` (see crm_tui.cli): one module per command."""

from __future__ import annotations

from pathlib import Path


def whole_number(text: str, low: int | None = None, high: int | None = None) -> int:
    """``text`` as a whole number (from ``low`` to ``high`` when given) for an option's
    ``type=``; anything else is a usage error (exit 2) in the user's language. (With
    ``type=int`` argparse would say "invalid int value", naming Python's type.)"""
    import argparse

    from crm_tui.i18n import _

    try:
        value = int(text)
    except ValueError:
        value = None
    if low is None or high is None:
        if value is None:
            raise argparse.ArgumentTypeError(
                _("must be a whole number, not {text}").format(text=text)
            )
        return value
    if value is None or not low <= value <= high:
        raise argparse.ArgumentTypeError(
            _("must be a whole number from {low} to {high}, not {text}").format(
                low=low, high=high, text=text
            )
        )
    return value


def not_the_database(path: Path, db_path: Path) -> Path:
    """``path`` for ``--out``, unless writing it would overwrite the database or one of
    its companion files (``export customers --out crm.db``, a slip of the shell's
    completion, replaced every record with a CSV file): CommandError then."""
    from crm_tui.cli import CommandError
    from crm_tui.i18n import _
    from crm_tui.store.sqlite import is_database_file

    if is_database_file(path, db_path):
        raise CommandError(
            _("{path} is a file of the database itself: give --out another name").format(path=path)
        )
    return path
