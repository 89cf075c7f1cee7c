"""Everything that is SQLite-only: file creation, pragmas, the FTS5 search index, backup, checks.

A PostgreSQL backend for teams would replace this module and keep the store
functions that call it. Imports only the standard library so that the
first frame and headless commands do not pay for the ORM.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

BUSY_TIMEOUT_MS = 5000
SQLITE_HEADER = b"SQLite format 3\x00"

#: A phone's digits as SQL: the expression of the ix_contact_*_digits indexes (migration
#: 0009), which queries must repeat exactly to use them. Phones already made of ASCII
#: digits are taken as they are, without the six replace() calls.
DIGITS = (
    "CASE WHEN {col} GLOB '*[^0-9]*' THEN replace(replace(replace(replace(replace(replace("
    "{col}, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', '') ELSE {col} END"
)
#: A phone typed with separators ("+86 138-0013-8000") is searchable by its digits
#: too: they follow it in the search row (import_customers builds the same text).
_ALSO_DIGITS = (
    "CASE WHEN {col} GLOB '*[^0-9]*' THEN ' ' || replace(replace(replace(replace(replace("
    "replace({col}, ' ', ''), '-', ''), '(', ''), ')', ''), '+', ''), '.', '') ELSE '' END"
)

#: One search row per customer: its own fields plus its contacts' names, phones and emails.
#: A customer's figures derived from its orders (``{customer}``: the customer row's name
#: in the statement): every refresh of them and `crm check` read the same rule.
ORDERS_TOTAL_SQL = (
    "(SELECT coalesce(sum(amount_cents), 0) FROM sales_order WHERE customer_id = {customer}.id)"
)
#: (an order date that is no date, such as a damaged file's "2026-13-45", is no
#: customer's last order: `crm check` reports it, and --repair does not copy it)
LAST_ORDER_SQL = (
    "(SELECT max(order_date) FROM sales_order"
    " WHERE customer_id = {customer}.id AND date(order_date) IS order_date)"
)

SEARCH_ROWS_SQL = f"""
SELECT c.id, c.name, c.code,
       (SELECT group_concat(name, ' ') FROM contact WHERE customer_id = c.id),
       (SELECT group_concat(coalesce(mobile, '') || ' ' || coalesce(phone, '')
                            || {_ALSO_DIGITS.format(col="mobile")}
                            || {_ALSO_DIGITS.format(col="phone")}, ' ')
          FROM contact WHERE customer_id = c.id),
       (SELECT group_concat(email, ' ') FROM contact WHERE customer_id = c.id),
       (SELECT group_concat(t.name, ' ') FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id
         WHERE ct.customer_id = c.id)
FROM customer c
"""


def sqlite_error_in(exc: BaseException | None) -> sqlite3.Error | None:
    """The SQLite error ``exc`` is or wraps, or None. Looks through the wrappers it may
    come in: SQLAlchemy's ``orig``, a failed worker's ``error``, a chained cause."""
    for _depth in range(5):
        if exc is None:
            return None
        if getattr(exc, "sqlite_errorcode", None) is not None:
            return exc  # type: ignore[return-value]
        inner = getattr(exc, "orig", None) or getattr(exc, "error", None) or exc.__cause__
        exc = inner if isinstance(inner, BaseException) else None
    return None


def damage_in(exc: BaseException | None) -> BaseException | None:
    """The SQLite error in ``exc`` that says the database file itself is damaged
    (SQLITE_CORRUPT or SQLITE_NOTADB), or None."""
    error = sqlite_error_in(exc)
    if error is not None and error.sqlite_errorcode & 0xFF in (  # an extended code's primary
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    ):
        return error
    return None


#: Primary codes that say the file, or the journal SQLite keeps beside it, could not be
#: opened or written: the permissions of the file or its folder, not damage.
_CANNOT_OPEN = (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM)


def cannot_open_in(exc: BaseException | None) -> BaseException | None:
    """The SQLite error in ``exc`` that says the file or its journal could not be opened or
    written (SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM), or None. Restoring a backup
    over such a file would not help: its folder's permissions would."""
    error = sqlite_error_in(exc)
    if error is not None and error.sqlite_errorcode & 0xFF in _CANNOT_OPEN:
        return error
    return None


def plain_problem(exc: BaseException) -> str:
    """Why a write failed, in words for the rep. SQLAlchemy's text of an error quotes the
    statement and its values (the rep's data, in SQL): only SQLite's own message is kept,
    and a busy, full, read-only or failing disk says what it means."""
    from crm_tui.i18n import _

    error = sqlite_error_in(exc)
    if error is None:
        return str(exc)
    code = error.sqlite_errorcode & 0xFF
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return _(
            "another program is writing to the database (an import or a restore from the"
            " command line?); nothing was saved: try again in a moment"
        )
    if code == sqlite3.SQLITE_FULL:
        return _("the disk is full; nothing was saved: free some space and try again")
    if code in _CANNOT_OPEN:  # (a folder it may not write: the journal cannot be made)
        return _("the database file cannot be written (read-only?); nothing was saved")
    if code == sqlite3.SQLITE_IOERR:
        return _("the disk failed to write ({problem}); nothing was saved").format(problem=error)
    return str(error)


def escape_like(text: str) -> str:
    """``text`` for a LIKE pattern with ``ESCAPE '\\'``: its % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_SEPARATORS = str.maketrans("", "", " -()+.")


def search_phones(mobile: str | None, phone: str | None) -> str:
    """One contact's phones in a search row, as SEARCH_ROWS_SQL builds them."""
    text = f"{mobile or ''} {phone or ''}"
    for number in (mobile, phone):
        if number and not (number.isascii() and number.isdigit()):
            text += " " + number.translate(_SEPARATORS)
    return text


#: The files SQLite keeps beside a database (write-ahead log, its index, rollback journal).
COMPANION_SUFFIXES = ("-wal", "-shm", "-journal")


def is_database_file(path: Path | str, db_path: Path | str) -> bool:
    """Whether writing ``path`` would overwrite the database ``db_path`` or one of its
    companion files; compared as files (a symbolic or hard link to it is it too)."""
    path, db_path = Path(path), Path(db_path)
    for own in (db_path, *(db_path.with_name(db_path.name + s) for s in COMPANION_SUFFIXES)):
        try:
            if os.path.samefile(path, own):
                return True
        except OSError:  # one of them does not exist (yet): by the path it would be written at
            if path.expanduser().resolve() == own.expanduser().resolve():
                return True
    return False


def ensure_file(path: Path) -> None:
    """Create the database file (mode 0600) and its folder if missing.

    An existing file is never opened here: closing any descriptor of a database file
    drops every POSIX lock this process holds on it, including SQLite's ("How To
    Corrupt An SQLite Database File", 2.2). SQLite itself reports a file that is not
    a database when it is first read.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)


#: Page size of new files (existing ones keep theirs). Twice SQLite's default: a bulk
#: import writes, and a full scan reads, half as many pages (a system call each).
PAGE_SIZE = 8192


def apply_pragmas(conn: sqlite3.Connection) -> None:
    """WAL for concurrent readers, foreign keys enforced, and a busy timeout for a second writer."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if mode != "wal":
        if conn.execute("PRAGMA page_count").fetchone()[0] == 0:  # a new file
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


#: Memory-mapped reads for one-shot commands that visit thousands of scattered pages
#: (`crm due` joins every due task to its customer): no read() call per page. Not
#: used by the long-running app, whose resident memory would count every mapped page.
SCAN_MMAP_BYTES = 1 << 30


def existing_file_uri(path: Path | str) -> str:
    """A URI that opens ``path`` for reading and writing but never creates it: a database
    removed while the app runs (its folder too) must not come back empty from the next
    connection, which SQLite would otherwise create (SQLITE_CANTOPEN instead)."""
    return Path(path).absolute().as_uri() + "?mode=rw"


def connect(
    path: Path | str, *, readonly: bool = False, mmap: bool = False, create: bool = True
) -> sqlite3.Connection:
    """A standard-library connection with the store's pragmas (autocommit off, rows by name).
    ``create=False``: a missing file is an error (see :func:`existing_file_uri`)."""
    if readonly:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    else:
        if create:
            conn = sqlite3.connect(path, check_same_thread=False)
        else:
            conn = sqlite3.connect(existing_file_uri(path), uri=True, check_same_thread=False)
        apply_pragmas(conn)
    if mmap:
        conn.execute(f"PRAGMA mmap_size = {SCAN_MMAP_BYTES}")
    conn.row_factory = sqlite3.Row
    return conn


def make_engine(path: Path | str):
    """A SQLAlchemy engine on the file with the same pragmas on every connection; it never
    creates the file (see :func:`existing_file_uri`)."""
    from sqlalchemy import create_engine, event

    uri = existing_file_uri(path)
    engine = create_engine(
        "sqlite://",
        creator=lambda: sqlite3.connect(
            uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        ),
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        # Let SQLAlchemy own transactions (the pysqlite default BEGIN is deferred and late).
        dbapi_conn.isolation_level = None
        apply_pragmas(dbapi_conn)

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


# --- full-text search -------------------------------------------------------


def reindex_customers(conn, customer_ids: Iterable[int]) -> None:
    """Refresh the search rows of some customers (call inside the writing transaction).

    ``conn`` is a DB-API connection or cursor (``execute`` with qmark parameters).
    """
    ids = sorted({int(i) for i in customer_ids if i is not None})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        conn.execute(f"DELETE FROM customer_search WHERE rowid IN ({marks})", chunk)
        conn.execute(
            "INSERT INTO customer_search(rowid, name, code, contacts, phones, emails, tags) "
            f"{SEARCH_ROWS_SQL} WHERE c.id IN ({marks})",
            chunk,
        )


def settle_key_contacts(conn, customer_ids: Iterable[int], *, fill: bool = True) -> None:
    """Keep customers' primary contact and decision maker pointing at contacts they have.

    No screen picks them: the first contact is primary, the first decision maker is the
    decision maker. So when the primary contact goes (deleted, or moved back by undoing
    a merge) the next one takes over, and a contact given the decision-maker role
    becomes it when there is none (or the one recorded no longer has that role).
    ``conn`` is a DB-API connection or cursor, inside the writing transaction.
    ``fill=False`` only repairs links to contacts the customer does not have (empty
    links stay empty: undoing a merge restores them as they were).
    """
    empty = "{column} IS NULL OR " if fill else ""
    ids = sorted({int(i) for i in customer_ids if i is not None})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for column, condition in (
            ("primary_contact_id", ""),
            ("decision_maker_id", " AND role = 'decision_maker'"),
        ):
            conn.execute(
                f"UPDATE customer SET {column} = (SELECT min(id) FROM contact"
                f" WHERE customer_id = customer.id{condition})"
                f" WHERE id IN ({marks}) AND ({empty.format(column=column)}{column} NOT IN"
                f" (SELECT id FROM contact WHERE customer_id = customer.id{condition}))",
                chunk,
            )


def rebuild_search_index(conn) -> None:
    """Rebuild the whole search index (after bulk loads)."""
    conn.execute("DELETE FROM customer_search")
    conn.execute(
        f"INSERT INTO customer_search(rowid, name, code, contacts, phones, emails, tags) {SEARCH_ROWS_SQL}"
    )


def search_match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression for the query's words of three or more characters, or
    None when it has none.

    Each such word must occur somewhere; words are quoted so punctuation cannot break
    the query syntax. Trigrams need three characters: the caller checks the
    :func:`short_words` its own way, so that every word of a query narrows it.
    """
    words = [w for w in search_words(query) if len(w) >= 3]
    if not words:
        return None
    return " AND ".join('"' + w.replace('"', '""') + '"' for w in words)


def short_words(query: str) -> list[str]:
    """The query's words that are too short for the trigram index (one or two characters)."""
    return [w for w in search_words(query) if len(w) < 3]


#: Punctuation a word typed or pasted into a search may end or start with ("acme,").
_WORD_EDGES = ",;:，；：、。"
#: A phone number written with separators (135-2492-6014, (021)6234.5678, +86-135…).
_PHONE_LIKE = re.compile(r"\+?\(?\d[\d()+.-]*\d\)?")


def search_words(query: str) -> list[str]:
    """The words of a search as the index holds them: without punctuation around them,
    and a phone number written with separators as its digits (the index keeps each
    number's digits as well as how it was typed)."""
    words = []
    for word in query.split():
        word = word.strip(_WORD_EDGES)
        if _PHONE_LIKE.fullmatch(word) and not word.isdigit():
            word = word.translate(_SEPARATORS)
        if word:
            words.append(word)
    return words


# --- bulk loads ---------------------------------------------------------------


def drop_secondary_indexes(conn, tables: Iterable[str]) -> list[str]:
    """Drop the explicit indexes of ``tables`` before a bulk load; returns their DDL.

    Call inside the loading transaction (a rollback brings them back) and recreate
    them with :func:`recreate_indexes`: building an index once from sorted data is
    much cheaper than keeping it current through a million random inserts.
    Unique constraints (automatic indexes) stay, so they are still enforced.
    """
    names = sorted(set(tables))
    marks = ",".join("?" * len(names))
    found = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        f" AND tbl_name IN ({marks}) ORDER BY name",
        names,
    ).fetchall()
    for name, _sql in found:
        conn.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def recreate_indexes(conn, ddls: Iterable[str]) -> None:
    for sql in ddls:
        conn.execute(sql)


def rollback_journal(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """Load a WAL database through a rollback journal when no other connection has it open.

    In WAL mode every page of a big load is written twice, into the WAL and then by the
    checkpoint into the database (about 1.8 GB for 100k customers). A rollback journal
    holds only the original content of changed pages, next to nothing for an empty
    database, so each page is written once (`crm demo` at 100k: ~2 s less CPU and half
    the writes; `crm import` of 100k customers: ~0.25 s less CPU and no checkpoint).
    The transaction stays atomic (a crash leaves a hot journal that the next opening
    rolls back), but readers that connect during the load wait instead of reading the
    old state, so this is only done for bulk loads, never while another connection is
    open (the switch would need to wait: it is tried without waiting and skipped), and
    ``synchronous`` is FULL meanwhile (NORMAL is only crash-safe in WAL mode).
    Returns the (busy_timeout, synchronous) to restore, or None if nothing changed.
    """
    (mode,) = conn.execute("PRAGMA journal_mode").fetchone()
    if str(mode).lower() != "wal":
        return None
    (timeout,) = conn.execute("PRAGMA busy_timeout").fetchone()
    (synchronous,) = conn.execute("PRAGMA synchronous").fetchone()
    conn.execute("PRAGMA busy_timeout = 0")
    try:
        (mode,) = conn.execute("PRAGMA journal_mode = TRUNCATE").fetchone()
    except sqlite3.OperationalError:  # another connection has the database open
        mode = "wal"
    if str(mode).lower() != "truncate":
        conn.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        return None
    conn.execute("PRAGMA synchronous = FULL")
    return int(timeout), int(synchronous)


def restore_journal(conn: sqlite3.Connection, saved: tuple[int, int]) -> None:
    """Back to WAL after :func:`rollback_journal` (waiting for readers that came meanwhile)."""
    timeout, synchronous = saved
    conn.execute(f"PRAGMA busy_timeout = {timeout}")
    # if still busy, the next connection the app opens switches it back (apply_pragmas)
    with suppress(sqlite3.OperationalError):
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"PRAGMA synchronous = {synchronous}")


@contextmanager
def fast_null_binding() -> Iterator[None]:
    """Bind ``None`` without the adaptation lookups CPython 3.11 does for every NULL parameter.

    Those lookups raise and clear two AttributeErrors per None (about 1 µs each); an
    identity adapter written in C (``{}.get`` returns None for None) makes NULLs as
    cheap as other values. The registry is process-wide, so the previous entry is put back.
    """
    key = (type(None), sqlite3.PrepareProtocol)
    previous = sqlite3.adapters.get(key)
    sqlite3.adapters[key] = {}.get
    try:
        yield
    finally:
        if previous is None:
            sqlite3.adapters.pop(key, None)
        else:
            sqlite3.adapters[key] = previous


# --- backup and checks ------------------------------------------------------


def backup(source: Path | str, target: Path | str) -> None:
    """Consistent online copy with SQLite's backup API (safe while others write)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    fd = os.open(target, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    src = sqlite3.connect(source)
    src.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode = DELETE")
    finally:
        dst.close()
        src.close()


def integrity_problems(conn: sqlite3.Connection, *, quick: bool = False) -> list[str]:
    """What ``PRAGMA integrity_check`` (``quick``: the much cheaper ``quick_check``) finds.

    Empty when healthy; never raises. On some damage integrity_check stops with
    "database disk image is malformed" instead of listing rows: then what quick_check
    can still name (such as the broken page) is reported, else that message.
    """
    problems: list[str] = []
    try:
        for (row,) in conn.execute("PRAGMA quick_check" if quick else "PRAGMA integrity_check"):
            problems += [
                line
                for line in str(row).splitlines()
                if line not in ("ok", "*** in database main ***")
            ]
    except sqlite3.DatabaseError as exc:
        named = [] if quick else integrity_problems(conn, quick=True)
        problems += named or [str(exc)]
    return list(dict.fromkeys(problems))  # without repeats, in order


def foreign_key_problems(conn: sqlite3.Connection) -> list[str]:
    """Rows whose reference points nowhere (``PRAGMA foreign_key_check``); empty when none."""
    try:
        from crm_tui.i18n import _

        return [
            _("{table} row {rowid} points to a missing {parent}").format(
                table=table, rowid=rowid, parent=parent
            )
            for table, rowid, parent, _fkid in conn.execute("PRAGMA foreign_key_check")
        ]
    except sqlite3.DatabaseError as exc:  # a damaged file
        return [f"foreign key: {exc}"]


def check(conn: sqlite3.Connection) -> list[str]:
    """Problems found by integrity_check and foreign_key_check; empty when healthy."""
    return [f"integrity: {p}" for p in integrity_problems(conn)] + foreign_key_problems(conn)


@contextmanager
def immediate_transaction(conn: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` on a connection in autocommit mode
    (``isolation_level = None``): the write lock taken at once, and all of it or, on
    any error or interrupt, none of it."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
