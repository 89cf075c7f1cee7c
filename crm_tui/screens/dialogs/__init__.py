"""Modal dialogs: confirmation, record forms, pickers."""
