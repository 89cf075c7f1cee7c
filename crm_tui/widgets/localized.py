"""Binding descriptions in the current language.

Textual reads ``BINDINGS`` when a class is defined, before the language is
chosen, so every screen and widget with bindings mixes in :class:`Localized`,
which translates its descriptions when an instance is made.
"""

from __future__ import annotations

from dataclasses import replace

from crm_tui.i18n import _


class Localized:
    """Mixin for a DOMNode: translate binding descriptions at construction."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bindings = self._bindings  # type: ignore[attr-defined]
        bindings.key_to_bindings = {
            key: [replace(b, description=_(b.description)) if b.description else b for b in items]
            for key, items in bindings.key_to_bindings.items()
        }
