"""Shared pieces of the CSV importer: results, row validation with caching, customer lookups."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crm_tui.csvread import CsvTable, Unreadable, column_header, row_values
from crm_tui.dates import half_width, spreadsheet_date
from crm_tui.i18n import _
from crm_tui.store.fields import FieldSpec
from crm_tui.store.sqlite import LAST_ORDER_SQL, ORDERS_TOTAL_SQL
from crm_tui.store.validation import (
    _EMAIL,
    SCREEN_LENGTH,
    SENSITIVE_SCREEN,
    WIDE_FORMS,
    ValidationError,
    check_email,
    check_phone,
    normalise_name,
)

#: A CSV column's check: (bucket of the row's values, spec table, field name in that table).
Column = tuple[str, Mapping[str, FieldSpec], str]
NON_DIGIT = re.compile(r"[^0-9]")


class ImportRefused(Exception):
    """The import cannot start (same file imported before, unreadable file); message for the user."""


class AlreadyImported(ImportRefused):
    """The file (or the same rows under another name) was imported before. ``what`` says
    when; ``str()`` adds how the command line imports it once more (``--again``), where
    the app asks instead."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(_("{what}; use --again to import it once more").format(what=what))


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
    #: columns (counted from 1) with a blank heading and a value in some row: ignored
    unheaded_columns: list[int] = field(default_factory=list)
    rows_in: int = 0
    imported: int = 0
    updated: int = 0
    #: rows matching a record that already says all they say (nothing written)
    unchanged: int = 0
    skipped: int = 0
    rejected: list[RowNote] = field(default_factory=list)
    duplicates: list[RowNote] = field(default_factory=list)
    #: interactions rows with a next step: kept on the interaction, no task made (the
    #: form makes one; an export carries the tasks in a file of their own)
    next_steps_kept: int = 0
    dry_run: bool = False
    strict: bool = False
    committed: bool = False
    rejected_path: Path | None = None
    #: (where, why) when the rejected rows could not be written beside the file
    rejected_error: tuple[Path, str] | None = None
    #: (path, None) when an import that rejected nothing removed the FILE.rejected.csv an
    #: earlier one wrote; (path, why) when it could not
    stale_rejected: tuple[Path, str | None] | None = None
    header: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_status(self) -> int:
        """3 when rows were rejected, else 0 (CLI.md)."""
        return 3 if self.rejected else 0


def stamp(value: dt.datetime) -> str:
    return value.isoformat(" ", "seconds")  # (strftime's %Y wrote year 500 as "500")


def iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def phone_digits(text: str | None) -> str | None:
    """A phone's ASCII digits, as the duplicate checks compare them (``+86`` aside), or
    None when fewer than 7. Full-width digits count as theirs (a phone stored before
    check_phone made them ASCII); other scripts' digits do not count."""
    if not text:
        return None
    if not text.isascii():
        text = half_width(text)
    d = text if text.isascii() and text.isdecimal() else NON_DIGIT.sub("", text)
    if d.startswith("0086"):
        d = d[4:]
    elif d.startswith("86") and len(d) == 13:
        d = d[2:]  # +86 mainland mobile
    return d if len(d) >= 7 else None


def column_said(header: str, message: str) -> str:
    """A row's problem in one of its columns, as the notes say it ("phone: Not a phone";
    in Chinese with a full-width colon)."""
    return _("{column}: {message}").format(column=header, message=message)


def reasons_text(reasons: list[str]) -> str:
    """A row's problems as one note ("; " between them; "；" in Chinese)."""
    return _("; ").join(reasons)


class RowError(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(reasons_text(reasons))
        self.reasons = reasons


def refuse_surplus(cells: Sequence[str], width: int) -> None:
    """A record with values beyond the header's columns is refused (blank cells are fine),
    and so is one the CSV reader could not read (its last cell says why: Unreadable)."""
    if cells[-1].__class__ is Unreadable:
        raise RowError([str(cells[-1])])
    if any(c.strip() for c in cells[width:]):
        raise RowError([_("{n} values, but the header has {m}").format(n=len(cells), m=width)])


def columns_for(specs: Mapping[str, FieldSpec], bucket: str = "row") -> dict[str, Column]:
    return {k: (bucket, specs, k) for k in specs}


#: Fields holding a date / a date-time, whatever the kind (spreadsheet forms are accepted there).
_DATE_FIELDS = frozenset(
    ("first_contact", "purchase_date", "birthday", "expected_close", "next_action_due",
     "actual_close", "next_step_due", "date")
)  # fmt: skip
_DATETIME_FIELDS = frozenset(
    ("created", "when", "due", "completed_at", "created_at", "opportunity_created")
)
#: The ID / bank card rule's own screen: validation.check_no_sensitive_numbers refuses
#: nothing in a text where it finds no match, so such a text cannot hold such a number.
_DIGIT_SCREEN = SENSITIVE_SCREEN
_SCREEN_LENGTH = SCREEN_LENGTH  # shorter texts cannot hold such a run
#: What check_phone returns unchanged: 5 to 12 ASCII digits and nothing else.
_PLAIN_PHONE = re.compile(r"[0-9]{5,12}")
# how a column's cells are checked (RowValidator)
_PLAIN, _TEXT, _PHONE, _MAIL = 0, 1, 2, 3


class RowValidator:
    """A file's per-column checks, compiled once from its header; rows are lists of cells.

    Each recognised column gets its slot in the list a row turns into, its field spec
    (the rule the forms use) and a memo of results: import files repeat the same
    industry, level, date or tag text thousands of times (a memo stops growing at
    MAX_CACHE texts). Shortcuts that cannot change a result:

    - an empty cell takes the result the spec gave ``""`` when the file was opened;
    - plain text (``fields.text_field``) is trimmed and length-checked inline when the
      text has no run of digits long enough to be an ID or bank card number (nor, in a
      field of one line, a line break);
    - a phone of 5 to 12 plain digits is what ``check_phone`` would return, and so is
      a (trimmed) email address that ``check_email``'s own pattern matches, without a
      long run of digits nor a full-width form (which check_email makes ASCII).

    Anything else (blank, too long, long digit runs, dates, choices …) goes through
    the spec itself.
    """

    MAX_CACHE = 4096

    def __init__(
        self, sources: Iterable[tuple[int, str]], columns: Mapping[str, Column],
        headers: Mapping[str, str], *, last: Iterable[str] = (),
        reserve: Iterable[tuple[str, str]] = (),
        post: Mapping[tuple[str, str], Callable[[Any], Any]] | None = None,
    ) -> None:  # fmt: skip
        """``sources``: (cell index, column name) in the file's order; ``last``: columns
        checked (and so reported) after all others; ``reserve``: (bucket, field) slots
        to have even when no column fills them (they stay None); ``post``: what to make
        of a (bucket, field)'s valid values that are not None (kept in the memo)."""
        #: (bucket, field) → index in the list a row turns into
        self.slots: dict[tuple[str, str], int] = {}
        self.entries: list[list] = []
        sources, last = list(sources), list(last)
        ordered = [s for s in sources if s[1] not in last]
        ordered += sorted((s for s in sources if s[1] in last), key=lambda s: last.index(s[1]))
        for index, column in ordered:
            col = columns.get(column)
            if col is None:
                continue
            bucket, specs, name = col
            spec = specs[name]
            slot = self.slots.setdefault((bucket, name), len(self.slots))
            label = headers.get(column, column)
            rule = getattr(spec, "text_rule", None)
            if name in _DATE_FIELDS:
                keep_time: bool | None = False
            elif name in _DATETIME_FIELDS:
                keep_time = True
            else:
                keep_time = None
            # [cell index, slot, label, mode, spec, field, keep_time, memo, result of "",
            #  max length of a _TEXT, post, memo of the valid texts' values]
            convert = (post or {}).get((bucket, name))
            entry = [index, slot, label, _PLAIN, spec, name, keep_time, {}, None, 0, convert, {}]
            entry[8] = self._compute(entry, "")
            if entry[8][0]:
                entry[11][""] = entry[8][1]
            if keep_time is None and rule is not None:
                entry[3], entry[9] = _TEXT, rule[1]
            elif spec is check_phone:
                entry[3] = _PHONE
            elif spec is check_email and convert is None:
                entry[3] = _MAIL
            self.entries.append(entry)
        for key in reserve:
            self.slots.setdefault(key, len(self.slots))
        self.width = len(self.slots)
        #: cells a row needs (shorter rows are padded with empty cells)
        self.need = max((e[0] + 1 for e in self.entries), default=0)
        self.check = self._compile()

    def _compile(self) -> Callable[[list[str]], list[Any]]:
        """The row check as straight-line code for this file's columns: a loop over the
        columns, unpacking each one's settings, cost a quarter more.

        Per column: a text / phone / email shortcut (see the class), an empty cell's
        value, the memo of the column's valid texts, else the spec (through the
        column's memo); a failure is noted with the column's position and the row is
        refused after all columns were checked, reasons in column order."""
        lines = [
            "def check(cells):",
            f"    if len(cells) < {self.need}:",
            f"        cells = cells + [''] * ({self.need} - len(cells))",
            "    errors = None",
        ]
        env: dict[str, Any] = {
            "slow": self._slow, "screen": _DIGIT_SCREEN.search, "plain_phone": _PLAIN_PHONE.fullmatch,
            "plain_mail": _EMAIL.match, "wide": WIDE_FORMS.search, "RowError": RowError,
            "M": _MISSING,
        }  # fmt: skip
        filled = set()
        for k, entry in enumerate(self.entries):
            index, slot, mode = entry[0], entry[1], entry[3]
            env[f"e{k}"] = entry
            x, cell = f"x{slot}", f"cells[{index}]"
            filled.add(slot)
            slow = f"{x}, errors = slow(e{k}, {k}, {cell}, errors)"
            if mode == _PLAIN:
                env[f"c{k}"] = entry[11].get
                lines += [f"    {x} = c{k}({cell}, M)", f"    if {x} is M: {slow}"]
                continue
            lines.append(f"    v = {cell}.strip()")
            if mode == _TEXT:  # texts shorter than the screen cannot hold a digit run
                one_line = not entry[4].text_rule[
                    2
                ]  # (its line breaks are joined: validation.one_line)
                lines.append(
                    f"    if v and (n := len(v)) <= {entry[9]}"
                    f" and (n < {_SCREEN_LENGTH} or screen(v) is None)"
                    " and v[0] not in '=+-@'"  # (a formula's start: the spec says)
                    + (
                        " and '\\n' not in v and '\\r' not in v and '\\t' not in v"
                        if one_line
                        else ""
                    )
                    + (" and v.isascii()" if entry[4].text_rule[3] else "")
                    + f": {x} = v"
                )
            elif mode == _PHONE:
                lines.append(f"    if plain_phone(v): {x} = v")
            else:
                lines.append(
                    f"    if v and plain_mail(v) and (len(v) < {_SCREEN_LENGTH}"
                    f" or screen(v) is None) and (v.isascii() or wide(v) is None): {x} = v"
                )
            if entry[8][0]:  # an empty cell is fine: its value, inline
                env[f"E{k}"] = entry[8][1]
                lines.append(f"    elif not {cell}: {x} = E{k}")
            lines.append(f"    else: {slow}")
        lines.append("    if errors: raise RowError([m for _k, m in sorted(errors)])")
        out = ", ".join(f"x{s}" if s in filled else "None" for s in range(self.width))
        lines.append(f"    return [{out}]")
        exec("\n".join(lines), env)  # our own code, built from the header's columns
        return env["check"]

    def _slow(self, entry: list, position: int, text: str, errors: list | None) -> tuple:
        """A cell the shortcuts did not settle: (value, errors) from the spec's result."""
        hit = self._look(entry, text) if text else entry[8]
        if hit[0]:
            return hit[1], errors
        return None, [*(errors or ()), (position, column_said(entry[2], hit[1]))]

    @staticmethod
    def _compute(entry: list, text: str) -> tuple[bool, Any]:
        spec, name, keep_time, convert = entry[4], entry[5], entry[6], entry[10]
        if keep_time is not None:
            text = spreadsheet_date(text, keep_time=keep_time)
        try:
            value = spec(name, text)
        except ValidationError as exc:
            return False, exc.message
        return True, value if convert is None or value is None else convert(value)

    def _look(self, entry: list, text: str) -> tuple[bool, Any]:
        """The spec's result for a non-empty cell, from the column's memo when it has it
        (a memo stops growing at MAX_CACHE texts)."""
        cache = entry[7]
        hit = cache.get(text)
        if hit is None:
            hit = self._compute(entry, text)
            if len(cache) < self.MAX_CACHE:
                cache[text] = hit
                if hit[0]:
                    entry[11][text] = hit[1]
        return hit

    def __call__(self, cells: list[str]) -> list[Any]:
        """The row's values by slot (None where a column is absent or blank);
        raises RowError with all the row's errors at once, in column order."""
        return self.check(cells)


#: Not in a memo (a value can be None).
_MISSING = object()


class _Validator:
    """RowValidator for the kinds that take a row as {column name: text}; returns buckets."""

    def __init__(self, columns: Mapping[str, Column], headers: Mapping[str, str]) -> None:
        self.columns = columns
        self.headers = headers
        self.keys: tuple[str, ...] | None = None
        self.rows: RowValidator | None = None
        self.layout: list[tuple[tuple[str, str], int]] = []

    def __call__(self, values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """{bucket: {field: value}}; raises RowError with all the row's errors at once."""
        keys = tuple(values)
        if keys != self.keys:  # every row of a file has the same columns: compiled once
            self.keys = keys
            self.rows = RowValidator(enumerate(keys), self.columns, self.headers)
            self.layout = list(self.rows.slots.items())
        got = self.rows(list(values.values()))  # type: ignore[misc]
        out: dict[str, dict[str, Any]] = {}
        for (bucket, name), slot in self.layout:
            into = out.get(bucket)
            if into is None:
                into = out[bucket] = {}
            into[name] = got[slot]
        return out


class AmbiguousCustomer(LookupError):
    """A name that more than one customer has: which one a row means is not known."""

    def __init__(self, codes: list[str]) -> None:
        super().__init__(", ".join(codes))
        self.codes = codes


class CustomerRefs:
    """Customer references by code, exact name or normalised name (existing and just imported)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.by_code: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.by_norm: dict[str, int] = {}
        self.info: dict[int, tuple[str, str]] = {}
        #: names, and name keys, that more than one existing customer has
        self.names_twice: set[str] = set()
        self.norms_twice: set[str] = set()
        self.conn = conn
        for cid, code, name, norm in conn.execute(
            "SELECT id, code, name, name_norm FROM customer ORDER BY id DESC"
        ):
            if name in self.by_name:
                self.names_twice.add(name)
            if norm and norm in self.by_norm:
                self.norms_twice.add(norm)
            self.add(cid, code, name, norm)

    def add(self, cid: int, code: str, name: str, norm: str) -> None:
        self.by_code[code] = cid
        self.by_name[name] = cid
        if norm:
            self.by_norm[norm] = cid
        self.info[cid] = (code, name)

    def find_quietly(self, text: str) -> int | None:
        """:meth:`find`, with a name several customers share naming none of them."""
        try:
            return self.find(text)
        except AmbiguousCustomer:
            return None

    def find(self, text: str) -> int | None:
        """The customer ``text`` names: a code, else an exact name, else a name key;
        raises AmbiguousCustomer when customers share that name (or key)."""
        t = text.strip()
        if not t:
            return None
        cid = self.by_code.get(t if t.isascii() else half_width(t).strip())
        if cid is not None:
            return cid
        if t in self.by_name:
            if t in self.names_twice:
                raise AmbiguousCustomer(self._codes("name = ?", t))
            return self.by_name[t]
        norm = normalise_name(t)
        if norm in self.norms_twice:
            raise AmbiguousCustomer(self._codes("name_norm = ?", norm))
        return self.by_norm.get(norm)

    def _codes(self, where: str, value: str) -> list[str]:
        return [
            code
            for (code,) in self.conn.execute(
                f"SELECT code FROM customer WHERE {where} ORDER BY id LIMIT 4", (value,)
            )
        ]


class Importer:
    columns: Mapping[str, Column] = {}
    #: Every reference this kind writes points at a row it wrote or read in the same
    #: transaction, so SQLite's foreign-key checks (a lookup per reference) are skipped.
    trusted_references = False
    #: Rows are checked in a second process while this one writes them (import_apart):
    #: only for importers whose checks never read the database, with handoff()/accept().
    check_apart = False

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
        self._deals: dict[tuple[int, str], list[tuple[int, str]]] | None = None
        self.line = 0  # (the file's line of the record being imported)

    def take(self, batch: Sequence[tuple[int, list[str]]]) -> None:
        """Import records (line, cells) in order; rejected ones go to ``result.rejected``."""
        width = len(self.table.header)
        for line, cells in batch:
            self.line = line
            try:
                if len(cells) > width:
                    refuse_surplus(cells, width)
                self.row(line, row_values(self.table, cells))
            except RowError as exc:
                self.result.rejected.append(RowNote(line, reasons_text(exc.reasons), cells))

    def validate(self, values: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """The checked fields of a record, {bucket: {field: value}}; raises RowError."""
        if self._validator is None:
            self._validator = _Validator(self.columns, self.headers)
        return self._validator(values)

    def next_id(self, table: str) -> int:
        return (self.conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]) + 1

    def customer_ref(self, values: Mapping[str, str], required: bool = True) -> int | None:
        """The customer a row names: by ``customer_code`` when it has one (exports carry
        both), else by ``customer`` as code, exact name or normalised name.

        A code no customer has is refused, whatever the name beside it: the code says
        the row belongs to a customer the database does not hold (one a customers
        import skipped as a duplicate, say), and a name match would quietly give the
        row to another customer."""
        code = values.get("customer_code", "").strip()
        if code and not code.isascii():  # typed full-width, as the codes' column stores it
            code = half_width(code).strip()
        if code:
            cid = self.customers.by_code.get(code)
            if cid is None:
                header = self.headers.get("customer_code", "customer_code")
                message = _(
                    "no customer has the code “{code}” (a row with a customer code"
                    " is never matched by name)"
                ).format(code=code)
                raise RowError([column_said(header, message)])
            named = values.get("customer", "").strip()
            code_name = self.customers.info[cid][1]
            if (
                named
                and named not in (code, code_name)
                and self.customers.find_quietly(named) != cid
            ):
                # (the code wins, as exports carry both; but a name that says another
                # customer is said, not followed in silence)
                self.result.duplicates.append(
                    RowNote(
                        self.line,
                        _(
                            "customer code “{code}” is “{name}”, not “{named}”: the row went to “{name}”"
                        ).format(code=code, name=code_name, named=named),
                    )
                )
            return cid
        text = values.get("customer", "")
        header = self.headers.get("customer", "customer")
        if not text.strip():
            if required:
                raise RowError([column_said(header, _("Required"))])
            return None
        try:
            cid = self.customers.find(text)
        except AmbiguousCustomer as exc:
            codes = _(", ").join(exc.codes[:3]) + ("…" if len(exc.codes) > 3 else "")
            message = _(
                "more than one customer is named “{name}” ({codes}): give its code instead"
            ).format(name=text.strip(), codes=codes)
            raise RowError([column_said(header, message)]) from None
        if cid is None:
            raise RowError(
                [column_said(header, _("unknown customer “{name}”").format(name=text.strip()))]
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
            raise RowError([column_said(header, _("unknown contact “{name}”").format(name=text))])
        return found

    def opportunity_ref(
        self, customer_id: int | None, values: Mapping[str, str], created: dt.datetime | None
    ) -> int | None:
        """The deal an ``opportunity`` column names, matched by name within the row's
        customer (case-insensitively, as contacts are). A customer may have several deals
        of one name: ``opportunity_created`` (what an export writes beside it) picks the
        one created that minute; without it, or when none was, the first one is taken."""
        text = values.get("opportunity", "").strip()
        if not text:
            return None
        if self._deals is None:
            self._deals = {}
            for deal_id, cid, name, made in self.conn.execute(
                "SELECT id, customer_id, name, substr(created_at, 1, 16) FROM opportunity"
                " ORDER BY id"
            ):
                self._deals.setdefault((cid, name.lower()), []).append((deal_id, made))
        found = self._deals.get((customer_id, text.lower())) if customer_id is not None else None
        if not found:
            header = self.headers.get("opportunity", "opportunity")
            message = _("the row's customer has no opportunity “{name}”").format(name=text)
            raise RowError([column_said(header, message)])
        if created is not None and len(found) > 1:
            minute = created.strftime("%Y-%m-%d %H:%M")
            for deal_id, made in found:
                if made == minute:
                    return deal_id
        return found[0][0]

    def row(self, line: int, values: dict[str, str]) -> None:
        """One record as {column name: text}; raises RowError."""
        raise NotImplementedError

    def flush(self) -> None:
        raise NotImplementedError

    def finish(self) -> None:
        pass


def text_key(text: str | None) -> str:
    """A name, title or subject as the duplicate rules compare it: case and spacing
    aside ("Wang  Wei" is "wang wei"; full-width letters are folded too)."""
    return " ".join(text.split()).casefold() if text else ""


@dataclass(slots=True)
class Candidate:
    """A checked row waiting for its batch's duplicate check (RecordImporter)."""

    line: int
    #: the natural key: rows and records of one key may be the same record
    key: tuple
    #: values that tell records of one key apart: when the row and a record both have
    #: one and they differ, they are not the same record
    tells: tuple
    #: {stored column: value} of what the row says (what it leaves out is not there)
    said: dict[str, Any]
    #: what the importer creates from the row when it is new
    payload: Any


def agree(row: tuple, record: tuple) -> bool:
    """Whether two records of one natural key may be one: no value that tells them apart
    (``Candidate.tells``) is given by both and differs."""
    return all(a is None or b is None or a == b for a, b in zip(row, record, strict=True))


def contact_key(customer_id: int | None, name: str | None) -> tuple:
    """A contact's natural key: its customer and its name, case and spacing aside. Two
    contacts of one key are one person unless their :func:`contact_tells` disagree
    (the import's rule, ContactImporter; a merge of customers folds them by it too)."""
    return (customer_id, text_key(name))


def contact_tells(mobile: str | None, email: str | None) -> tuple:
    """What tells apart two people of one name at one customer: the mobile's digits
    ("138 1234 5678" is 13812345678) and the email, case aside."""
    return (phone_digits(mobile), (email or "").casefold() or None)


class RecordImporter(Importer):
    """An importer whose rows are not imported again when they are a record already
    there: contacts, opportunities, interactions and tasks (their natural keys are in
    their module docstrings).

    ``row()`` checks a row and hands it to ``offer()``; ``flush()`` then settles the
    batch: one query finds the records of the batch's keys (``existing()``, by indexed
    customer ids), each row is matched against those and against this import's own
    new records, in file order; a new row is created (``create()``) and written
    (``write()``), a matched one writes nothing and counts, as a re-imported order
    does: ``unchanged`` when it says nothing the record does not (what it leaves out
    is nothing said), else (``--on-duplicate skip``, the default) skipped with a note
    naming its columns that differ. ``merge`` fills the record's empty fields of
    ``fillable`` from the row (``updated``; other values are kept and named);
    ``create`` imports every row, matching nothing, as before there was a rule."""

    #: the table the records are in
    table_name = ""
    #: stored columns a merge may fill when empty
    fillable: frozenset[str] = frozenset()
    #: stored columns compared to the minute (a file's times have no seconds)
    minute_columns: frozenset[str] = frozenset()
    #: stored columns compared by their digits (phones) / case-insensitively (emails)
    digit_columns: frozenset[str] = frozenset(("phone", "mobile"))
    caseless_columns: frozenset[str] = frozenset(("email",))
    #: stored column → the file column that gives it (for the notes)
    column_of: Mapping[str, str] = {
        "amount_cents": "amount", "contact_id": "contact", "opportunity_id": "opportunity",
    }  # fmt: skip

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.matching = self.opts.get("on_duplicate", "skip") != "create"
        self.action = self.opts.get("on_duplicate", "skip")
        self.waiting: list[Candidate] = []
        #: this import's new records by key: (id, tells, line)
        self.seen: dict[tuple, list[tuple[int, tuple, int]]] = {}
        #: the first id this import gives: existing() reads the records before it
        #: (the import's own are in ``seen``; reading them again would cost a file
        #: of interactions a quadratic time)
        self.first_new = self.next_id(self.table_name)

    def offer(self, line: int, key: tuple, tells: tuple, said: dict, payload: Any) -> None:
        """A checked row, imported or matched when its batch is flushed."""
        said = {k: v for k, v in said.items() if v is not None}
        self.waiting.append(Candidate(line, key, tells, said, payload))

    def rule(self, candidate: Candidate) -> str:
        """What the row and the record it matched have in common, as the notes say it."""
        raise NotImplementedError

    def existing(self, customer_ids: list[int], batch: list[Candidate]) -> Iterable[tuple]:
        """(key, id, tells) of the records that may match the batch's rows (one query),
        of those the database had before the import (id below ``first_new``)."""
        raise NotImplementedError

    def create(self, candidate: Candidate) -> int:
        """Queue a new record from the row; returns its id."""
        raise NotImplementedError

    def write(self) -> None:
        """Write the queued new records."""
        raise NotImplementedError

    def merged(self, record_id: int, candidate: Candidate) -> None:
        """A record a merge filled (the importer's follow-up, such as re-indexing)."""

    @staticmethod
    def as_json(values: Iterable[Any]) -> str:
        return json.dumps(sorted(set(values)))

    def flush(self) -> None:
        batch, self.waiting = self.waiting, []
        if not batch:
            return
        known: dict[tuple, list[tuple[int, tuple]]] = {}
        if self.matching:
            wanted = {c.key for c in batch}
            cids = [c.key[0] for c in batch if c.key[0] is not None]
            for key, rid, tells in self.existing(sorted(set(cids)), batch):
                if key in wanted:
                    known.setdefault(key, []).append((rid, tells))
        matches: list[tuple[Candidate, int, int | None]] = []
        seen = self.seen
        for c in batch:
            if self.matching:
                hit = None
                for rid, tells, line in seen.get(c.key, ()):  # an earlier line of the file
                    if agree(c.tells, tells):
                        hit = (rid, line)
                        break
                if hit is None:
                    rid = next((r for r, t in known.get(c.key, ()) if agree(c.tells, t)), None)
                    if rid is not None:
                        hit = (rid, None)
                if hit is not None:
                    matches.append((c, *hit))
                    continue
            rid = self.create(c)
            if self.matching:
                seen.setdefault(c.key, []).append((rid, c.tells, c.line))
            self.result.imported += 1
        self.write()
        if matches:
            self.settle(matches)

    def settle(self, matches: list[tuple[Candidate, int, int | None]]) -> None:
        """Count (and note, merge) the rows that are a record already there: the
        records' said columns are read in one query."""
        columns = sorted({k for c, _r, _l in matches for k in c.said})
        stored: dict[int, dict[str, Any]] = {}
        if columns:
            for got in self.conn.execute(
                f"SELECT id, {', '.join(columns)} FROM {self.table_name}"
                " WHERE id IN (SELECT value FROM json_each(?))",
                (self.as_json(rid for _c, rid, _l in matches),),
            ):
                stored[got[0]] = dict(zip(columns, got[1:], strict=True))
        result = self.result
        for c, rid, line in matches:
            record = stored.get(rid, {})
            differ: list[str] = []
            fill: dict[str, Any] = {}
            for column, value in c.said.items():
                old = record.get(column)
                if old is None:
                    if column in self.fillable:
                        fill[column] = value
                    else:
                        differ.append(column)
                elif not self.same(column, old, value):
                    differ.append(column)
            if not differ and not fill:
                result.unchanged += 1
                continue
            where = (
                _("already on line {line} ({rule})") if line is not None
                else _("already in the database ({rule})")
            ).format(line=line, rule=self.rule(c))  # fmt: skip
            if self.action == "merge":
                if fill:
                    sets = ", ".join(f"{k} = coalesce({k}, ?)" for k in fill)
                    self.conn.execute(
                        f"UPDATE {self.table_name} SET {sets}, updated_at = ?,"
                        " version = version + 1 WHERE id = ?",
                        (*fill.values(), self.now_text, rid),
                    )
                    self.merged(rid, c)
                    result.updated += 1
                    note = _("{where}; merged, filled: {columns}").format(
                        where=where, columns=self.names(fill)
                    )
                else:
                    result.unchanged += 1
                    note = _("{where}; nothing new to merge").format(where=where)
                if differ:
                    note += _(" (kept as they were: {columns})").format(columns=self.names(differ))
            else:
                result.skipped += 1
                note = _(
                    "{where}; skipped: the file says otherwise in {columns}"
                    " (--on-duplicate merge fills empty fields, create imports it)"
                ).format(where=where, columns=self.names([*differ, *fill]))
            result.duplicates.append(RowNote(c.line, note))

    def same(self, column: str, old: Any, new: Any) -> bool:
        if column in self.minute_columns:
            return str(old)[:16] == str(new)[:16]
        if column in self.digit_columns:
            return phone_digits(str(old)) == phone_digits(str(new))
        if column in self.caseless_columns:
            return str(old).casefold() == str(new).casefold()
        return old == new

    def names(self, columns: Iterable[str]) -> str:
        """Stored columns as the file heads them."""
        out = []
        for column in columns:
            field = self.column_of.get(column, column)
            out.append(self.headers.get(field, field))
        return _(", ").join(out)


#: FTS5 keeps this much new index data in memory before writing a segment (its default is
#: 1 MB): a big load then writes a few large segments instead of merging hundreds of
#: small ones (40 % of the search index's cost for 100,000 customers).
SEARCH_HASH_BYTES = 64 * 1024 * 1024
_SEARCH_HASH_DEFAULT = 1024 * 1024


def grow_search_hash(conn: sqlite3.Connection) -> int | None:
    """Let the search index buffer a big load (inside the transaction); returns the
    setting to give back to restore_search_hash()."""
    row = conn.execute("SELECT v FROM customer_search_config WHERE k = 'hashsize'").fetchone()
    conn.execute(
        "INSERT INTO customer_search(customer_search, rank) VALUES ('hashsize', ?)",
        (SEARCH_HASH_BYTES,),
    )
    return row[0] if row else _SEARCH_HASH_DEFAULT


def restore_search_hash(conn: sqlite3.Connection, previous: int) -> None:
    conn.execute(
        "INSERT INTO customer_search(customer_search, rank) VALUES ('hashsize', ?)", (previous,)
    )


def chunks(ids: list[int], size: int = 500) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


_TOTAL = ORDERS_TOTAL_SQL.format(customer="customer")
_LAST = LAST_ORDER_SQL.format(customer="customer")


def refresh_order_totals(conn, customer_ids: Iterable[int]) -> None:
    """Recompute the derived total_amount_cents / last_order of some customers from their orders."""
    for chunk in chunks(sorted({int(i) for i in customer_ids if i is not None})):
        marks = ",".join("?" * len(chunk))
        conn.execute(
            f"UPDATE customer SET total_amount_cents = {_TOTAL}, last_order = {_LAST}"
            f" WHERE id IN ({marks})",
            chunk,
        )
