"""Shared pieces of the CSV importer: results, row validation with caching, customer lookups."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_tui.csvread import CsvTable, column_header
from crm_tui.i18n import _
from crm_tui.store.common import FieldSpec
from crm_tui.store.validation import ValidationError, normalise_name

#: A CSV column's check: (bucket of the row's values, spec table, field name in that table).
Column = tuple[str, Mapping[str, FieldSpec], str]
NON_DIGIT = re.compile(r"\D")


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


def stamp(value: dt.datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def phone_digits(text: str | None) -> str | None:
    if not text:
        return None
    d = NON_DIGIT.sub("", text)
    if d.startswith("0086"):
        d = d[4:]
    elif d.startswith("86") and len(d) == 13:
        d = d[2:]  # +86 mainland mobile
    return d if len(d) >= 7 else None


class RowError(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


def columns_for(specs: Mapping[str, FieldSpec], bucket: str = "row") -> dict[str, Column]:
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
        """{bucket: {field: value}}; raises RowError with all the row's errors at once."""
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
            raise RowError(reasons)
        return out


class CustomerRefs:
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


class Importer:
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
        self.now_text = stamp(self.now)
        self.customers = CustomerRefs(conn)
        self.touched: set[int] = set()
        self._validator: _Validator | None = None
        self._contacts: dict[tuple[int, str], int] | None = None

    def validate(self, values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        if self._validator is None:
            self._validator = _Validator(self.columns, self.headers)
        return self._validator(values)

    def next_id(self, table: str) -> int:
        return (self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]) + 1

    def customer_ref(self, values: Mapping[str, str], required: bool = True) -> int | None:
        """The customer a row names: by ``customer_code`` when given and known (exports
        carry both), else by ``customer`` as code, exact name or normalised name."""
        code = values.get("customer_code", "").strip()
        if code and code in self.customers.by_code:
            return self.customers.by_code[code]
        text = values.get("customer", "")
        header = self.headers.get("customer", "customer")
        if not text.strip():
            if code:
                header = self.headers.get("customer_code", "customer_code")
                raise RowError([f"{header}: " + _("unknown customer “{name}”").format(name=code)])
            if required:
                raise RowError([f"{header}: {_('Required')}"])
            return None
        cid = self.customers.find(text)
        if cid is None:
            raise RowError(
                [f"{header}: " + _("unknown customer “{name}”").format(name=text.strip())]
            )
        return cid

    def contact_ref(self, customer_id: int | None, values: Mapping[str, str]) -> int | None:
        text = values.get("contact", "").strip()
        if not text or customer_id is None:
            return None
        if self._contacts is None:
            # one pass over the contacts beats one query per row on big files
            self._contacts = {}
            for contact_id, cid, name in self.conn.execute(
                "SELECT id, customer_id, name FROM contact ORDER BY id DESC"
            ):
                self._contacts[(cid, name.lower())] = contact_id
        found = self._contacts.get((customer_id, text.lower()))
        if found is None:
            header = self.headers.get("contact", "contact")
            raise RowError([f"{header}: " + _("unknown contact “{name}”").format(name=text)])
        return found

    def row(self, line: int, values: dict[str, str]) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


def chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def refresh_order_totals(conn, customer_ids: Iterable[int]) -> None:
    """Recompute the derived total_amount_cents / last_order of some customers from their orders."""
    for chunk in chunks(sorted({int(i) for i in customer_ids if i is not None})):
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
