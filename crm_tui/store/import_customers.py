"""Importing customers (with their primary contact, tags and dedupe) and contacts (a
contact the customer has already is not imported again: see ContactImporter)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from crm_tui.dates import half_width
from crm_tui.i18n import _
from crm_tui.store import sqlite as sq
from crm_tui.store.fields import (
    CONTACT_FIELDS,
    CUSTOMER_FIELDS,
    FieldSpec,
    datetime_field,
    parse_tags,
    text_field,
)
from crm_tui.store.import_common import (
    Candidate,
    Column,
    Importer,
    RecordImporter,
    RowError,
    RowNote,
    RowValidator,
    column_said,
    columns_for,
    contact_key,
    contact_tells,
    grow_search_hash,
    iso,
    phone_digits,
    reasons_text,
    refuse_surplus,
    restore_search_hash,
    stamp,
)
from crm_tui.store.merging import code_held_for_undo
from crm_tui.store.name_order import name_sort_key
from crm_tui.store.validation import ValidationError, check_happened, normalise_name

#: Customer files at least this long (and longer than the table) load without secondary indexes.
BULK_INDEX_ROWS = 20_000

#: On a customers row the contact is optional, so its name is too.
_OPTIONAL_CONTACT_NAME: dict[str, FieldSpec] = {"name": text_field(max_len=100)}
#: When the customer was created (an export writes it, so that a re-import does not make
#: every customer "new this week"); without the column, the import's time. It has
#: happened: ``周一`` is the last Monday (past=True).
_ANY_TIME = datetime_field(past=True)


def _created_at(name: str, v: Any) -> datetime | None:
    """A creation time not after now (a later one is a typing mistake, and would make
    the customer "new" in a week to come); a day without a time, today's, is now at
    the latest."""
    when = _ANY_TIME(name, v)
    if when is not None:
        now = datetime.now().replace(microsecond=0)
        if ":" not in half_width(str(v)) and when.date() == now.date():
            when = min(when, now)
        check_happened(name, when, now)
    return when


_CREATED_FIELD: dict[str, FieldSpec] = {"created_at": _created_at}

_CUSTOMER_COLUMNS: dict[str, Column] = {
    **{k: ("customer", CUSTOMER_FIELDS, k) for k in CUSTOMER_FIELDS if not k.endswith("_id")},
    "budget": ("customer", CUSTOMER_FIELDS, "budget_cents"),
    "address": ("customer", CUSTOMER_FIELDS, "business_address"),
    "contact_name": ("contact", _OPTIONAL_CONTACT_NAME, "name"),
    "contact_title": ("contact", CONTACT_FIELDS, "title"),
    "contact_phone": ("contact", CONTACT_FIELDS, "phone"),
    "contact_mobile": ("contact", CONTACT_FIELDS, "mobile"),
    "contact_email": ("contact", CONTACT_FIELDS, "email"),
    "created_at": ("customer", _CREATED_FIELD, "created_at"),
}
_FILLABLE = (
    "kind", "industry", "size", "registered_address", "business_address", "region", "source",
    "first_contact", "level", "needs", "budget_cents", "purchase_date", "owner",
)  # fmt: skip
_CONTACT_INSERT = (
    "id", "customer_id", "name", "title", "department", "role", "gender", "phone", "mobile",
    "email", "wechat", "birthday", "preferred_channel", "relationship", "notes", "owner",
    "created_at", "updated_at", "version",
)  # fmt: skip
#: The code column: checked like any text (reported after the other columns).
_CODE_FIELD: dict[str, FieldSpec] = {"code": text_field(max_len=50, ascii_forms=True)}
#: Slots every customers row has, whether or not the file has their columns.
_FIXED_SLOTS = (
    ("customer", "name"), ("customer", "kind"), ("customer", "status"), ("customer", "owner"),
    ("contact", "name"), ("contact", "title"), ("contact", "phone"), ("contact", "email"),
    ("contact", "mobile"),
)  # fmt: skip
#: The leading columns of every customer INSERT (then the file's own, then constants).
_CUSTOMER_HEAD = (
    "id", "code", "name", "name_norm", "name_sort", "kind", "status", "primary_contact_id",
    "owner",
)  # fmt: skip
_DATE_COLUMNS = frozenset(("first_contact", "purchase_date"))
_CONTACT_SQL = (
    f"INSERT INTO contact ({', '.join(_CONTACT_INSERT)}) "
    f"VALUES ({', '.join('?' * len(_CONTACT_INSERT))})"
)
#: No tags (shared, never changed).
_NO_TAGS: list[str] = []


def contact_row(contact_id: int, customer_id: int, c: Mapping[str, Any], now: str) -> tuple:
    """A contact's values in _CONTACT_INSERT's order (fields ``c`` lacks are NULL)."""
    return (
        contact_id, customer_id, c["name"], c.get("title"), c.get("department"), c.get("role"),
        c.get("gender"), c.get("phone"), c.get("mobile"), c.get("email"), c.get("wechat"),
        iso(c.get("birthday")), c.get("preferred_channel"), c.get("relationship"),
        c.get("notes"), c.get("owner"), now, now, 1,
    )  # fmt: skip


class CustomerImporter(Importer):
    """Rows are checked by a RowValidator compiled from the header and become insert tuples
    directly (no per-row dicts); only the columns the file has are inserted."""

    # contacts and tags point at customers this import wrote or found, tags it just read
    trusted_references = True

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
        self.search_hash: int | None = None
        existing = conn.execute("SELECT count(*) FROM customer").fetchone()[0]
        if (
            self.opts["on_duplicate"] != "merge"
            and self.table.count_lines() >= BULK_INDEX_ROWS
            and self.table.count_lines() > existing
        ):
            self.drop_indexes()
            self.check_apart = True  # a bulk load's checks never read the database
        prefix = f"C{self.now:%Y%m%d}"
        self.prefix = prefix
        #: the code of the customer an undoable merge dropped: not given out (merging)
        self.held_code = code_held_for_undo(conn)
        self.seq = max(
            (
                int(code[len(prefix) :])
                for (code,) in conn.execute(
                    "SELECT code FROM customer WHERE code LIKE ?", (prefix + "%",)
                )
                if code[len(prefix) :].isdecimal()  # (isdigit: ² too, which int() refuses)
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
        self.tag_cache: dict[str, list[str] | str] = {}
        # existing customers by code and name key, then this import's (self.customers.by_name
        # and .info only know the existing ones: new ones are in self.created)
        self.by_code = self.customers.by_code
        self.by_norm = self.customers.by_norm
        #: (code, name, the code the file gave or None) of each customer this import
        #: creates, by id - first_new
        self.created: list[tuple[str, str, str | None]] = []
        self._compile()

    def _compile(self) -> None:
        """Slots of the row list, the customer columns this file fills, the INSERTs."""
        columns = {**self.columns, "code": ("row", _CODE_FIELD, "code")}
        # the code is reported after the other columns, as it always was
        self.check = RowValidator(
            self.table.columns.items(), columns, self.headers, last=("code",),
            reserve=[("row", "code"), *((b, f) for b, f in _FIXED_SLOTS)],
            post={
                **{("customer", f): date.isoformat for f in _DATE_COLUMNS},
                ("customer", "created_at"): stamp,
            },
        )  # fmt: skip
        self.validate_cells = self.check.check  # the compiled row check itself
        slots = self.check.slots
        self.fixed_slots = [slots[key] for key in _FIXED_SLOTS]
        self.fixed = itemgetter(slots[("row", "code")], *self.fixed_slots)
        self.tags_at = next((i for i, c in self.table.columns.items() if c == "tags"), None)
        self.need = max(self.check.need, -1 if self.tags_at is None else self.tags_at + 1)
        fields = [f for b, f in slots if b == "customer" and ("customer", f) not in _FIXED_SLOTS]
        #: the customer columns this file fills beyond _FIXED_SLOTS (in the INSERT's order)
        self.customer_slots = {f: slots[("customer", f)] for f in fields}
        picked = [slots[("customer", f)] for f in fields]
        if len(picked) > 1:
            self.pick = itemgetter(*picked)
        elif picked:
            self.pick = lambda values, i=picked[0]: (values[i],)
        else:
            self.pick = lambda values: ()
        now = self.now_text
        # a created_at column fills the creation time (a blank cell: the import's time)
        created = [] if "created_at" in fields else ["created_at"]
        cols = [*_CUSTOMER_HEAD, *fields, "total_amount_cents", *created, "updated_at",
                "version"]  # fmt: skip
        marks = ["?"] * len(_CUSTOMER_HEAD) + [
            f"coalesce(?, '{now}')" if f == "created_at" else "?" for f in fields
        ]
        marks += ["0", *(f"'{now}'" for _c in created), f"'{now}'", "1"]
        #: a row a statement: a statement of many rows would open a statement journal,
        #: and with it the search index would write out the rows it holds in memory
        self.customer_sql = f"INSERT INTO customer ({', '.join(cols)}) VALUES ({', '.join(marks)})"
        self.contact_sql = (
            "INSERT INTO contact (id, customer_id, name, title, phone, mobile, email,"
            f" created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, '{now}', '{now}', 1)"
        )

    def new_code(self) -> str:
        while True:
            self.seq += 1
            code = f"{self.prefix}{self.seq:03d}"
            if code not in self.by_code and code != self.held_code:
                return code

    def find_duplicate(
        self, code: str | None, norm: str, phone: str | None, email: str | None
    ) -> tuple[int, str] | None:
        if code and code in self.by_code:
            return self.by_code[code], _("code")
        if norm and norm in self.by_norm:
            return self.by_norm[norm], _("name")
        if phone and phone in self.phones:
            return self.phones[phone], _("phone")
        if email and email in self.emails:
            return self.emails[email], _("email")
        return None

    def tag_cell(self, text: str) -> list[str] | str:
        """A tags cell's tags, or the reason (text) they are refused (memoised)."""
        got = self.tag_cache.get(text)
        if got is None:
            try:
                got = parse_tags(text)
            except ValidationError as exc:
                got = column_said(self.headers["tags"], exc.message)
            if len(self.tag_cache) < 4096:
                self.tag_cache[text] = got
        return got

    def take(self, batch: Sequence[tuple[int, list[str]]]) -> None:
        """Check, dedupe and queue the batch's records one by one, in order."""
        width, need, at = len(self.table.header), self.need, self.tags_at
        check, fixed, pick = self.validate_cells, self.fixed, self.pick
        rejected, new_code, default_owner = self.result.rejected, self.new_code, self.default_owner
        by_code, by_norm, phones, emails = self.by_code, self.by_norm, self.phones, self.emails
        pending_contacts, pending_customers = self.pending_contacts, self.pending_customers
        pending_search, pending_tags, created = self.pending_search, self.pending_tags, self.created
        known_tags = self.tag_cache.get
        for line, cells in batch:
            n = len(cells)
            if n > width:
                try:
                    refuse_surplus(cells, width)
                except RowError as exc:
                    rejected.append(RowNote(line, reasons_text(exc.reasons), cells))
                    continue
            row = cells if n >= need else cells + [""] * (need - n)
            tags: Any = _NO_TAGS  # or the reason they are refused
            if at is not None and (text := row[at]) and not text.isspace():
                tags = known_tags(text)
                if tags is None:
                    tags = self.tag_cell(text)
            try:
                v = check(row)
                reasons = None
            except RowError as exc:
                reasons = exc.reasons
            if tags.__class__ is str:  # the tags' reason comes after the other columns'
                reasons = [*(reasons or ()), tags]
            if reasons:
                rejected.append(RowNote(line, reasons_text(reasons), cells))
                continue
            code, name, kind, status, owner, cname, title, phone, email, mobile = fixed(v)
            has_contact = (
                cname is not None or title is not None or phone is not None or email is not None
                or mobile is not None
            )  # fmt: skip
            email_key = pdigits = mdigits = None
            if phone:
                pdigits = phone_digits(phone)
                if (
                    mobile is None and pdigits is not None and len(pdigits) >= 11
                    and pdigits[-11] == "1"
                ):  # fmt: skip
                    mobile, phone = phone, None  # _MOBILE: a mainland mobile
            elif mobile:
                pdigits = phone_digits(mobile)
            if phone and mobile:  # (电话 and 手机) either number finds a customer:
                mdigits = phone_digits(mobile)  # pdigits is the one the checks below use
                if mdigits and mdigits in phones:
                    pdigits, mdigits = mdigits, pdigits
            if has_contact and not cname:
                cname = name  # a phone or email alone: the customer is the person
            if email:
                email_key = email.lower()
            norm = normalise_name(name)
            if (
                (code and code in by_code)
                or (norm and norm in by_norm)
                or (pdigits and pdigits in phones)
                or (email_key and email_key in emails)
            ):
                contact = None
                if has_contact:
                    contact = {"name": cname, "title": title, "phone": phone, "mobile": mobile,
                               "email": email}  # fmt: skip
                if self.duplicate(line, code, norm, pdigits, email_key, v, contact, tags):
                    continue
                if code and code in by_code:
                    code = None  # codes stay unique; a fresh one is generated
            cid = self.next_customer
            self.next_customer = cid + 1
            given = code
            if not code:
                code = new_code()
            contact_id = None
            if has_contact:
                contact_id = self.next_contact
                self.next_contact = contact_id + 1
                pending_contacts.append((contact_id, cid, cname, title, phone, mobile, email))
                if pdigits:
                    phones.setdefault(pdigits, cid)
                if mdigits:
                    phones.setdefault(mdigits, cid)
                if email_key:
                    emails.setdefault(email_key, cid)
            pending_customers.append(
                (cid, code, name, norm, name_sort_key(name), kind or "company",
                 status or "active", contact_id, owner or default_owner, *pick(v))
            )  # fmt: skip
            if tags:
                pending_tags.extend([(cid, t) for t in tags])
            # the search row, as sqlite.SEARCH_ROWS_SQL would build it (cheaper than re-reading)
            pending_search.append(
                (
                    cid, name, code, cname if has_contact else None,
                    sq.search_phones(mobile, phone) if has_contact else None,
                    email, " ".join(tags) or None,
                )
            )  # fmt: skip
            # CustomerRefs.add(), for this import's duplicate checks and messages
            by_code[code] = cid
            if norm:
                by_norm[norm] = cid
            created.append((code, name, given))

    def handoff(self) -> tuple:
        """What take() made of the batches since the last handoff, taken out (import_apart)."""
        result = self.result
        out = (
            self.pending_customers, self.pending_contacts, self.pending_tags, self.pending_search,
            result.rejected, result.duplicates, result.skipped, self.next_customer,
            self.next_contact, set(self.table.filled),
        )  # fmt: skip
        # new lists (take() picks them up when it starts)
        self.pending_customers, self.pending_contacts = [], []
        self.pending_tags, self.pending_search = [], []
        result.rejected, result.duplicates = [], []
        return out

    def accept(self, payload: tuple) -> None:
        """A child process's handoff(), as if take() had run here."""
        (
            customers, contacts, tags, search, rejected, duplicates, skipped, nxt, nxt_contact,
            filled,
        ) = payload  # fmt: skip
        self.table.filled |= filled  # (columns of a blank heading with values: csvread)
        self.pending_customers += customers
        self.pending_contacts += contacts
        self.pending_tags += tags
        self.pending_search += search
        self.result.rejected += rejected
        self.result.duplicates += duplicates
        self.result.skipped = skipped
        self.next_customer, self.next_contact = nxt, nxt_contact

    def duplicate(
        self, line: int, code: str | None, norm: str, pdigits: str | None,
        email_key: str | None, v: list, contact: dict | None, tags: list[str],
    ) -> bool:  # fmt: skip
        """Note a duplicate row (checked values ``v``) and skip or merge it (True), or
        let it be created (False).

        A code is a customer's identity. A row whose own code is not in the database,
        like the name (phone, email) of a customer an earlier row of the same file
        created with another code of its own, is that file's other customer (an export
        of two customers named alike): it is created, with a note. Matched with a
        customer the database had, it is a duplicate as usual, and the note says
        that records naming its code will find no customer."""
        existing, what = self.find_duplicate(code, norm, pdigits, email_key)  # type: ignore[misc]
        given = None
        if existing >= self.first_new:
            ecode, ename, given = self.created[existing - self.first_new]
        else:
            ecode, ename = self.customers.info[existing]
        own = code if code and code != ecode else None  # (a known code: ecode itself)
        found = {"code": ecode, "name": ename, "what": what, "own": own}
        if own and given:
            note = _(
                "possible duplicate of {code} {name} (same {what}); created, as the file"
                " gives it a code of its own ({own})"
            )
            self.result.duplicates.append(RowNote(line, note.format(**found)))
            return False
        action = self.opts["on_duplicate"]
        if action == "skip":
            self.result.skipped += 1
            if own:
                note = _(
                    "duplicate of {code} {name} (same {what}); skipped: records naming its"
                    " code {own} will find no customer (--on-duplicate create imports it)"
                )
            else:
                note = _("duplicate of {code} {name} (same {what}); skipped")
        elif action == "merge":
            cust = {f: v[slot] for f, slot in self.customer_slots.items()}
            for (bucket, f), slot in zip(_FIXED_SLOTS, self.fixed_slots, strict=True):
                if bucket == "customer":
                    cust[f] = v[slot]
            merged, kept = self.merge_into(existing, cust, contact, tags)
            if not merged:
                self.result.unchanged += 1
                if own:
                    note = _(
                        "duplicate of {code} {name} (same {what}); nothing new to merge:"
                        " records naming its code {own} will find no customer"
                    )
                else:
                    note = _("duplicate of {code} {name} (same {what}); nothing new to merge")
            else:
                self.result.updated += 1
                if own:
                    note = _(
                        "duplicate of {code} {name} (same {what}); merged: records naming its"
                        " code {own} will find no customer"
                    )
                else:
                    note = _("duplicate of {code} {name} (same {what}); merged")
            if kept:  # the file said otherwise: say what was not taken
                note += _(" (kept as they were: {columns})").format(
                    columns=", ".join(kept).replace("{", "{{").replace("}", "}}")
                )
        else:
            note = _("duplicate of {code} {name} (same {what}); created anyway")
        self.result.duplicates.append(RowNote(line, note.format(**found)))
        return action != "create"

    def merge_into(
        self, cid: int, cust: dict, contact: dict | None, tags: list[str]
    ) -> tuple[bool, list[str]]:  # fmt: skip
        """Fill the customer's empty fields from the row, add its contact unless the
        customer has it, add its tags. Returns whether that changed anything, and the
        columns (as the file heads them) whose value differs from the customer's, which
        is kept."""
        self.flush()  # the target may still be waiting in this chunk
        changes = self.conn.total_changes
        # dates are ISO text already (row_cells)
        fill = {k: cust.get(k) for k in _FILLABLE if cust.get(k) is not None}
        kept: list[str] = []
        if fill:
            stored = self.conn.execute(
                f"SELECT {', '.join(fill)} FROM customer WHERE id = ?", (cid,)
            ).fetchone()
            for (k, value), old in zip(fill.items(), stored, strict=True):
                if old is not None and old != value:
                    column = k.removesuffix("_cents")
                    kept.append(self.headers.get(column, column))
            sets = ", ".join(f"{k} = coalesce({k}, ?)" for k in fill)
            empty = " OR ".join(f"{k} IS NULL" for k in fill)
            self.conn.execute(
                f"UPDATE customer SET {sets}, updated_at = ?, version = version + 1"
                f" WHERE id = ? AND ({empty})",
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
                    _CONTACT_SQL, contact_row(contact_id, cid, contact, self.now_text)
                )
                self.conn.execute(
                    "UPDATE customer SET primary_contact_id = ? "
                    "WHERE id = ? AND primary_contact_id IS NULL",
                    (contact_id, cid),
                )
        if tags:
            self.pending_tags.extend((cid, t) for t in tags)
            self.flush_tags()
        if self.conn.total_changes == changes:
            return False, kept
        # a contact or a tag added changes the customer too (its list shows them), as the
        # fields' fill did: once per merge (a version an open form checks against)
        self.conn.execute(
            "UPDATE customer SET updated_at = ?, version = version + 1"
            " WHERE id = ? AND updated_at IS NOT ?",
            (self.now_text, cid, self.now_text),
        )
        self.touched.add(cid)
        return True, kept

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
        self.pending_tags.clear()  # in place: take() holds these lists

    def flush(self) -> None:
        """Write what take() queued: customers, contacts, tags and their search rows."""
        self.result.imported = self.next_customer - self.first_new
        conn = self.conn
        # (the lists are cleared in place: take() holds them)
        if self.pending_customers:
            conn.executemany(self.customer_sql, self.pending_customers)
            self.pending_customers.clear()
        if self.pending_contacts:
            conn.executemany(self.contact_sql, self.pending_contacts)
            self.pending_contacts.clear()
        self.flush_tags()
        if self.pending_search:
            conn.executemany(
                "INSERT INTO customer_search(rowid, name, code, contacts, phones, emails, tags)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                self.pending_search,
            )
            self.pending_search.clear()

    def drop_indexes(self) -> None:
        """Drop the secondary indexes of customer and contact for a big load (inside the
        transaction, so a crash or rollback brings them back); finish() recreates them
        with the very same SQL. Sorting once is much cheaper than 100,000 random inserts.
        """
        self.dropped_indexes += sq.drop_secondary_indexes(self.conn, ("customer", "contact"))
        self.search_hash = grow_search_hash(self.conn)

    def finish(self) -> None:
        sq.recreate_indexes(self.conn, self.dropped_indexes)
        self.dropped_indexes = []
        if self.search_hash is not None:
            restore_search_hash(self.conn, self.search_hash)
            self.search_hash = None
        # new customers were indexed as they went in; merged ones changed
        sq.reindex_customers(self.conn, self.touched)


class ContactImporter(RecordImporter):
    """A contact is one the customer has already (import_common.RecordImporter) when it
    has the same name, case and spacing aside, and no other mobile or email: two
    people of one name at one customer are told apart by those (import_common's
    contact_key and contact_tells; merging customers folds contacts by the same rule)."""

    columns = columns_for(CONTACT_FIELDS)
    table_name = "contact"
    fillable = frozenset(CONTACT_FIELDS) - {"name"}

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
        said = {k: v for k, v in c.items() if k != "name"}
        said["birthday"] = iso(c.get("birthday"))
        tells = contact_tells(c.get("mobile"), c.get("email"))
        self.offer(line, contact_key(cid, c["name"]), tells, said, c)

    def rule(self, candidate: Candidate) -> str:
        return _("same customer and name")

    def existing(self, customer_ids: list[int], batch: list[Candidate]):
        for contact_id, cid, name, mobile, email in self.conn.execute(
            "SELECT id, customer_id, name, mobile, email FROM contact"
            " WHERE customer_id IN (SELECT value FROM json_each(?)) AND id < ?",
            (self.as_json(customer_ids), self.first_new),
        ):
            yield contact_key(cid, name), contact_id, contact_tells(mobile, email)

    def create(self, candidate: Candidate) -> int:
        contact_id = self.next_contact
        self.next_contact += 1
        cid = candidate.key[0]
        self.pending.append(contact_row(contact_id, cid, candidate.payload, self.now_text))
        self.touched.add(cid)
        return contact_id

    def merged(self, record_id: int, candidate: Candidate) -> None:
        self.touched.add(candidate.key[0])  # its phones and email are searched

    def write(self) -> None:
        if self.pending:
            self.conn.executemany(_CONTACT_SQL, self.pending)
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
