"""`python -m bench [--quick] [--customers N] [--out DIR] [--runs N]` (see bench/run.py)."""

from bench.run import main

raise SystemExit(main())
