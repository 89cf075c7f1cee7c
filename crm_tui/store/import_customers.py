"""Importing customers (with their primary contact, tags and dedupe) and contacts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from crm_tui.i18n import _
from crm_tui.store import sqlite as sq
from crm_tui.store.common import FieldSpec, text_field
from crm_tui.store.customers import CONTACT_FIELDS, CUSTOMER_FIELDS, parse_tags
from crm_tui.store.import_common import (
    NON_DIGIT,
    Column,
    Importer,
    RowError,
    RowNote,
    columns_for,
    iso,
    phone_digits,
)
from crm_tui.store.validation import ValidationError, check_text, normalise_name

#: Customer files at least this long (and longer than the table) load without secondary indexes.
BULK_INDEX_ROWS = 20_000

#: On a customers row the contact is optional, so its name is too.
_OPTIONAL_CONTACT_NAME: dict[str, FieldSpec] = {"name": text_field(max_len=100)}

_CUSTOMER_COLUMNS: dict[str, Column] = {
    **{k: ("customer", CUSTOMER_FIELDS, k) for k in CUSTOMER_FIELDS if not k.endswith("_id")},
    "budget": ("customer", CUSTOMER_FIELDS, "budget_cents"),
    "address": ("customer", CUSTOMER_FIELDS, "business_address"),
    "contact_name": ("contact", _OPTIONAL_CONTACT_NAME, "name"),
    "contact_title": ("contact", CONTACT_FIELDS, "title"),
    "contact_phone": ("contact", CONTACT_FIELDS, "phone"),
    "contact_email": ("contact", CONTACT_FIELDS, "email"),
}
_CUSTOMER_INSERT = (
    "id", "code", "name", "name_norm", "kind", "industry", "size", "registered_address",
    "business_address", "region", "source", "first_contact", "level", "status", "needs",
    "budget_cents", "purchase_date", "primary_contact_id", "owner", "total_amount_cents",
    "created_at", "updated_at", "version",
)  # fmt: skip
_FILLABLE = (
    "kind", "industry", "size", "registered_address", "business_address", "region", "source",
    "first_contact", "level", "needs", "budget_cents", "purchase_date", "owner",
)  # fmt: skip
_CONTACT_INSERT = (
    "id", "customer_id", "name", "title", "department", "role", "gender", "phone", "mobile",
    "email", "wechat", "birthday", "preferred_channel", "relationship", "notes", "owner",
    "created_at", "updated_at", "version",
)  # fmt: skip
_MOBILE = re.compile(r"^1\d{10}$")


class CustomerImporter(Importer):
    def __init__(self, *args) -> None:
        super().__init__(*args)
        conn = self.conn
        self.columns = dict(_CUSTOMER_COLUMNS)
        if "business_address" in self.headers:
            # both columns: the plain "address" is the registered one
            self.columns["address"] = ("customer", CUSTOMER_FIELDS, "registered_address")
        self.next_customer = self.next_id("customer")
        self.first_new = self.next_customer
        self.next_contact = self.next_id("contact")
        self.dropped_indexes: list[str] = []
        existing = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
        if (
            self.opts["on_duplicate"] != "merge"
            and self.table.count_lines() >= BULK_INDEX_ROWS
            and self.table.count_lines() > existing
        ):
            self.drop_indexes()
        prefix = f"C{self.now:%Y%m%d}"
        self.prefix = prefix
        self.seq = max(
            (
                int(code[len(prefix) :])
                for (code,) in conn.execute(
                    "SELECT code FROM customer WHERE code LIKE ?", (prefix + "%",)
                )
                if code[len(prefix) :].isdigit()
            ),
            default=0,
        )
        self.phones: dict[str, int] = {}
        self.emails: dict[str, int] = {}
        for cid, mobile, phone, email in conn.execute(
            "SELECT customer_id, mobile, phone, email FROM contact ORDER BY id DESC"
        ):
            for p in (mobile, phone):
                d = phone_digits(p)
                if d:
                    self.phones[d] = cid
            if email:
                self.emails[email.lower()] = cid
        self.pending_customers: list[tuple] = []
        self.pending_search: list[tuple] = []
        self.pending_contacts: list[tuple] = []
        self.pending_tags: list[tuple[int, str]] = []
        self.default_owner = self.opts.get("owner")
        self.tag_cache: dict[str, list[str] | ValidationError] = {}

    def new_code(self) -> str:
        while True:
            self.seq += 1
            code = f"{self.prefix}{self.seq:03d}"
            if code not in self.customers.by_code:
                return code

    def find_duplicate(
        self, code: str | None, norm: str, phone: str | None, email: str | None
    ) -> tuple[int, str] | None:
        if code and code in self.customers.by_code:
            return self.customers.by_code[code], _("code")
        if norm and norm in self.customers.by_norm:
            return self.customers.by_norm[norm], _("name")
        if phone and phone in self.phones:
            return self.phones[phone], _("phone")
        if email and email.lower() in self.emails:
            return self.emails[email.lower()], _("email")
        return None

    def row(self, line: int, values: dict[str, str]) -> None:
        reasons: list[str] = []
        code = None
        if values.get("code", "").strip():
            try:
                code = check_text("code", values["code"], max_len=50)
            except ValidationError as exc:
                reasons.append(f"{self.headers['code']}: {exc.message}")
        tags: list[str] = []
        tag_text = values.get("tags", "")
        if tag_text.strip():
            cached = self.tag_cache.get(tag_text)
            if cached is None:
                try:
                    cached = parse_tags(tag_text)
                except ValidationError as exc:
                    cached = exc
                if len(self.tag_cache) < 4096:
                    self.tag_cache[tag_text] = cached
            if isinstance(cached, ValidationError):
                reasons.append(f"{self.headers['tags']}: {cached.message}")
            else:
                tags = cached
        try:
            buckets = self.validate(values)
        except RowError as exc:
            raise RowError(exc.reasons + reasons) from None
        if reasons:
            raise RowError(reasons)
        cust = buckets.get("customer", {})
        contact = buckets.get("contact", {})
        phone = contact.get("phone")
        if phone and _MOBILE.match(NON_DIGIT.sub("", phone)[-11:]):
            contact["mobile"], contact["phone"] = phone, None
        has_contact = bool(contact) and any(v is not None for v in contact.values())
        if has_contact and not contact.get("name"):
            contact["name"] = cust["name"]  # a phone or email alone: the customer is the person
        norm = normalise_name(cust["name"])
        pdigits = phone_digits(contact.get("mobile") or contact.get("phone"))
        email = contact.get("email")
        dup = self.find_duplicate(code, norm, pdigits, email)
        action = self.opts["on_duplicate"]
        if dup is not None:
            existing, what = dup
            ecode, ename = self.customers.info[existing]
            if action == "skip":
                self.result.skipped += 1
                self.result.duplicates.append(
                    RowNote(
                        line,
                        _("duplicate of {code} {name} (same {what}); skipped").format(
                            code=ecode, name=ename, what=what
                        ),
                    )
                )
                return
            if action == "merge":
                self.merge_into(existing, cust, contact if has_contact else None, tags)
                self.result.updated += 1
                self.result.duplicates.append(
                    RowNote(
                        line,
                        _("duplicate of {code} {name} (same {what}); merged").format(
                            code=ecode, name=ename, what=what
                        ),
                    )
                )
                return
            self.result.duplicates.append(
                RowNote(
                    line,
                    _("duplicate of {code} {name} (same {what}); created anyway").format(
                        code=ecode, name=ename, what=what
                    ),
                )
            )
            if code and code in self.customers.by_code:
                code = None  # codes stay unique; a fresh one is generated
        cid = self.next_customer
        self.next_customer += 1
        code = code or self.new_code()
        contact_id = None
        if has_contact:
            contact_id = self.next_contact
            self.next_contact += 1
            self.pending_contacts.append(self.contact_tuple(contact_id, cid, contact))
            if pdigits:
                self.phones.setdefault(pdigits, cid)
            if email:
                self.emails.setdefault(email.lower(), cid)
        self.pending_customers.append(
            (
                cid, code, cust["name"], norm, cust.get("kind") or "company",
                cust.get("industry"), cust.get("size"), cust.get("registered_address"),
                cust.get("business_address"), cust.get("region"), cust.get("source"),
                iso(cust.get("first_contact")), cust.get("level"), cust.get("status") or "active",
                cust.get("needs"), cust.get("budget_cents"), iso(cust.get("purchase_date")),
                contact_id, cust.get("owner") or self.default_owner, 0, self.now_text,
                self.now_text, 1,
            )
        )  # fmt: skip
        self.pending_tags.extend((cid, t) for t in tags)
        # the search row, as sqlite.SEARCH_ROWS_SQL would build it (cheaper than re-reading)
        self.pending_search.append(
            (
                cid, cust["name"], code, contact.get("name") if has_contact else None,
                f"{contact.get('mobile') or ''} {contact.get('phone') or ''}"
                if has_contact else None,
                contact.get("email"), " ".join(tags) or None,
            )
        )  # fmt: skip
        self.customers.add(cid, code, cust["name"], norm)
        self.result.imported += 1

    def contact_tuple(self, contact_id: int, customer_id: int, c: Mapping[str, Any]) -> tuple:
        return (
            contact_id, customer_id, c["name"], c.get("title"), c.get("department"),
            c.get("role"), c.get("gender"), c.get("phone"), c.get("mobile"), c.get("email"),
            c.get("wechat"), iso(c.get("birthday")), c.get("preferred_channel"),
            c.get("relationship"), c.get("notes"), c.get("owner"), self.now_text,
            self.now_text, 1,
        )  # fmt: skip

    def merge_into(
        self, cid: int, cust: dict, contact: dict | None, tags: list[str]
    ) -> None:  # fmt: skip
        self.flush()  # the target may still be waiting in this chunk
        fill = {k: cust.get(k) for k in _FILLABLE if cust.get(k) is not None}
        for k in ("first_contact", "purchase_date"):
            if k in fill:
                fill[k] = iso(fill[k])
        if fill:
            sets = ", ".join(f"{k} = coalesce({k}, ?)" for k in fill)
            self.conn.execute(
                f"UPDATE customer SET {sets}, updated_at = ?, version = version + 1 WHERE id = ?",
                (*fill.values(), self.now_text, cid),
            )
        if contact is not None:
            d = phone_digits(contact.get("mobile") or contact.get("phone"))
            email = (contact.get("email") or "").lower()
            known = False
            for name, mobile, phone, mail in self.conn.execute(
                "SELECT name, mobile, phone, email FROM contact WHERE customer_id = ?", (cid,)
            ):
                if (
                    name.lower() == contact["name"].lower()
                    or (d and d in (phone_digits(mobile), phone_digits(phone)))
                    or (email and email == (mail or "").lower())
                ):
                    known = True
                    break
            if not known:
                contact_id = self.next_contact
                self.next_contact += 1
                self.conn.execute(
                    f"INSERT INTO contact ({', '.join(_CONTACT_INSERT)}) "
                    f"VALUES ({', '.join('?' * len(_CONTACT_INSERT))})",
                    self.contact_tuple(contact_id, cid, contact),
                )
                self.conn.execute(
                    "UPDATE customer SET primary_contact_id = ? "
                    "WHERE id = ? AND primary_contact_id IS NULL",
                    (contact_id, cid),
                )
        if tags:
            self.pending_tags.extend((cid, t) for t in tags)
            self.flush_tags()
        self.touched.add(cid)

    def flush_tags(self) -> None:
        if not self.pending_tags:
            return
        names = sorted({t for _c, t in self.pending_tags})
        self.conn.executemany("INSERT OR IGNORE INTO tag (name) VALUES (?)", [(n,) for n in names])
        ids: dict[str, int] = {}
        for start in range(0, len(names), 500):
            chunk = names[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for tid, name in self.conn.execute(
                f"SELECT id, name FROM tag WHERE name IN ({marks})", chunk
            ):
                ids[name] = tid
        self.conn.executemany(
            "INSERT OR IGNORE INTO customer_tag (customer_id, tag_id) VALUES (?, ?)",
            [(c, ids[t]) for c, t in self.pending_tags],
        )
        self.pending_tags = []

    def flush(self) -> None:
        if self.pending_customers:
            self.conn.executemany(
                f"INSERT INTO customer ({', '.join(_CUSTOMER_INSERT)}) "
                f"VALUES ({', '.join('?' * len(_CUSTOMER_INSERT))})",
                self.pending_customers,
            )
            self.pending_customers = []
        if self.pending_contacts:
            self.conn.executemany(
                f"INSERT INTO contact ({', '.join(_CONTACT_INSERT)}) "
                f"VALUES ({', '.join('?' * len(_CONTACT_INSERT))})",
                self.pending_contacts,
            )
            self.pending_contacts = []
        self.flush_tags()
        if self.pending_search:
            self.conn.executemany(
                "INSERT INTO customer_search(rowid, name, code, contacts, phones, emails, tags)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                self.pending_search,
            )
            self.pending_search = []

    def drop_indexes(self) -> None:
        """Drop the secondary indexes of customer and contact for a big load (inside the
        transaction, so a crash or rollback brings them back); finish() recreates them
        with the very same SQL. Sorting once is much cheaper than 100,000 random inserts.
        """
        self.dropped_indexes += sq.drop_secondary_indexes(self.conn, ("customer", "contact"))

    def finish(self) -> None:
        sq.recreate_indexes(self.conn, self.dropped_indexes)
        self.dropped_indexes = []
        # new customers were indexed as they went in; merged ones changed
        sq.reindex_customers(self.conn, self.touched)


class ContactImporter(Importer):
    columns = columns_for(CONTACT_FIELDS)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_contact = self.next_id("contact")
        self.pending: list[tuple] = []

    def row(self, line: int, values: dict[str, str]) -> None:
        errors: list[str] = []
        try:
            cid = self.customer_ref(values)
        except RowError as exc:
            errors, cid = exc.reasons, None
        try:
            c = self.validate(values).get("row", {})
        except RowError as exc:
            raise RowError(errors + exc.reasons) from None
        if errors:
            raise RowError(errors)
        contact_id = self.next_contact
        self.next_contact += 1
        self.pending.append(
            (
                contact_id, cid, c["name"], c.get("title"), c.get("department"), c.get("role"),
                c.get("gender"), c.get("phone"), c.get("mobile"), c.get("email"),
                c.get("wechat"), iso(c.get("birthday")), c.get("preferred_channel"),
                c.get("relationship"), c.get("notes"), c.get("owner"), self.now_text,
                self.now_text, 1,
            )
        )  # fmt: skip
        self.touched.add(cid)  # type: ignore[arg-type]
        self.result.imported += 1

    def flush(self) -> None:
        if self.pending:
            self.conn.executemany(
                f"INSERT INTO contact ({', '.join(_CONTACT_INSERT)}) "
                f"VALUES ({', '.join('?' * len(_CONTACT_INSERT))})",
                self.pending,
            )
            self.pending = []

    def finish(self) -> None:
        ids = sorted(self.touched)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "UPDATE customer SET primary_contact_id = (SELECT min(id) FROM contact "
                "WHERE customer_id = customer.id) "
                f"WHERE primary_contact_id IS NULL AND id IN ({marks})",
                chunk,
            )
            self.conn.execute(
                "UPDATE customer SET decision_maker_id = (SELECT min(id) FROM contact "
                "WHERE customer_id = customer.id AND role = 'decision_maker') "
                f"WHERE decision_maker_id IS NULL AND id IN ({marks})",
                chunk,
            )
        sq.reindex_customers(self.conn, ids)
