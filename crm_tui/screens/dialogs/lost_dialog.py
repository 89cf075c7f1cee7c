"""Losing a deal: the reason is asked for (it feeds the lost-deal review)."""

from __future__ import annotations

from typing import Any

from crm_tui.i18n import _
from crm_tui.store.validation import check_text
from crm_tui.widgets.form import FieldDef, FormScreen


class LostDialog(FormScreen[str]):
    """Dismisses with the reason, or None (cancelled)."""

    def __init__(self, deal_name: str) -> None:
        fields = [
            FieldDef(
                "lost_reason", _("Why was it lost?"), required=True,
                placeholder=_("e.g. price, chose a competitor, budget cut"),
            ),
        ]  # fmt: skip
        super().__init__(fields, title=_("Lost: {name}").format(name=deal_name))

    def save(self, values: dict[str, Any]) -> str:
        return str(check_text("lost_reason", values.get("lost_reason"), required=True, max_len=500))
