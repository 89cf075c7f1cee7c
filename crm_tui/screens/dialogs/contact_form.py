"""Add or edit a contact of a customer: only the name is required."""

from __future__ import annotations

from typing import Any

from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.widgets.form import FieldDef, FormScreen


class ContactForm(FormScreen[int]):
    """Dismisses with the contact's id once saved."""

    def __init__(self, customer_id: int, contact: Any | None = None) -> None:
        self.customer_id = customer_id
        self.contact_id = contact.id if contact else None
        self.version = contact.version if contact else None
        c = contact.model_dump() if contact else {}
        birthday = c.get("birthday")
        fields = [
            FieldDef("name", _("Name"), required=True, value=c.get("name")),
            FieldDef("title", _("Title"), value=c.get("title")),
            FieldDef("department", _("Department"), value=c.get("department")),
            FieldDef("role", _("Role"), "choice", vocabulary=enums.CONTACT_ROLE, value=c.get("role")),
            FieldDef("mobile", _("Mobile"), value=c.get("mobile")),
            FieldDef("phone", _("Office phone"), value=c.get("phone")),
            FieldDef("email", _("Email"), value=c.get("email")),
            FieldDef("wechat", _("WeChat ID"), value=c.get("wechat")),
            FieldDef("gender", _("Gender"), "choice", vocabulary=enums.GENDER, value=c.get("gender")),
            FieldDef("birthday", _("Birthday"), "date", placeholder=_("e.g. 1985-06-14"),
                     value=birthday.isoformat() if birthday else None),
            FieldDef("preferred_channel", _("Preferred channel"), "choice",
                     vocabulary=enums.PREFERRED_CHANNEL, value=c.get("preferred_channel")),
            FieldDef("relationship", _("Relationship"), "choice", vocabulary=enums.RELATIONSHIP,
                     value=c.get("relationship")),
            FieldDef("notes", _("Notes"), "textarea", value=c.get("notes")),
        ]  # fmt: skip
        super().__init__(fields, title=_("Edit contact") if contact else _("New contact"))

    def save(self, values: dict[str, Any]) -> int:
        from crm_tui.store.customers import create_contact, update_contact

        with self.app.db.session() as session:  # type: ignore[attr-defined]
            if self.contact_id is None:
                contact = create_contact(session, self.customer_id, values)
            else:
                contact = update_contact(
                    session, self.contact_id, values, expected_version=self.version
                )
            return int(contact.id)
