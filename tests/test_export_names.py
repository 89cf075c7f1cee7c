"""screens/actions.py: ctrl+e on a list writes the records the list shows (its search and
filters), as `crm export KIND` writes them, also typed in the search box; says whether
that is all of them; writes nothing for an empty view; never overwrites an earlier export
(the next free name, ``-2``, ``-3``…). And the next follow-up after `x` starts from the
finished task (customer, contact, deal, title)."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
from sqlmodel import select
from textual.widgets import Input, Select

from crm_tui.app import make_app
from crm_tui.cli import main
from crm_tui.screens.actions import claim_free_name
from crm_tui.screens.dialogs.task_form import NextFollowUp, TaskFormDialog
from crm_tui.settings import Settings
from crm_tui.store import customers as cs
from crm_tui.store import opportunities as ops
from crm_tui.store.interactions import log_interaction
from crm_tui.store.models import Customer, Opportunity, Task
from crm_tui.store.tasks import complete_task, create_task
from crm_tui.widgets.virtual_table import VirtualTable

FROZEN = dt.datetime(2026, 11, 23, 9, 30)  # a Monday
TODAY = FROZEN.date()
NAME = "crm-customers-2026-11-23"


@pytest.fixture
def three_customers(db):
    with db.session() as s:
        for name in ("Acme Robotics", "Beta Foods", "上海华东制造有限公司"):
            cs.create_customer(s, {"name": name})
    return db


def app_on(db, folder):
    return make_app(db.path, settings=Settings(export_dir=folder), clock=lambda: FROZEN)


async def _export(pilot) -> list[str]:
    await pilot.press("ctrl+e")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return [n.message for n in pilot.app._notifications]


def _records(path) -> list[str]:
    text = path.read_text(encoding="utf-8-sig")
    return [line.split(",")[1] for line in text.strip().splitlines()[1:]]


async def test_an_earlier_export_of_the_day_is_never_overwritten(three_customers, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    earlier = folder / f"{NAME}.csv"
    earlier.write_text("the 3000 rows of another database\n", encoding="utf-8")
    app = app_on(three_customers, folder)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = await _export(pilot)
        second = folder / f"{NAME}-2.csv"
        assert said[-2:] == [
            f"Exporting {second.name}…",
            "Exported all 3 customers to " + str(second),
        ]
        said = await _export(pilot)
        third = folder / f"{NAME}-3.csv"
        assert said[-1].endswith(f"to {third}")
    assert earlier.read_text(encoding="utf-8") == "the 3000 rows of another database\n"
    for path in (second, third):
        assert _records(path) == ["Acme Robotics", "Beta Foods", "上海华东制造有限公司"]
        assert path.stat().st_mode & 0o077 == 0  # customer data: the owner's only
    assert sorted(p.name for p in folder.iterdir()) == [
        f"{NAME}-2.csv", f"{NAME}-3.csv", f"{NAME}.csv"
    ]  # fmt: skip


async def test_ctrl_e_on_an_empty_database_writes_a_template_and_says_so(db, tmp_path):
    app = app_on(db, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await pilot.pause()
        said = await _export(pilot)
    path = tmp_path / f"{NAME}.csv"
    assert said[-1] == (
        f"Nothing here yet: wrote {path} with the column headings, to fill in and import"
    )
    assert path.read_text(encoding="utf-8-sig").startswith("code,name,")
    assert _records(path) == []


# --- what the list shows is what is written ------------------------------------------


@pytest.fixture
def shown_db(db):
    """Four customers, their interactions, deals (two closed long ago: the board leaves them
    out until `a`) and tasks (one done: the due list leaves it out until `c`)."""
    with db.session() as s:
        acme = cs.create_customer(s, {"name": "Acme Robotics", "level": "A"})
        beta = cs.create_customer(s, {"name": "Beta Foods", "level": "B"})
        hua = cs.create_customer(s, {"name": "上海华东制造有限公司", "level": "A"})
        delta = cs.create_customer(s, {"name": "Delta Logistics", "level": "C"})
        for cid, when, subject, channel in [
            (acme.id, dt.datetime(2026, 11, 20, 15, 0), "Quote walkthrough", "phone"),
            (beta.id, dt.datetime(2026, 11, 18, 10, 0), "Price list sent", "email"),
            (hua.id, dt.datetime(2026, 11, 10, 9, 0), "报价讨论", "visit"),
            (delta.id, dt.datetime(2026, 9, 1, 10, 0), "Kick-off", "phone"),
        ]:
            log_interaction(s, cid, {"subject": subject, "occurred_at": when, "channel": channel})
        for cid, name, stage, closed in [
            (acme.id, "Acme ERP", "proposal", None),
            (beta.id, "Beta POS", "negotiation", None),
            (hua.id, "华东 MES", "won", dt.date(2026, 11, 10)),
            (delta.id, "Delta WMS", "won", dt.date(2026, 8, 1)),
            (beta.id, "Beta pilot", "lost", dt.date(2026, 6, 1)),
        ]:
            deal = ops.create_opportunity(
                s, cid, {"name": name, "amount_cents": "1,000"}, stage=stage,
                when=dt.datetime(2026, 5, 1, 9, 0),
            )  # fmt: skip
            deal.actual_close = closed
        for title, due, cid in [
            ("Call Acme about the quote", TODAY - dt.timedelta(days=1), acme.id),
            ("Send Beta the price list", TODAY, beta.id),
            ("Plan Q1", TODAY + dt.timedelta(days=20), None),
            ("Kick-off call with Delta", TODAY - dt.timedelta(days=30), delta.id),
        ]:
            task = create_task(s, {"title": title, "due": due, "customer_id": cid})
        complete_task(s, task.id, at=dt.datetime(2026, 10, 24, 11, 0))
    return db


#: The screen's key, and the CSV column that names a record of the kind.
SCREENS = {
    "customers": ("1", "name"),
    "opportunities": ("2", "name"),
    "interactions": ("3", "subject"),
    "tasks": ("4", "title"),
}
ALL = {
    "customers": {"Acme Robotics", "Beta Foods", "上海华东制造有限公司", "Delta Logistics"},
    "opportunities": {"Acme ERP", "Beta POS", "华东 MES", "Delta WMS", "Beta pilot"},
    "interactions": {"Quote walkthrough", "Price list sent", "报价讨论", "Kick-off"},
    "tasks": {"Call Acme about the quote", "Send Beta the price list", "Plan Q1",
              "Kick-off call with Delta"},
}  # fmt: skip


def _csv(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def _written(folder, kind: str):
    return folder / f"crm-{kind}-2026-11-23.csv"


def _as_crm_export_writes(db, kind: str, path, names: set[str], tmp_path) -> None:
    """The file is `crm export KIND`'s, header and cells, for the records ``names`` names."""
    whole_path = tmp_path / f"whole-{kind}.csv"
    assert main(["--db", str(db.path), "export", kind, "--out", str(whole_path)]) == 0
    whole, table = _csv(whole_path), _csv(path)
    assert table[0] == whole[0]
    at = whole[0].index(SCREENS[kind][1])
    # (in the list's order, which crm export's id order need not be)
    assert sorted(table[1:]) == sorted(row for row in whole[1:] if row[at] in names)
    assert {row[at] for row in table[1:]} == names


def _written_names(path, kind: str) -> list[str]:
    """The record names of an exported file, in the file's order."""
    table = _csv(path)
    at = table[0].index(SCREENS[kind][1])
    return [row[at] for row in table[1:]]


def _shown_in_order(app, kind: str) -> list[str]:
    table = app.screen.query_one(VirtualTable)
    at = {"customers": 2, "interactions": 4}[kind]
    return [
        row[at] for i in range(table.row_count) if not isinstance((row := table.row(i))[0], tuple)
    ]


def _shown(app, kind: str) -> set[str]:
    """The names of the records the screen shows."""
    screen = app.screen
    if kind == "opportunities":
        return {col.cards.card(i).name for col in screen.columns for i in range(col.cards.count)}
    table = screen.query_one(VirtualTable)
    rows = [table.row(i) for i in range(table.row_count)]
    at = {"customers": 2, "interactions": 4, "tasks": 1}[kind]
    return {row[at] for row in rows if not isinstance(row[0], tuple)}  # (not a group's header)


async def _searched(pilot) -> None:
    """The list as the search typed leaves it: the log and the board wait for a pause in
    typing before they reload; the test reloads at once instead of sleeping through it."""
    await pilot.app.workers.wait_for_complete()
    if pilot.app.screen.__class__.__name__ == "InteractionsScreen":
        pilot.app.screen.reload()
    if pilot.app.screen.__class__.__name__ == "PipelineScreen":
        pilot.app.screen.apply_search()
    await pilot.pause()


async def _on_screen(pilot, key: str) -> None:
    await pilot.press(key)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize(
    "kind, search, found",
    [
        ("customers", "Foods", {"Beta Foods"}),
        ("interactions", "quote", {"Quote walkthrough"}),
        # Beta pilot matches too, but was lost long ago: the board leaves it out
        ("opportunities", "beta", {"Beta POS"}),
        # the done task with Delta is not on the due list
        ("tasks", "a", {"Call Acme about the quote", "Send Beta the price list", "Plan Q1"}),
    ],
)
async def test_ctrl_e_typed_in_the_search_box_exports_the_records_found(
    shown_db, tmp_path, kind, search, found
):
    """The QA report: typing a search and pressing ctrl+e wrote nothing (the box took
    ctrl+e as end of line), and otherwise wrote every record whatever the search."""
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, SCREENS[kind][0])
        await pilot.press("slash", *search)
        await _searched(pilot)
        assert _shown(app, kind) == found
        assert isinstance(app.focused, Input)
        said = await _export(pilot)
        box = app.focused
        assert isinstance(box, Input) and box.value == search  # still in the box, unchanged
        await pilot.press("home")
        assert box.cursor_position == 0
        await pilot.press("end")  # the end of the line is the End key's
        assert box.cursor_position == len(search)
    written = _written(tmp_path, kind)
    n = len(found)
    noun = kind if n > 1 else {"customers": "customer", "interactions": "interaction",
                               "opportunities": "opportunity"}[kind]  # fmt: skip
    assert said[-1] == f"Exported the {n} {noun} shown to {written}"  # "1 customers" before
    _as_crm_export_writes(shown_db, kind, written, found, tmp_path)


async def test_keys_typed_in_one_read_with_ctrl_e_are_in_the_export(shown_db, tmp_path):
    """A priority key is handled as it arrives: a paste or a fast typist's keys that came
    with ctrl+e in one read are searched before the export reads the search."""
    from textual import events

    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "1")
        await pilot.press("slash")
        for key, char in [*((c, c) for c in "Foods"), ("ctrl+e", None)]:
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # (no pause between them)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert _shown(app, "customers") == {"Beta Foods"}
    written = _written(tmp_path, "customers")
    assert said[-1] == f"Exported the 1 customer shown to {written}"
    _as_crm_export_writes(shown_db, "customers", written, {"Beta Foods"}, tmp_path)


async def test_a_level_filter_exports_the_customers_it_shows(shown_db, tmp_path):
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "1")
        app.screen.query_one("#level-filter", Select).value = "A"
        await pilot.pause()
        found = {"Acme Robotics", "上海华东制造有限公司"}
        assert _shown(app, "customers") == found
        said = await _export(pilot)
    written = _written(tmp_path, "customers")
    assert said[-1] == f"Exported the 2 customers shown to {written}"
    _as_crm_export_writes(shown_db, "customers", written, found, tmp_path)


async def test_a_channel_filter_exports_the_interactions_it_shows(shown_db, tmp_path):
    with shown_db.session() as s:  # logged last, the newest: first on the screen
        delta = s.exec(select(Customer).where(Customer.name == "Delta Logistics")).one()
        when = dt.datetime(2026, 11, 21, 9, 0)
        log_interaction(
            s, delta.id, {"subject": "Follow-up", "occurred_at": when, "channel": "phone"}
        )
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "3")
        app.screen.query_one("#channel-filter", Select).value = "phone"
        await pilot.pause()
        found = {"Follow-up", "Quote walkthrough", "Kick-off"}
        assert _shown(app, "interactions") == found
        order = _shown_in_order(app, "interactions")
        said = await _export(pilot)
    written = _written(tmp_path, "interactions")
    assert said[-1] == f"Exported the 3 interactions shown to {written}"
    _as_crm_export_writes(shown_db, "interactions", written, found, tmp_path)
    # newest first, as the log shows them (the file was in the order they were logged)
    assert _written_names(written, "interactions") == order
    assert order == ["Follow-up", "Quote walkthrough", "Kick-off"]


async def test_the_board_exports_its_cards_and_a_all_of_them(shown_db, tmp_path):
    """The board leaves out won and lost deals closed over 30 days ago: so does the export,
    until `a` shows them all."""
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "2")
        found = {"Acme ERP", "Beta POS", "华东 MES"}
        assert _shown(app, "opportunities") == found
        said = await _export(pilot)
        first = _written(tmp_path, "opportunities")
        assert said[-1] == f"Exported the 3 opportunities shown to {first}"
        await pilot.press("a")
        await pilot.pause()
        assert _shown(app, "opportunities") == ALL["opportunities"]
        said = await _export(pilot)
    second = tmp_path / "crm-opportunities-2026-11-23-2.csv"
    assert said[-1] == f"Exported all 5 opportunities to {second}"
    _as_crm_export_writes(shown_db, "opportunities", first, found, tmp_path)
    _as_crm_export_writes(shown_db, "opportunities", second, ALL["opportunities"], tmp_path)


async def test_the_due_list_exports_its_open_tasks_and_with_c_the_completed(shown_db, tmp_path):
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "4")
        open_tasks = ALL["tasks"] - {"Kick-off call with Delta"}
        assert _shown(app, "tasks") == open_tasks
        said = await _export(pilot)
        first = _written(tmp_path, "tasks")
        assert said[-1] == f"Exported the 3 tasks shown to {first}"
        await pilot.press("c")
        await pilot.pause()
        assert _shown(app, "tasks") == ALL["tasks"]
        said = await _export(pilot)
        second = tmp_path / "crm-tasks-2026-11-23-2.csv"
        assert said[-1] == f"Exported all 4 tasks to {second}"
        await pilot.press("slash", *"Delta")  # a search among the completed too
        await pilot.pause()
        assert _shown(app, "tasks") == {"Kick-off call with Delta"}
        said = await _export(pilot)
        third = tmp_path / "crm-tasks-2026-11-23-3.csv"
        assert said[-1] == f"Exported the 1 task shown to {third}"
    _as_crm_export_writes(shown_db, "tasks", first, open_tasks, tmp_path)
    _as_crm_export_writes(shown_db, "tasks", second, ALL["tasks"], tmp_path)
    _as_crm_export_writes(shown_db, "tasks", third, {"Kick-off call with Delta"}, tmp_path)


async def test_the_due_list_exports_its_tasks_in_its_order(shown_db, tmp_path):
    """Open tasks by due day as the groups run (a task added last but due first is first),
    then the closed ones: the file was in the order the tasks were added."""
    with shown_db.session() as s:
        create_task(s, {"title": "Urgent call", "due": TODAY - dt.timedelta(days=3)})
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "4")
        await pilot.press("c")
        await pilot.pause()
        table = app.screen.query_one(VirtualTable)
        rows = [table.row(i) for i in range(table.row_count)]
        order = [row[1] for row in rows if not isinstance(row[0], tuple)]
        await _export(pilot)
    assert order == [
        "Urgent call", "Call Acme about the quote", "Send Beta the price list", "Plan Q1",
        "Kick-off call with Delta",
    ]  # fmt: skip
    assert _written_names(_written(tmp_path, "tasks"), "tasks") == order


async def test_the_board_exports_its_cards_in_its_order(shown_db, tmp_path):
    """Column by column as the board runs, each column's cards top to bottom: open ones
    by expected close (none last) then amount, closed ones the latest closed first. The
    file was in the order the deals were entered."""
    with shown_db.session() as s:
        acme = s.exec(select(Customer).where(Customer.name == "Acme Robotics")).one()
        for name, stage, amount, close in [
            ("Late proposal", "proposal", "500", dt.date(2027, 2, 1)),
            ("Big undated", "proposal", "9,000", None),
            ("Early proposal", "proposal", "200", dt.date(2026, 12, 1)),
            ("First contact", "initial_contact", "100", None),
            ("Won lately", "won", "300", None),
            ("Serviced long", "after_sales", "800", dt.date(2026, 1, 1)),
            ("Serviced lately", "after_sales", "100", dt.date(2026, 10, 1)),
        ]:
            deal = ops.create_opportunity(
                s, acme.id, {"name": name, "amount_cents": amount, "expected_close": close},
                stage=stage,
            )  # fmt: skip
            deal.actual_close = {"won": TODAY - dt.timedelta(days=2), "after_sales": close}.get(
                stage
            )
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "2")
        await pilot.press("a")
        await pilot.pause()
        screen = app.screen
        order = [col.cards.card(i).name for col in screen.columns for i in range(col.cards.count)]
        await _export(pilot)
    assert order == [
        "First contact", "Early proposal", "Late proposal", "Big undated", "Acme ERP",
        "Beta POS", "Won lately", "华东 MES", "Delta WMS", "Serviced lately", "Serviced long",
        "Beta pilot",
    ]  # fmt: skip
    assert _written_names(_written(tmp_path, "opportunities"), "opportunities") == order


@pytest.mark.parametrize(
    "kind, keys",
    [("customers", ()), ("interactions", ()), ("opportunities", ("a",)), ("tasks", ("c",))],
)
async def test_a_list_showing_everything_exports_everything_and_says_all(
    shown_db, tmp_path, kind, keys
):
    app = app_on(shown_db, tmp_path)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, SCREENS[kind][0])
        if keys:
            await pilot.press(*keys)
            await pilot.pause()
        assert _shown(app, kind) == ALL[kind]
        order = _shown_in_order(app, kind) if kind in ("customers", "interactions") else None
        said = await _export(pilot)
    written = _written(tmp_path, kind)
    assert said[-1] == f"Exported all {len(ALL[kind])} {kind} to {written}"
    _as_crm_export_writes(shown_db, kind, written, ALL[kind], tmp_path)
    if order is not None:  # as the list reads: by name (Delta before 上海华东, added first)
        assert _written_names(written, kind) == order


@pytest.mark.parametrize("kind", list(SCREENS))
async def test_an_empty_view_writes_nothing_and_says_so(shown_db, tmp_path, kind):
    folder = tmp_path / "exports"
    folder.mkdir()
    app = app_on(shown_db, folder)
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, SCREENS[kind][0])
        await pilot.press("slash", *"zzzq")
        await _searched(pilot)
        assert _shown(app, kind) == set()
        said = await _export(pilot)
    assert said[-1] == f"Nothing to export: 0 {kind} shown"
    assert not any(m.startswith("Exporting") for m in said)
    assert list(folder.iterdir()) == []


async def test_the_messages_in_chinese(shown_db, tmp_path):
    app = make_app(
        shown_db.path, lang="zh", settings=Settings(export_dir=tmp_path), clock=lambda: FROZEN
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await _on_screen(pilot, "1")
        said = await _export(pilot)
        assert said[-1] == f"已导出全部 4 个客户到 {_written(tmp_path, 'customers')}"
        await pilot.press("slash", *"Foods")
        await pilot.pause()
        said = await _export(pilot)
        second = tmp_path / "crm-customers-2026-11-23-2.csv"
        assert said[-1] == f"已导出当前显示的 1 个客户到 {second}"
        await pilot.press("z")
        await pilot.pause()
        said = await _export(pilot)
        assert said[-1] == "没有可导出的内容：当前显示 0 个客户"


async def test_a_failed_export_frees_the_name_it_claimed(three_customers, tmp_path, monkeypatch):
    from crm_tui.store import export

    def broken(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "export_kind", broken)
    folder = tmp_path / "exports"
    folder.mkdir()
    app = app_on(three_customers, folder)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = await _export(pilot)
    assert said[-1] == f"cannot write {folder / f'{NAME}.csv'}: No space left on device"
    assert list(folder.iterdir()) == []


async def test_an_export_folder_that_is_missing_is_said_not_crashed(three_customers, tmp_path):
    missing = tmp_path / "nowhere"
    app = app_on(three_customers, missing)
    async with app.run_test(size=(140, 45)) as pilot:
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = await _export(pilot)
        assert app.is_running
    assert said[-1].startswith(f"cannot write {missing / f'{NAME}.csv'}: ")
    assert not missing.exists()


def test_claim_free_name_takes_the_next_free_one(tmp_path):
    assert claim_free_name(tmp_path, "x") == tmp_path / "x.csv"
    assert claim_free_name(tmp_path, "x") == tmp_path / "x-2.csv"
    (tmp_path / "x-4.csv").write_text("kept", encoding="utf-8")
    assert claim_free_name(tmp_path, "x") == tmp_path / "x-3.csv"
    assert claim_free_name(tmp_path, "x") == tmp_path / "x-5.csv"
    assert (tmp_path / "x-4.csv").read_text(encoding="utf-8") == "kept"


# --- the next follow-up after `x` (actions.offer_next_follow_up) -------------------


@pytest.fixture
def follow_up_db(db):
    """Acme has two contacts; its deal's contact is Emily, the overdue task is with Bob."""
    with db.session() as s:
        acme = cs.create_customer(s, {"name": "Acme Robotics"})
        emily = cs.create_contact(s, acme.id, {"name": "Emily Chen"})
        bob = cs.create_contact(s, acme.id, {"name": "Bob Li"})
        deal = Opportunity(customer_id=acme.id, name="Acme ERP", amount_cents=500_000_00,
                           probability=50, stage="proposal", contact_id=emily.id)  # fmt: skip
        s.add(deal)
        s.flush()
        create_task(
            s,
            {"title": "Send Bob the revised quote", "due": TODAY - dt.timedelta(days=1),
             "customer_id": acme.id, "contact_id": bob.id, "opportunity_id": deal.id,
             "type": "email"},
        )  # fmt: skip
        ids = {"customer": acme.id, "bob": bob.id, "deal": deal.id}
    return db, ids


async def _next_follow_up_form(pilot) -> TaskFormDialog:
    """The due list, `x` on the overdue task, then `t`: the new task form."""
    await pilot.press("4")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("x")
    await pilot.pause()
    assert isinstance(pilot.app.screen, NextFollowUp)
    await pilot.press("t")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, TaskFormDialog)
    return form


async def test_the_next_follow_up_starts_from_the_finished_task(follow_up_db, tmp_path):
    db, ids = follow_up_db
    app = app_on(db, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        form = await _next_follow_up_form(pilot)
        assert form.customer_id == ids["customer"]
        assert form.query_one("#field-title", Input).value == "Send Bob the revised quote"
        assert form.query_one("#field-contact_id", Select).value == ids["bob"]
        assert form.query_one("#field-opportunity_id", Select).value == ids["deal"]
        assert form.query_one("#field-due", Input).value == "2026-11-24"
        assert form.query_one("#field-type", Select).value == "email"  # not Call
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, TaskFormDialog)
    with db.session() as s:
        new = s.exec(select(Task).where(Task.status == "planned")).one()
        assert (new.title, new.customer_id, new.contact_id, new.opportunity_id, new.due) == (
            "Send Bob the revised quote", ids["customer"], ids["bob"], ids["deal"],
            TODAY + dt.timedelta(days=1),
        )  # fmt: skip


async def test_typing_replaces_the_preset_title(follow_up_db, tmp_path):
    db, ids = follow_up_db
    app = app_on(db, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        await _next_follow_up_form(pilot)
        await pilot.press(*"Call Bob", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
    with db.session() as s:
        new = s.exec(select(Task).where(Task.status == "planned")).one()
        assert (new.title, new.contact_id) == ("Call Bob", ids["bob"])


async def test_escape_from_the_untouched_follow_up_form_asks_nothing(follow_up_db, tmp_path):
    db, _ids = follow_up_db
    app = app_on(db, tmp_path)
    async with app.run_test(size=(140, 45)) as pilot:
        form = await _next_follow_up_form(pilot)
        assert not form.dirty()  # the carried-over values are where the form starts
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "TasksScreen"  # no "discard changes?"
    with db.session() as s:
        assert s.exec(select(Task).where(Task.status == "planned")).all() == []
