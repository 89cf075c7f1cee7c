"""Add or edit an opportunity: only the name is required (the customer is picked before).

A new deal created directly at Won (or After-sales) goes through the won dialog the
board's `>` opens: actual close date, final amount and the order.
"""

from __future__ import annotations

from typing import Any

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store.board import CLOSED_STAGES
from crm_tui.store.validation import ValidationError, format_amount
from crm_tui.widgets.form import FieldDef, FormScreen

#: A new deal at one of these stages is won: the won dialog asks close date, amount, order.
WON_STAGES = ("won", "after_sales")


def _date(value) -> str | None:
    return value.isoformat() if value else None


class OpportunityForm(FormScreen[int]):
    """Dismisses with the opportunity's id once saved."""

    def __init__(
        self, db, *, customer_id: int | None = None, customer_name: str = "",
        opportunity_id: int | None = None,
    ) -> None:  # fmt: skip
        from crm_tui.store.customers import get_customer, list_contacts
        from crm_tui.store.interaction_log import default_contact
        from crm_tui.store.opportunities import get_opportunity

        self.opportunity_id = opportunity_id
        self.customer_id = customer_id
        self.version: int | None = None
        self.order_created = False  # a deal created at Won, with its order
        current: dict[str, Any] = {}
        with db.session() as session:
            if opportunity_id is not None:
                opp = get_opportunity(session, opportunity_id)
                current = opp.model_dump()
                self.version = opp.version
                self.customer_id = opp.customer_id
            listed = list_contacts(session, self.customer_id)
            contacts = [(c.name, c.id) for c in listed]
            if opportunity_id is None:  # a new deal is with the primary contact, until picked
                primary = get_customer(session, int(self.customer_id or 0)).primary_contact_id
                current["contact_id"] = default_contact(listed, primary)
        yes_no = [(_("Yes"), "yes"), (_("No"), "no")]
        fields = [
            FieldDef("name", _("Opportunity name"), required=True, value=current.get("name")),
        ]
        if opportunity_id is None:
            fields.append(
                FieldDef("stage", _("Stage"), "choice", required=True, value="initial_contact",
                         options=[(enums.STAGE.label(k, _lang()), k) for k in enums.STAGE_LADDER])
            )  # fmt: skip
        fields += [
            FieldDef("product", _("Product / service"), value=current.get("product")),
            FieldDef("amount_cents", _("Expected amount"), "money",
                     value=format_amount(current.get("amount_cents")) or None),
            FieldDef("expected_close", _("Expected close date"), "date",
                     value=_date(current.get("expected_close"))),
        ]  # fmt: skip
        if current.get("stage") not in CLOSED_STAGES:  # won 100 %, lost 0 %: nothing to estimate
            fields.append(
                FieldDef("probability", _("Probability %"), "int",
                         placeholder=_("blank: the stage's default"),
                         value=current.get("probability")
                         if current.get("probability_overridden") else None)
            )  # fmt: skip
        fields += [
            FieldDef("contact_id", _("Primary contact"), "choice", options=contacts,
                     value=current.get("contact_id")),
            FieldDef("next_action", _("Next action"), value=current.get("next_action")),
            FieldDef("next_action_due", _("Next action due"), "date",
                     value=_date(current.get("next_action_due"))),
            FieldDef("competitor", _("Competitor"), value=current.get("competitor")),
            FieldDef("strengths", _("Our strengths"), "textarea", value=current.get("strengths")),
            FieldDef("weaknesses", _("Our weaknesses"), "textarea", value=current.get("weaknesses")),
            FieldDef("key_success_factors", _("Key success factors"), "textarea",
                     value=current.get("key_success_factors")),
            FieldDef("risks", _("Risks"), "textarea", value=current.get("risks")),
            FieldDef("risk_flag", _("Risk warning"), "choice", required=True, options=yes_no,
                     value="yes" if current.get("risk_flag") else "no"),
        ]  # fmt: skip
        if current.get("stage") == "lost":
            fields.append(
                FieldDef("lost_reason", _("Lost reason"), value=current.get("lost_reason"))
            )
        if current.get("stage") in ("won", "after_sales", "lost"):
            fields.append(
                FieldDef("actual_close",
                         _("Lost on") if current.get("stage") == "lost" else _("Actual close date"),
                         "date",
                         value=_date(current.get("actual_close")))
            )  # fmt: skip
        title = (
            _("Edit opportunity")
            if opportunity_id
            else _("New opportunity for {customer}").format(customer=customer_name)
        )
        super().__init__(fields, title=title)

    def action_save(self) -> None:
        values = self.values()
        if self.opportunity_id is None and values.get("stage") in WON_STAGES:
            self._save_won(values)
            return
        super().action_save()

    def _save_won(self, values: dict[str, Any]) -> None:
        """Check the form, ask what winning needs (as `>` does), then create deal and order."""
        from crm_tui.screens.dialogs.won_dialog import WonDialog
        from crm_tui.store.fields import OPPORTUNITY_FIELDS, clean

        values["risk_flag"] = values.get("risk_flag") == "yes"
        stage = values.pop("stage")
        try:
            checked = clean(OPPORTUNITY_FIELDS, values)
        except ValidationError as exc:
            self.show_errors(exc.errors)
            return
        self.clear_errors()
        app = self.app

        def won(result: dict | None) -> None:
            if not result:
                return
            data = values | {
                "actual_close": result["actual_close"], "amount_cents": result["amount_cents"],
            }  # fmt: skip
            try:
                opp_id = self._create(data, stage, result["create_order"])
            except ValidationError as exc:
                self.show_errors(exc.errors)
                return
            except Exception as exc:  # a failed save must never lose the typed form
                problem = self.app.problem_text(exc)  # type: ignore[attr-defined]
                self.show_error(None, _("Could not save: {error}").format(error=problem))
                return
            self.dismiss(opp_id)

        name = checked.get("name") or ""
        app.push_screen(
            WonDialog(name, checked.get("amount_cents") or 0, app.today()),  # type: ignore[attr-defined]
            won,
        )

    def _create(self, data: dict[str, Any], stage: str, with_order: bool) -> int:
        """The deal at ``stage`` and, if asked, its order, in one unit of work."""
        from crm_tui.store.opportunities import create_opportunity
        from crm_tui.store.orders import create_order

        app = self.app
        with app.db.session() as session:  # type: ignore[attr-defined]
            opp = create_opportunity(
                session, int(self.customer_id or 0), data, stage=stage,
                settings=app.settings, when=app.now(),  # type: ignore[attr-defined]
            )  # fmt: skip
            if with_order:
                create_order(
                    session, opp.customer_id,
                    {"order_date": opp.actual_close, "amount_cents": opp.amount_cents,
                     "product": opp.product, "opportunity_id": opp.id},
                )  # fmt: skip
            opp_id = int(opp.id)
        self.order_created = with_order
        if with_order:
            app.notify(_("Order created"))
        return opp_id

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.opportunities import create_opportunity, update_opportunity

        values["risk_flag"] = values.get("risk_flag") == "yes"
        app = self.app
        close = values.get("actual_close")
        if close and close != self._initial.get("actual_close"):
            # a changed close date of a won / lost deal: the won dialog's limits (a date
            # left as it was, however old, never blocks editing the rest of the deal)
            from crm_tui.screens.dialogs.won_dialog import check_close_date

            values["actual_close"] = check_close_date(close, app.today())  # type: ignore[attr-defined]
        with app.db.session() as session:  # type: ignore[attr-defined]
            if self.opportunity_id is None:
                stage = values.pop("stage") or "initial_contact"
                opp = create_opportunity(
                    session, int(self.customer_id or 0), values, stage=stage,
                    settings=app.settings, when=app.now(),  # type: ignore[attr-defined]
                )  # fmt: skip
            else:
                opp = update_opportunity(
                    session, self.opportunity_id, values, expected_version=self.version,
                    settings=app.settings,  # type: ignore[attr-defined]
                )  # fmt: skip
            return int(opp.id)


def _lang() -> str:
    from crm_tui.i18n import language

    return language()
