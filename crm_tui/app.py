"""The Textual application: five screens on keys 1–5, global keys, the command palette."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from collections.abc import Callable, Iterable
from importlib import import_module
from pathlib import Path

from rich.text import Text
from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input

from crm_tui.i18n import _, set_language
from crm_tui.settings import Settings
from crm_tui.store.database import Database
from crm_tui.store.sqlite import damage_in, plain_problem, sqlite_error_in
from crm_tui.widgets.localized import Localized

#: Worker groups that save what was just done (a ticked criterion, a stage move): quitting
#: waits for them, as leaving the screen does (exiting cancels them half way).
SAVING_GROUPS = frozenset({"criteria", "pipeline-write"})

SCREEN_CLASSES = {
    "customers": ("crm_tui.screens.customers", "CustomersScreen"),
    "pipeline": ("crm_tui.screens.pipeline", "PipelineScreen"),
    "interactions": ("crm_tui.screens.interactions", "InteractionsScreen"),
    "tasks": ("crm_tui.screens.tasks", "TasksScreen"),
    "reports": ("crm_tui.screens.reports", "ReportsScreen"),
}


def _lazy_screen(mode: str) -> Callable[[], Screen]:
    """Import a screen's module only when the screen is first shown (fast start)."""

    def factory() -> Screen:
        module, name = SCREEN_CLASSES[mode]
        screen = getattr(import_module(module), name)()
        # A new screen starts "behind" the app's CSS generation, so Textual re-parses every
        # stylesheet and restyles every mounted screen before showing it (~90 ms per first
        # visit). Its widgets are styled fresh from the current stylesheet when they mount,
        # so it is already up to date.
        screen._css_update_count = screen.app._css_update_count
        return screen

    return factory


def _palette_providers():
    from crm_tui.screens.palette import CrmCommands

    return CrmCommands


class CrmApp(Localized, App):
    """crm-tui. Screens reach the database through ``self.app.db`` and the clock through ``now()``."""

    # Every screen's styles load with the app: a screen bringing its own CSS_PATH makes
    # Textual re-parse and re-apply the whole stylesheet on its first visit.
    CSS_PATH = [
        "app.tcss",
        "screens/pipeline.tcss",
        "screens/followup.tcss",
        "screens/reports.tcss",
    ]
    TITLE = "crm"
    MODES = {mode: _lazy_screen(mode) for mode in SCREEN_CLASSES}
    DEFAULT_MODE = "customers"  # the first screen, without an empty default screen before it
    COMMANDS = App.COMMANDS | {_palette_providers}
    # 1-5 are shown as the header's tabs, so the footer keeps its room for the screen's keys.
    BINDINGS = [
        Binding("1", "switch_mode('customers')", "Customers", show=False),
        Binding("2", "switch_mode('pipeline')", "Pipeline", show=False),
        Binding("3", "switch_mode('interactions')", "Interactions", show=False),
        Binding("4", "switch_mode('tasks')", "Tasks", show=False),
        Binding("5", "switch_mode('reports')", "Reports", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
        Binding("ctrl+p", "command_palette", "Palette", show=False, priority=True),
    ]

    #: Overdue + today's open tasks, shown on every screen (-1 until known).
    due_count: reactive[int] = reactive(-1)
    #: The first frame has been on the terminal (screens may then add what it left out).
    first_frame_shown = False
    #: When the newest backup was made (None: none yet).
    last_backup: reactive[dt.datetime | None] = reactive(None)
    #: The day it is (the clock's), checked every minute: an app left open past midnight
    #: recounts its due badge and moves what follows "today" (the reports' as-of date).
    current_day: reactive[dt.date | None] = reactive(None)
    #: Whether the last backup was refused because the database is damaged.
    backup_refused: reactive[bool] = reactive(False)

    def __init__(
        self, db: Database, settings: Settings, lang: str,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:  # fmt: skip
        set_language(lang)
        super().__init__()
        self.db = db
        self.settings = settings
        settings.apply_labels()
        self.lang = lang
        self._clock = clock
        self._damage_reported = False
        #: told once the first frame is up (run_app: a restore or an empty start it made)
        self.start_notice: str | None = None
        #: tasks an interaction was logged from in this session (`l` on a task): marked
        #: done later, their follow-up offer starts at scheduling, not at logging again
        self.logged_tasks: set[int] = set()
        #: stage moves `u` undoes, latest last (board and detail share them: pipeline_moves)
        self.move_undo: list = []

    # --- clock ---------------------------------------------------------------

    def now(self) -> dt.datetime:
        return (self._clock or dt.datetime.now)().replace(microsecond=0)

    def today(self) -> dt.date:
        return self.now().date()

    # --- lifecycle -----------------------------------------------------------

    def on_ready(self) -> None:
        """Textual's Ready comes with the first layout, before anything is written; the
        screen's next idle is after the first frame is on the terminal. Only then start
        what must not compete with it (importing the ORM, copying the file, mounting what
        the first frame leaves out)."""
        self.screen.call_after_refresh(self._after_first_paint)

    def _after_first_paint(self) -> None:
        self.first_frame_shown = True
        first_screen_hook = getattr(self.screen, "after_first_frame", None)
        if first_screen_hook is not None:
            first_screen_hook()
        self.refresh_due_count()
        self._warm_up()
        self._backup(force=False)
        if self.start_notice:
            self.notify(self.start_notice, timeout=12)
        self._warn_if_read_only()
        self.current_day = self.today()
        self.set_interval(60, self.clock_tick)

    def _warn_if_read_only(self) -> None:
        """Say at the start that nothing can be saved: the rep filled in a whole form
        before "Could not save … read-only?" told them."""
        import os

        path = self.db.path
        if path.exists() and not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            self.notify(
                _(
                    "{path} cannot be written (read-only): you can look around, but"
                    " nothing you change will be saved. Make it writable, then start crm again."
                ).format(path=path),
                severity="warning",
                timeout=20,
                markup=False,
            )

    def clock_tick(self) -> None:
        """Every minute: a new day recounts the badge (screens follow ``current_day``),
        and the header's "backed up … ago" ages."""
        today = self.today()
        if today != self.current_day:
            self.current_day = today
            self.refresh_due_count()
        self._read_backup_state()  # the header recomputes the backup's age

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup-state")
    def _read_backup_state(self) -> None:
        """The backups folder as it is now: another window or cron's `crm backup` may have
        made a backup since this app's own was made, skipped or failed (a second window
        said "no backup yet" for its whole session)."""
        from crm_tui.store import backups

        folder = backups.backup_dir(self.db.path)
        try:
            newest, damage = backups.last_backup_time(folder), backups.backup_problem(folder)
        except OSError:
            return
        self.call_from_thread(self._backup_state, newest, damage)

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        """Import the ORM after the first frame so the first save does not wait for it.

        `crm` pauses the cycle collector for the start (cli.main). What the start and this
        import build (modules, styles, widgets: some 100,000 objects) lives as long as
        the app, so once the import is done it is frozen out of later collections; left
        in, each full collection walked it again (~70 ms, e.g. in the first switch to
        the pipeline).
        """
        try:
            import_module("crm_tui.store.customers")
        finally:
            if not gc.isenabled():
                gc.freeze()
                gc.enable()

    @work(thread=True, exclusive=True, exit_on_error=False, group="due-count")
    def refresh_due_count(self) -> None:
        """Recount the due badge (call after anything that changes tasks)."""
        from crm_tui.store.due import due_badge_count  # standard library only

        with self.db.reading() as conn:
            count = due_badge_count(conn, self.today())
        self.call_from_thread(setattr, self, "due_count", count)

    @work(thread=True, exclusive=True, exit_on_error=False, group="backup")
    def _backup(self, force: bool) -> None:
        """Back up when the last backup is over a day old (or now, when asked)."""
        from crm_tui.store import backups

        failed: Exception | None = None
        try:
            if force:
                backups.make_backup(self.db.path, keep=self.settings.backup_keep)
            else:
                backups.auto_backup_if_due(self.db.path, self.settings)
        except Exception as exc:  # a failed backup must not stop the rep working …
            failed = exc
        folder = backups.backup_dir(self.db.path)
        damage = backups.backup_problem(folder)
        if failed is not None and damage is None:
            self.call_from_thread(self.show_error, _("Backup failed: {error}").format(error=failed))
        self.call_from_thread(self._backup_state, backups.last_backup_time(folder), damage)
        if force and failed is None:
            self.call_from_thread(self.notify, _("Backup made"))

    def _backup_state(self, newest: dt.datetime | None, damage: str | None) -> None:
        """… but a damaged file must: what is saved into it now may be lost when a backup
        is restored, so the rep is told how to restore before working on (the refusal
        was only a header note and a notice that went by)."""
        self.backup_refused = damage is not None
        self.last_backup = newest
        self.mutate_reactive(CrmApp.last_backup)  # (the same time: its age has grown)
        if damage is not None:
            self._show_damage(damage)

    def action_backup_now(self) -> None:
        self._backup(force=True)

    def data_changed(self) -> None:
        """Something was written: refresh what every screen shows (badge for now)."""
        self.refresh_due_count()

    # --- actions ---------------------------------------------------------------

    async def action_quit(self) -> None:
        """q / ctrl+q. With a form holding what was typed (ctrl+q reaches the app from
        inside one), ask first: it quit at once and the typing was lost. Pressed again
        while asked, it quits."""
        from crm_tui.screens.dialogs.confirm import ConfirmDialog
        from crm_tui.widgets.form import FormScreen

        typed = any(isinstance(s, FormScreen) and s.dirty() for s in self.screen_stack)
        asking = isinstance(self.screen, ConfirmDialog) and self.screen.id == "confirm-quit"
        if not typed or asking:
            await self._exit_once_saved()
            return

        async def answered(quit_: bool | None) -> None:
            if quit_:
                await self._exit_once_saved()

        question = ConfirmDialog(
            _("Quit and lose what you typed in the form?"), yes=_("Quit"), danger=True
        )
        question.id = "confirm-quit"
        self.push_screen(question, answered)

    async def _exit_once_saved(self) -> None:
        """Exit once a save running in a worker (SAVING_GROUPS) is done."""
        while any(w.group in SAVING_GROUPS and not w.is_finished for w in self.workers):
            await asyncio.sleep(0.01)
        self.exit()

    def action_help(self) -> None:
        from crm_tui.screens.help import HelpScreen

        self.push_screen(HelpScreen(self.screen))

    def show_error(self, message: str) -> None:
        self.notify(message, severity="error", timeout=8)

    # --- a damaged database file -------------------------------------------------

    def database_damaged(self, error: BaseException) -> bool:
        """For code that caught ``error``: if it says the database file is damaged, or
        gone (removed with its folder perhaps), show how to restore it and end the app
        when that is closed (returns True); else False (the caller shows the error its
        own way).

        Nothing is lost by stopping: every change is its own transaction. Carrying on
        would only meet the damage again, screen after screen.
        """
        fatal = self._fatal(error)
        if fatal is None:
            return False
        self._show_fatal(*fatal)
        return True

    def _fatal(self, error: BaseException) -> tuple[str, str] | None:
        """(title, text) when ``error`` says the app cannot go on with its file: a damaged
        page, or a file removed under it (any SQLite error while nothing is at its path:
        a new connection cannot open it, an open one may no longer write it); else None.
        (Any thread: a worker's failed save quotes the text too.)"""
        problem = damage_in(error)
        if problem is not None:
            return _("The database file is damaged"), self._damage_text(problem)
        if sqlite_error_in(error) is not None and not self.db.path.exists():
            from crm_tui.store.backups import gone_message

            return _("The database file is gone"), gone_message(self.db.path)
        return None

    def _show_damage(self, problem: object) -> None:
        self.backup_refused = True  # the header says so too
        self._show_fatal(_("The database file is damaged"), self._damage_text(problem))

    def _show_fatal(self, title: str, text: str) -> None:
        """The dialog of a damaged or removed file (once): what happened and how to
        restore; closing it ends the app."""
        if self._damage_reported:
            return
        self._damage_reported = True
        from crm_tui.screens.dialogs.confirm import MessageDialog

        def stop(_result: None = None) -> None:
            self.exit(return_code=1, message=f"error: {text}")

        self.clear_notifications()  # other news of it would cover the dialog
        self.push_screen(MessageDialog(title, text, _("Quit")), stop)

    def problem_text(self, error: BaseException) -> str:
        """``error`` in words for the rep, never SQLAlchemy's statement and values: for a
        damaged or removed file, what happened and how to restore it (a failed save keeps
        its form open, so the rep reads this there); a busy or full disk says so."""
        fatal = self._fatal(error)
        return plain_problem(error) if fatal is None else fatal[1]

    def _damage_text(self, problem: object) -> str:
        """(Any thread: a worker's failed save quotes it too.)"""
        from crm_tui.store.backups import damage_message

        return damage_message(self.db.path, problem)

    def _handle_exception(self, error: Exception) -> None:
        """Textual's last stop for an error nothing caught; it ends the app (the message
        loop that raised has stopped). A damaged page, or a file removed under the app,
        leaves with how to restore the file on the terminal, not a traceback with the
        rep's data in its locals."""
        fatal = self._fatal(error)
        if fatal is None and self._exit and isinstance(error, NoMatches):
            # quitting: a screen a key typed right after `q` began to open (`q e`: the
            # task form) met its parts already taken down; nothing to tell the rep
            return
        if fatal is None:
            super()._handle_exception(error)
            return
        self._return_code = 1
        self._exit_renderables.append(Text(f"error: {fatal[1]}"))
        self._close_messages_no_wait()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """Textual's own palette commands (theme, quit, screenshot), in the UI's language.

        Its "Keys" showed a second, raw list of bindings that escape did not close and
        that stayed over every screen: "Keys" here opens this app's help (`?`). Maximize
        and Minimize (of the focused widget) have no use in these screens."""
        for command in super().get_system_commands(screen):
            if command.title in ("Minimize", "Maximize"):
                continue
            if command.title == "Keys":
                command = command._replace(
                    help="Show the keys of this screen and every screen (?)",
                    callback=self.action_help,
                )
            yield command._replace(title=_(command.title), help=_(command.help))

    async def on_event(self, event: events.Event) -> None:
        # Every Input is one line, and Textual's keeps a paste's first line and drops the
        # rest unsaid: a name copied from two lines of a letterhead (深圳明亮 / 贸易有限公司)
        # was searched for, or saved as, its first half. Its lines are joined as the
        # store joins them (validation.one_line), for every Input, the palette's too.
        if isinstance(event, events.Paste) and isinstance(self.focused, Input):
            from crm_tui.store.validation import one_line

            event.text = one_line(event.text)
        await super().on_event(event)

    def action_command_palette(self) -> None:
        from textual.command import CommandPalette

        if self.use_command_palette and not CommandPalette.is_open(self):
            self.push_screen(
                CommandPalette(placeholder=_("Search for commands…"), id="--command-palette")
            )

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Notices quote names, subjects and file paths as typed: never read them as markup
        (a customer called ``[/]`` would end the app)."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)


def make_app(
    db_path: Path | str,
    *,
    settings: Settings | None = None,
    lang: str = "en",
    clock: Callable[[], dt.datetime] | None = None,
) -> CrmApp:
    """Build the app on a database file (created and migrated if needed, its deals
    brought to the stage probabilities of ``settings``: store.stage_probabilities)."""
    settings = settings or Settings()
    db = Database(db_path, hold_open=True)
    try:
        db.follow_stage_probabilities(settings.probabilities())
    except BaseException:
        db.close()
        raise
    return CrmApp(db, settings, lang, clock)


def run_app(ctx) -> int:
    """Entry point for `crm` without a subcommand."""
    notice = ctx.set_aside() if ctx.start_empty else _database_gone(ctx)
    app = make_app(ctx.db_path, settings=ctx.settings, lang=ctx.lang)
    app.start_notice = notice
    app.run()
    app.db.close()
    return app.return_code or 0


def _database_gone(ctx) -> str | None:
    """The file is not there but backups of it are (removed, with its folder perhaps):
    ask before anything creates a new, empty file (see store.backups.missing_problem):
    restore the newest backup, start an empty database (backups kept aside) or quit.
    Returns what the app tells the rep once open."""
    from crm_tui.cli import CommandError
    from crm_tui.store import backups

    problem = backups.missing_problem(ctx.db_path)
    if problem is None:
        return None
    set_language(ctx.lang)
    from crm_tui.screens.dialogs.missing_database import EMPTY, RESTORE, MissingDatabaseApp

    choice = MissingDatabaseApp(problem).run()
    if choice == EMPTY:
        return ctx.set_aside()
    if choice != RESTORE:
        raise CommandError(problem)
    newest = backups.list_backups(backups.backup_dir(ctx.db_path))[-1]
    try:
        backups.restore(ctx.db_path, newest)
    except backups.BackupError as exc:
        raise CommandError(str(exc)) from None
    return _("restored {source} into {path}").format(source=newest, path=ctx.db_path)
