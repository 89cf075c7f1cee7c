"""The pipeline's stage moves: ask what a move needs, save it in a worker, undo it.

A mixin for :class:`~crm_tui.screens.pipeline.PipelineScreen`, kept apart so the
screen module stays about layout and navigation. The screen provides
``current_card()``, ``reload(select=...)`` and ``conn``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual import work

from crm_tui.i18n import _, language
from crm_tui.store import board, enums

if TYPE_CHECKING:
    from crm_tui.store.opportunities import Move

UNDO_DEPTH = 20


@dataclass(frozen=True)
class UndoEntry:
    move: Move
    order_id: int | None = None


def error_text(exc: Exception) -> str:
    """What the user reads when a save fails (validation and conflicts say it themselves)."""
    from crm_tui.store.common import ConflictError, NotFoundError
    from crm_tui.store.validation import ValidationError

    if isinstance(exc, ValidationError):
        return exc.message
    if isinstance(exc, ConflictError | NotFoundError):
        return str(exc)
    return _("Could not save: {error}").format(error=exc)


class PipelineMoves:
    """`<` `>` `L` and `u` on the board."""

    #: A move or undo is being saved; further moves wait so they never act on a stale card.
    saving = False
    undo_stack: list[UndoEntry]

    def _wait_for_save(self) -> bool:
        if self.saving:
            self.notify(_("Still saving the last move…"), severity="warning", timeout=2)
        return self.saving

    def _movable_card(self):
        """The selected card, unless there is none or the last move is still being saved."""
        card = self.current_card()
        if card is None or self._wait_for_save():
            return None
        return card

    def action_move_next(self) -> None:
        card = self._movable_card()
        if card is None:
            return
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
        """Ask what the move needs (unticked criteria, won details, lost reason), then save it."""
        from crm_tui.screens.dialogs.confirm import ConfirmDialog

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
        create_order = False
        if target == "won" and card.stage != "after_sales":  # back from after-sales: still won
            from crm_tui.screens.dialogs.won_dialog import WonDialog

            won = await app.push_screen_wait(
                WonDialog(card.name, card.amount_cents, app.today())  # type: ignore[attr-defined]
            )
            if not won:
                return
            extra = {"actual_close": won["actual_close"], "amount": won["amount_cents"]}
            create_order = won["create_order"]
        elif target == "lost":
            from crm_tui.screens.dialogs.lost_dialog import LostDialog

            reason = await app.push_screen_wait(LostDialog(card.name))
            if not reason:
                return
            extra = {"lost_reason": reason}
        self.saving = True
        self.save_move(card, target, extra, create_order)

    @work(thread=True, exit_on_error=False, group="pipeline-write")
    def save_move(self, card: board.Card, target: str, extra: dict, create_order: bool) -> None:
        from crm_tui.store import opportunities as ops
        from crm_tui.store.orders import create_order as add_order

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
        except Exception as exc:
            app.call_from_thread(self._write_failed, exc, card.id)
            return
        app.call_from_thread(self._moved, UndoEntry(move, order_id))

    def _moved(self, entry: UndoEntry) -> None:
        self.saving = False
        self.undo_stack = [*self.undo_stack[-(UNDO_DEPTH - 1) :], entry]
        self.reload(select=entry.move.opportunity_id)
        stage = self.app.settings.stage_name(entry.move.to_stage, language())  # type: ignore[attr-defined]
        message = _("Moved to {stage} (u undoes)").format(stage=stage)
        if entry.order_id:
            message += "\n" + _("Order created")
        self.notify(message)
        self.app.data_changed()  # type: ignore[attr-defined]

    def _write_failed(self, exc: Exception, opp_id: int | None) -> None:
        self.saving = False
        self.app.notify(error_text(exc), severity="error", timeout=8)
        self.reload(select=opp_id)

    def action_undo(self) -> None:
        if not self.undo_stack:
            self.notify(_("Nothing to undo"), severity="warning")
            return
        if self._wait_for_save():
            return
        self.saving = True
        self.save_undo(self.undo_stack.pop())

    @work(thread=True, exit_on_error=False, group="pipeline-write")
    def save_undo(self, entry: UndoEntry) -> None:
        from crm_tui.store import opportunities as ops
        from crm_tui.store.orders import delete_order

        app = self.app
        try:
            with app.db.session() as s:  # type: ignore[attr-defined]
                if entry.order_id:
                    from crm_tui.store.models import SalesOrder

                    if s.get(SalesOrder, entry.order_id) is not None:
                        delete_order(s, entry.order_id)
                ops.undo_move(
                    s, entry.move.change_id, previous=entry.move.previous,
                    settings=app.settings,  # type: ignore[attr-defined]
                )  # fmt: skip
        except Exception as exc:
            app.call_from_thread(self._write_failed, exc, entry.move.opportunity_id)
            return
        app.call_from_thread(self._undone, entry)

    def _undone(self, entry: UndoEntry) -> None:
        self.saving = False
        self.reload(select=entry.move.opportunity_id)
        stage = self.app.settings.stage_name(entry.move.from_stage, language())  # type: ignore[attr-defined]
        self.notify(_("Undone: back in {stage}").format(stage=stage))
        self.app.data_changed()  # type: ignore[attr-defined]
