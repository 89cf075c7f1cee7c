"""Command palette (`ctrl+p`): jump to a customer by name or code, or run a command."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from crm_tui.i18n import _
from crm_tui.store.board import search_opportunities
from crm_tui.store.lists import search_customers
from crm_tui.widgets.app_header import SCREENS


class CrmCommands(Provider):
    """Customers (searched through the FTS index) and the app's screens."""

    def _commands(self) -> list[tuple[str, object, str]]:
        app = self.app
        items: list[tuple[str, object, str]] = [
            (_("Go to {screen}").format(screen=_(title)), partial(app.switch_mode, mode), key)
            for mode, key, title in SCREENS
        ]
        items.append((_("Add a customer"), partial(self._on_customers, "new"), "n"))
        items.append((_("Import a CSV file"), partial(self._on_customers, "import_file"), "i"))
        items.append(
            (
                _("Find and merge duplicate customers"),
                partial(self._on_customers, "duplicates"),
                "D",
            )
        )
        items.append(
            (_("Start the daily review"), partial(self._on_screen, "tasks", "review"), "r")
        )
        items.append((_("Set a monthly sales target"), self._set_target, "T"))
        items.append((_("Export this list or report to CSV"), self._export, "ctrl+e"))
        items.append((_("Back up now"), app.action_backup_now, ""))  # type: ignore[attr-defined]
        items.append((_("Settings and language (config.toml)"), self._settings, ""))
        return items

    def _settings(self) -> None:
        """Where the settings live and what they are: nothing in the app said how to
        switch the language or change a stage's probability."""
        from crm_tui.screens.dialogs.confirm import MessageDialog

        self.app.push_screen(
            MessageDialog(_("Settings and language"), settings_text(self.app), _("Close"))
        )

    def _on_screen(self, mode: str, action: str) -> None:
        """Switch to a screen, then run one of its actions (not over a dialog left open
        there: it has none of them, and the app stopped with a traceback)."""
        self.app.switch_mode(mode)

        def run() -> None:
            if self._dialog_on_top():
                return
            getattr(self.app.screen, f"action_{action}")()

        self.app.call_later(run)

    def _set_target(self) -> None:
        """The reports' forecast target dialog (its screen opens the forecast first)."""

        def run() -> None:
            if not self._dialog_on_top():
                self.app.screen.action_set_target()  # type: ignore[attr-defined]

        self.app.switch_mode("reports")
        self.app.call_later(run)

    def _dialog_on_top(self) -> bool:
        """Whether the screen switched to shows a dialog (a form, a card): said, and the
        command waits for it to be closed."""
        from textual.screen import ModalScreen

        if not isinstance(self.app.screen, ModalScreen):
            return False
        self.app.notify(_("Close the dialog on this screen first (escape)"), severity="warning")
        return True

    def _export(self) -> None:
        """ctrl+e of the screen under the palette."""
        export = getattr(self.app.screen, "action_export", None)
        if export is None:
            self.app.notify(_("Nothing to export here: open a list or a report first"))
            return
        export()

    def _on_customers(self, action: str) -> None:
        """Run a customers-list action; the list may be under a customer's detail or the
        duplicates view, whose dialogs then open over them (nothing on top is closed)."""
        from crm_tui.screens.customers import CustomersScreen

        def run() -> None:
            for screen in self.app.screen_stack:
                if isinstance(screen, CustomersScreen):
                    getattr(screen, f"action_{action}")()
                    return

        self.app.switch_mode("customers")
        self.app.call_later(run)

    def _open_customer(self, customer_id: int) -> None:
        from crm_tui.screens.customer_detail import CustomerDetailScreen

        self.app.push_screen(CustomerDetailScreen(customer_id))

    def _open_opportunity(self, opp_id: int) -> None:
        from crm_tui.screens.opportunity_detail import OpportunityDetailScreen

        self.app.push_screen(OpportunityDetailScreen(opp_id))

    async def discover(self) -> Hits:
        for text, callback, key in self._commands():
            yield DiscoveryHit(text, callback, help=key)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for text, callback, key in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, matcher.highlight(text), callback, help=key)
        if len(query.strip()) < 1:
            return
        db = self.app.db  # type: ignore[attr-defined]
        with db.reading() as conn:
            rows = search_customers(conn, query, limit=15)
            deals = search_opportunities(conn, query, limit=10)
        for row in rows:
            name = row["name"]
            yield Hit(
                0.9,
                matcher.highlight(name) if matcher.match(name) else name,
                partial(self._open_customer, row["id"]),
                help=_("Customer {code}").format(code=row["code"]),
            )
        settings = self.app.settings  # type: ignore[attr-defined]
        for opp_id, name, customer, stage in deals:
            yield Hit(
                0.8,
                matcher.highlight(name) if matcher.match(name) else name,
                partial(self._open_opportunity, opp_id),
                help=_("Opportunity · {customer} · {stage}").format(
                    customer=customer,
                    stage=settings.stage_name(stage, self.app.lang),  # type: ignore[attr-defined]
                ),
            )


def settings_text(app) -> str:
    """The settings in force, the files they come from and how to change them."""
    from crm_tui.settings import config_path, default_export_dir

    settings = app.settings
    config = config_path()
    lang = app.lang
    stages = _(", ").join(
        f"{settings.stage_name(key, lang)} {chance}%"
        for key, chance in settings.probabilities().items()
    )
    lines = [
        _("Database: {path}").format(path=app.db.path),
        _("Settings file: {path}").format(path=config)
        + ("" if config.exists() else " " + _("(not there yet: the defaults apply)")),
        "",
        _(
            'Language: {lang}. In the settings file, language = "zh" or "en"; or start with crm --lang zh (CRM_LANG=zh).'
        ).format(lang={"zh": "中文", "en": "English"}.get(lang, lang)),
        _(
            "Stage probabilities: {stages}. In the settings file, [stages.proposal] probability = 40 (and so on)."
        ).format(stages=stages),
        _("Backups kept: {n}. Exports go to {folder}.").format(
            n=settings.backup_keep, folder=settings.export_dir or default_export_dir()
        ),
        "",
        _(
            "Changes to the settings file apply the next time crm starts; README lists every setting."
        ),
    ]
    return "\n".join(lines)
