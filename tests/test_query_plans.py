"""The list queries use their indexes, and no screen holds more than a page of rows.

The plans are read with ``EXPLAIN QUERY PLAN`` from the SQL the store actually runs
(a spy connection records it), on a demo database of a few thousand customers.
The databases carry no ``sqlite_stat1`` (nothing runs ANALYZE), so SQLite's planner
chooses the same plan here as at 100,000 customers.

A plan line ``SCAN customer`` / ``SCAN task`` (or their aliases) without ``USING …
INDEX`` is a full table scan: at 100k customers it costs tens to hundreds of
milliseconds per keystroke. Known misses are ``xfail(strict=True)`` with the fix in
the reason, so fixing them turns the marker into a failure that asks for its removal.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

import pytest

demo = pytest.importorskip("crm_tui.store.demo")

from crm_tui.store import due  # noqa: E402
from crm_tui.store.lists import SORTS, CustomerQuery  # noqa: E402
from crm_tui.store.sqlite import connect, short_words  # noqa: E402

AS_OF = dt.date(2026, 11, 23)
CUSTOMERS = 3000
FULL_SCAN = re.compile(r"^SCAN (customer|c|task|t)\b(?!.*USING)")


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plans") / "demo.db"
    demo.generate(path, customers=CUSTOMERS, seed=7, as_of=AS_OF)
    return path


@pytest.fixture
def conn(demo_db):
    c = connect(demo_db)
    yield c
    c.close()


class Spy:
    """A connection stand-in that records every statement and its parameters."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.statements: list[tuple[str, tuple]] = []

    def execute(self, sql: str, params=()):
        self.statements.append((sql, params))
        return self.conn.execute(sql, params)


def plan(conn: sqlite3.Connection, sql: str, params=()) -> list[str]:
    return [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]


def plans(spy: Spy) -> list[list[str]]:
    return [plan(spy.conn, sql, params) for sql, params in spy.statements]


def full_scans(lines: list[str]) -> list[str]:
    return [line for line in lines if FULL_SCAN.search(line)]


def customer_page_plans(conn, **query) -> list[list[str]]:
    """Plans of the count and two pages' ids (after the one-off short-word lookup, if
    any); each page's rows are then read by primary key."""
    total = CustomerQuery(conn, **query).count()
    spy = Spy(conn)
    q = CustomerQuery(spy, **query)  # type: ignore[arg-type]
    q.count()
    q.fetch(0, 100)
    q.fetch(1000, 100)
    fetched = 2 + (total > 0) + (total > 1000)  # (a page's rows are read when it has ids)
    assert len(spy.statements) == fetched + 1 + bool(short_words(q.search)) * (len(q.search) > 1)
    found = plans(spy)
    lookups = [
        lines
        for (sql, _p), lines in zip(spy.statements, found, strict=True)
        if "json_each(?))" in sql and "c.code, c.name" in sql
    ]
    for lines in lookups:  # a page's rows, by id
        assert any("INTEGER PRIMARY KEY" in line for line in lines), lines
    pages = [
        lines
        for (sql, _p), lines in zip(spy.statements, found, strict=True)
        if "LIMIT ? OFFSET ?" in sql
    ]
    counts = [
        lines
        for (sql, _p), lines in zip(spy.statements, found, strict=True)
        if sql.startswith("SELECT count(*)")
    ]
    return [counts[0], *pages]


FILTERS = [(None, None), ("A", None), (None, "active"), ("B", "dormant")]


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize(("level", "status"), FILTERS)
def test_customer_page_uses_an_index(conn, sort, level, status) -> None:
    for lines in customer_page_plans(conn, sort=sort, level=level, status=status):
        assert not full_scans(lines), lines
        assert any("INDEX" in line or "PRIMARY KEY" in line for line in lines), lines


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_unfiltered_page_reads_in_sort_order(conn, sort) -> None:
    """Paging the whole list walks the sort's index: no sort of all 100k rows per page."""
    count, *pages = customer_page_plans(conn, sort=sort)
    for lines in pages:
        assert "USE TEMP B-TREE FOR ORDER BY" not in lines, lines  # RIGHT PART (ties) is fine
        assert any("ix_customer_" in line for line in lines), lines
        # the rows skipped to reach a page are index entries, not customers' rows
        assert any("COVERING INDEX ix_customer_" in line for line in lines), lines


@pytest.mark.parametrize("sort", sorted(SORTS))
def test_status_filtered_page_reads_in_sort_order(conn, sort) -> None:
    count, *pages = customer_page_plans(conn, sort=sort, status="active")
    for lines in pages:
        assert "USE TEMP B-TREE FOR ORDER BY" not in lines, lines


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize(("level", "status"), FILTERS)
@pytest.mark.parametrize("text", ["acme", "科技有限", "tech corp"])
def test_fts_search_uses_the_trigram_index(conn, sort, level, status, text) -> None:
    for lines in customer_page_plans(conn, search=text, sort=sort, level=level, status=status):
        assert not full_scans(lines), lines
        assert any("customer_search VIRTUAL TABLE" in line for line in lines), lines


def _short_cases():
    for text in ("a", "上", "ac", "上海"):
        for level, status in FILTERS:
            yield pytest.param(text, level, status, id=f"{text}-{level}-{status}")


@pytest.mark.parametrize("sort", sorted(SORTS))
@pytest.mark.parametrize(("text", "level", "status"), list(_short_cases()))
def test_short_search_uses_an_index(conn, sort, text, level, status) -> None:
    """One or two characters (too short for trigrams): the count and the pages use indexes."""
    for lines in customer_page_plans(conn, search=text, sort=sort, level=level, status=status):
        assert not full_scans(lines), lines


def test_short_words_scan_names_once_per_search(conn) -> None:
    """A two-character word (张伟) can only be found by reading names: the customers' from
    their covering index, the contacts' from their table, once for the count and every page."""
    spy = Spy(conn)
    q = CustomerQuery(spy, search="tech 上海")  # type: ignore[arg-type]
    q.count()
    q.fetch(0, 100)
    q.fetch(100, 100)
    lookup, *rest = plans(spy)
    assert len(rest) == 3
    assert any("COVERING INDEX ix_customer_name" in line for line in lookup), lookup
    assert all("customer_search VIRTUAL TABLE" in " ".join(lines) for lines in rest)


# --- due list and badge --------------------------------------------------------------


def due_plans(conn, fn) -> list[list[str]]:
    spy = Spy(conn)
    fn(spy)
    assert spy.statements
    return plans(spy)


SEARCHED = due.TaskMatch((("%acme%", "[1, 2]"),))
DUE_QUERIES = {
    "badge": lambda c: due.due_badge_count(c, AS_OF),
    "counts": lambda c: due.due_counts(c, AS_OF),
    "crm due": lambda c: due.due_list(c, AS_OF),
    "crm due --days 7": lambda c: due.due_list(c, AS_OF, 7),
    **{f"group {g}": (lambda c, g=g: due.due_group(c, g, AS_OF)) for g in due.GROUPS},
    "review queue": lambda c: due.review_queue(c, AS_OF),
    # `/` on the due list: a word in the title, or customers found once (task_match)
    "counts, searched": lambda c: due.due_counts(c, AS_OF, SEARCHED),
    **{
        f"group {g}, searched": (lambda c, g=g: due.due_group(c, g, AS_OF, match=SEARCHED))
        for g in due.GROUPS
    },
}


@pytest.mark.parametrize("name", list(DUE_QUERIES))
def test_due_queries_use_the_open_due_index(conn, name) -> None:
    all_plans = due_plans(conn, DUE_QUERIES[name])
    for lines in all_plans:
        assert not full_scans(lines), lines
    task_plans = [p for p in all_plans if any(re.search(r"\b(task|t)\b", line) for line in p)]
    assert task_plans
    for lines in task_plans:
        assert any("ix_task_open_due" in line for line in lines), lines
        assert "USE TEMP B-TREE FOR ORDER BY" not in lines, lines


def test_badge_is_a_range_search_not_a_scan(conn) -> None:
    (lines,) = due_plans(conn, DUE_QUERIES["badge"])
    assert lines == ["SEARCH task USING COVERING INDEX ix_task_open_due (due<?)"]


@pytest.mark.parametrize("name", ["crm due", "crm due --days 7"])
def test_crm_due_never_reads_task_rows(conn, name) -> None:
    """`crm due` prints thousands of tasks at 100k customers: the index alone answers for them."""
    (lines,) = due_plans(conn, DUE_QUERIES[name])
    assert lines[0] == "SEARCH t USING COVERING INDEX ix_task_open_due (due<?)", lines


def test_completed_toggle_reads_in_order(conn) -> None:
    for lines in due_plans(conn, lambda c: due.completed_tasks(c)):
        assert "USE TEMP B-TREE FOR ORDER BY" not in lines, lines


def test_duplicate_finder_joins_phones_through_the_digit_indexes(conn) -> None:
    """The phone joins repeat the indexes' digits expression (sqlite.DIGITS) exactly,
    so each contact's match is an index search, not a scan of every contact."""
    from crm_tui.store.merging import find_duplicate_pairs
    from crm_tui.store.sqlite import DIGITS

    for col in ("mobile", "phone"):
        (sql,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = ?", (f"ix_contact_{col}_digits",)
        ).fetchone()
        assert DIGITS.format(col=col) in sql
    spy = Spy(conn)
    find_duplicate_pairs(spy)
    lines = [line for plan_lines in plans(spy) for line in plan_lines]
    searches = [line for line in lines if line.startswith("SEARCH y USING INDEX ix_contact_")]
    assert sorted(set(searches)) == [
        "SEARCH y USING INDEX ix_contact_email_lower (<expr>=?)",
        "SEARCH y USING INDEX ix_contact_mobile_digits (<expr>=?)",
        "SEARCH y USING INDEX ix_contact_phone_digits (<expr>=?)",
    ], lines


# --- no screen loads more than a page --------------------------------------------------


def widget_rows(screen) -> dict[str, int]:
    from textual.widgets import DataTable

    out = {}
    for n, w in enumerate(screen.walk_children()):
        name = f"{type(w).__name__}#{w.id or n}"
        if hasattr(w, "loaded_row_count"):
            out[name] = w.loaded_row_count()
        elif hasattr(w, "loaded_card_count"):
            out[name] = w.loaded_card_count()
        elif isinstance(w, DataTable):
            out[name] = w.row_count
    return out


#: A DataTable measures every cell it holds (PERFORMANCE.md: 1,000 rows cost 0.4 s before
#: the first frame); report tables show at most this many rows and export the rest.
DATATABLE_ROWS = 200


async def test_no_screen_loads_more_than_a_page(demo_db, tmp_path) -> None:
    import shutil

    from textual.widgets import TabbedContent

    from crm_tui.app import make_app
    from crm_tui.widgets.virtual_table import PAGE

    copy = tmp_path / "screens.db"
    shutil.copyfile(demo_db, copy)
    app = make_app(copy, lang="en", clock=lambda: dt.datetime(2026, 11, 23, 9, 0))
    seen: dict[str, dict[str, int]] = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for key in ("1", "2", "3", "4", "5"):
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            seen[f"{key}:{type(app.screen).__name__}"] = widget_rows(app.screen)
        tabs = app.screen.query(TabbedContent)
        if tabs:  # every report tab, once its worker has filled it
            for pane in list(tabs.first().query("TabPane")):
                tabs.first().active = pane.id
                await pilot.pause()
                await app.workers.wait_for_complete()
                await pilot.pause()
                seen[f"5:{pane.id}"] = widget_rows(app.screen)
    total = sum(sum(rows.values()) for rows in seen.values())
    assert total > 0, seen  # the lists did load something
    for screen, rows in seen.items():
        for widget, count in rows.items():
            limit = DATATABLE_ROWS if widget.startswith("DataTable") else PAGE
            assert count <= limit, f"{screen} {widget} holds {count} rows (more than {limit})"


# --- pipeline board -------------------------------------------------------------------

BOARD_FILTERS = {
    "no filter": {},
    "level A": {"level": "A"},
    "text": {"text": "a"},
}


@pytest.mark.parametrize("stage", ["won", "lost"])
@pytest.mark.parametrize("name", list(BOARD_FILTERS))
def test_closed_columns_read_only_the_last_30_days(conn, stage, name) -> None:
    """A won/lost page and header search the recent-close index; never every closed deal."""
    from crm_tui.store import board

    flt = board.BoardFilter(**BOARD_FILTERS[name])
    spy = Spy(conn)
    board.column_page(spy, stage, flt, AS_OF)
    board.column_summaries(spy, flt, AS_OF)
    for lines in plans(spy):
        assert not full_scans(lines), lines
        assert not any(re.search(r"SCAN o\b", line) for line in lines), lines
        # the deal drives the join: never every customer of a level, then their deals
        assert not any(line.startswith("SEARCH c USING COVERING INDEX") for line in lines), lines
    page, *_cards_and_headers = plans(spy)
    assert any("ix_opportunity_closed_recent (stage=? AND actual_close>?)" in x for x in page), page
    headers = plans(spy)[-2:]  # the two closed windows of the headers
    assert all(any("closed_recent" in line for line in lines) for lines in headers), headers


@pytest.mark.parametrize("name", ["level A", "text"])
def test_board_filters_find_customers_once_not_per_deal(conn, name) -> None:
    """A text or level filter joined every deal to its customer (~1 s a letter at
    200,000 deals): the customers that match are now read once, from their index."""
    from crm_tui.store import board

    spy = Spy(conn)
    board.column_summaries(spy, board.BoardFilter(**BOARD_FILTERS[name]), AS_OF)
    for lines in plans(spy):
        assert "LIST SUBQUERY 1" in lines, lines
        assert any(re.match(r"(SEARCH|SCAN) customer USING COVERING INDEX", line) for line in lines)
        assert not any("customer USING INTEGER PRIMARY KEY" in line for line in lines), lines


# --- ctrl+e on a list: the records it shows --------------------------------------------


def _export_views():
    from crm_tui.store import board
    from crm_tui.store import interaction_log as log

    return {
        "customers, level A": ("customers", lambda c: CustomerQuery(c, level="A").id_query()),
        "customers, searched and active": (
            "customers",
            lambda c: CustomerQuery(c, search="科技有限", status="active").id_query(),
        ),
        "customers, short word": (
            "customers",
            lambda c: CustomerQuery(c, search="科技").id_query(),
        ),
        "interactions, a date range": (
            "interactions",
            lambda c: log.interaction_id_query(
                log.LogFilter(date_from=AS_OF - dt.timedelta(days=7), date_to=AS_OF)
            ),
        ),
        "interactions, searched": (
            "interactions",
            lambda c: log.interaction_id_query(log.LogFilter(text="报价单")),
        ),  # fmt: skip
        "board": ("opportunities", lambda c: board.shown_id_query(board.BoardFilter(), AS_OF)),
        "board, level A": (
            "opportunities",
            lambda c: board.shown_id_query(board.BoardFilter(level="A"), AS_OF),
        ),
        "due list": ("tasks", lambda c: due.shown_task_id_query()),
        "due list, completed too, searched": (
            "tasks",
            lambda c: due.shown_task_id_query(SEARCHED, completed=True),
        ),  # fmt: skip
    }


class _ExportSpy(Spy):
    row_factory = None


@pytest.mark.parametrize("name", list(_export_views()))
def test_a_list_export_reads_only_the_records_shown(conn, name) -> None:
    """The ids come from the list's own indexes; the export then looks each record up by
    its id, in id order, never reading the whole table."""
    import io

    from crm_tui.store import export

    kind, id_query = _export_views()[name]
    only = id_query(conn)
    assert only is not None
    spy = _ExportSpy(conn)
    export.export_kind(spy, kind, io.StringIO(), only=only)  # type: ignore[arg-type]
    (lines,) = plans(spy)
    scans = [line for line in lines if re.search(r"^SCAN (c|i|o|t)\b(?!.*USING)", line)]
    assert not scans, lines
    alias = {"customers": "c", "interactions": "i", "opportunities": "o", "tasks": "t"}[kind]
    assert lines[0] == f"SEARCH {alias} USING INTEGER PRIMARY KEY (rowid=?)", lines
