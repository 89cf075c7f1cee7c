"""One opportunity in full: every field, the exit-criteria checklist (`space`), stage history, interactions."""

from __future__ import annotations

import asyncio

from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from crm_tui.i18n import _, label, language
from crm_tui.screens.pipeline_moves import STAGE_MOVES, PipelineMoves
from crm_tui.store import board, enums
from crm_tui.store.board import CLOSED_STAGES
from crm_tui.store.validation import display_amount
from crm_tui.widgets.app_header import SCREENS
from crm_tui.widgets.fitted_title import FittedTitle
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized


def _text(value) -> str:
    """A value as shown; a moment to the minute, as every other screen shows it."""
    if value is None or value == "":
        return "—"
    if hasattr(value, "isoformat"):
        return f"{value:%Y-%m-%d %H:%M}" if hasattr(value, "hour") else value.isoformat()
    return str(value)


class _Checklist(OptionList):
    """The exit criteria. The deal opens at its top, so on a small terminal the list
    starts below the fold: a move in it brings it into view (the key acted unseen)."""

    MOVES = frozenset({"up", "down", "home", "end", "pageup", "pagedown"})

    def on_key(self, event: events.Key) -> None:
        if event.key in self.MOVES:  # (the binding moves the highlight; then show it)
            self.call_after_refresh(self.into_view)

    def into_view(self) -> None:
        self.scroll_visible(animate=False)


class OpportunityDetailScreen(PipelineMoves, Localized, ModalScreen[bool]):
    """Dismisses with True when something was changed (the board then reloads).

    `<` `>` (and `L`, `u`) move the deal as they do on the board (PipelineMoves)."""

    BINDINGS = [
        # (descriptions shorter than the board's: the moves fit an 80-column bar)
        Binding("escape", "close", "Back"),
        Binding("space", "toggle", "Tick"),
        # a stage without exit criteria (won, lost, after-sales) hides the key above; this
        # one, hidden, then says why space does nothing
        Binding("space", "no_criteria", show=False),
        Binding("e", "edit", "Edit"),
        Binding("l", "log", "Log"),
        Binding("t", "task", "Task"),
        Binding(
            "less_than_sign", "move_previous", "Prev stage", key_display="<", group=STAGE_MOVES
        ),
        Binding("greater_than_sign", "move_next", "Next stage", key_display=">", group=STAGE_MOVES),
        Binding("L", "move_lost", "Lost", show=False),
        # shown once this deal has a move to undo (a won deal's next key); the hidden
        # one says what else `u` would do
        Binding("u", "undo", "Undo"),
        Binding("u", "undo_other", show=False),
        # Textual gives a modal screen none of the app's keys; this one stands in for a
        # screen (the header's tabs show above it), so it takes them as every screen does
        *(Binding(key, f"go('{mode}')", show=False) for mode, key, _title in SCREENS),
        Binding("q", "app.quit", "Quit", show=False),  # (esc is the way back)
        Binding("question_mark", "app.help", "Help", key_display="?"),
    ]

    def __init__(self, opportunity_id: int) -> None:
        super().__init__()
        self.opportunity_id = opportunity_id
        self.changed = False
        self.stage = ""
        self.customer_id: int | None = None
        #: The deal's stage has exit criteria to tick (the checklist is shown).
        self.has_criteria = False
        #: Saving the latest tick (closing waits for it).
        self._tick: Worker | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="detail", classes="dialog opportunity-detail"):
            yield FittedTitle(id="detail-title", classes="dialog-title")
            with VerticalScroll(id="detail-body"):
                yield Static("", id="detail-fields")
                yield Label("", id="criteria-title", classes="detail-section")
                yield _Checklist(id="criteria")
                yield Label(_("Orders"), id="orders-title", classes="detail-section")
                yield Static("", id="detail-orders")
                yield Label(_("Stage history"), classes="detail-section")
                yield Static("", id="detail-history")
                yield Label(_("Interactions"), classes="detail-section")
                yield Static("", id="detail-interactions")
        yield Footer()

    def on_mount(self) -> None:
        self.conn = self.app.db.connect()  # type: ignore[attr-defined]  # (moves read with it)
        self.load()
        self.query_one("#detail-body", VerticalScroll).scroll_home(animate=False)

    def on_unmount(self) -> None:
        self.conn.close()

    def _focus_keys(self) -> None:
        """The checklist takes the keys, but the deal opens at its top (name, amount,
        stage, next action): focusing does not scroll the list into view, below them.
        A won or lost deal has no checklist: the keys scroll the detail."""
        checklist = self.query_one("#criteria", OptionList)
        body = self.query_one("#detail-body", VerticalScroll)
        if checklist.display:
            if self.focused is not checklist:
                checklist.focus(scroll_visible=False)
        elif self.focused is not body:
            body.focus(scroll_visible=False)

    def load(self) -> None:
        from crm_tui.store.board import deal_orders
        from crm_tui.store.common import raw
        from crm_tui.store.models import Contact, Customer
        from crm_tui.store.opportunities import (
            criteria_indexes,
            get_opportunity,
            opportunity_interactions,
            stage_history,
        )

        app = self.app
        settings = app.settings  # type: ignore[attr-defined]
        lang = language()
        try:
            with app.db.session() as s:  # type: ignore[attr-defined]
                opp = get_opportunity(s, self.opportunity_id)
                customer = s.get(Customer, opp.customer_id)
                contact = s.get(Contact, opp.contact_id) if opp.contact_id else None
                history = stage_history(s, opp.id)
                interactions = opportunity_interactions(s, opp.id, limit=50)
                orders = deal_orders(raw(s), opp.customer_id, opp.id)
        except Exception as exc:
            app.notify(app.problem_text(exc), severity="error")  # type: ignore[attr-defined]
            self.dismiss(self.changed)
            return
        self.stage = opp.stage
        self.customer_id = opp.customer_id
        self.version = opp.version
        stage_name = settings.stage_name(opp.stage, lang)
        # a long name gives way to the stage (it pushed it out of the title, uncut);
        # the fields start with the name in full
        self.query_one("#detail-title", FittedTitle).show(opp.name, Text(f" · {stage_name}"))
        rows = [
            (_("Opportunity name"), opp.name),
            (_("Customer"), customer.name if customer else "—"),
            (_("Primary contact"), contact.name if contact else "—"),
            (_("Product / service"), _text(opp.product)),
            (_("Expected amount"), display_amount(opp.amount_cents)),
            (_("Stage"), stage_name),
            (
                _("Probability"),
                (_("{p}% (set by hand)") if opp.probability_overridden else "{p}%").format(
                    p=opp.probability
                ),
            ),
            (_("Expected close date"), _text(opp.expected_close)),
            (_("Next action"), _text(opp.next_action)),
            (_("Next action due"), _text(opp.next_action_due)),
            (_("Competitor"), _text(opp.competitor)),
            (_("Our strengths"), _text(opp.strengths)),
            (_("Our weaknesses"), _text(opp.weaknesses)),
            (_("Key success factors"), _text(opp.key_success_factors)),
            (_("Risks"), _text(opp.risks)),
            (_("Risk warning"), _("Yes") if opp.risk_flag else _("No")),
        ]
        if opp.stage in CLOSED_STAGES:  # an open deal has not closed
            # as the won and lost dialogs name it: a lost deal was not won (成交) that day
            close = _("Lost on") if opp.stage == "lost" else _("Actual close date")
            rows.append((close, _text(opp.actual_close)))
        if opp.stage == "lost":
            rows.append((_("Lost reason"), _text(opp.lost_reason)))
        rows += [
            (_("In this stage since"), _text(opp.stage_entered_at)),
            (_("Created"), _text(opp.created_at)),
            (_("Updated"), _text(opp.updated_at)),
        ]
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim", no_wrap=True)
        table.add_column()
        for key, value in rows:
            table.add_row(key, Text(value))
        self.query_one("#detail-fields", Static).update(table)

        criteria = settings.stages[opp.stage].criteria(lang) if opp.stage in settings.stages else []
        done = criteria_indexes(opp.criteria_done)
        self.query_one("#criteria-title", Label).update(
            _("Exit criteria of this stage ({done}/{total}) — space ticks").format(
                done=len([i for i in done if i < len(criteria)]), total=len(criteria)
            )
            if criteria
            else _("This stage has no exit criteria")
        )
        options = self.query_one("#criteria", OptionList)
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            [
                Option(Text(("[x] " if i in done else "[ ] ") + text), id=str(i))
                for i, text in enumerate(criteria)
            ]
        )
        options.display = self.has_criteria = bool(criteria)
        if criteria:
            options.highlighted = min(highlighted or 0, len(criteria) - 1)
        self._focus_keys()  # a move may bring the checklist or take it away
        self.refresh_bindings()

        self._show_orders(orders)
        hist = Table.grid(padding=(0, 2))
        for h in history:
            frm = settings.stage_name(h.from_stage, lang) if h.from_stage else "—"
            hist.add_row(
                _text(h.changed_at), Text(f"{frm} → {settings.stage_name(h.to_stage, lang)}")
            )
        self.query_one("#detail-history", Static).update(hist)
        if interactions:
            log = Table.grid(padding=(0, 2))
            for i in interactions:
                log.add_row(
                    _text(i.occurred_at)[:16], label(enums.CHANNEL, i.channel), Text(i.subject)
                )
            self.query_one("#detail-interactions", Static).update(log)
        else:
            self.query_one("#detail-interactions", Static).update(
                _("No interactions logged for this deal yet (l logs one)")
            )

    def _show_orders(self, orders: list[tuple[int, str, int, int]]) -> None:
        """The orders the deal became (winning it makes one, board.deal_orders), with what
        was paid; the section is left out while there are none."""
        grid = Table.grid(padding=(0, 2))
        grid.add_column()
        grid.add_column(justify="right")
        grid.add_column()
        for _oid, day, cents, paid in orders:
            owed = cents - paid
            state = _("paid") if owed <= 0 else _("{owed} owed").format(owed=display_amount(owed))
            grid.add_row(_text(day), display_amount(cents, fixed=True), state)
        self.query_one("#detail-orders", Static).update(grid)
        for wid in ("#orders-title", "#detail-orders"):
            self.query_one(wid).display = bool(orders)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """space offers to tick a criterion only where the stage has some; `u` shows
        when the latest move is this deal's."""
        if action == "toggle":
            return self.has_criteria
        if action == "no_criteria":
            return not self.has_criteria
        if action in ("undo", "undo_other"):
            return self._undo_is_mine() == (action == "undo")
        return True

    def _undo_is_mine(self) -> bool:
        stack = self.undo_stack
        return bool(stack) and stack[-1].move.opportunity_id == self.opportunity_id

    def action_no_criteria(self) -> None:
        self.notify(_("This stage has no exit criteria"), timeout=3)

    def action_toggle(self) -> None:
        options = self.query_one("#criteria", _Checklist)
        if options.display and options.highlighted is not None:
            options.into_view()  # the tick is seen
            self._tick = self._toggle(options.highlighted)

    @on(OptionList.OptionSelected, "#criteria")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._tick = self._toggle(event.option_index)

    @work(thread=True, exclusive=True, exit_on_error=False, group="criteria")
    def _toggle(self, index: int) -> None:
        from crm_tui.store.opportunities import toggle_criterion

        app = self.app
        try:
            with app.db.session() as s:  # type: ignore[attr-defined]
                toggle_criterion(s, self.opportunity_id, index, settings=app.settings)  # type: ignore[attr-defined]
        except Exception as exc:
            app.call_from_thread(
                app.notify,
                _("Could not save: {error}").format(error=app.problem_text(exc)),  # type: ignore[attr-defined]
                severity="error",
            )
            return
        app.call_from_thread(self._toggled)

    def _toggled(self) -> None:
        self.changed = True
        self.load()

    def action_edit(self) -> None:
        from crm_tui.screens.dialogs.opportunity_form import OpportunityForm

        def saved(result: int | None) -> None:
            if result:
                self.changed = True
                self.load()

        from crm_tui.screens import actions

        actions.open_form(
            self.app,
            lambda: OpportunityForm(self.app.db, opportunity_id=self.opportunity_id),  # type: ignore[attr-defined]
            saved,
            gone=lambda: self.dismiss(True),  # (deleted elsewhere: the board reads again)
        )

    def action_log(self) -> None:
        from crm_tui.screens.actions import log_interaction

        log_interaction(
            self.app, customer_id=self.customer_id, opportunity_id=self.opportunity_id,
            on_done=self._after_write,
        )  # fmt: skip

    def action_task(self) -> None:
        from crm_tui.screens.actions import new_task

        new_task(
            self.app, customer_id=self.customer_id, opportunity_id=self.opportunity_id,
            on_done=self._after_write,
        )  # fmt: skip

    def _after_write(self) -> None:
        self.changed = True
        self.load()

    # --- moves (PipelineMoves) ----------------------------------------------------

    def current_card(self) -> board.Card | None:
        return board.card(self.conn, self.opportunity_id, self.app.today(), self.app.settings)  # type: ignore[attr-defined]

    def current_id(self) -> int:
        return self.opportunity_id

    def deal_gone(self) -> None:
        """Deleted elsewhere: back to the board, which reads again without it."""
        self.changed = True
        self.dismiss(True)

    def action_undo_other(self) -> None:
        """`u` undoes this deal's latest move; the board's undoes any deal's."""
        stack = self.undo_stack
        if not stack:
            self.notify(_("Nothing to undo"), severity="warning")
            return
        self.notify(
            _("The last move was of “{name}”: u on the board undoes it").format(
                name=stack[-1].name
            ),
            severity="warning",
        )

    def reload(self, *, select: int | None = None) -> bool:
        """After a move (or its undo, or a failed save): show the deal as it now is."""
        self.changed = True
        self.load()
        return True  # (the detail always shows its deal)

    async def _close(self) -> bool:
        """Close once a tick or move just made is saved: the save is this screen's
        worker, which closing cancels (it was lost, or saved after the board had read
        the deal). False when the detail is no longer open (a key typed while it waited)."""
        while any(w is not None and not w.is_finished for w in (self._tick, self._writer)):
            await asyncio.sleep(0.01)
        if not self.is_current:
            return False
        self.dismiss(self.changed)
        return True

    async def action_close(self) -> None:
        await self._close()

    async def action_go(self, mode: str) -> None:
        """1–5: close the detail (what it saves is saved as it is made) and show that
        screen, as the key does everywhere."""
        if await self._close() and self.app.current_mode != mode:
            self.app.switch_mode(mode)


#: Short name used by the pipeline.
OpportunityDetail = OpportunityDetailScreen
