"""Placeholder for screen `tasks` until its issue lands."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from crm_tui.i18n import _
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.localized import Localized


class TasksScreen(Localized, Screen):
    def compose(self) -> ComposeResult:
        yield AppHeader("tasks")
        yield Static(
            _("The task due-list and daily review (screen 4) arrive with the follow-up issue."),
            classes="empty-state",
        )
        yield Footer()
