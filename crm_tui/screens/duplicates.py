"""Possible duplicate customers (same normalised name, phone or email), merged with a preview."""

from __future__ import annotations

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from crm_tui.i18n import _
from crm_tui.screens.record_counts import counts_text
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.fitted_table import FittedTable
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized

REASONS = {"name": "same name", "phone": "same phone", "email": "same email"}


#: Widest a name is shown in the pairs table (the line under it has the whole name).
NAME_CELLS = 36


def _name_cell(name: str) -> Text:
    """A name as typed (never markup), cut with an ellipsis past NAME_CELLS."""
    text = Text(name)
    text.truncate(NAME_CELLS, overflow="ellipsis")
    return text


class DuplicatesScreen(Localized, Screen):
    """Pairs of customers that look like one; enter merges the second into the first.

    The table shows why each pair looks like one (the same name, phone, email) before
    the codes: at 80 columns the codes are left out and the names cut, never the
    reason; the line under the table says the selected pair in full."""

    # The key bar shows the keys in this order and ends at the last that fits: u, while a
    # merge can be undone (hidden otherwise), comes right after enter, before m.
    BINDINGS = [
        # (priority: the pairs table's own, hidden enter kept it out of the key bar)
        Binding("enter", "merge(False)", "Merge 2nd into 1st", priority=True),
        Binding("u", "undo", "Undo last merge"),
        Binding("escape", "back", "Back"),
        Binding("m", "merge(True)", "Merge 1st into 2nd"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader("customers")
        yield Static(_("Possible duplicates"), classes="section-title")
        yield FittedTable(id="pairs")
        yield Static("", id="pair-detail", markup=False)
        yield Static("", id="pairs-empty", classes="empty-state")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#pairs", FittedTable)
        self.pairs: dict[str, object] = {}
        #: whether u has a merge to undo (the store's merge log says, when the pairs load)
        self.undoable = False
        #: whether "Press u to undo" may still be up (it is wrong once the screen is left)
        self.told_undo = False
        table.loading = True
        self.load_pairs()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "undo":
            return self.undoable
        return True

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_pairs(self) -> None:
        from crm_tui.store.merging import find_duplicate_pairs, last_merge

        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            pairs = find_duplicate_pairs(conn, limit=500)
            undoable = last_merge(conn) is not None
        self.app.call_from_thread(self._show, pairs, undoable)

    def _show(self, pairs, undoable: bool = False) -> None:
        table = self.query_one("#pairs", FittedTable)
        table.loading = False
        self.pairs = {}
        rows = []
        for i, p in enumerate(pairs):
            key = str(i)
            self.pairs[key] = p
            same = _(", ").join(_(r) for r in p.reasons)  # "name, phone"; 、 in Chinese
            cells = (p.first_code, _name_cell(p.first_name), p.second_code, _name_cell(p.second_name), same)  # fmt: skip
            rows.append((key, cells))
        headers = [_("Code"), _("Customer"), _("Code"), _("Looks like"), _("Same")]
        # the names give up cells and the codes go before the reason is ever cut
        table.fill(headers, rows, shrink=(1, 3), optional=(0, 2))
        empty = self.query_one("#pairs-empty", Static)
        empty.update(_("No possible duplicates found. Press escape to go back."))
        empty.display = not pairs
        table.display = bool(pairs)
        self.query_one("#pair-detail", Static).display = bool(pairs)
        self._show_detail()
        if pairs:
            table.focus()
        self._set_undoable(undoable)

    def _set_undoable(self, undoable: bool) -> None:
        self.undoable = undoable
        self.refresh_bindings()

    @on(DataTable.RowHighlighted)
    def _show_detail(self) -> None:
        """The selected pair in full under the table: both names and codes, and why."""
        pair = self._selected()
        text = ""
        if pair is not None:
            text = _("“{first}” ({first_code}) and “{second}” ({second_code}): {why}").format(
                first=pair.first_name, first_code=pair.first_code,
                second=pair.second_name, second_code=pair.second_code,
                why=_(", ").join(_(REASONS.get(r, r)) for r in pair.reasons),
            )  # fmt: skip
        self.query_one("#pair-detail", Static).update(text)

    def _selected(self):
        table = self.query_one("#pairs", FittedTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.pairs.get(key)

    def action_back(self) -> None:
        self._forget_undo_toast()
        self.dismiss()

    def on_screen_suspend(self, _event: events.ScreenSuspend) -> None:
        # another tab or screen took over (a dialog over this one leaves u working)
        if not isinstance(self.app.screen, ModalScreen):
            self._forget_undo_toast()

    def _forget_undo_toast(self) -> None:
        """Take "Merged. Press u to undo." down: u does nothing outside this screen.
        (Textual gives no handle on one toast: they all go, as before the damage dialog.)"""
        if self.told_undo:
            self.told_undo = False
            self.app.clear_notifications()

    def action_merge(self, reverse: bool) -> None:
        pair = self._selected()
        if pair is None:
            return
        from crm_tui.screens.dialogs.confirm import ConfirmDialog
        from crm_tui.store.merging import merge_preview, same_contacts

        keep, drop = (pair.second_id, pair.first_id) if reverse else (pair.first_id, pair.second_id)
        first = f"{pair.first_name} ({pair.first_code})"  # names may read the same
        second = f"{pair.second_name} ({pair.second_code})"
        keep_name, drop_name = (second, first) if reverse else (first, second)
        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            counts = merge_preview(conn, keep, drop)
            same = len(same_contacts(conn, keep, drop))
        # (a contact folded into the kept one's does not move: said on its own line)
        moves = counts_text({**counts, "contact": counts.get("contact", 0) - same})
        lines = [
            _("Merge “{drop}” into “{keep}”?").format(drop=drop_name, keep=keep_name),
            "",
        ]
        if moves or not same:
            lines.append(_("Moves: {moves}.").format(moves=moves or _("no records (it has none)")))
        if same:  # (folded, by the import's rule for one contact: store.merging.same_contacts)
            lines.append(
                _("1 contact is the same person as one already there: folded into it.")
                if same == 1
                else _(
                    "{n} contacts are the same people as ones already there: folded into them."
                ).format(n=same)
            )
        lines.append(
            _(
                "Empty fields of “{keep}” are filled from “{drop}”, which is then removed.\n"
                "You can undo this with u until the next merge."
            ).format(drop=drop_name, keep=keep_name)
        )
        message = "\n".join(lines)
        self.app.push_screen(
            # (danger: the question starts on No, as every question that removes a
            # record does; enter, enter merged two customers)
            ConfirmDialog(message, yes=_("Merge"), danger=True),
            lambda yes: yes and self._merge(keep, drop),
        )

    def _merge(self, keep: int, drop: int) -> None:
        from crm_tui.store.merging import merge_customers

        try:
            with self.app.db.session() as session:  # type: ignore[attr-defined]
                merge_customers(session, keep, drop)
        except Exception as exc:
            self.app.show_error(  # type: ignore[attr-defined]
                _("Could not merge: {error}").format(error=self.app.problem_text(exc))  # type: ignore[attr-defined]
            )
            return
        self.notify(_("Merged. Press u to undo."))
        self.told_undo = True
        self._set_undoable(True)  # (before the pairs load again: u is shown at once)
        self.app.data_changed()  # type: ignore[attr-defined]
        self.load_pairs()

    def action_undo(self) -> None:
        from crm_tui.store.merging import MergeError, undo_last_merge

        try:
            with self.app.db.session() as session:  # type: ignore[attr-defined]
                undo_last_merge(session)
        except MergeError as exc:
            self.notify(str(exc), severity="warning")
            return
        except Exception as exc:  # a locked or damaged file: said, never a crash
            self.app.show_error(  # type: ignore[attr-defined]
                _("Could not save: {error}").format(error=self.app.problem_text(exc))  # type: ignore[attr-defined]
            )
            return
        self._forget_undo_toast()  # (its merge is undone)
        self.notify(_("Merge undone"))
        self.app.data_changed()  # type: ignore[attr-defined]
        self.load_pairs()

    @on(DataTable.RowSelected)
    def _selected_row(self) -> None:
        self.action_merge(False)
