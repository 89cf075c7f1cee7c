"""Binding descriptions in the current language.

Textual reads ``BINDINGS`` when a class is defined, before the language is
chosen, so every screen and widget with bindings mixes in :class:`Localized`,
which translates its descriptions when an instance is made.
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding

from crm_tui.i18n import _


class Localized:
    """Mixin for a DOMNode: translate binding descriptions at construction."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        bindings = self._bindings  # type: ignore[attr-defined]
        bindings.key_to_bindings = {
            key: [_translated(b) for b in items] for key, items in bindings.key_to_bindings.items()
        }


def _translated(binding: Binding) -> Binding:
    """The binding with its description (and its footer group's) in the language."""
    group = binding.group
    if group is not None and group.description:
        group = replace(group, description=_(group.description))
    description = _(binding.description) if binding.description else ""
    return replace(binding, description=description, group=group)
