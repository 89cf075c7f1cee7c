"""CSV import of every kind: row validation with the store's field specs, dedupe, one bulk transaction.

The whole file is imported in one transaction on a standard-library connection
(``BEGIN IMMEDIATE`` … ``COMMIT``); rows are validated and written in chunks with
``executemany`` and explicit ids, so 100,000 rows take seconds and a crash or kill
leaves the database as it was. ``--dry-run`` runs everything and rolls back, so its
report is exactly what a real import would do.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_tui.csvread import CsvTable, column_header, read_table, row_values
from crm_tui.i18n import _
from crm_tui.store import enums
from crm_tui.store import sqlite as sq
from crm_tui.store.common import (
    FieldSpec,
    bool_field,
    choice_field,
    date_field,
    datetime_field,
    int_field,
    money_field,
    text_field,
)
from crm_tui.store.customers import CONTACT_FIELDS, CUSTOMER_FIELDS, parse_tags
from crm_tui.store.validation import ValidationError, check_text, normalise_name

KINDS = ("customers", "contacts", "opportunities", "interactions", "tasks", "orders")
DUPLICATE_ACTIONS = ("skip", "merge", "create")
CHUNK = 5000
#: Customer files at least this long (and longer than the table) load without secondary indexes.
BULK_INDEX_ROWS = 20_000

# Specs for the kinds whose store modules are written elsewhere; same builders, same rules.
OPPORTUNITY_FIELDS: dict[str, FieldSpec] = {
    "name": text_field(required=True, max_len=200),
    "product": text_field(max_len=200),
    "amount": money_field(),
    "expected_close": date_field(),
    "stage": choice_field(enums.STAGE),
    "probability": int_field(0, 100),
    "competitor": text_field(max_len=200),
    "strengths": text_field(),
    "weaknesses": text_field(),
    "key_success_factors": text_field(),
    "risks": text_field(),
    "risk_flag": bool_field(),
    "next_action": text_field(max_len=500),
    "next_action_due": date_field(),
    "actual_close": date_field(),
    "lost_reason": text_field(),
    "created": datetime_field(),
}
INTERACTION_FIELDS: dict[str, FieldSpec] = {
    "when": datetime_field(required=True),
    "channel": choice_field(enums.CHANNEL),
    "location": text_field(max_len=200),
    "our_people": text_field(max_len=200),
    "their_people": text_field(max_len=200),
    "subject": text_field(required=True, max_len=200),
    "content": text_field(max_len=10000),
    "feedback": text_field(),
    "attitude": choice_field(enums.ATTITUDE),
    "key_facts": text_field(),
    "next_step": text_field(max_len=500),
    "next_step_due": date_field(),
}
_TIME = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


def _due_time(name: str, v: Any) -> str | None:
    text = str(v or "").strip()
    if not text:
        return None
    if not _TIME.match(text):
        raise ValidationError(name, _("Not a time of day (HH:MM): “{text}”").format(text=text))
    hh, mm = text.split(":")
    return f"{int(hh):02d}:{mm}"


TASK_FIELDS: dict[str, FieldSpec] = {
    "title": text_field(required=True, max_len=200),
    "due": datetime_field(required=True),
    "due_time": _due_time,
    "type": choice_field(enums.TASK_TYPE),
    "status": choice_field(enums.TASK_STATUS),
    "goal": text_field(),
    "notes": text_field(),
    "result": text_field(),
}


def _required_money(name: str, v: Any) -> int:
    cents = money_field()(name, v)
    if cents is None:
        raise ValidationError(name, _("Required"))
    return cents


ORDER_FIELDS: dict[str, FieldSpec] = {
    "date": date_field(required=True),
    "amount": _required_money,
    "product": text_field(max_len=200),
    "order_no": text_field(max_len=100),
}

#: On a customers row the contact is optional, so its name is too.
_OPTIONAL_CONTACT_NAME: dict[str, FieldSpec] = {"name": text_field(max_len=100)}
#: A CSV column's check: (bucket of the row's values, spec table, field name in that table).
Column = tuple[str, Mapping[str, FieldSpec], str]

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
_NON_DIGIT = re.compile(r"\D")


class ImportRefused(Exception):
    """The import cannot start (same file imported before, unreadable file); message for the user."""


@dataclass
class RowNote:
    """Something said about one line of the file (a rejection reason or a duplicate decision)."""

    line: int
    message: str
    cells: list[str] = field(default_factory=list, repr=False)


@dataclass
class ImportResult:
    """What an import did (or, for a dry run or a strict import with bad rows, would do)."""

    kind: str
    file: Path
    encoding: str = ""
    delimiter: str = ","
    unknown_columns: list[str] = field(default_factory=list)
    rows_in: int = 0
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: list[RowNote] = field(default_factory=list)
    duplicates: list[RowNote] = field(default_factory=list)
    dry_run: bool = False
    strict: bool = False
    committed: bool = False
    rejected_path: Path | None = None
    header: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_status(self) -> int:
        """3 when rows were rejected, else 0 (CLI.md)."""
        return 3 if self.rejected else 0


def _stamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _digits(text: str | None) -> str | None:
    if not text:
        return None
    d = _NON_DIGIT.sub("", text)
    if d.startswith("0086"):
        d = d[4:]
    elif d.startswith("86") and len(d) == 13:
        d = d[2:]  # +86 mainland mobile
    return d if len(d) >= 7 else None


class _RowError(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def _columns(specs: Mapping[str, FieldSpec], bucket: str = "row") -> dict[str, Column]:
    return {k: (bucket, specs, k) for k in specs}


_MISS = object()
#: Fields holding a date / a date-time, whatever the kind (spreadsheet forms are accepted there).
_DATE_FIELDS = frozenset(
    ("first_contact", "purchase_date", "birthday", "expected_close", "next_action_due",
     "actual_close", "next_step_due", "date")
)  # fmt: skip
_DATETIME_FIELDS = frozenset(("created", "when", "due"))
_CN_DATE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*(.*)$")
_SECONDS = re.compile(r"^(.+?\s\d{1,2}:\d{2}):\d{2}(?:\.\d+)?$")


def spreadsheet_date(text: str, keep_time: bool) -> str:
    """What spreadsheets write for dates, in the forms crm_tui.dates reads.

    ``2026年1月5日`` → ``2026-1-5``; ``2026/1/5 14:30:00`` → ``2026/1/5 14:30``; in a date
    column a time part is dropped (``2026-01-05 00:00:00`` → ``2026-01-05``).
    """
    t = text.strip()
    m = _CN_DATE.match(t)
    if m:
        t = f"{m.group(1)}-{m.group(2)}-{m.group(3)} {m.group(4)}".strip()
    m = _SECONDS.match(t)
    if m:
        t = m.group(1)
    if not keep_time and " " in t and ":" in t:
        t = t.split(" ", 1)[0]
    return t


class _Validator:
    """Runs each column through its spec, remembering results of often-repeated values.

    Import files repeat the same industry, level, date or tag text thousands of times;
    a column whose values turn out mostly distinct stops being cached.
    """

    MAX_CACHE = 4096

    def __init__(self, columns: Mapping[str, Column], headers: Mapping[str, str]) -> None:
        self.columns = columns
        self.headers = headers
        self.cache: dict[str, dict[str, tuple[bool, Any]] | None] = {c: {} for c in columns}

    def __call__(self, values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """{bucket: {field: value}}; raises _RowError with all the row's errors at once."""
        out: dict[str, dict[str, Any]] = {}
        reasons: list[str] = []
        for column, text in values.items():
            col = self.columns.get(column)
            if col is None:
                continue
            bucket_name, specs, name = col
            cache = self.cache[column]
            hit = cache.get(text, _MISS) if cache is not None else _MISS
            if hit is _MISS:
                value_text = text
                if name in _DATE_FIELDS:
                    value_text = spreadsheet_date(text, keep_time=False)
                elif name in _DATETIME_FIELDS:
                    value_text = spreadsheet_date(text, keep_time=True)
                try:
                    hit = (True, specs[name](name, value_text))
                except ValidationError as exc:
                    hit = (False, exc.message)
                if cache is not None:
                    if len(cache) < self.MAX_CACHE:
                        cache[text] = hit
                    else:
                        self.cache[column] = None
            ok, value = hit  # type: ignore[misc]
            if ok:
                bucket = out.get(bucket_name)
                if bucket is None:
                    bucket = out[bucket_name] = {}
                bucket[name] = value
            else:
                reasons.append(f"{self.headers.get(column, column)}: {value}")
        if reasons:
            raise _RowError(reasons)
        return out


class _Customers:
    """Customer references by code, exact name or normalised name (existing and just imported)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.by_norm: dict[str, int] = {}
        self.info: dict[int, tuple[str, str]] = {}
        for cid, code, name, norm in conn.execute(
            "SELECT id, code, name, name_norm FROM customer ORDER BY id DESC"
        ):
            self.add(cid, code, name, norm)

    def add(self, cid: int, code: str, name: str, norm: str) -> None:
        self.by_code[code] = cid
        self.by_name[name] = cid
        if norm:
            self.by_norm[norm] = cid
        self.info[cid] = (code, name)

    def find(self, text: str) -> int | None:
        t = text.strip()
        if not t:
            return None
        return self.by_code.get(t) or self.by_name.get(t) or self.by_norm.get(normalise_name(t))


class _Importer:
    columns: Mapping[str, Column] = {}

    def __init__(
        self, conn: sqlite3.Connection, table: CsvTable, result: ImportResult, opts: dict
    ) -> None:
        self.conn = conn
        self.table = table
        self.result = result
        self.opts = opts
        self.headers = column_header(table)
        self.now = opts["now"]
        self.now_text = _stamp(self.now)
        self.customers = _Customers(conn)
        self.touched: set[int] = set()
        self._validator: _Validator | None = None

    def validate(self, values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        if self._validator is None:
            self._validator = _Validator(self.columns, self.headers)
        return self._validator(values)

    def next_id(self, table: str) -> int:
        return (self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]) + 1

    def customer_ref(self, values: Mapping[str, str], required: bool = True) -> int | None:
        text = values.get("customer", "")
        header = self.headers.get("customer", "customer")
        if not text.strip():
            if required:
                raise _RowError([f"{header}: {_('Required')}"])
            return None
        cid = self.customers.find(text)
        if cid is None:
            raise _RowError(
                [f"{header}: " + _("unknown customer “{name}”").format(name=text.strip())]
            )
        return cid

    def contact_ref(self, customer_id: int | None, values: Mapping[str, str]) -> int | None:
        text = values.get("contact", "").strip()
        if not text or customer_id is None:
            return None
        row = self.conn.execute(
            "SELECT id FROM contact WHERE customer_id = ? AND (name = ? OR name = ? COLLATE NOCASE)"
            " ORDER BY id LIMIT 1",
            (customer_id, text, text),
        ).fetchone()
        if row is None:
            header = self.headers.get("contact", "contact")
            raise _RowError([f"{header}: " + _("unknown contact “{name}”").format(name=text)])
        return row[0]

    def row(self, line: int, values: dict[str, str]) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


class _CustomerImporter(_Importer):
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
                d = _digits(p)
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
        except _RowError as exc:
            raise _RowError(exc.reasons + reasons) from None
        if reasons:
            raise _RowError(reasons)
        cust = buckets.get("customer", {})
        contact = buckets.get("contact", {})
        phone = contact.get("phone")
        if phone and _MOBILE.match(_NON_DIGIT.sub("", phone)[-11:]):
            contact["mobile"], contact["phone"] = phone, None
        has_contact = bool(contact) and any(v is not None for v in contact.values())
        if has_contact and not contact.get("name"):
            contact["name"] = cust["name"]  # a phone or email alone: the customer is the person
        norm = normalise_name(cust["name"])
        pdigits = _digits(contact.get("mobile") or contact.get("phone"))
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
                _iso(cust.get("first_contact")), cust.get("level"), cust.get("status") or "active",
                cust.get("needs"), cust.get("budget_cents"), _iso(cust.get("purchase_date")),
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
            c.get("wechat"), _iso(c.get("birthday")), c.get("preferred_channel"),
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
                fill[k] = _iso(fill[k])
        if fill:
            sets = ", ".join(f"{k} = coalesce({k}, ?)" for k in fill)
            self.conn.execute(
                f"UPDATE customer SET {sets}, updated_at = ?, version = version + 1 WHERE id = ?",
                (*fill.values(), self.now_text, cid),
            )
        if contact is not None:
            d = _digits(contact.get("mobile") or contact.get("phone"))
            email = (contact.get("email") or "").lower()
            known = False
            for name, mobile, phone, mail in self.conn.execute(
                "SELECT name, mobile, phone, email FROM contact WHERE customer_id = ?", (cid,)
            ):
                if (
                    name.lower() == contact["name"].lower()
                    or (d and d in (_digits(mobile), _digits(phone)))
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
        for name, sql in self.conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            " AND tbl_name IN ('customer', 'contact') ORDER BY name"
        ).fetchall():
            self.conn.execute(f'DROP INDEX "{name}"')
            self.dropped_indexes.append(sql)

    def finish(self) -> None:
        for sql in self.dropped_indexes:
            self.conn.execute(sql)
        self.dropped_indexes = []
        # new customers were indexed as they went in; merged ones changed
        sq.reindex_customers(self.conn, self.touched)


class _ContactImporter(_Importer):
    columns = _columns(CONTACT_FIELDS)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_contact = self.next_id("contact")
        self.pending: list[tuple] = []

    def row(self, line: int, values: dict[str, str]) -> None:
        errors: list[str] = []
        try:
            cid = self.customer_ref(values)
        except _RowError as exc:
            errors, cid = exc.reasons, None
        try:
            c = self.validate(values).get("row", {})
        except _RowError as exc:
            raise _RowError(errors + exc.reasons) from None
        if errors:
            raise _RowError(errors)
        contact_id = self.next_contact
        self.next_contact += 1
        self.pending.append(
            (
                contact_id, cid, c["name"], c.get("title"), c.get("department"), c.get("role"),
                c.get("gender"), c.get("phone"), c.get("mobile"), c.get("email"),
                c.get("wechat"), _iso(c.get("birthday")), c.get("preferred_channel"),
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


def _common_row(importer: _Importer, values: dict[str, str], customer_required: bool = True):
    """Customer reference, contact reference and field specs, all errors of the row at once."""
    errors: list[str] = []
    cid = contact_id = None
    try:
        cid = importer.customer_ref(values, required=customer_required)
        contact_id = importer.contact_ref(cid, values)
    except _RowError as exc:
        errors = exc.reasons
    try:
        v = importer.validate(values)
    except _RowError as exc:
        raise _RowError(errors + exc.reasons) from None
    if errors:
        raise _RowError(errors)
    return cid, contact_id, v.get("row", {})


class _OpportunityImporter(_Importer):
    columns = _columns(OPPORTUNITY_FIELDS)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_opp = self.next_id("opportunity")
        self.pending: list[tuple] = []
        self.history: list[tuple] = []
        self.probability: Mapping[str, int] = self.opts.get("probabilities") or {}

    def row(self, line: int, values: dict[str, str]) -> None:
        cid, contact_id, o = _common_row(self, values)
        stage = o.get("stage") or "initial_contact"
        prob = o.get("probability")
        overridden = prob is not None
        if prob is None:
            prob = self.probability.get(stage, enums.DEFAULT_PROBABILITY[stage])
        created = _stamp(o["created"]) if o.get("created") else self.now_text
        oid = self.next_opp
        self.next_opp += 1
        self.pending.append(
            (
                oid, cid, contact_id, o["name"], o.get("product"), o.get("amount") or 0,
                _iso(o.get("expected_close")), stage, prob, overridden, o.get("competitor"),
                o.get("strengths"), o.get("weaknesses"), o.get("key_success_factors"),
                o.get("risks"), bool(o.get("risk_flag")), o.get("next_action"),
                _iso(o.get("next_action_due")), _iso(o.get("actual_close")),
                o.get("lost_reason"), "", created, created, created, 1,
            )
        )  # fmt: skip
        if stage == "lost":
            path: tuple[str, ...] = ("initial_contact", "lost")
        else:
            path = enums.STAGE_LADDER[: enums.STAGE_LADDER.index(stage) + 1]
        previous = None
        for s in path:
            self.history.append((oid, previous, s, created))
            previous = s
        self.result.imported += 1

    def flush(self) -> None:
        if self.pending:
            self.conn.executemany(
                "INSERT INTO opportunity (id, customer_id, contact_id, name, product, amount_cents,"
                " expected_close, stage, probability, probability_overridden, competitor,"
                " strengths, weaknesses, key_success_factors, risks, risk_flag, next_action,"
                " next_action_due, actual_close, lost_reason, criteria_done, stage_entered_at,"
                " created_at, updated_at, version) VALUES "
                f"({', '.join('?' * 25)})",
                self.pending,
            )
            self.conn.executemany(
                "INSERT INTO stage_change (opportunity_id, from_stage, to_stage, changed_at) "
                "VALUES (?, ?, ?, ?)",
                self.history,
            )
            self.pending, self.history = [], []


class _InteractionImporter(_Importer):
    columns = _columns(INTERACTION_FIELDS)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_interaction = self.next_id("interaction")
        self.next_task = self.next_id("task")
        self.pending: list[tuple] = []
        self.tasks: list[tuple] = []

    def row(self, line: int, values: dict[str, str]) -> None:
        cid, contact_id, v = _common_row(self, values)
        task_id = None
        if v.get("next_step") and v.get("next_step_due"):
            task_id = self.next_task
            self.next_task += 1
            self.tasks.append(
                (
                    task_id, v["next_step"], "call", cid, contact_id, _iso(v["next_step_due"]),
                    "planned", self.now_text, self.now_text, 1,
                )
            )  # fmt: skip
        iid = self.next_interaction
        self.next_interaction += 1
        self.pending.append(
            (
                iid, cid, contact_id, _stamp(v["when"]), v.get("channel") or "phone",
                v.get("location"), v.get("our_people"), v.get("their_people"), v["subject"],
                v.get("content"), v.get("feedback"), v.get("attitude"), v.get("key_facts"),
                v.get("next_step"), _iso(v.get("next_step_due")), task_id, self.now_text,
                self.now_text, 1,
            )
        )  # fmt: skip
        self.touched.add(cid)  # type: ignore[arg-type]
        self.result.imported += 1

    def flush(self) -> None:
        if self.tasks:
            self.conn.executemany(
                "INSERT INTO task (id, title, type, customer_id, contact_id, due, status,"
                " created_at, updated_at, version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                self.tasks,
            )
            self.tasks = []
        if self.pending:
            self.conn.executemany(
                "INSERT INTO interaction (id, customer_id, contact_id, occurred_at, channel,"
                " location, our_people, their_people, subject, content, feedback, attitude,"
                " key_facts, next_step, next_step_due, task_id, created_at, updated_at, version)"
                f" VALUES ({', '.join('?' * 19)})",
                self.pending,
            )
            self.pending = []

    def finish(self) -> None:
        for chunk in _chunks(sorted(self.touched)):
            marks = ",".join("?" * len(chunk))
            self.conn.execute(
                "UPDATE customer SET last_interaction_at = (SELECT max(occurred_at) FROM "
                f"interaction WHERE customer_id = customer.id) WHERE id IN ({marks})",
                chunk,
            )


class _TaskImporter(_Importer):
    columns = _columns(TASK_FIELDS)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_task = self.next_id("task")
        self.pending: list[tuple] = []

    def row(self, line: int, values: dict[str, str]) -> None:
        cid, contact_id, t = _common_row(self, values, customer_required=False)
        due: dt.datetime = t["due"]
        due_time = t.get("due_time")
        raw_due = values.get("due", "")
        if due_time is None and ":" in raw_due:
            due_time = f"{due:%H:%M}"
        status = t.get("status") or "planned"
        tid = self.next_task
        self.next_task += 1
        self.pending.append(
            (
                tid, t["title"], t.get("type") or "call", cid, contact_id, t.get("goal"),
                t.get("notes"), due.date().isoformat(), due_time, status, t.get("result"),
                self.now_text if status == "done" else None, self.now_text, self.now_text, 1,
            )
        )  # fmt: skip
        self.result.imported += 1

    def flush(self) -> None:
        if self.pending:
            self.conn.executemany(
                "INSERT INTO task (id, title, type, customer_id, contact_id, goal, notes, due,"
                " due_time, status, result, completed_at, created_at, updated_at, version)"
                f" VALUES ({', '.join('?' * 15)})",
                self.pending,
            )
            self.pending = []


class _OrderImporter(_Importer):
    columns = _columns(ORDER_FIELDS)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_order = self.next_id("sales_order")
        self.by_no: dict[str, tuple[int, int]] = {
            no: (oid, cid)
            for oid, cid, no in self.conn.execute(
                "SELECT id, customer_id, order_no FROM sales_order WHERE order_no IS NOT NULL"
            )
        }
        self.pending: dict[int, tuple] = {}

    def row(self, line: int, values: dict[str, str]) -> None:
        cid, _contact, o = _common_row(self, values)
        order_no = o.get("order_no")
        record = (cid, _iso(o["date"]), o["amount"], o.get("product"), order_no)
        self.touched.add(cid)  # type: ignore[arg-type]
        if order_no and order_no in self.by_no:
            oid, old_customer = self.by_no[order_no]
            self.touched.add(old_customer)
            self.by_no[order_no] = (oid, cid)  # type: ignore[assignment]
            if oid in self.pending:
                self.pending[oid] = (oid, *record, self.pending[oid][-1])
            else:
                self.conn.execute(
                    "UPDATE sales_order SET customer_id = ?, order_date = ?, amount_cents = ?,"
                    " product = ?, order_no = ? WHERE id = ?",
                    (*record, oid),
                )
            self.result.updated += 1
            return
        oid = self.next_order
        self.next_order += 1
        if order_no:
            self.by_no[order_no] = (oid, cid)  # type: ignore[assignment]
        self.pending[oid] = (oid, *record, self.now_text)
        self.result.imported += 1

    def flush(self) -> None:
        if self.pending:
            self.conn.executemany(
                "INSERT INTO sales_order (id, customer_id, order_date, amount_cents, product,"
                " order_no, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                list(self.pending.values()),
            )
            self.pending = {}

    def finish(self) -> None:
        refresh_order_totals(self.conn, self.touched)


_IMPORTERS: dict[str, type[_Importer]] = {
    "customers": _CustomerImporter,
    "contacts": _ContactImporter,
    "opportunities": _OpportunityImporter,
    "interactions": _InteractionImporter,
    "tasks": _TaskImporter,
    "orders": _OrderImporter,
}


def _chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def refresh_order_totals(conn, customer_ids: Iterable[int]) -> None:
    """Recompute the derived total_amount_cents / last_order of some customers from their orders."""
    for chunk in _chunks(sorted({int(i) for i in customer_ids if i is not None})):
        marks = ",".join("?" * len(chunk))
        conn.execute(
            "UPDATE customer SET"
            " total_amount_cents = (SELECT coalesce(sum(amount_cents), 0) FROM sales_order"
            "  WHERE customer_id = customer.id),"
            " last_order = (SELECT max(order_date) FROM sales_order"
            "  WHERE customer_id = customer.id)"
            f" WHERE id IN ({marks})",
            chunk,
        )


def previous_import(conn: sqlite3.Connection, sha256: str) -> tuple[str, str, str] | None:
    """(kind, file name, when) of an earlier import of exactly this content, if any."""
    row = conn.execute(
        "SELECT kind, file_name, imported_at FROM import_log WHERE sha256 = ? ORDER BY id DESC",
        (sha256,),
    ).fetchone()
    return tuple(row) if row else None  # type: ignore[return-value]


def rejected_path_for(path: Path) -> Path:
    return path.with_name(path.name + ".rejected.csv")


def write_rejected(result: ImportResult, path: Path | None = None) -> Path:
    """Rejected rows with their original columns plus ``reason`` (UTF-8 with BOM, comma)."""
    target = path or rejected_path_for(result.file)
    width = len(result.header)
    with open(target, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*result.header, "reason"])
        for note in result.rejected:
            cells = list(note.cells[:width]) + [""] * (width - len(note.cells))
            writer.writerow([*cells, note.message])
    return target


def import_file(
    db_path: Path | str,
    kind: str,
    path: Path | str,
    *,
    dry_run: bool = False,
    strict: bool = False,
    on_duplicate: str = "skip",
    again: bool = False,
    owner: str | None = None,
    probabilities: Mapping[str, int] | None = None,
    progress: Callable[[int, int], None] | None = None,
    write_rejected_file: bool = True,
    now: dt.datetime | None = None,
) -> ImportResult:
    """Import a CSV file of ``kind`` into the database at ``db_path`` in one transaction.

    Raises ImportRefused (with a message for the user) when the file cannot be read,
    lacks required columns, or was imported before and ``again`` is false. Returns
    what happened; ``result.committed`` is false for a dry run and for a strict import
    that found bad rows. Rejected rows go to ``FILE.rejected.csv`` unless dry-running.
    """
    from crm_tui.csvread import CsvError

    if kind not in _IMPORTERS:
        raise ImportRefused(_("Unknown kind “{kind}”").format(kind=kind))
    if on_duplicate not in DUPLICATE_ACTIONS:
        raise ImportRefused(_("Unknown duplicate action “{action}”").format(action=on_duplicate))
    started = time.perf_counter()
    path = Path(path)
    try:
        table = read_table(path, kind)
    except CsvError as exc:
        raise ImportRefused(str(exc)) from None
    result = ImportResult(
        kind=kind,
        file=path,
        encoding=table.encoding,
        delimiter=table.delimiter,
        unknown_columns=table.unknown,
        dry_run=dry_run,
        strict=strict,
        header=table.header,
    )
    stamp = (now or dt.datetime.now()).replace(microsecond=0)
    conn = sq.connect(db_path)
    conn.isolation_level = None
    # a big transaction keeps its pages in memory instead of spilling them to the WAL early
    conn.execute("PRAGMA cache_size = -65536")
    try:
        conn.execute("BEGIN IMMEDIATE")
        try:
            before = previous_import(conn, table.sha256)
            if before and not again:
                raise ImportRefused(
                    _(
                        "{file} was already imported ({kind}, {when}); "
                        "use --again to import it once more"
                    ).format(file=path.name, kind=before[0], when=before[2][:16])
                )
            opts = {
                "on_duplicate": on_duplicate,
                "owner": owner,
                "probabilities": probabilities,
                "now": stamp,
            }
            importer = _IMPORTERS[kind](conn, table, result, opts)
            total = table.count_lines()
            pending = 0
            width = len(table.header)
            for line, cells in table.records():
                result.rows_in += 1
                try:
                    if len(cells) > width and any(c.strip() for c in cells[width:]):
                        raise _RowError(
                            [
                                _("{n} values but the header has {m} columns").format(
                                    n=len(cells), m=width
                                )
                            ]
                        )
                    importer.row(line, row_values(table, cells))
                except _RowError as exc:
                    result.rejected.append(RowNote(line, "; ".join(exc.reasons), cells))
                pending += 1
                if pending >= CHUNK:
                    importer.flush()
                    pending = 0
                    if progress:
                        progress(line - table.header_line, total)
            importer.flush()
            importer.finish()
            if progress:
                progress(total, total)
            commit = not dry_run and not (strict and result.rejected)
            if commit:
                conn.execute(
                    "INSERT INTO import_log (kind, file_name, sha256, imported_at, rows_in,"
                    " rows_rejected) VALUES (?, ?, ?, ?, ?, ?)",
                    (kind, str(path.resolve()), table.sha256, _stamp(stamp), result.rows_in,
                     len(result.rejected)),
                )  # fmt: skip
                conn.execute("COMMIT")
                result.committed = True
            else:
                conn.execute("ROLLBACK")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    except CsvError as exc:
        raise ImportRefused(str(exc)) from None
    except sqlite3.OperationalError as exc:
        # e.g. another program holding the write lock longer than the busy timeout
        raise ImportRefused(
            _("Cannot write to the database ({problem}); nothing was imported").format(problem=exc)
        ) from None
    finally:
        conn.close()
    if result.rejected and write_rejected_file and not dry_run:
        result.rejected_path = write_rejected(result)
    result.seconds = time.perf_counter() - started
    return result


def summary_lines(result: ImportResult, max_lines: int = 20) -> list[str]:
    """The human summary of an import: counts, unknown columns, then line-numbered notes."""
    head = _("{file}: {rows} data rows ({encoding}, “{delimiter}”)").format(
        file=result.file.name,
        rows=result.rows_in,
        encoding={"utf-8-sig": "UTF-8", "gb18030": "GB18030"}.get(result.encoding, result.encoding),
        delimiter={"\t": "tab"}.get(result.delimiter, result.delimiter),
    )
    lines = [head]
    if result.unknown_columns:
        lines.append(
            _("unknown columns ignored: {columns}").format(
                columns=", ".join(result.unknown_columns)
            )
        )
    if result.committed:
        verb = _("imported {n}").format(n=result.imported)
    elif result.dry_run:
        verb = _("dry run, nothing changed: would import {n}").format(n=result.imported)
    else:
        verb = _("nothing imported (--strict and some rows are bad); {n} rows were good").format(
            n=result.imported
        )
    counts = [verb]
    if result.updated:
        counts.append(_("updated {n}").format(n=result.updated))
    if result.skipped:
        counts.append(_("skipped {n} duplicates").format(n=result.skipped))
    counts.append(_("rejected {n}").format(n=len(result.rejected)))
    lines.append(", ".join(counts))
    notes = sorted(
        [(n.line, n.message) for n in result.rejected]
        + [(n.line, n.message) for n in result.duplicates]
    )
    for line, message in notes[:max_lines]:
        lines.append(_("line {line}: {message}").format(line=line, message=message))
    if len(notes) > max_lines:
        lines.append(_("… and {n} more").format(n=len(notes) - max_lines))
    if result.rejected_path:
        lines.append(_("rejected rows written to {path}").format(path=result.rejected_path))
    return lines
