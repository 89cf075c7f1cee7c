"""Placeholder for screen `pipeline` until its issue lands."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from crm_tui.i18n import _
from crm_tui.widgets.app_header import AppHeader
from crm_tui.widgets.localized import Localized


class PipelineScreen(Localized, Screen):
    def compose(self) -> ComposeResult:
        yield AppHeader("pipeline")
        yield Static(
            _("The pipeline kanban (screen 2) arrives with the pipeline issue."),
            classes="empty-state",
        )
        yield Footer()
