"""A bulk customers import checks its rows in a forked child while the parent writes them:
the outcome is exactly that of checking them in-process, and a child that fails or dies
leaves the database as it was."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from pathlib import Path

import pytest

from crm_tui.csvread import CsvError
from crm_tui.store import import_apart, import_customers, importing
from crm_tui.store.import_customers import CustomerImporter
from crm_tui.store.importing import ImportRefused, import_file
from crm_tui.store.name_order import name_sort_key
from tests.test_import import rows, snapshot

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")

FILE = (
    "name,code,contact_name,contact_phone,contact_email,tags,level\n"
    "Alpha Trading,,Ann Lee,13800138000,ann@alpha.com,vip;east,A\n"
    "Beta Works,B1,,,,,\n"
    "ALPHA TRADING,,Al Bo,13900139000,,高潜力,B\n"  # duplicate name
    "Gamma,B1,Gus,,gus@x.com,x,C\n"  # duplicate code
    "Delta,,Dee,,not-an-email,,Z\n"  # two bad cells
    "Epsilon 有限公司,,,010-6552 1234,,,\n"
    "Zeta,,Zed,,ann@ALPHA.com,,\n"  # duplicate email
    "Eta,,,,,,A\n"
)


@pytest.fixture
def bulk(monkeypatch):
    """Small files take the bulk path, in batches of three records (a child's first: two)."""
    monkeypatch.setattr(import_customers, "BULK_INDEX_ROWS", 2)
    monkeypatch.setattr(importing, "CHUNK", 3)
    monkeypatch.setattr(import_apart, "FIRST_BATCH", 2)


@pytest.fixture
def forks(monkeypatch) -> list[int]:
    """The forks taken (counted in the parent, before the fork)."""
    taken: list[int] = []
    # a thread another test left behind would keep the import in-process
    monkeypatch.setattr(import_apart, "_threads", lambda: 1)
    real = os.fork

    def fork() -> int:
        taken.append(1)
        return real()

    monkeypatch.setattr(import_apart.os, "fork", fork)
    return taken


@pytest.mark.parametrize("action", ["skip", "create"])
def test_checked_in_a_child_is_the_same_as_checked_here(
    db, tmp_path, bulk, forks, monkeypatch, action
):
    f = tmp_path / "c.csv"
    f.write_text(FILE, "utf-8")
    copy = tmp_path / "copy.db"
    shutil.copyfile(db.path, copy)

    def run(target: Path) -> tuple:
        progress: list[tuple[int, int]] = []
        result = import_file(
            target, "customers", f, on_duplicate=action, progress=lambda *p: progress.append(p),
            now=NOW,  # one clock: the two runs may straddle a second
        )  # fmt: skip
        notes = [(n.line, n.message, n.cells) for n in result.rejected + result.duplicates]
        counts = (result.rows_in, result.imported, result.skipped, result.committed)
        return notes, counts, progress

    apart = run(db.path)
    assert len(forks) == 1
    monkeypatch.setattr(import_apart, "can_fork", lambda: False)
    here = run(copy)
    assert len(forks) == 1
    assert apart == here
    assert snapshot(db.path) == snapshot(copy)
    keys = rows(db.path, "SELECT name, name_sort FROM customer")
    assert keys and all(key == name_sort_key(name) for name, key in keys)  # (listed by name)
    notes, counts, progress = apart
    assert counts == {"skip": (8, 4, 3, True), "create": (8, 7, 0, True)}[action]
    assert notes[0][:2] == (
        6,
        "contact_email: Not an email address: “not-an-email”; "
        "level: Unknown value “Z” (one of: A, B, C, D)",
    )
    # after each batch, every row once
    assert progress == [(2, 8), (5, 8), (8, 8)]


def test_a_value_under_no_heading_found_in_a_child_is_reported(db, tmp_path, bulk, forks):
    """The child reads the records: the columns of a blank heading it finds values in
    come back with its batches (a value on the last line, checked there)."""
    f = tmp_path / "c.csv"
    f.write_text("name,,level,\n" + "".join(f"C{n},,A,\n" for n in range(9)) + "Z,,B,x\n", "utf-8")
    result = import_file(db.path, "customers", f, now=NOW)
    assert len(forks) == 1
    assert result.imported == 10 and result.unheaded_columns == [4]


NOW = dt.datetime(2026, 11, 23, 9, 30)
MALFORMED = (
    "name,code,industry\n"
    "Granite Cloud Ltd.,K1,finance\n"
    "Extra Co,,retail,one,two\n"  # values beyond the header
    '"Stray quote Co,,retail\n'  # a quote never closed before line 7
    "Granite Cloud LLC,K2,retail\n"  # a look-alike with a code of its own: created
    "Plain Co,,\n"
    '"Quoted, Co",,finance\n'
    "GRANITE CLOUD,,\n"  # no code: a duplicate
    '"Open quote Co,,finance\n'  # never closed at all
)


def test_unreadable_rows_and_own_codes_checked_in_a_child_are_the_same(
    db, tmp_path, bulk, forks, monkeypatch
):
    f = tmp_path / "m.csv"
    f.write_text(MALFORMED, "utf-8")
    copy = tmp_path / "copy.db"
    shutil.copyfile(db.path, copy)

    def run(target: Path) -> tuple:
        result = import_file(target, "customers", f, write_rejected_file=False, now=NOW)
        notes = [(n.line, n.message, n.cells) for n in result.rejected + result.duplicates]
        return notes, (result.rows_in, result.imported, result.skipped)

    apart = run(db.path)
    assert len(forks) == 1
    monkeypatch.setattr(import_apart, "can_fork", lambda: False)
    assert run(copy) == apart
    assert snapshot(db.path) == snapshot(copy)
    notes, counts = apart
    assert counts == (8, 4, 1)
    assert [line for line, _m, _c in notes] == [3, 4, 9, 5, 8]  # rejected, then duplicates
    assert rows(db.path, "SELECT code, name FROM customer ORDER BY id") == [
        ("K1", "Granite Cloud Ltd."), ("K2", "Granite Cloud LLC"), ("C20261123001", "Plain Co"),
        ("C20261123002", "Quoted, Co"),
    ]  # fmt: skip


def test_batches_grow_from_the_first_to_the_chunk_size(monkeypatch):
    monkeypatch.setattr(import_apart, "FIRST_BATCH", 2)
    records = [(n, [str(n)]) for n in range(25)]
    sizes = [len(b) for b in import_apart._batched(records, 10)]
    assert sizes == [2, 4, 8, 10, 1]


def test_the_first_batch_is_checked_before_the_fork(db, tmp_path, bulk, forks, monkeypatch):
    """The parent writes it while the child starts; the child checks all the others."""
    f = tmp_path / "c.csv"
    f.write_text(FILE, "utf-8")
    checked_here: list[int] = []  # the child's appends stay in the child
    real = CustomerImporter.take

    def take(self, batch):
        checked_here.append(len(batch))
        return real(self, batch)

    monkeypatch.setattr(CustomerImporter, "take", take)
    assert import_file(db.path, "customers", f).imported == 4
    assert forks and checked_here == [2]


def test_a_dry_run_checked_in_a_child_changes_nothing(db, tmp_path, bulk, forks):
    f = tmp_path / "c.csv"
    f.write_text(FILE, "utf-8")
    before = snapshot(db.path)
    result = import_file(db.path, "customers", f, dry_run=True)
    assert forks and result.imported == 4 and not result.committed
    assert snapshot(db.path) == before


def _take_failing_on_batch(monkeypatch, n: int, fail) -> None:
    real = CustomerImporter.take
    calls: list[int] = []

    def take(self, batch):
        calls.append(1)
        if len(calls) == n:
            fail()
        return real(self, batch)

    monkeypatch.setattr(CustomerImporter, "take", take)


@pytest.mark.parametrize(
    ("error", "raised", "message"),
    [
        # a bug in the checks: as loud as it would be in-process
        (ValueError("a bug in the checks"), RuntimeError,
         "(?s)checking the rows failed.*a bug in the checks"),
        # a file the CSV reader cannot read (a cell over the field limit): refused as it
        # would be in-process
        (CsvError("c.csv, line 5: field larger than field limit (16777216)"), ImportRefused,
         r"line 5: field larger than field limit"),
    ],
)  # fmt: skip
def test_a_check_failing_in_the_child_writes_nothing(
    db, tmp_path, bulk, forks, monkeypatch, error, raised, message
):
    f = tmp_path / "c.csv"
    f.write_text(FILE, "utf-8")
    before = snapshot(db.path)

    def fail():
        raise error

    _take_failing_on_batch(monkeypatch, 2, fail)
    with pytest.raises(raised, match=message):
        import_file(db.path, "customers", f)
    assert forks
    assert snapshot(db.path) == before
    assert rows(db.path, "PRAGMA journal_mode") == [("wal",)]


def test_a_child_that_dies_writes_nothing(db, tmp_path, bulk, forks, monkeypatch):
    f = tmp_path / "c.csv"
    f.write_text(FILE, "utf-8")
    before = snapshot(db.path)
    _take_failing_on_batch(monkeypatch, 2, lambda: os._exit(3))
    with pytest.raises(ImportRefused, match=r"stopped \(exit status 3\); nothing was imported"):
        import_file(db.path, "customers", f)
    assert forks
    assert snapshot(db.path) == before


def test_rows_are_checked_here_while_other_threads_run(db, tmp_path, bulk, forks, monkeypatch):
    """A fork copies only the calling thread (the TUI imports from a worker thread)."""
    monkeypatch.setattr(import_apart, "_threads", threading.active_count)
    f = tmp_path / "c.csv"
    f.write_text(FILE, "utf-8")
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    other.start()
    try:
        assert not import_apart.can_fork()
        assert import_file(db.path, "customers", f).imported == 4
    finally:
        release.set()
        other.join()
    assert forks == []
