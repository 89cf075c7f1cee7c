"""Pilot and snapshot tests of the reports screen (5): tabs, week keys, export, targets, charts."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.widgets import DataTable, Input, Label, Static, TabbedContent
from ui_steps import palette_command

from crm_tui.app import make_app
from crm_tui.reports import REPORTS, build_report
from crm_tui.reports.output import render_csv
from crm_tui.screens import report_view
from crm_tui.screens import reports as screen_module
from crm_tui.settings import Settings
from crm_tui.store.demo import generate
from crm_tui.store.targets import get_targets, set_target
from crm_tui.widgets.charts import FULL, Bar, BarChart, bar_cells

AS_OF = dt.date(2026, 11, 23)
FROZEN = dt.datetime(2026, 11, 23, 9, 30)
BOM = "\ufeff"  # CLI.md: CSV is UTF-8 with a BOM


@pytest.fixture
def demo_db(db):
    generate(db.path, customers=60, seed=5, as_of=AS_OF)
    return db


def app_on(db, lang="en", settings=None):
    return make_app(db.path, lang=lang, clock=lambda: FROZEN, settings=settings)


async def settle(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_reports(pilot) -> None:
    await pilot.press("5")
    await settle(pilot)


async def show_tab(pilot, name: str) -> None:
    """Step with `tab` to report ``name`` and wait for its worker."""
    for _ in REPORTS:
        if pilot.app.screen.current == name:
            break
        await pilot.press("tab")
        await settle(pilot)
    await settle(pilot)
    assert pilot.app.screen.current == name


def expected(db, name: str, as_of: dt.date = AS_OF):
    with db.reading() as conn:
        if name == "weekly":
            return build_report(name, conn, as_of, week=as_of)
        return build_report(name, conn, as_of, targets={})


def status(app) -> str:
    return str(app.screen.query_one("#report-status", Label).render())


async def test_each_tab_shows_its_report(demo_db):
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        screen = app.screen
        assert isinstance(screen, screen_module.ReportsScreen)
        for name in REPORTS:
            await show_tab(pilot, name)
            report = expected(demo_db, name)
            table = screen.query_one(f"#table-{name}", DataTable)
            assert table.display, name
            shown = report_view.shown_rows(report)
            assert table.row_count == min(len(shown), report_view.ROW_LIMIT), name
            assert len(table.columns) == len(report.columns), name
            assert app.focused is table
        assert "As of 2026-11-23 · week 2026-W48" in status(app)


async def test_charts_show_funnel_segments_and_months(demo_db):
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        funnel = app.screen.query_one("#chart-funnel", BarChart)
        report = expected(demo_db, "funnel")
        assert [b.parts[0] for b in funnel.bars] == [
            r["reached"] for r in report.rows if r["stage"] != "lost"
        ]
        await show_tab(pilot, "rfm")
        segments = expected(demo_db, "rfm").tables["segments"].rows
        rfm = app.screen.query_one("#chart-rfm", BarChart)
        assert [b.parts[0] for b in rfm.bars] == [s["customers"] for s in segments]
        await show_tab(pilot, "forecast")
        chart = app.screen.query_one("#chart-forecast", BarChart)
        months = expected(demo_db, "forecast").rows
        assert [b.label for b in chart.bars] == [r["month"] for r in months][:12]


async def test_brackets_move_the_week_and_d_types_a_date(demo_db):
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "weekly")
        screen = app.screen
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert screen.as_of == dt.date(2026, 11, 22)  # the Sunday of the previous week
        assert "week 2026-W47" in status(app)
        assert screen._cache["weekly"].params["week"] == "2026-W47"
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "week 2026-W46" in status(app)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert screen.as_of == AS_OF  # back in the current week: as of today
        table = screen.query_one("#table-weekly", DataTable)
        assert table.row_count == len(report_view.shown_rows(expected(demo_db, "weekly")))

        await pilot.press("d")
        field = screen.query_one("#as-of-input", Input)
        assert app.focused is field
        # reports look back: the hint offers days that have come (it said "tomorrow")
        assert "yesterday" in field.placeholder and "tomorrow" not in field.placeholder
        await pilot.press(*"someday", "enter")
        await pilot.pause()
        error = screen.query_one("#as-of-error", Label)
        assert "someday" in str(error.render())
        assert screen.as_of == AS_OF
        field.value = "2026-06-30"
        await pilot.press("enter")
        await settle(pilot)
        assert screen.as_of == dt.date(2026, 6, 30)
        assert not field.display
        assert "As of 2026-06-30 · week 2026-W27" in status(app)
        june = expected(demo_db, "weekly", dt.date(2026, 6, 30))
        assert table.row_count == len(report_view.shown_rows(june))


async def test_ctrl_e_exports_the_shown_report(demo_db, tmp_path):
    out = tmp_path / "exports"
    app = app_on(demo_db, settings=Settings(export_dir=out))
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        path = out / "crm-funnel-2026-11-23.csv"
        text = path.read_bytes().decode("utf-8")
        assert text.startswith(BOM + "stage,reached,amount,conversion\r\n")
        assert text == render_csv(expected(demo_db, "funnel"))
        assert any(str(path) in n.message for n in app._notifications)  # the path is shown
        await show_tab(pilot, "weekly")
        await pilot.press("ctrl+e")
        await settle(pilot)
        weekly = (out / "crm-weekly-2026-W48.csv").read_bytes().decode("utf-8")
        assert weekly.startswith(BOM + "section,date,customer,item,detail,amount\r\n")
        await show_tab(pilot, "rfm")
        await pilot.press("ctrl+e")
        await settle(pilot)
        rfm = (out / "crm-rfm-2026-11-23.csv").read_bytes().decode("utf-8")
        header = "code,customer,last_order,recency_days,frequency,monetary,r,f,m,score,segment"
        assert rfm.startswith(BOM + header + "\r\n")


async def test_row_cap_notes_what_is_only_in_the_export(demo_db, monkeypatch):
    monkeypatch.setattr(report_view, "ROW_LIMIT", 10)
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "rfm")
        rows = len(expected(demo_db, "rfm").rows)
        assert app.screen.query_one("#table-rfm", DataTable).row_count == 10
        note = app.screen.query_one("#note-rfm", Static)
        assert note.display
        assert f"{rows - 10} more in the export" in str(note.render())


async def test_target_dialog_sets_a_month_and_reloads_the_forecast(demo_db):
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        assert app.screen.current == "funnel"
        await pilot.press("T")  # from another report: the forecast, where targets show
        for _ in range(50):  # (its dialog opens once the forecast is built and shown)
            if app.screen.__class__.__name__ == "TargetDialog":
                break
            await settle(pilot)
        dialog = app.screen
        assert app.screen_stack[-2].current == "forecast"
        assert dialog.__class__.__name__ == "TargetDialog"
        assert dialog.query_one("#field-month", Input).value == "2026-11"
        dialog.query_one("#field-target", Input).value = "lots"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog
        assert str(dialog.query_one("#error-target", Label).render())
        dialog.query_one("#field-month", Input).value = "2026-13"
        await pilot.press("ctrl+s")
        await pilot.pause()  # both problems in one save (the amount's came one save later)
        assert "2026-13" in str(dialog.query_one("#error-month", Label).render())
        assert str(dialog.query_one("#error-target", Label).render())
        dialog.query_one("#field-target", Input).value = "120,000"
        dialog.query_one("#field-month", Input).value = "2026-12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ReportsScreen"
        with demo_db.reading() as conn:
            assert get_targets(conn)["2026-12"] == 12_000_000
        for _ in range(50):  # (built again in a worker: its result comes a frame later)
            if "forecast" in app.screen._cache:
                break
            await settle(pilot)
        rows = app.screen._cache["forecast"].rows
        assert next(r for r in rows if r["month"] == "2026-12")["target"] == 12_000_000
        assert app.screen.current == "forecast"  # (it went back to the funnel it came from)


async def _target_dialog_over_a_set_target(pilot):
    """The forecast's target dialog (T), November's target of 28,840,000 set beforehand."""
    await open_reports(pilot)
    await show_tab(pilot, "forecast")
    await pilot.press("T")
    await pilot.pause()
    return pilot.app.screen


@pytest.fixture
def november_target(demo_db):
    with demo_db.reading() as conn:
        set_target(conn, "2026-11", "28,840,000")
        conn.commit()
    return demo_db


async def test_the_target_dialog_shows_the_target_of_the_month_typed(november_target):
    app = app_on(november_target)
    async with app.run_test(size=(140, 40)) as pilot:
        dialog = await _target_dialog_over_a_set_target(pilot)
        amount = dialog.query_one("#field-target", Input)
        assert amount.value == "28840000.00"
        dialog.query_one("#field-month", Input).value = "2027-03"  # has no target
        await pilot.pause()
        assert amount.value == ""  # not November's, saved under March by mistake
        dialog.query_one("#field-month", Input).value = "2026-11"
        await pilot.pause()
        assert amount.value == "28840000.00"
        amount.value = "1,000"  # typed here: another month keeps it
        dialog.query_one("#field-month", Input).value = "2027-03"
        await pilot.pause()
        assert amount.value == "1,000"


async def test_an_amount_typed_at_once_in_the_target_dialog_is_the_target(demo_db):
    """The month comes filled in: `50万` typed straight away went into it ("Not a month").
    Over a month's target, the amount is selected: what is typed replaces it."""
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await _target_dialog_over_a_set_target(pilot)  # (none set: November has none)
        await pilot.press(*"50万", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ReportsScreen"
        with demo_db.reading() as conn:
            assert get_targets(conn)["2026-11"] == 50_000_000
        await pilot.press("T")
        await pilot.pause()
        assert app.screen.query_one("#field-target", Input).value == "500000.00"
        await pilot.press(*"60万", "ctrl+s")
        await settle(pilot)
        assert app.screen.__class__.__name__ == "ReportsScreen"
    with demo_db.reading() as conn:
        assert get_targets(conn)["2026-11"] == 60_000_000


async def test_a_target_read_when_the_dialog_opens_is_replaced_by_what_is_typed(
    november_target,
):
    """From the palette the dialog opens before the forecast is loaded: the month's target,
    read then, was not selected like one given, and `50万` was appended to it."""
    from crm_tui.screens.dialogs.target_dialog import TargetDialog

    app = app_on(november_target)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        app.push_screen(TargetDialog(november_target, "2026-11"))
        await pilot.pause()
        assert app.screen.query_one("#field-target", Input).value == "28840000.00"
        await pilot.press(*"50万", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, TargetDialog)
    with november_target.reading() as conn:
        assert get_targets(conn)["2026-11"] == 50_000_000


async def test_a_cleared_target_is_said_to_be_cleared(november_target):
    demo_db = november_target
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        dialog = await _target_dialog_over_a_set_target(pilot)
        dialog.query_one("#field-target", Input).value = ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert "Target for 2026-11 cleared" in said and "Target for 2026-11 saved" not in said
    with demo_db.reading() as conn:
        assert "2026-11" not in get_targets(conn)


async def test_empty_database_says_how_to_get_data(db):
    app = app_on(db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        for name in REPORTS:
            await show_tab(pilot, name)
            empty = app.screen.query_one(f"#empty-{name}", Static)
            assert empty.display, name
            assert "d to load sample data" in str(empty.render()), name
            assert not app.screen.query_one(f"#table-{name}", DataTable).display
        rfm = app.screen.query_one("#empty-rfm", Static)
        assert "No orders yet" in str(rfm.render())
        weekly = app.screen.query_one("#empty-weekly", Static)
        assert "other weeks with [ and ]" in str(weekly.render())  # brackets are not markup


async def test_tabs_switch_with_tab_and_shift_tab(demo_db):
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        tabs = app.screen.query_one(TabbedContent)
        await pilot.press("shift+tab")
        await settle(pilot)
        assert tabs.active == "tab-weekly"
        await pilot.press("tab")
        await settle(pilot)
        assert tabs.active == "tab-funnel"


async def test_a_report_visited_again_takes_the_keys(demo_db):
    """Back on a report already shown (tab round, shift+tab), the focus was nowhere:
    ↓ and PgDn did nothing until a date was typed."""
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "rfm")
        await pilot.press("shift+tab")  # funnel, shown before
        await settle(pilot)
        assert app.focused is app.screen.query_one("#table-funnel")
        await pilot.press("tab")  # rfm, shown before
        await settle(pilot)
        table = app.screen.query_one("#table-rfm")
        assert app.focused is table
        row = table.cursor_row
        await pilot.press("down")
        assert table.cursor_row == row + 1


def test_bar_cells_scale_stack_and_show_small_values():
    assert bar_cells([10], 10, 8) == [(0, FULL)] * 8
    half = bar_cells([5], 10, 8)
    assert half == [(0, FULL)] * 4
    assert bar_cells([3], 16, 8) == [(0, FULL), (0, "▌")]  # 1.5 cells
    assert bar_cells([1], 10_000, 8) == [(0, "▏")]  # never invisible
    stacked = bar_cells([5, 3], 10, 10)
    assert [s for s, _ch in stacked] == [0] * 5 + [1] * 3
    assert bar_cells([0, 0], 10, 10) == []


async def test_a_refused_date_is_read_whole_at_80_columns(demo_db):
    """Beside the date field, 80 columns left the message a dozen: "报表只回 / 看过去：" and
    the rest cut off."""
    app = app_on(demo_db, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reports(pilot)
        await pilot.press("d", *"2030-01-01", "enter")
        await settle(pilot)
        error = app.screen.query_one("#as-of-error", Label)
        shown = "".join(strip.text for strip in error.render_lines(error.region.reset_offset))
        assert "报表只回看过去：截止日期最晚为今天" in shown


async def test_out_of_range_dates_are_refused_inline_never_a_crash(demo_db, monkeypatch):
    app = app_on(demo_db)
    bells: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: bells.append(1))
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        screen = app.screen
        field = screen.query_one("#as-of-input", Input)
        error = screen.query_one("#as-of-error", Label)
        for typed, why in (
            ("9999-12-31", "Reports look back"),  # never "run from 1900 to 9998" (QA)
            ("0001-01-02", "out of range: reports start on 1900-01-01"),
            ("2099-01-01", "Reports look back"),  # every task not yet due would be overdue
        ):
            await pilot.press("d", *typed, "enter")
            await settle(pilot)
            assert app.is_running and app.screen is screen
            message = str(error.render())
            assert why in message, typed
            assert field.display and screen.as_of == AS_OF
            # on its own line under the status line, the screen's width, wrapped, never cut
            assert error.region.y > screen.query_one("#report-bar").region.y
            assert error.size.width >= app.size.width - 2  # not beside the status and field
            lines = -(-len(message) // error.content_size.width)
            assert error.content_size.height >= lines
            await pilot.press("escape")
        # the first week and this one: stepping past them rings the bell and changes nothing
        for typed, outward, inward, why in (
            ("1900-01-02", "left_square_bracket", "right_square_bracket", "out of range"),
            (AS_OF.isoformat(), "right_square_bracket", "left_square_bracket", "look back"),
        ):
            await pilot.press("d", *typed, "enter")
            await settle(pilot)
            day = dt.date.fromisoformat(typed)
            assert screen.as_of == day
            for name in REPORTS:  # every report builds at the edges of the range
                await show_tab(pilot, name)
                assert name in screen._cache, name
            await pilot.press(outward)
            await settle(pilot)
            assert screen.as_of == day and bells
            assert why in str(error.render())
            await pilot.press(inward)
            await settle(pilot)
            assert screen.as_of != day
            assert not str(error.render())  # a good step clears the message
        assert not [n for n in app._notifications if n.severity == "error"]


async def test_a_date_message_is_gone_after_leaving_the_screen(demo_db, monkeypatch):
    app = app_on(demo_db)
    monkeypatch.setattr(app, "bell", lambda: None)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        screen = app.screen
        error = screen.query_one("#as-of-error", Label)
        await pilot.press("right_square_bracket")  # this week: the next one has not come
        await settle(pilot)
        assert "Reports look back" in str(error.render())
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        assert app.screen is screen and not str(error.render())


async def test_weekly_tab_speaks_chinese_and_shows_its_summary_at_80_columns(demo_db):
    from crm_tui.widgets.charts import MetricGrid

    app = app_on(demo_db, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "weekly")
        await pilot.press("left_square_bracket")  # W47: interactions, stage changes, tasks
        await settle(pilot)
        screen = app.screen
        report = screen._cache["weekly"]
        grid = screen.query_one("#metrics-weekly", MetricGrid)
        assert grid.display
        text = str(grid.render())
        assert "互动记录" in text and "加权商机金额" in text
        for _label, value in report_view.weekly_metrics(report):
            assert value in text
        # every figure inside the screen, none in a column scrolled off to the right
        assert grid.region.right <= 80 and grid.region.bottom < 24
        assert max(len(line.rstrip()) for line in text.splitlines()) <= grid.content_size.width
        table = screen.query_one("#table-weekly", DataTable)
        sections = {str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        assert "汇总" not in sections  # the summary is the grid above, not table rows
        details = {str(table.get_row_at(i)[4]) for i in range(table.row_count)}
        raw = {"meeting", "phone", "email", "visit", "online_meeting", "wechat", "call", "demo"}
        assert not details & raw, details & raw
        assert {"电话", "会议"} <= details
        changes = [d for d in details if "→" in d]
        assert changes and all("->" not in d and "_" not in d for d in changes)
    # the CSV keeps the English keys (CLI.md)
    csv_text = render_csv(report)
    assert ",phone," in csv_text and "->" in csv_text


async def test_rfm_segment_column_fits_at_130_columns(demo_db):
    import test_reports_data as d
    from rich.cells import cell_len

    from crm_tui.i18n import label
    from crm_tui.store import enums

    conn = demo_db.connect()  # a name as long as the tester's 3,000-customer database has
    long = d.customer(conn, "Pacific Rim Education International Corporation Holdings")
    d.order(conn, long, "2026-11-20", 500_000_00)
    conn.commit()
    conn.close()
    app = app_on(demo_db, lang="zh")
    async with app.run_test(size=(130, 35)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "rfm")
        table = app.screen.query_one("#table-rfm", DataTable)
        segments = {str(table.get_row_at(i)[-1]) for i in range(table.row_count)}
        names = {label(enums.RFM_SEGMENT, key) for key in enums.RFM_SEGMENT.keys}
        assert segments <= names and len(segments) > 1  # whole labels, never 重要 alone
        column = table.columns["segment"]
        assert column.content_width >= max(cell_len(n) for n in segments)
        # no horizontal scrolling needed: the segment column is on screen
        assert table.virtual_size.width <= table.scrollable_content_region.width
        customers = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert "Pacific Rim Education Interna…" in customers  # cut, with an ellipsis


async def test_money_columns_use_one_format_each(demo_db):
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        mixed_seen = False
        for name in ("rfm", "abc", "distribution"):
            await show_tab(pilot, name)
            report = app.screen._cache[name]
            table = app.screen.query_one(f"#table-{name}", DataTable)
            for col in report.columns:
                if col.kind != "money":
                    continue
                index = [c.key for c in report.columns].index(col.key)
                texts = [str(table.get_row_at(i)[index]) for i in range(table.row_count)]
                texts = [t for t in texts if t]
                with_cents = {"." in t for t in texts}
                assert len(with_cents) <= 1, (name, col.key)
                values = [r[col.key] for r in report.rows[: table.row_count]]
                mixed_seen |= any(v % 100 for v in values if v) and any(
                    v % 100 == 0 for v in values if v
                )
        assert mixed_seen  # the demo data has whole and fractional amounts side by side
        bars = app.screen.query_one("#chart-distribution", BarChart).bars
        assert len({"." in b.text.rsplit(" · ", 1)[-1] for b in bars}) == 1


async def test_funnel_report_and_pipeline_screen_have_different_names_in_chinese(demo_db):
    from crm_tui.i18n import _

    app = app_on(demo_db, lang="zh")
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        titles = report_view.tab_titles()
        assert titles["funnel"] == "销售漏斗"  # DOMAIN.md's name of the report
        assert _("Pipeline") == "商机看板"  # the board of opportunities (销售机会)
        tabs = app.screen.query_one(TabbedContent)
        assert "销售漏斗" in str(tabs.get_tab("tab-funnel").label)


def test_metric_grid_fills_the_width_column_by_column():
    from crm_tui.widgets.charts import MetricGrid

    grid = MetricGrid()
    grid.set_items([(f"m{i}", str(i * 1000)) for i in range(9)])  # pairs 2 + 2 + 4 = 8 cells
    # (80 + 4) // (8 + 4) = 7 columns fit; 2 rows are needed, which 5 columns fill
    assert grid.grid_shape(80) == (5, 2)
    assert grid.grid_shape(30) == (2, 5)
    assert grid.grid_shape(5) == (1, 9)  # narrower than a pair: one column
    assert grid.get_content_height(None, None, 30) == 5
    assert MetricGrid().grid_shape(80) == (0, 0)


# --- snapshots ----------------------------------------------------------------


async def _freeze(pilot) -> None:
    await settle(pilot)
    # The header's backup age is wall-clock time since a real file: pin it to "just now".
    pilot.app.last_backup = dt.datetime.now()
    await pilot.pause()


def _snapshot_app(db, lang="en"):
    return app_on(db, lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_funnel_snapshot(snap_compare, demo_db, lang):
    async def before(pilot):
        await open_reports(pilot)
        await _freeze(pilot)

    app = _snapshot_app(demo_db, lang)
    assert snap_compare(app, terminal_size=(140, 40), run_before=before)


def test_rfm_snapshot(snap_compare, demo_db):
    async def before(pilot):
        await open_reports(pilot)
        await show_tab(pilot, "rfm")
        await _freeze(pilot)

    assert snap_compare(_snapshot_app(demo_db), terminal_size=(140, 40), run_before=before)


def test_chart_renders_in_any_width():
    chart = BarChart()
    chart.bars = [Bar("a", (3,), "3"), Bar("长标签", (1,), "1", marker=2)]
    assert chart.get_content_height(None, None, 40) == 2


async def test_a_failing_report_is_reported_not_a_crash(demo_db, monkeypatch):
    import crm_tui.reports as reports_package

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(reports_package, "build_report", broken)
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        assert any("disk on fire" in n.message for n in app._notifications)
        assert not app.screen.query_one("#body-funnel").loading


async def test_target_key_on_every_tab_and_tab_moves_in_the_dialog(demo_db):
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        shown = {b.binding.key for b in app.active_bindings.values() if b.binding.show}
        assert "T" not in shown  # (in the footer on the forecast only; it acts everywhere)
        await show_tab(pilot, "forecast")
        shown = {b.binding.key for b in app.active_bindings.values() if b.binding.show}
        assert "T" in shown
        await pilot.press("T")
        await pilot.pause()
        assert app.focused.id == "field-target"  # the month is the one the report was on
        await pilot.press("shift+tab")
        assert app.focused.id == "field-month"
        await pilot.press("tab")
        assert app.focused.id == "field-target"
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, screen_module.ReportsScreen)


async def test_help_explains_the_screen_in_both_languages(demo_db):
    from crm_tui.i18n import _load_catalog

    assert screen_module.ReportsScreen.HELP in _load_catalog("zh")
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        texts = " ".join(str(s.render()) for s in app.screen.query(Static))
        assert "as of that week's Sunday" in texts


async def test_export_to_an_unwritable_place_is_an_error_message(demo_db, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be", encoding="utf-8")
    app = app_on(demo_db, settings=Settings(export_dir=blocker))
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        await pilot.press("ctrl+e")
        await settle(pilot)
        errors = [n for n in app._notifications if n.severity == "error"]
        assert errors and "cannot write" in errors[0].message


async def test_the_weekly_tab_makes_only_the_rows_it_shows(demo_db, monkeypatch):
    """A busy week holds a hundred thousand records at 100,000 customers: the tab
    makes the row dicts of the records it lists, not of the whole week."""
    monkeypatch.setattr(report_view, "ROW_LIMIT", 5)
    app = app_on(demo_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "weekly")
        report = app.screen._shown["weekly"]
        assert len(report_view.shown_rows(report)) > 5
        assert app.screen.query_one("#table-weekly", DataTable).row_count == 5
        assert report.rows._rows is None  # never built whole


@pytest.mark.parametrize("size", [(130, 50), (80, 24)])
async def test_forecast_quarters_follow_the_months_on_any_height(demo_db, size):
    """A few months fill as many rows: on a tall terminal the quarters come right under
    them (not under a block of blank rows); on 80x24 the months table shrinks instead."""
    app = app_on(demo_db)
    async with app.run_test(size=size) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "forecast")
        months = app.screen.query_one("#table-forecast", DataTable)
        title = app.screen.query_one("#extra-forecast Label")
        assert months.row_count > 0
        assert months.outer_size.height <= months.row_count + 2
        assert title.region.y - months.region.bottom <= 2  # the title's top margin
        assert title.region.bottom <= app.screen.size.height - 1  # above the key bar


async def test_at_80_columns_the_forecast_shows_the_attainment(demo_db):
    """Narrow, the forecast's tables leave the plain amount and the deal count to the
    export: with a business's amounts (millions a month) the attainment was past the
    right edge."""
    from textual.widgets import DataTable

    from crm_tui.store.targets import set_target

    with demo_db.reading() as conn:
        conn.execute("UPDATE opportunity SET amount_cents = amount_cents * 1000")
        conn.execute(  # one deal overdue from an earlier month: the third table
            "UPDATE opportunity SET expected_close = '2026-09-30' WHERE id ="
            " (SELECT min(id) FROM opportunity WHERE stage = 'proposal')"
        )
        set_target(conn, AS_OF.strftime("%Y-%m"), "28800000")
        conn.commit()
    app = app_on(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "forecast")
        tables = list(app.screen.query("#tab-forecast DataTable").results(DataTable))
        assert len(tables) >= 3  # the months, the quarters, the overdue deals
        for table in tables:
            keys = [column.key.value for column in table.columns.values()]
            if "expected_close" in keys:  # the overdue deals: their amounts
                assert "amount" in keys
                continue
            assert "attainment" in keys and "weighted_amount" in keys
            assert "amount" not in keys and "count" not in keys
            width = sum(c.get_render_width(table) for c in table.columns.values())
            assert width <= table.scrollable_content_region.width, (keys, width)


async def test_at_24_rows_the_forecast_gives_its_chart_room_to_the_quarters(demo_db):
    """At 80x24 the quarters' last row was cut off under the chart, out of reach."""
    from textual.widgets import DataTable

    from crm_tui.widgets.charts import BarChart

    app = app_on(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "forecast")
        assert not app.screen.query_one("#chart-forecast", BarChart).display
        [quarters] = [
            t
            for t in app.screen.query("#tab-forecast DataTable").results(DataTable)
            if "quarter" in [c.key.value for c in t.columns.values()]
        ]
        assert quarters.row_count >= 2
        assert quarters.size.height >= quarters.row_count + 1  # every row and the header
        await pilot.resize_terminal(80, 40)
        await pilot.pause()
        assert app.screen.query_one("#chart-forecast", BarChart).display  # room again
        await pilot.resize_terminal(80, 24)
        await show_tab(pilot, "funnel")  # one table, which scrolls: its chart stays
        assert app.screen.query_one("#chart-funnel", BarChart).display


async def test_at_80_columns_the_rfm_segment_and_abc_class_stay_on_screen(demo_db):
    """Under 110 columns the tables leave the code and the last order's date to the
    export and cut names shorter: at 80 the RFM segment and the ABC class were past the
    right edge. Wider again, the columns come back."""
    from textual.widgets import DataTable

    app = app_on(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reports(pilot)
        for name, key in (("rfm", "segment"), ("abc", "abc")):
            await show_tab(pilot, name)
            table = app.screen.query_one(f"#table-{name}", DataTable)
            keys = [column.key.value for column in table.columns.values()]
            assert "code" not in keys and "last_order" not in keys and key in keys
            width = sum(c.get_render_width(table) for c in table.columns.values())
            assert width <= table.scrollable_content_region.width, (name, width)
        await pilot.resize_terminal(130, 40)
        await settle(pilot)
        table = app.screen.query_one("#table-rfm", DataTable)
        keys = [column.key.value for column in table.columns.values()]
        assert keys[:3] == ["code", "customer", "last_order"]


async def test_a_quarter_without_a_target_for_each_month_says_why_it_has_none(november_target):
    """With only November's target set, 2026-Q4 read "0  0" and no target, as if none
    had been set: the quarters' title says a quarter needs all three months'."""

    app = app_on(november_target)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "forecast")
        titles = [str(t.render()) for t in app.screen.query("#extra-forecast Label")]
        assert any(
            t.startswith("Quarters  (a quarter has a target when each of its three months")
            for t in titles
        ), titles
        with november_target.reading() as conn:
            for month in ("2026-10", "2026-12", "2027-03"):  # (the demo sets Jan, Feb)
                set_target(conn, month, "1,000")
            conn.commit()
        app.screen._cache.pop("forecast", None)
        app.screen.load()
        await settle(pilot)
        titles = [str(t.render()) for t in app.screen.query("#extra-forecast Label")]
        assert "Quarters" in titles  # all three set: nothing to explain


async def test_the_activity_table_opens_on_the_current_week(demo_db):
    """Its weeks run oldest first: at 80x24 only the oldest three were in view, and the
    week the rep looks for (this one) was off the bottom."""
    app = app_on(demo_db, lang="zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "activity")
        table = app.screen.query_one("#table-activity", DataTable)
        assert table.row_count == 12
        assert table.cursor_row == 11
        assert str(table.get_row_at(11)[0]) == "2026-W48"
        await pilot.pause()
        assert table.scroll_y > 0 and table.region.height > 0  # scrolled to it


async def test_t_from_any_report_leaves_the_forecast_shown_after_the_dialog(demo_db):
    """From Activity, after the forecast had been shown once, escape on the target dialog
    brought back another report (the dialog gave the focus back to its table)."""
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_reports(pilot)
        for report in ("funnel", "activity"):
            await show_tab(pilot, report)
            await pilot.press("T")
            for _ in range(20):
                if app.screen.__class__.__name__ == "TargetDialog":
                    break
                await settle(pilot)
            assert app.screen.__class__.__name__ == "TargetDialog"
            await pilot.press("escape")
            await settle(pilot)
            await settle(pilot)
            assert app.screen.current == "forecast", report


async def test_the_palettes_target_over_an_open_dialog_says_to_close_it(demo_db):
    """Over the target dialog itself, the palette's 'Set a monthly sales target' (and
    'Start the daily review' over a task card) stopped the app with a traceback."""
    app = app_on(demo_db)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await open_reports(pilot)
        await show_tab(pilot, "forecast")
        await pilot.press("T")
        await settle(pilot)
        dialog = app.screen
        await palette_command(pilot, "target")
        for _ in range(3):
            await settle(pilot)
        assert app.is_running and app.screen is dialog
        assert "Close the dialog on this screen first (escape)" in [
            str(n.message) for n in app._notifications
        ]


async def test_a_target_dialog_that_fills_in_the_months_target_closes_without_asking(
    november_target,
):
    """Opened before the forecast knew the month's target (from the palette, or while the
    forecast was still being built), the dialog fills it in once open: escape then asked
    'Discard what you typed?' though nothing had been typed."""
    from crm_tui.screens.dialogs.target_dialog import TargetDialog

    app = app_on(november_target)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        start = app.screen
        app.push_screen(TargetDialog(app.db, "2026-11", None))
        await settle(pilot)
        dialog = app.screen
        assert dialog.query_one("#field-target", Input).value == "28840000.00"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is start
