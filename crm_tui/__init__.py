"""crm-tui: a keyboard-driven terminal CRM for individual sales reps."""

__version__ = "0.1.0"
