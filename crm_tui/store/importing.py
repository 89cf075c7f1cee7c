"""CSV import of every kind: row validation with the store's field specs, dedupe, one bulk transaction.

The whole file is imported in one transaction on a standard-library connection
(``BEGIN IMMEDIATE`` … ``COMMIT``); rows are validated and written in chunks with
``executemany`` and explicit ids, so 100,000 rows take seconds and a crash or kill
leaves the database as it was. A big customers file is checked in a second process
while this one writes (``import_apart``). ``--dry-run`` runs everything and rolls back, so its
report is exactly what a real import would do. The kinds live in ``import_customers``
and ``import_records``; the shared machinery in ``import_common``.
"""

from __future__ import annotations

import csv
import datetime as dt
import gc
import sqlite3
import time
from codecs import BOM_UTF8
from collections.abc import Callable, Mapping
from contextlib import closing
from pathlib import Path

from crm_tui.csvio import write_csv
from crm_tui.csvread import SURE_ENCODINGS, Unreadable, is_reason, read_table
from crm_tui.i18n import _, clauses, os_problem
from crm_tui.store import sqlite as sq
from crm_tui.store.import_apart import batches
from crm_tui.store.import_common import (
    AlreadyImported,
    Importer,
    ImportRefused,
    ImportResult,
    RowNote,
    refresh_order_totals,
    spreadsheet_date,
    stamp,
)
from crm_tui.store.import_customers import ContactImporter, CustomerImporter
from crm_tui.store.import_records import (
    INTERACTION_FIELDS,
    OPPORTUNITY_FIELDS,
    ORDER_FIELDS,
    TASK_FIELDS,
    InteractionImporter,
    OpportunityImporter,
    OrderImporter,
    TaskImporter,
)

__all__ = [
    "CHUNK", "DUPLICATE_ACTIONS", "INTERACTION_FIELDS", "KINDS", "OPPORTUNITY_FIELDS",
    "ORDER_FIELDS", "TASK_FIELDS", "AlreadyImported", "ImportRefused", "ImportResult", "RowNote", "import_file",
    "previous_import", "refresh_order_totals", "rejected_path_for", "spreadsheet_date",
    "summary_lines", "write_rejected",
]  # fmt: skip

KINDS = ("customers", "contacts", "opportunities", "interactions", "tasks", "orders")
DUPLICATE_ACTIONS = ("skip", "merge", "create")
#: An encoding as the summary names it (else by its codec's name: cp1252 …).
ENCODING_NAMES = {"utf-8-sig": "UTF-8", "gb18030": "GB18030", "cp950": "Big5"}
CHUNK = 5000
#: Files with at least this many lines load through a rollback journal (sqlite.rollback_journal)
#: when no other connection has the database open.
BULK_JOURNAL_ROWS = 20_000

_IMPORTERS: dict[str, type[Importer]] = {
    "customers": CustomerImporter,
    "contacts": ContactImporter,
    "opportunities": OpportunityImporter,
    "interactions": InteractionImporter,
    "tasks": TaskImporter,
    "orders": OrderImporter,
}


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
    """Rejected rows with their original values plus ``reason`` (UTF-8 with BOM, comma).

    A row with more values than the header keeps them all, under columns named
    ``extra_1``, ``extra_2`` … (an import of the fixed file reports any left there as
    unknown columns), so that ``reason`` stays the last column and nothing is lost. A
    ``reason`` column of the file (a rejected file imported again) is replaced, not repeated.
    Each reason starts with the row's line in the imported file ("line 12: …", as the
    summary says it), to find it there too."""
    target = path or rejected_path_for(result.file)
    old = {i for i, cell in enumerate(result.header) if is_reason(cell)}
    cells = [
        [_inert(c) for i, c in enumerate(_original_cells(note.cells)) if i not in old]
        for note in result.rejected
    ]
    kept = [cell for i, cell in enumerate(result.header) if i not in old]
    width = len(kept)
    extra = max([width, *map(len, cells)]) - width
    header = [*kept, *(f"extra_{n}" for n in range(1, extra + 1)), "reason"]
    rows = (
        [*row, *[""] * (width + extra - len(row)), _line_said(note.line, note.message)]
        for row, note in zip(cells, result.rejected, strict=True)
    )
    write_csv(rows, header, target)
    return target


def _inert(cell: str) -> str:
    """A cell as the rejected file keeps it, with a quote before one that starts as a
    spreadsheet formula (refused for that): the rep opens this file in Excel to mend the
    rows, and it ran them."""
    from crm_tui.store.validation import FORMULA_MARKS, FORMULA_START

    if cell and cell[0] in FORMULA_MARKS and FORMULA_START.match(cell):
        return "'" + cell
    return cell


def written_as_rejected(path: Path) -> bool:
    """Whether ``path`` looks like a file write_rejected() wrote: UTF-8 with a BOM and a
    header ending in ``reason`` (a file of the user's own of that name is left alone)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return False
    if not head.startswith(BOM_UTF8):
        return False
    first = head[len(BOM_UTF8) :].split(b"\n", 1)[0].decode("utf-8", "replace")
    cells = next(csv.reader([first.rstrip("\r")]), [])
    return bool(cells) and is_reason(cells[-1])


def remove_stale_rejected(result: ImportResult) -> None:
    """After an import of FILE that rejected nothing, the FILE.rejected.csv an earlier
    import of it left: removed (a script finding it would think rows were rejected
    still), or, when it cannot be, said so (``result.stale_rejected``)."""
    target = rejected_path_for(result.file)
    if not target.is_file() or target.is_symlink() or not written_as_rejected(target):
        return
    try:
        target.unlink()
    except OSError as exc:
        result.stale_rejected = (target, os_problem(exc))
        return
    result.stale_rejected = (target, None)


def _line_said(line: int, message: str) -> str:
    return _("line {line}: {message}").format(line=line, message=message)


def _original_cells(cells: list[str]) -> list[str]:
    """A rejected record's cells as the file has them: without the reason an unreadable
    record carries (csvread.Unreadable) and the blank cells padding it to the header."""
    if cells and cells[-1].__class__ is Unreadable:
        cells = cells[:-1]
        while cells and not cells[-1]:
            cells = cells[:-1]
    return list(cells)


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
    started_at = (now or dt.datetime.now()).replace(microsecond=0)
    importer_class = _IMPORTERS[kind]
    conn = sq.connect(db_path)
    conn.isolation_level = None
    # a big transaction keeps its pages in memory instead of spilling them to the WAL and
    # reading them back (100,000 customers dirty about 110 MB); only what is used is allocated
    conn.execute("PRAGMA cache_size = -262144")
    if importer_class.trusted_references:
        conn.execute("PRAGMA foreign_keys = OFF")  # set before the transaction, or ignored
    # a big file's pages are written once, not into the WAL and again by the checkpoint
    journal = sq.rollback_journal(conn) if table.count_lines() >= BULK_JOURNAL_ROWS else None
    # The rows become hundreds of thousands of small tuples, none of them in a cycle: the
    # cyclic collector would only re-scan them, again and again, as they pile up.
    collecting = gc.isenabled()
    gc.disable()
    try:
        with sq.fast_null_binding():
            conn.execute("BEGIN IMMEDIATE")
            try:
                before = previous_import(conn, table.sha256)
                if before and not again:
                    earlier = Path(before[1]).name
                    if earlier == path.name:
                        message = _("{file} was already imported ({kind}, {when})")
                    else:  # the same content under another name
                        message = _(
                            "{file} holds the same rows as {earlier}, already imported"
                            " ({kind}, {when})"
                        )
                    raise AlreadyImported(
                        message.format(
                            file=path.name,
                            earlier=earlier,
                            kind=_(before[0].capitalize()),  # the import dialog's name of it
                            when=before[2][:16],
                        )
                    )
                opts = {
                    "on_duplicate": on_duplicate,
                    "owner": owner,
                    "probabilities": probabilities,
                    "now": started_at,
                }
                importer = importer_class(conn, table, result, opts)
                total = table.count_lines()
                done = 0
                checked = batches(importer, table.records(), CHUNK, apart=importer.check_apart)
                with closing(checked):  # whatever happens: a child process is stopped
                    for count, last_line in checked:
                        result.rows_in += count
                        importer.flush()
                        done = last_line - table.header_line
                        if progress:
                            progress(done, total)
                importer.finish()
                result.unheaded_columns = sorted(i + 1 for i in table.filled)
                if progress and done != total:  # (blank lines at the end)
                    progress(total, total)
                commit = not dry_run and not (strict and result.rejected)
                # only a file that changed something is refused next time: one whose rows
                # were all rejected (or skipped), or a header alone, may be brought again
                if commit and (result.imported or result.updated):
                    conn.execute(
                        "INSERT INTO import_log (kind, file_name, sha256, imported_at, rows_in,"
                        " rows_rejected) VALUES (?, ?, ?, ?, ?, ?)",
                        (kind, str(path.resolve()), table.sha256, stamp(started_at), result.rows_in,
                         len(result.rejected)),
                    )  # fmt: skip
                if commit:
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
        if collecting:
            gc.enable()
        try:
            if journal is not None:
                sq.restore_journal(conn, journal)
        finally:
            conn.close()
    if result.rejected and write_rejected_file and not dry_run:
        # the good rows are in: a folder that refuses the file must not turn that into a
        # crash (the summary lists every rejected row instead)
        try:
            result.rejected_path = write_rejected(result)
        except OSError as exc:
            result.rejected_error = (rejected_path_for(result.file), os_problem(exc))
    elif write_rejected_file and not dry_run:
        remove_stale_rejected(result)
    result.seconds = time.perf_counter() - started
    return result


def summary_counts(result: ImportResult) -> str:
    """The summary's line of counts: imported (or would be), updated, unchanged,
    skipped, rejected."""
    if result.committed:
        verb = _("imported {n}").format(n=result.imported)
    elif result.strict and result.rejected:  # a dry run says what the real run would do
        verb = (
            _(
                "dry run, nothing changed: nothing would be imported (--strict and some rows"
                " are bad); {n} rows were good"
            )
            if result.dry_run
            else _("nothing imported (--strict and some rows are bad); {n} rows were good")
        ).format(n=result.imported)
    else:
        verb = _("dry run, nothing changed: would import {n}").format(n=result.imported)
    counts = [verb]
    if result.updated:
        counts.append(_("updated {n}").format(n=result.updated))
    if result.unchanged:
        counts.append(_("{n} unchanged").format(n=result.unchanged))
    if result.skipped:
        counts.append(_("skipped {n} duplicates").format(n=result.skipped))
    counts.append(_("rejected {n}").format(n=len(result.rejected)))
    return clauses(counts)


def summary_lines(result: ImportResult, max_lines: int = 20) -> list[str]:
    """The human summary of an import: counts, unknown columns, then line-numbered notes."""
    head = (
        _("{file}: {rows} data row ({encoding}, “{delimiter}”)")
        if result.rows_in == 1
        else _("{file}: {rows} data rows ({encoding}, “{delimiter}”)")
    ).format(
        file=result.file.name,
        rows=result.rows_in,
        encoding=ENCODING_NAMES.get(result.encoding, result.encoding),
        delimiter={"\t": "tab"}.get(result.delimiter, result.delimiter),
    )
    lines = [head]
    if result.encoding == "cp950":
        lines.append(
            _(
                "the file is neither UTF-8 nor GB18030: it reads as Big5 (Traditional"
                " Chinese), which is a guess; check its characters, or save it as UTF-8 CSV"
            )
        )
    elif result.encoding and result.encoding not in SURE_ENCODINGS:
        lines.append(
            _(
                "the file is neither UTF-8 nor GB18030: its encoding {encoding} is a guess;"
                " check accented letters, or save it as UTF-8 CSV"
            ).format(encoding=result.encoding)
        )
    if result.unknown_columns:
        lines.append(
            _("unknown columns ignored: {columns}").format(
                columns=", ".join(result.unknown_columns)
            )
        )
    if result.unheaded_columns:
        numbers = _(", ").join(map(str, result.unheaded_columns))
        lines.append(
            (
                _("column {columns} has no heading: its values are ignored")
                if len(result.unheaded_columns) == 1
                else _("columns {columns} have no heading: their values are ignored")
            ).format(columns=numbers)
        )
    lines.append(summary_counts(result))
    if result.next_steps_kept:
        lines.append(
            (
                _(
                    "1 row has a next step: kept on the interaction; an import makes no"
                    " follow-up task (import tasks from their own file, or add one with t)"
                )
                if result.next_steps_kept == 1
                else _(
                    "{n} rows have a next step: kept on the interaction; an import makes no"
                    " follow-up task (import tasks from their own file, or add one with t)"
                )
            ).format(n=result.next_steps_kept)
        )
    notes = sorted(
        [(n.line, n.message) for n in result.rejected]
        + [(n.line, n.message) for n in result.duplicates]
    )
    if result.rejected_error:  # the rejected rows are nowhere else: all of them
        max_lines = len(notes)
    for line, message in notes[:max_lines]:
        lines.append(_line_said(line, message))
    if len(notes) > max_lines:
        lines.append(_("… and {n} more").format(n=len(notes) - max_lines))
    if result.rejected_path:
        lines.append(_("rejected rows written to {path}").format(path=result.rejected_path))
    if result.stale_rejected:
        path, problem = result.stale_rejected
        lines.append(
            _("no row was rejected: removed the earlier {path}").format(path=path)
            if problem is None
            else _(
                "no row was rejected, but the earlier {path} could not be removed ({problem})"
            ).format(path=path, problem=problem)
        )
    if result.rejected_error:
        path, problem = result.rejected_error
        lines.append(
            _(
                "could not write the rejected rows to {path} ({problem}); they are listed above"
            ).format(path=path, problem=problem)
        )
    return lines
