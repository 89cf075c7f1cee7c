"""The pipeline's stage moves: ask what a move needs, save it in a worker, undo it.

A mixin for :class:`~crm_tui.screens.pipeline.PipelineScreen`, kept apart so the
screen module stays about layout and navigation. The screen provides
``current_card()``, ``reload(select=...)`` and ``conn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual import work
from textual.binding import Binding
from textual.worker import Worker

from crm_tui.i18n import _, language
from crm_tui.screens.dialogs.confirm import ConfirmDialog
from crm_tui.store import board, enums
from crm_tui.store.validation import display_amount

if TYPE_CHECKING:
    from crm_tui.store.opportunities import Move

UNDO_DEPTH = 20


#: Stages in which a deal counts as won (its order belongs there).
WON_STAGES = ("won", "after_sales")


#: `<` and `>` share one place in the key bar ("< > Move stage"); help lists each.
STAGE_MOVES = Binding.Group("Move stage")


@dataclass(frozen=True)
class UndoEntry:
    move: Move
    order_id: int | None = None  # created by the move (undo deletes it)
    removed_orders: tuple[dict, ...] = ()  # removed by the move (undo re-creates them)
    kept_orders: int = 0  # orders left in place on a deal moved out of won
    name: str = ""  # the deal's name, for the notices
    #: (order id, amount before, amount after) of an order the move set to the final amount
    updated_order: tuple[int, int, int] | None = None
    #: the deal's one order kept its amount although the final amount differs: that amount
    order_kept_cents: int | None = None
    #: (task id, status before) of the open tasks cancelled with a lost deal
    cancelled_tasks: tuple[tuple[int, str], ...] = ()


class OrderQuestion(ConfirmDialog):
    """Moving a won deal back: y removes its order, n keeps it, escape cancels the move.

    Dismisses with True, False, or None (cancelled), unlike a plain yes/no question
    where escape means No."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "cancel", "Cancel"),
    ]

    def action_cancel(self) -> None:
        self.dismiss(None)


def error_text(exc: Exception, app: Any) -> str:
    """What the user reads when a save fails (validation and conflicts say it themselves;
    a damaged file says how to restore it: ``app.problem_text``)."""
    from crm_tui.store.common import ConflictError, NotFoundError
    from crm_tui.store.validation import ValidationError

    if isinstance(exc, ValidationError):
        return exc.message
    if isinstance(exc, ConflictError | NotFoundError):
        return str(exc)
    return _("Could not save: {error}").format(error=app.problem_text(exc))


class PipelineMoves:
    """`<` `>` `L` and `u` on the board, and on a deal's detail (the same moves, dialogs
    and notices; its ``current_card()`` is the deal shown)."""

    #: A move or undo is being saved; further moves wait so they never act on a stale card.
    saving = False
    #: The worker saving it: should it end without its callback (an unexpected error
    #: outside the save's own handling), the board is not left "saving" for good.
    _writer: Worker | None = None

    @property
    def undo_stack(self) -> list[UndoEntry]:
        """The moves `u` undoes, latest last: the app's, so `u` on the board also undoes
        a move made on a deal's detail (or an older move of another deal instead)."""
        return self.app.move_undo  # type: ignore[attr-defined]

    @undo_stack.setter
    def undo_stack(self, entries: list[UndoEntry]) -> None:
        self.app.move_undo = entries  # type: ignore[attr-defined]

    def _wait_for_save(self) -> bool:
        if self.saving and self._writer is not None and self._writer.is_finished:
            self._writer_ended(self._writer)
        if self.saving:
            self.notify(_("Still saving the last move…"), severity="warning", timeout=2)
        return self.saving

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker is self._writer and event.worker.is_finished:
            self._writer_ended(event.worker)

    def _writer_ended(self, worker: Worker) -> None:
        """A save's worker is done; if its callback did not run (it clears ``saving``),
        say what went wrong and show the board as saved."""
        self._writer = None
        if not self.saving:
            return
        self.saving = False
        problem = worker.error or RuntimeError(_("the save was interrupted"))
        self.app.notify(error_text(problem, self.app), severity="error", timeout=8)
        self.reload(select=self.current_id())

    def _movable_card(self):
        """The selected card, unless there is none or the last move is still being saved.

        The deal is read again first: deleted in another window, that is said (and the
        screen drops it) before any question about the move, which was asked for nothing."""
        opp_id = self.current_id()
        if opp_id is None or self._wait_for_save():
            return None
        app = self.app
        if board.card(self.conn, opp_id, app.today(), app.settings) is None:  # type: ignore[attr-defined]
            app.show_error(_("This opportunity no longer exists"))  # type: ignore[attr-defined]
            self.deal_gone()
            return None
        return self.current_card()  # (as shown: a change made elsewhere is a conflict)

    def deal_gone(self) -> None:
        """The selected deal was deleted elsewhere: show the board without it."""
        self.reload()

    def action_move_next(self) -> None:
        """The next stage; a lost deal re-opens where it was lost, as with `<` (the key
        bar offers "< > Move stage" on it, and `>` only said it had no next stage)."""
        card = self._movable_card()
        if card is None:
            return
        if card.stage == "lost":
            target = board.reopen_stage(self.conn, card.id)
        else:
            target = board.next_stage(card.stage)
        if target is None:
            self.notify(_("This deal has no next stage"), severity="warning")
            return
        self._move_flow(card, target)

    def action_move_previous(self) -> None:
        card = self._movable_card()
        if card is None:
            return
        if card.stage == "lost":
            target = board.reopen_stage(self.conn, card.id)
        else:
            target = board.previous_stage(card.stage)
        if target is None:
            self.notify(_("This deal is already in the first stage"), severity="warning")
            return
        self._move_flow(card, target)

    def action_move_lost(self) -> None:
        card = self._movable_card()
        if card is None:
            return
        if card.stage == "lost":
            self.notify(_("This deal is already lost"), severity="warning")
            return
        self._move_flow(card, "lost")

    @work(exclusive=True, group="move-dialogs")
    async def _move_flow(self, card: board.Card, target: str) -> None:
        """Ask what the move needs (unticked criteria, won details, lost reason), then save it.

        Escape at any question cancels the whole move: nothing is saved."""
        app = self.app
        settings = app.settings  # type: ignore[attr-defined]
        ladder = enums.STAGE_LADDER
        forward = (
            card.stage in enums.OPEN_STAGES
            and target in ladder
            and ladder.index(target) > ladder.index(card.stage)
        )
        if forward:
            crit = board.unticked_criteria(
                card.stage, board.criteria_done_of(self.conn, card.id), language(), settings
            )
            if crit:
                stage = settings.stage_name(card.stage, language())
                message = _(
                    "These exit criteria of “{stage}” are not ticked:\n\n{items}\n\nMove the deal anyway?"
                ).format(stage=stage, items="\n".join(f"  • {c}" for c in crit))
                if not await app.push_screen_wait(ConfirmDialog(message, yes=_("Move anyway"))):
                    return
        extra: dict = {}
        cancel_tasks = False
        create_order = False
        update_order: int | None = None
        order_kept: int | None = None
        if target == "won" and card.stage != "after_sales":  # back from after-sales: still won
            from crm_tui.screens.dialogs.won_dialog import WonDialog

            won = await app.push_screen_wait(
                WonDialog(
                    card.name, card.amount_cents, app.today(),  # type: ignore[attr-defined]
                    orders=board.deal_orders(self.conn, card.customer_id, card.id),
                    created=board.deal_created(self.conn, card.id),
                )
            )  # fmt: skip
            if not won:
                return
            extra = {"actual_close": won["actual_close"], "amount": won["amount_cents"]}
            create_order = won["create_order"]
            update_order = won.get("update_order")
            orders = board.deal_orders(self.conn, card.customer_id, card.id)
            if (
                not create_order and update_order is None and len(orders) == 1
                and orders[0][2] != won["amount_cents"]
            ):  # fmt: skip
                order_kept = orders[0][2]  # the notice says the order did not follow
        elif target == "lost":
            from crm_tui.screens.dialogs.lost_dialog import LostDialog

            tasks = board.open_task_count(self.conn, card.id)
            created = board.deal_created(self.conn, card.id)
            lost = await app.push_screen_wait(LostDialog(card.name, app.today(), tasks, created))  # type: ignore[attr-defined]
            if not lost:
                return
            extra = {"lost_reason": lost["lost_reason"], "actual_close": lost["actual_close"]}
            cancel_tasks = lost["cancel_tasks"]
        remove: tuple[int, ...] = ()
        kept = 0
        if card.stage in WON_STAGES and target not in WON_STAGES:
            orders = board.deal_orders(self.conn, card.customer_id, card.id)
            removable = [o for o in orders if not o[3]]  # never drop recorded payments
            kept = len(orders)
            if removable:
                answer = await app.push_screen_wait(
                    OrderQuestion(_orders_question(card.name, removable, len(orders)),
                                  yes=_("Remove the order"), danger=True)
                )  # fmt: skip
                if answer is None:  # escape: no move at all
                    return
                if answer:
                    remove = tuple(o[0] for o in removable)
                    kept -= len(remove)
        self.saving = True
        self._writer = self.save_move(
            card, target, extra, create_order, remove, kept,
            update_order=update_order, order_kept=order_kept, cancel_tasks=cancel_tasks,
        )  # fmt: skip

    @work(thread=True, exit_on_error=False, group="pipeline-write")
    def save_move(
        self, card: board.Card, target: str, extra: dict, create_order: bool,
        remove_orders: tuple[int, ...] = (), kept_orders: int = 0, *,
        update_order: int | None = None, order_kept: int | None = None,
        cancel_tasks: bool = False,
    ) -> None:  # fmt: skip
        from crm_tui.store import opportunities as ops
        from crm_tui.store.orders import create_order as add_order
        from crm_tui.store.orders import delete_order, get_order, set_order_amount
        from crm_tui.store.tasks import cancel_deal_tasks

        app = self.app
        try:
            with app.db.session() as s:  # type: ignore[attr-defined]
                move = ops.move_stage(
                    s, card.id, target, settings=app.settings, when=app.now(),  # type: ignore[attr-defined]
                    expected_version=card.version, **extra,
                )  # fmt: skip
                order_id = None
                if create_order:
                    opp = ops.get_opportunity(s, card.id)
                    order = add_order(
                        s, card.customer_id,
                        {"order_date": opp.actual_close, "amount_cents": opp.amount_cents,
                         "product": opp.product, "opportunity_id": opp.id},
                    )  # fmt: skip
                    order_id = order.id
                updated = None
                if update_order is not None:
                    opp = ops.get_opportunity(s, card.id)
                    before = set_order_amount(s, update_order, opp.amount_cents)
                    updated = (update_order, before, opp.amount_cents)
                removed = []
                for oid in remove_orders:
                    order = get_order(s, oid)
                    removed.append(
                        {k: getattr(order, k) for k in
                         ("customer_id", "order_date", "amount_cents", "product", "order_no",
                          "opportunity_id")}
                    )  # fmt: skip
                    delete_order(s, oid)
                cancelled = cancel_deal_tasks(s, card.id, at=app.now()) if cancel_tasks else ()  # type: ignore[attr-defined]
        except Exception as exc:
            app.call_from_thread(self._write_failed, exc, card.id)
            return
        entry = UndoEntry(
            move, order_id, tuple(removed), kept_orders, name=card.name,
            updated_order=updated, order_kept_cents=order_kept, cancelled_tasks=cancelled,
        )  # fmt: skip
        app.call_from_thread(self._moved, entry)

    def _moved(self, entry: UndoEntry) -> None:
        self.saving = False
        self.undo_stack = [*self.undo_stack[-(UNDO_DEPTH - 1) :], entry]
        opp_id = entry.move.opportunity_id
        shown = self.reload(select=opp_id)
        stage = self.app.settings.stage_name(entry.move.to_stage, language())  # type: ignore[attr-defined]
        lines = [_("Moved to {stage} (u undoes)").format(stage=stage)]
        after = entry.move.after or {}
        if after.get("probability_overridden"):  # (it does not follow the stage: said)
            lines.append(
                _(
                    "Its probability stays {p}%, set by hand (e clears it to follow the stage)"
                ).format(p=after.get("probability"))
            )
        if entry.order_id:
            lines.append(_("Order created"))
        if entry.updated_order:
            lines.append(
                _("Its order now has the final amount {amount}").format(
                    amount=display_amount(entry.updated_order[2])
                )
            )
        if entry.order_kept_cents is not None:
            lines.append(
                _("Its order keeps its amount {amount}").format(
                    amount=display_amount(entry.order_kept_cents)
                )
            )
        if entry.removed_orders:
            lines.append(_("Order removed"))
        if entry.kept_orders:
            lines.append(_("Orders from this deal stay in the customer's revenue"))
        if entry.cancelled_tasks:
            n = len(entry.cancelled_tasks)
            lines.append(
                _("Its open task cancelled")
                if n == 1
                else _("Its {n} open tasks cancelled").format(n=n)
            )
        if not shown:
            lines.append(self.hidden_reason(opp_id))
        self.notify("\n".join(lines), timeout=8 if not shown else 5)
        self.app.data_changed()  # type: ignore[attr-defined]

    def hidden_reason(self, opp_id: int) -> str:
        """Why a deal just moved is on no column, and how to show it."""
        closed = board.closed_out_of_window(self.conn, opp_id, self.app.today())  # type: ignore[attr-defined]
        if closed and not self.filter.all_closed:
            return _(
                "Closed on {date}, more than {days} days ago: not on the board (a shows all)"
            ).format(date=closed, days=board.RECENT_DAYS)
        return _("Not shown: it does not match the filter (escape clears)")

    def _write_failed(self, exc: Exception, opp_id: int | None) -> None:
        self.saving = False
        self.app.notify(error_text(exc, self.app), severity="error", timeout=8)
        self.reload(select=opp_id)

    def action_undo(self) -> None:
        """Undo the latest move. A refused undo (the deal was edited since) stays on
        the stack, so `u` keeps saying why instead of undoing an older move of
        another deal; the entry goes once undone (or when its deal is gone)."""
        if not self.undo_stack:
            self.notify(_("Nothing to undo"), severity="warning")
            return
        if self._wait_for_save():
            return
        self.saving = True
        self._writer = self.save_undo(self.undo_stack[-1])

    @work(thread=True, exit_on_error=False, group="pipeline-write")
    def save_undo(self, entry: UndoEntry) -> None:
        from crm_tui.store import opportunities as ops
        from crm_tui.store.common import ConflictError
        from crm_tui.store.orders import create_order, delete_order, paid_cents, set_order_amount
        from crm_tui.store.tasks import reopen_tasks

        app = self.app
        try:
            with app.db.session() as s:  # type: ignore[attr-defined]
                if entry.order_id and paid_cents(s, entry.order_id):
                    # removing the order the move made would remove them with it
                    raise ConflictError(
                        _(
                            "Its order has payments recorded since: undo would delete them. "
                            "Move the deal with < instead (it keeps an order with payments)"
                        )
                    )
                # the deal first: an undo refused for later edits must leave the orders alone
                ops.undo_move(
                    s, entry.move.change_id, previous=entry.move.previous,
                    after=entry.move.after, settings=app.settings,  # type: ignore[attr-defined]
                )  # fmt: skip
                if entry.order_id:
                    from crm_tui.store.models import SalesOrder

                    if s.get(SalesOrder, entry.order_id) is not None:
                        delete_order(s, entry.order_id)
                if entry.updated_order:
                    from crm_tui.store.models import SalesOrder

                    oid, before, _after = entry.updated_order
                    if s.get(SalesOrder, oid) is not None:
                        set_order_amount(s, oid, before)
                for data in entry.removed_orders:
                    values = dict(data)
                    create_order(s, values.pop("customer_id"), values)
                reopen_tasks(s, entry.cancelled_tasks)
        except Exception as exc:
            app.call_from_thread(self._undo_failed, exc, entry)
            return
        app.call_from_thread(self._undone, entry)

    def _undo_failed(self, exc: Exception, entry: UndoEntry) -> None:
        """Refused: the entry stays (the next `u` refuses again), unless the deal or its
        recorded change is gone, when nothing is left to undo."""
        from crm_tui.store.common import NotFoundError

        if isinstance(exc, NotFoundError):
            self._drop_entry(entry)
        self.saving = False
        text = error_text(exc, self.app)
        if entry.name:
            text = _("Cannot undo the move of “{name}”: {reason}").format(
                name=entry.name, reason=text
            )
        self.app.notify(text, severity="error", timeout=8)
        self.reload(select=entry.move.opportunity_id)

    def _drop_entry(self, entry: UndoEntry) -> None:
        self.undo_stack = [e for e in self.undo_stack if e is not entry]

    def _undone(self, entry: UndoEntry) -> None:
        self.saving = False
        self._drop_entry(entry)
        opp_id = entry.move.opportunity_id
        shown = self.reload(select=opp_id)
        stage = self.app.settings.stage_name(entry.move.from_stage, language())  # type: ignore[attr-defined]
        if entry.name:
            lines = [_("Undone: “{name}” back in {stage}").format(name=entry.name, stage=stage)]
        else:
            lines = [_("Undone: back in {stage}").format(stage=stage)]
        if entry.order_id:
            lines.append(_("Order removed"))
        if entry.updated_order:
            lines.append(
                _("Its order is back at {amount}").format(
                    amount=display_amount(entry.updated_order[1])
                )
            )
        if entry.removed_orders:
            lines.append(_("Order restored"))
        if entry.cancelled_tasks:
            lines.append(_("Its tasks are open again"))
        if not shown:
            lines.append(self.hidden_reason(opp_id))
        self.notify("\n".join(lines))
        self.app.data_changed()  # type: ignore[attr-defined]


def _orders_question(name: str, removable: list[tuple], total: int) -> str:
    """Ask whether the order(s) a deal was won with go too, now that it is no longer won."""
    if len(removable) == 1:
        _oid, day, cents, _paid = removable[0]
        what = _("“{name}” has an order from winning it: {date}, {amount}.").format(
            name=name, date=day, amount=display_amount(cents)
        )
    else:
        what = _("“{name}” has {count} orders from winning it, {amount} in all.").format(
            name=name, count=len(removable), amount=display_amount(sum(o[2] for o in removable))
        )
    lines = [what, "", _("The deal is no longer won: remove it from the customer's revenue?")]
    if total > len(removable):
        lines += ["", _("Orders with payments recorded are kept.")]
    lines += ["", _("y removes it, n keeps it, escape cancels the move.")]
    return "\n".join(lines)
