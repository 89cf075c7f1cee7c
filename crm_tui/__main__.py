"""`python -m crm_tui` runs the same entry point as the `crm` script."""

from crm_tui.cli import main

raise SystemExit(main())
