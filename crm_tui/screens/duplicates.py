"""Possible duplicate customers (same normalised name, phone or email), merged with a preview."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Static

from crm_tui.i18n import _
from crm_tui.screens.record_counts import counts_text
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.footer import Footer
from crm_tui.widgets.localized import Localized

REASONS = {"name": "same name", "phone": "same phone", "email": "same email"}


#: Widest a name is shown in the pairs table, so the reasons stay on a 130-column screen.
NAME_CELLS = 36


def _name_cell(name: str) -> Text:
    """A name as typed (never markup), cut with an ellipsis past NAME_CELLS."""
    text = Text(name)
    text.truncate(NAME_CELLS, overflow="ellipsis")
    return text


class DuplicatesScreen(Localized, Screen):
    """Pairs of customers that look like one; enter merges the second into the first."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        # (priority: the pairs table's own, hidden enter kept it out of the key bar)
        Binding("enter", "merge(False)", "Merge 2nd into 1st", priority=True),
        Binding("m", "merge(True)", "Merge 1st into 2nd"),
        Binding("u", "undo", "Undo last merge"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader("customers")
        yield Static(_("Possible duplicates"), classes="section-title")
        yield DataTable(id="pairs", cursor_type="row", zebra_stripes=True)
        yield Static("", id="pairs-empty", classes="empty-state")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#pairs", DataTable)
        table.add_columns(_("Code"), _("Customer"), _("Code"), _("Looks like"), _("Why"))
        self.pairs: dict[str, object] = {}
        table.loading = True
        self.load_pairs()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load_pairs(self) -> None:
        from crm_tui.store.merging import find_duplicate_pairs

        with self.app.db.reading() as conn:  # type: ignore[attr-defined]
            pairs = find_duplicate_pairs(conn, limit=500)
        self.app.call_from_thread(self._show, pairs)

    def _show(self, pairs) -> None:
        table = self.query_one("#pairs", DataTable)
        table.loading = False
        table.clear()
        self.pairs = {}
        for i, p in enumerate(pairs):
            key = str(i)
            self.pairs[key] = p
            why = _(", ").join(_(REASONS.get(r, r)) for r in p.reasons)  # 、 in Chinese
            table.add_row(
                p.first_code, _name_cell(p.first_name), p.second_code, _name_cell(p.second_name),
                why, key=key,
            )  # fmt: skip
        empty = self.query_one("#pairs-empty", Static)
        empty.update(_("No possible duplicates found. Press escape to go back."))
        empty.display = not pairs
        table.display = bool(pairs)
        if pairs:
            table.focus()

    def _selected(self):
        table = self.query_one("#pairs", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.pairs.get(key)

    def action_back(self) -> None:
        self.dismiss()

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
        moves = counts_text(counts)
        lines = [
            _("Merge “{drop}” into “{keep}”?").format(drop=drop_name, keep=keep_name),
            "",
            _("Moves: {moves}.").format(moves=moves or _("no records (it has none)")),
        ]
        if same:  # (folded, by the import's rule for one contact: store.merging.same_contacts)
            lines.append(
                _("1 contact is the same person as one already there: merged.")
                if same == 1
                else _("{n} contacts are the same people as ones already there: merged.").format(
                    n=same
                )
            )
        lines.append(
            _(
                "Empty fields of “{keep}” are filled from “{drop}”, which is then removed.\n"
                "You can undo this with u until the next merge."
            ).format(drop=drop_name, keep=keep_name)
        )
        message = "\n".join(lines)
        self.app.push_screen(
            ConfirmDialog(message, yes=_("Merge")),
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
        self.notify(_("Merge undone"))
        self.app.data_changed()  # type: ignore[attr-defined]
        self.load_pairs()

    @on(DataTable.RowSelected)
    def _selected_row(self) -> None:
        self.action_merge(False)
