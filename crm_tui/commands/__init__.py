"""Headless subcommands of `crm` (see crm_tui.cli): one module per command."""

from __future__ import annotations


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
