"""Add or edit a customer: only the name is required; pick lists for enumerated fields."""

from __future__ import annotations

from typing import Any

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store.validation import format_amount
from crm_tui.widgets.form import FieldDef, FormScreen


def _date(value) -> str | None:
    return value.isoformat() if value else None


class CustomerForm(FormScreen[int]):
    """Dismisses with the customer's id once saved."""

    def __init__(self, db, customer_id: int | None = None) -> None:
        self.customer_id = customer_id
        self.version: int | None = None
        current: dict[str, Any] = {}
        tags = ""
        if customer_id is not None:
            from crm_tui.store.customers import customer_tags, get_customer

            with db.session() as session:
                c = get_customer(session, customer_id)
                current = c.model_dump()
                tags = "; ".join(customer_tags(session, customer_id))
                self.version = c.version
        fields = [
            FieldDef("name", _("Name"), required=True, value=current.get("name")),
            FieldDef("kind", _("Kind"), "choice", vocabulary=enums.CUSTOMER_KIND,
                     value=current.get("kind", "company")),
            FieldDef("level", _("Level"), "choice", vocabulary=enums.LEVEL, value=current.get("level")),
            FieldDef("status", _("Status"), "choice", vocabulary=enums.STATUS,
                     value=current.get("status", "active")),
            FieldDef("industry", _("Industry"), "choice", vocabulary=enums.INDUSTRY,
                     value=current.get("industry")),
            FieldDef("size", _("Size"), "choice", vocabulary=enums.SIZE, value=current.get("size")),
            FieldDef("source", _("Source"), "choice", vocabulary=enums.SOURCE, value=current.get("source")),
            FieldDef("region", _("Region (province / city)"), value=current.get("region")),
            FieldDef("business_address", _("Business address"), value=current.get("business_address")),
            FieldDef("registered_address", _("Registered address"),
                     value=current.get("registered_address")),
            FieldDef("first_contact", _("First contact"), "date", value=_date(current.get("first_contact"))),
            FieldDef("needs", _("Main needs"), "textarea", value=current.get("needs")),
            FieldDef("budget_cents", _("Budget"), "money",
                     value=format_amount(current.get("budget_cents")) or None),
            FieldDef("purchase_date", _("Planned purchase date"), "date",
                     value=_date(current.get("purchase_date"))),
            FieldDef("tags", _("Tags (separated by ;)"), value=tags or None),
            FieldDef("owner", _("Owner"), value=current.get("owner")),
        ]  # fmt: skip
        super().__init__(fields, title=_("Edit customer") if customer_id else _("New customer"))

    def extra_values(self, record: Any) -> dict[str, Any]:
        """The tags as they are now (after an edit conflict: another window may have
        changed them, and saving the old list would drop theirs)."""
        from crm_tui.store.customers import customer_tags

        with self.app.db.session() as session:  # type: ignore[attr-defined]
            return {"tags": "; ".join(customer_tags(session, record.id)) or None}

    #: The name the rep was told is already taken and saved anyway with a second ctrl+s.
    _same_name_told: str | None = None

    def _check_not_a_twin(self, name: str) -> None:
        """A new customer named as an existing one is asked about before it is added (the
        second ctrl+s adds it): it was saved at once, with a notice after the fact."""
        from crm_tui.store.lists import customers_named
        from crm_tui.store.validation import ValidationError

        if self.customer_id is not None or not name or name == self._same_name_told:
            return
        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            twins = customers_named(conn, name)
        if twins:
            self._same_name_told = name
            others = _(", ").join(f"{code} {found}" for code, found in twins)
            raise ValidationError(
                "name",
                _("Same name as {others}: ctrl+s again adds it anyway").format(others=others),
            )

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.customers import create_customer, update_customer

        self._check_not_a_twin((values.get("name") or "").strip())
        tags = values.pop("tags")
        with self.app.db.session() as session:  # type: ignore[attr-defined]
            if self.customer_id is None:
                if not values.get("owner"):
                    values["owner"] = self.app.settings.user_name  # type: ignore[attr-defined]
                customer = create_customer(session, values, tags=tags)
            else:
                customer = update_customer(
                    session, self.customer_id, values,
                    expected_version=self.version, tags=tags or "",
                )  # fmt: skip
            return int(customer.id)
