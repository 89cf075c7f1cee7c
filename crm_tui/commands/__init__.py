"""Headless subcommands of `crm` (see crm_tui.cli): one module per command."""
