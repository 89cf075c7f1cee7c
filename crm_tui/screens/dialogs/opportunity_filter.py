"""The board's `f` filter: customer level and close month."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.widgets.form import FieldDef, FormScreen


class OpportunityFilterDialog(FormScreen[dict]):
    """Dismisses with ``{"level", "close_month"}`` (None = any) or None (cancelled)."""

    save_label = "Apply (ctrl+s)"
    BINDINGS = [Binding("ctrl+s", "save", "Apply", priority=True)]

    def __init__(self, level: str | None, close_month: str | None, months: list[str]) -> None:
        fields = [
            FieldDef("level", _("Customer level"), "choice", vocabulary=enums.LEVEL, value=level),
            FieldDef("close_month", _("Close month"), "choice",
                     options=[(m, m) for m in months], value=close_month),
        ]  # fmt: skip
        super().__init__(fields, title=_("Filter the pipeline"))

    def save(self, values: dict[str, Any]) -> dict:
        return {"level": values.get("level"), "close_month": values.get("close_month")}
