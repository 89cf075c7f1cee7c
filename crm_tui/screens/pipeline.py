"""Screen 2: the opportunity pipeline — a kanban by stage driven from the keyboard.

Reads (column headers, card pages) use the standard-library connection and
draw only visible cards; every write runs in a thread worker and the board
reloads from the database afterwards, so a failed save leaves the card where it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Static

from crm_tui.i18n import _, label, language
from crm_tui.screens.pipeline_moves import STAGE_MOVES, PipelineMoves
from crm_tui.screens.resume import ReloadOnResume
from crm_tui.store import board, enums
from crm_tui.store.validation import display_amount
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.fitted_line import FittedLine
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.kanban import CardList, KanbanColumn
from crm_tui.widgets.localized import Localized
from crm_tui.widgets.search_box import SearchBox

#: Columns left to right: the open stages, then won, after-sales and lost.
BOARD_STAGES: tuple[str, ...] = enums.STAGE_LADDER + ("lost",)
#: Below this width per column the columns stop sharing the screen: they take the
#: comfortable fixed width (``KanbanColumn.fixed``, 24) and the board scrolls sideways.
#: 21 lets a 150-column terminal show all seven (cards shorten their dates to fit).
MIN_COLUMN_WIDTH = 21


class PipelineScreen(ReloadOnResume, PipelineMoves, Localized, Screen):
    """Deals by stage. The cursor is (column, card); each column scrolls on its own."""

    AUTO_FOCUS = ""  # keys go to the board; `/` focuses the filter

    BINDINGS = [
        Binding("left,h", "column(-1)", "Left", show=False),
        Binding("right", "column(1)", "Right", show=False),
        Binding("up,k", "card(-1)", "Up", show=False),
        Binding("down,j", "card(1)", "Down", show=False),
        Binding("pageup", "card_page(-1)", "Page up", show=False),
        Binding("pagedown", "card_page(1)", "Page down", show=False),
        Binding("home,g", "card_end(0)", "First", show=False),
        Binding("end,G", "card_end(1)", "Last", show=False),
        Binding(
            "less_than_sign", "move_previous", "Prev stage", key_display="<", group=STAGE_MOVES
        ),
        Binding("greater_than_sign", "move_next", "Next stage", key_display=">", group=STAGE_MOVES),
        Binding("L", "move_lost", "Lost"),
        Binding("u", "undo", "Undo"),
        Binding("enter", "open", "Open"),
        Binding("n", "new", "New"),
        Binding("e", "edit", "Edit"),
        Binding("l", "log", "Log"),
        Binding("t", "task", "Task"),
        Binding("slash", "search", "Filter", key_display="/"),
        Binding("f", "filter", "Level/month"),
        Binding("a", "toggle_closed", "All won/lost"),
        Binding("delete", "delete", "Delete", show=False),
        Binding("escape", "clear_filter", "Clear filter", show=False),
        # priority: also typed in the search box (whose own ctrl+e is end of line; End is too)
        Binding("ctrl+e", "export", "Export CSV", show=False, priority=True),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.filter = board.BoardFilter()
        self.column_index = 0
        self.total_deals = 0
        #: The day the board was read for (its 30-day window) and how many cards it shows.
        self.shown_day = dt.date.today()
        self.shown_count = 0
        #: A move or undo is being saved; further moves wait so they never act on a stale card.
        self.saving = False

    def compose(self) -> ComposeResult:
        settings = self.app.settings  # type: ignore[attr-defined]
        lang = language()
        # Classes that depend on the width and the cursor are right from the start: set
        # after mounting, each would restyle a column and lay the board out again.
        narrow = self._narrow(self.app.size.width)
        yield AppHeader("pipeline")
        yield SearchBox(
            _("Filter cards: deal, customer, product, next action"), id="pipeline-search"
        )
        with Horizontal(id="board"):
            for i, stage in enumerate(BOARD_STAGES):
                yield KanbanColumn(
                    stage,
                    settings.stage_name(stage, lang),
                    active=i == self.column_index,
                    fixed=narrow,
                )
        yield Static("", id="pipeline-empty", classes="empty-state")
        yield FittedLine(id="pipeline-status", classes="status-line")
        yield Footer()

    def on_mount(self) -> None:
        # The board is read in reload_on_resume, which also runs on the first visit.
        self.conn = self.app.db.connect()  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        self.conn.close()

    def reload_on_resume(self) -> bool:
        if not hasattr(self, "conn"):  # not mounted yet
            return False
        self.reload(select=self.current_id())
        return True

    # --- data ------------------------------------------------------------------

    @property
    def columns(self) -> list[KanbanColumn]:
        return list(self.query(KanbanColumn))

    def column(self, stage: str) -> KanbanColumn:
        return self.query_one(f"#column-{stage}", KanbanColumn)

    def reload(self, *, select: int | None = None) -> bool:
        """Re-read headers and cards; ``select`` puts the cursor on that deal if it is shown.

        Returns whether the selected deal is on the board (False: a filter or the 30-day
        window of won / lost leaves it out)."""
        app = self.app
        today = app.today()  # type: ignore[attr-defined]
        settings = app.settings  # type: ignore[attr-defined]
        flt = self.filter
        self.total_deals = board.count_opportunities(self.conn)
        summaries = board.column_summaries(self.conn, flt, today)
        self.shown_day, self.shown_count = today, sum(s.count for s in summaries.values())
        position = board.card_position(self.conn, select, flt, today) if select else None
        if position:
            self.column_index = BOARD_STAGES.index(position[0])
        elif not summaries[BOARD_STAGES[self.column_index]].count:
            # the selected deal filtered out and its column emptied: the keys go to the
            # first column with deals (they did nothing there, and a lost reason typed
            # for `L` went to the board's keys: u undid a hidden deal's move)
            self.column_index = next(
                (i for i, stage in enumerate(BOARD_STAGES) if summaries[stage].count),
                self.column_index,
            )
        for col in self.columns:
            # while won and lost show their last 30 days, after-sales (an ongoing service,
            # not a moment) shows all its deals: said, so the three read as they are
            col.note = (
                ""
                if flt.all_closed
                else _("30 days")
                if col.stage in ("won", "lost")
                else _("all")
                if col.stage == "after_sales"
                else ""
            )

            def fetch(offset: int, limit: int, stage: str = col.stage) -> list[board.Card]:
                return board.column_page(self.conn, stage, flt, today, offset, limit, settings)

            cursor = position[1] if position and position[0] == col.stage else None
            col.show(summaries[col.stage], fetch, cursor)
        self._show_state()
        return position is not None

    def _show_state(self) -> None:
        empty = self.total_deals == 0
        board = self.query_one("#board")
        board.display = not empty
        message = self.query_one("#pipeline-empty", Static)
        message.display = empty
        if empty:
            message.update(
                _(
                    "No deals in the pipeline yet.\n\n"
                    "  n   add your first opportunity: pick the customer, type a name\n"
                    "  1   go to the customers screen to add or import customers first"
                )
            )
        self.set_column(self.column_index)
        parts = []
        if self.filter.text.strip():
            parts.append(_("text “{text}”").format(text=self.filter.text.strip()))
        if self.filter.level:
            parts.append(_("level {level}").format(level=label(enums.LEVEL, self.filter.level)))
        if self.filter.close_month:
            parts.append(_("closing {month}").format(month=self.filter.close_month))
        status = _("Filter: {what} (escape clears)").format(what=", ".join(parts)) if parts else ""
        closed = (
            _("Won / lost: all (a: last 30 days)")
            if self.filter.all_closed
            else _("Won / lost: last 30 days (a: all)")
        )
        # what the cards' short marks ("risk" needs no word) and "2/3" stand for
        marks = _("Marks: late = overdue, stuck = stalled")
        ticked = _("2/3 = exit criteria ticked")
        # most telling first: a narrow line leaves out the legend, then the 30-day note
        parts = [] if empty else [p for p in (status, closed, marks, ticked) if p]
        # the wordings, longest first: the last parts go while the line does not fit
        self.query_one("#pipeline-status", FittedLine).show(
            *("  ·  ".join(parts[:n]) for n in range(len(parts), 0, -1))
        )

    @staticmethod
    def _narrow(width: int) -> bool:
        return width < MIN_COLUMN_WIDTH * len(BOARD_STAGES)

    def on_resize(self) -> None:
        """Share the width while columns stay readable; otherwise fixed widths and scroll sideways."""
        narrow = self._narrow(self.size.width)
        for col in self.columns:
            col.set_class(narrow, "fixed")
        self.call_after_refresh(self.set_column, self.column_index)

    # --- cursor ----------------------------------------------------------------

    def set_column(self, index: int) -> None:
        columns = self.columns
        self.column_index = max(0, min(len(columns) - 1, index))
        for i, col in enumerate(columns):
            col.set_active(i == self.column_index)
        active = columns[self.column_index]
        active.scroll_visible(animate=False)
        active.cards.show_cursor()

    @property
    def active_cards(self) -> CardList:
        return self.columns[self.column_index].cards

    def current_card(self) -> board.Card | None:
        if self.total_deals == 0:
            return None
        return self.active_cards.current

    def current_id(self) -> int | None:
        card = self.current_card()
        return card.id if card else None

    def action_column(self, delta: int) -> None:
        self.set_column(self.column_index + delta)

    def action_card(self, delta: int) -> None:
        self.active_cards.move_cursor(delta)

    def action_card_page(self, direction: int) -> None:
        from crm_tui.widgets.kanban import CARD_HEIGHT

        cards = self.active_cards
        self.active_cards.move_cursor(direction * max(cards.size.height // CARD_HEIGHT, 1))

    def action_card_end(self, end: int) -> None:
        cards = self.active_cards
        cards.move_cursor(cards.count if end else -cards.count)

    @on(CardList.Clicked)
    def _clicked(self, event: CardList.Clicked) -> None:
        stage = event.cards.stage
        event.cards.cursor = event.index
        self.set_column(BOARD_STAGES.index(stage))
        event.cards.refresh()

    # --- moves -------------------------------------------------------------------
    # --- records -----------------------------------------------------------------

    def action_open(self) -> None:
        opp_id = self.current_id()
        if opp_id is not None:
            self.open_opportunity(opp_id)

    def open_opportunity(self, opp_id: int) -> None:
        """Show one deal's detail (also used by the customer detail and the palette)."""
        from crm_tui.screens.opportunity_detail import OpportunityDetail

        def closed(changed: bool | None) -> None:
            self.reload(select=opp_id)

        self.app.push_screen(OpportunityDetail(opp_id), closed)

    def action_new(self) -> None:
        from crm_tui.screens.dialogs.customer_picker import CustomerPicker
        from crm_tui.screens.dialogs.opportunity_form import OpportunityForm

        if not board.has_customers(self.conn):
            self.notify(
                _("No customers yet: press 1 to add or import one, then n here"),
                severity="warning",
            )
            return

        def saved(opp_id: int | None) -> None:
            if opp_id:
                lines = [_("Opportunity saved")]
                if not self.reload(select=opp_id):  # closed long ago, or filtered out
                    lines.append(self.hidden_reason(opp_id))
                self.notify("\n".join(lines), timeout=8 if len(lines) > 1 else 5)
                self.app.data_changed()  # type: ignore[attr-defined]

        def picked(customer: tuple[int, str] | None) -> None:
            if customer:
                form = OpportunityForm(
                    self.app.db,  # type: ignore[attr-defined]
                    customer_id=customer[0],
                    customer_name=customer[1],
                )
                self.app.push_screen(form, saved)

        self.app.push_screen(CustomerPicker(_("New opportunity: pick the customer")), picked)

    def action_edit(self) -> None:
        opp_id = self.current_id()
        if opp_id is None:
            return
        from crm_tui.screens.dialogs.opportunity_form import OpportunityForm

        def saved(result: int | None) -> None:
            if not result:
                return
            lines = []
            if not self.reload(select=opp_id):  # e.g. its close date is now long ago
                lines.append(self.hidden_reason(opp_id))
            kept = board.order_amount_left_behind(self.conn, opp_id)
            if kept is not None:  # the edit changed a won deal's amount, not its order's
                lines.append(
                    _("Its order keeps its amount {amount}").format(amount=display_amount(kept))
                )
            if lines:
                self.notify("\n".join(lines), timeout=8)

        from crm_tui.screens import actions

        actions.open_form(
            self.app,
            lambda: OpportunityForm(self.app.db, opportunity_id=opp_id),  # type: ignore[attr-defined]
            saved,
            gone=lambda: self.reload(),
        )

    def action_export(self) -> None:
        """ctrl+e: the deals the board shows (its filter, and won / lost of the last 30
        days unless `a` shows all), as `crm export opportunities` writes them, in the
        board's order."""
        from crm_tui.screens import actions

        actions.after_typing(self.app, self._export)

    def _export(self) -> None:
        from crm_tui.screens import actions

        text = self.query_one("#pipeline-search", Input).value
        if text != self.filter.text:  # typed just before ctrl+e: show it first
            self.filter = replace(self.filter, text=text)
            self.reload(select=self.current_id())
        only = board.shown_id_query(self.filter, self.shown_day)
        actions.export_records(
            self.app, "opportunities", only, shown=self.shown_count, order=board.EXPORT_ORDER
        )

    def action_delete(self) -> None:
        card = self.current_card()
        if card is None:
            return
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

        def answered(yes: bool | None) -> None:
            if yes:
                self.save_delete(card.id)

        message = _("Delete the opportunity “{name}” and its stage history?").format(name=card.name)
        self.app.push_screen(ConfirmDialog(message, yes=_("Delete"), danger=True), answered)

    @work(thread=True, exit_on_error=False, group="pipeline-write")
    def save_delete(self, opp_id: int) -> None:
        from crm_tui.store import opportunities as ops

        app = self.app
        try:
            with app.db.session() as s:  # type: ignore[attr-defined]
                ops.delete_opportunity(s, opp_id)
        except Exception as exc:
            app.call_from_thread(self._write_failed, exc, opp_id)
            return
        app.call_from_thread(self._deleted)

    def _deleted(self) -> None:
        self.undo_stack.clear()
        self.notify(_("Opportunity deleted"))
        self.reload()

    def action_log(self) -> None:
        card = self.current_card()
        if card is None:
            return
        from crm_tui.screens.actions import log_interaction

        log_interaction(
            self.app, customer_id=card.customer_id, opportunity_id=card.id,
            on_done=lambda: self.reload(select=card.id),
        )  # fmt: skip

    def action_task(self) -> None:
        card = self.current_card()
        if card is None:
            return
        from crm_tui.screens.actions import new_task

        new_task(
            self.app, customer_id=card.customer_id, opportunity_id=card.id,
            on_done=lambda: self.reload(select=card.id),
        )  # fmt: skip

    # --- filters -----------------------------------------------------------------

    def action_search(self) -> None:
        search = self.query_one("#pipeline-search", Input)
        search.display = True
        search.focus()

    #: Seconds of no typing before the board is filtered: at 200,000 deals a filter takes
    #: ~0.5 s, and every letter of a word filtered the board anew while the keys waited.
    FILTER_DELAY = 0.25
    _filter_timer: Timer | None = None

    @on(Input.Changed, "#pipeline-search")
    def _search_changed(self, event: Input.Changed) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(self.FILTER_DELAY, self.apply_search)

    def apply_search(self) -> None:
        """Filter the board by what is typed in the search box, now."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = None
        text = self.query_one("#pipeline-search", Input).value
        if text != self.filter.text:
            self.filter = replace(self.filter, text=text)
            self.reload(select=self.current_id())

    @on(Input.Submitted, "#pipeline-search")
    def _search_done(self) -> None:
        if self._filter_timer is not None:  # enter: filtered now, no wait
            self.apply_search()
        search = self.query_one("#pipeline-search", Input)
        search.display = bool(search.value)
        self.set_focus(None)

    def action_clear_filter(self) -> None:
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        search = self.query_one("#pipeline-search", Input)
        search.value = ""
        search.display = False
        self.set_focus(None)
        if self.filter.active:
            self.filter = replace(self.filter, text="", level=None, close_month=None)
            self.reload(select=self.current_id())

    def action_filter(self) -> None:
        from crm_tui.screens.dialogs.opportunity_filter import OpportunityFilterDialog

        def chosen(result: dict | None) -> None:
            if result is not None:
                self.filter = replace(self.filter, **result)
                self.reload(select=self.current_id())

        dialog = OpportunityFilterDialog(
            self.filter.level, self.filter.close_month, board.close_months(self.conn)
        )
        self.app.push_screen(dialog, chosen)

    def action_toggle_closed(self) -> None:
        self.filter = replace(self.filter, all_closed=not self.filter.all_closed)
        self.reload(select=self.current_id())
