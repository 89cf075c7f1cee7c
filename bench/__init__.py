"""`make bench`: the figures of issue 7 measured on the real app at 10,000 and 100,000 customers.

Run ``python -m bench`` (full run: builds ``bench/data/*.db`` with ``crm demo`` once per
parameter set, then measures every figure as the median of several runs and writes
``bench/results/latest.json`` plus a citable copy ``bench/LATEST.md``) or
``python -m bench --quick --customers 200 --out DIR`` (tiny database, one run each: the
smoke test). A figure whose command or screen does not exist yet is reported as
``n/a (missing)`` instead of failing the run.

Modules:
  core        figures, statistics, the printed table, JSON
  procs       timing whole processes (wall clock, peak RSS of a child)
  databases   building and reusing the benchmark databases; the CSV inputs
  startup     first frame under a pseudo-terminal (crm vs a bare Textual app)
  bare_app    the bare Header/Footer app used as the start-up yardstick
  tui_session one TUI session driven by Textual's pilot (child process):
              keystroke timings, screen switches, peak memory
  pandas_rfm  RFM in pandas from an orders CSV (the comparison for `crm report rfm`)
  run         the orchestration and the command line
"""
