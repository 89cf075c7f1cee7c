"""Losing a deal: the reason (it feeds the lost-deal review) and the day it was lost."""

from __future__ import annotations

import datetime as dt
from typing import Any

from crm_tui.i18n import _
from crm_tui.store.validation import check_text
from crm_tui.widgets.form import FieldDef, FormScreen


class LostDialog(FormScreen[dict]):
    """Dismisses with ``{"lost_reason", "actual_close", "cancel_tasks"}``, or None
    (cancelled). ``open_tasks``: the deal's open tasks; when it has any, the dialog asks
    whether they go too (cancelled, the default: a lost deal's follow-ups stayed on the
    due list) or stay."""

    def __init__(
        self, deal_name: str, today: dt.date, open_tasks: int = 0, created: dt.date | None = None
    ) -> None:
        from crm_tui.screens.dialogs.won_dialog import EntryDayCheck

        self.today = today
        self.entry_day = EntryDayCheck(created)
        fields = [
            FieldDef(
                "lost_reason", _("Why was it lost?"), required=True,
                placeholder=_("e.g. price, chose a competitor, budget cut"),
            ),
            # a deal lost last week is recorded today: its close date says when
            FieldDef("actual_close", _("Lost on"), "date", required=True,
                     value=today.isoformat(), preset=True),
        ]  # fmt: skip
        if open_tasks:
            fields.append(
                FieldDef(
                    "cancel_tasks", _("Its open tasks ({n})").format(n=open_tasks), "choice",
                    required=True, value="cancel",
                    options=[(_("Cancel them"), "cancel"), (_("Keep them"), "keep")],
                )
            )  # fmt: skip
        super().__init__(fields, title=_("Lost: {name}"), title_name=deal_name)

    def save(self, values: dict[str, Any]) -> dict:
        from crm_tui.screens.dialogs.won_dialog import check_close_date
        from crm_tui.store.validation import ValidationError

        errors: list[ValidationError] = []
        reason = close = None
        try:
            reason = check_text(
                "lost_reason", values.get("lost_reason"), required=True, max_len=500
            )
        except ValidationError as exc:
            errors.append(exc)
        try:
            close = self.entry_day(check_close_date(values.get("actual_close"), self.today))
        except ValidationError as exc:
            errors.append(exc)
        if errors:
            raise ValidationError.of(errors)
        cancel_tasks = values.get("cancel_tasks") == "cancel"
        return {"lost_reason": reason, "actual_close": close, "cancel_tasks": cancel_tasks}
