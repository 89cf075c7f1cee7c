"""The benchmark run: build or reuse the databases, measure every figure, print and save the table."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import databases as dbs
from bench.core import Figure, markdown_table, text_table, write_json
from bench.procs import (
    ROOT,
    bench_env,
    crm_argv,
    python_module_available,
    run_timed,
    try_pip_install,
)
from bench.startup import StartupTimeout, bare_argv, first_frame
from bench.tui_session import SCREENS

REPORTS = ("funnel", "rfm", "abc", "forecast", "weekly")
SWITCH_LABEL = {"pipeline": "pipeline (2)", "interactions": "interactions (3)",
                "tasks": "due-list (4)", "reports": "reports (5)"}  # fmt: skip
RESULTS = ROOT / "bench" / "results"
DATA = ROOT / "bench" / "data"


def human(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 and n % 1000 == 0 else str(n)


def figure_specs(size: int) -> list[Figure]:
    """Every per-database figure, unmeasured (the smoke test checks all keys appear)."""
    s = human(size)
    figs = [
        Figure(
            f"startup.bare@{size}", f"first frame, bare Header/Footer app (in the {s} run)", "s"
        ),
        Figure(f"startup.crm@{size}", f"first frame with customer rows, crm ({s})", "s"),
        Figure(f"startup.ratio@{size}", f"first frame crm / bare ({s})", "x", 1.5),
        Figure(f"due.cli@{size}", f"crm due, whole process ({s})", "s", 0.25),
        Figure(f"search.keystroke@{size}", f"keystroke in search → list updated ({s})", "ms", 50),
    ]
    for _, mode, _ in SCREENS:
        figs.append(
            Figure(
                f"switch.{mode}@{size}", f"switch to {SWITCH_LABEL[mode]}, ready ({s})", "ms", 300
            )
        )
    figs.append(Figure(f"switch.reports_final@{size}", f"reports (5) final ({s})", "ms", 1000))
    for name in REPORTS:
        figs.append(
            Figure(f"report.{name}@{size}", f"crm report {name}, whole process ({s})", "s", 1.0)
        )
    figs.append(
        Figure(
            f"report.rfm_pandas@{size}", f"RFM in pandas from orders CSV, whole process ({s})", "s"
        )
    )
    figs.append(
        Figure(f"report.rfm_vs_pandas@{size}", f"crm report rfm / pandas RFM ({s})", "x", 1.0)
    )
    figs.append(
        Figure(f"memory.tui@{size}", f"TUI peak RSS after visiting every screen ({s})", "MB", 150)
    )
    return figs  # fmt: skip


def global_specs(sizes: list[int], import_rows: int) -> list[Figure]:
    figs = []
    for size in sizes:
        target = 60.0 if size >= 100_000 else None
        figs.append(Figure(f"demo.build@{size}", f"crm demo --customers {size}", "s", target))
    figs.append(
        Figure(f"import.customers@{import_rows}", f"crm import customers, {import_rows:,} rows", "s", 3.0 if import_rows >= 100_000 else None)
    )  # fmt: skip
    return figs


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.runs = args.runs
        self.work = Path(tempfile.mkdtemp(prefix="crm-bench-"))
        self.env = bench_env(self.work / "home")
        self.figures: dict[str, Figure] = {}
        self.dbs: dict[int, dbs.BenchDb] = {}
        self.backup_seconds: dict[int, float | None] = {}

    def log(self, *parts) -> None:
        print(*parts, file=sys.stderr, flush=True)

    def fig(self, key: str) -> Figure:
        return self.figures[key]

    # --- databases -------------------------------------------------------------

    def build(self, sizes: list[int]) -> None:
        for size in sizes:
            f = self.fig(f"demo.build@{size}")
            try:
                db = dbs.ensure_db(
                    self.args.data_dir, size, self.args.seed, self.args.as_of, self.env, self.log
                )
            except Exception as exc:  # noqa: BLE001 - the table says what failed
                f.failed(str(exc))
                continue
            if db is None:
                f.missing("crm_tui/commands/demo.py and crm_tui/store/demo.py")
                continue
            self.dbs[size] = db
            if db.build_seconds is None:
                f.missing("crm_tui/commands/demo.py (database built with store.demo.generate)")
            else:
                f.runs = [db.build_seconds]
                f.note = "measured now" if db.built_now else "recorded when the database was built"
                if db.build_cpu_seconds is not None:
                    f.note += f"; CPU {db.build_cpu_seconds:.1f} s"
            f.details = {"db": db.path.name, "built_with": db.built_with, "counts": db.counts}

    # --- per database ----------------------------------------------------------

    def working_copy(self, db: dbs.BenchDb) -> Path:
        """The TUI may write: give it a copy and keep the built file pristine.

        The TUI backs a database up on its first start of the day (a worker started in
        ``on_mount``). A rep starts the app many times a day, so the bench measures the
        usual start: one `crm backup` of the copy first makes the daily backup not due.
        """
        path = dbs.copy_db(db.path, self.work / f"work-{db.customers}.db")
        if (dbs.PKG / "commands" / "backup.py").exists():
            run = run_timed([*crm_argv(), "--db", str(path), "backup"], self.env, timeout=900)
            self.backup_seconds[db.customers] = run.seconds if run.returncode == 0 else None
        return path

    def startup(self, size: int, db: Path, needle: list[str]) -> None:
        bare, crm, ratio = (self.fig(f"startup.{k}@{size}") for k in ("bare", "crm", "ratio"))
        if not needle:
            for f in (bare, crm, ratio):
                f.failed("database has no customers")
            return
        cpu: dict[str, list[float]] = {"bare": [], "crm": []}
        try:
            for _ in range(self.runs):
                b, b_cpu = first_frame(bare_argv(), "BENCHBAREFRAME", self.env, ROOT)
                c, c_cpu = first_frame([*crm_argv(), "--db", str(db)], needle, self.env, ROOT)
                bare.runs.append(b)
                crm.runs.append(c)
                ratio.runs.append(c / b)
                cpu["bare"].append(b_cpu)
                cpu["crm"].append(c_cpu)
        except StartupTimeout as exc:
            for f in (bare, crm, ratio):
                f.failed(str(exc))
            return
        bare.details = {"cpu_s": cpu["bare"]}
        crm.details = {"needles": len(needle), "cpu_s": cpu["crm"]}
        if self.backup_seconds.get(size) is not None:
            crm.note = f"daily auto-backup made beforehand (`crm backup` {self.backup_seconds[size]:.1f} s)"
        cpu_ratio = statistics.median(cpu["crm"]) / max(statistics.median(cpu["bare"]), 1e-9)
        ratio.details = {"cpu_ratio": round(cpu_ratio, 2)}
        ratio.note = f"per-run ratios, started back to back; CPU-time ratio {cpu_ratio:.2f}×"

    def due(self, size: int, db: Path) -> None:
        f = self.fig(f"due.cli@{size}")
        if not (dbs.PKG / "commands" / "due.py").exists():
            f.missing("crm_tui/commands/due.py")
            return
        cpu: list[float] = []
        for _ in range(self.runs):
            run = run_timed([*crm_argv(), "--db", str(db), "due"], self.env)
            if run.returncode != 0:
                f.failed(run.stderr.strip()[-200:])
                return
            f.runs.append(run.seconds)
            cpu.append(run.cpu_seconds)
        f.details = {"output_lines": run.stdout.count("\n"), "cpu_s": cpu}
        f.note = cpu_note(cpu)

    def tui(self, size: int, db: Path) -> None:
        keys = self.fig(f"search.keystroke@{size}")
        mem = self.fig(f"memory.tui@{size}")
        switch = {mode: self.fig(f"switch.{mode}@{size}") for _, mode, _ in SCREENS}
        final = self.fig(f"switch.reports_final@{size}")
        every = [keys, mem, final, *switch.values()]
        sessions = []
        for _ in range(self.runs):
            argv = [sys.executable, "-m", "bench.tui_session", "--db", str(db)]
            run = run_timed(argv, self.env, timeout=600)
            if run.returncode != 0:
                for f in every:
                    f.failed(
                        run.stderr.strip().splitlines()[-1] if run.stderr.strip() else "crashed"
                    )
                return
            data = json.loads(run.stdout)
            data["maxrss_mb"] = run.maxrss_mb
            sessions.append(data)
        keys.runs = [k["seconds"] * 1000 for s in sessions for k in s["keystrokes"]]
        keys.details = {
            "query": sessions[0]["query"],
            "per_key_ms": [
                {"typed": k["typed"], "ms": round(k["seconds"] * 1000, 2), "rows": k["rows"], "ok": k["ok"]}
                for k in sessions[0]["keystrokes"]
            ],
        }  # fmt: skip
        key_cpu = [k["cpu"] * 1000 for s in sessions for k in s["keystrokes"]]
        keys.details["cpu_ms"] = [round(c, 2) for c in key_cpu]
        keys.note = (
            f"{len(keys.runs)} keystrokes typing {sessions[0]['query']!r}; "
            f"CPU {statistics.median(key_cpu):.1f} ms"
        )
        if not all(k["ok"] for s in sessions for k in s["keystrokes"]):
            keys.note += "; some keystrokes did not update the list"
        mem.runs = [s["maxrss_mb"] for s in sessions]
        mem.note = "pilot session (headless, 120×40), ru_maxrss of the child"
        for mode, f in switch.items():
            entries = [s["switches"][mode] for s in sessions]
            if entries[0]["placeholder"]:
                f.missing(f"screen {mode} is still a placeholder")
                if mode == "reports":
                    final.missing("screen reports is still a placeholder")
                continue
            f.runs = [e["first_frame" if mode == "reports" else "ready"] * 1000 for e in entries]
            f.details = {
                "first_frame_ms": [round(e["first_frame"] * 1000, 1) for e in entries],
                "ready_ms": [round(e["ready"] * 1000, 1) for e in entries],
                "second_visit_ms": [round(e["ready_again"] * 1000, 1) for e in entries],
                "ready_cpu_ms": [round(e["ready_cpu"] * 1000, 1) for e in entries],
                "rows_loaded": sessions[0]["rows"].get(mode),
            }
            f.note = "first visit (CPU {:.0f} ms to ready); second visit {:.0f} ms".format(
                statistics.median(e["ready_cpu"] for e in entries) * 1000,
                statistics.median(e["ready_again"] for e in entries) * 1000,
            )
            if mode == "reports":
                final.runs = [e["ready"] * 1000 for e in entries]
                final.note = "all the screen's workers finished"
        mem.details = {"rows_loaded": sessions[0]["rows"]}

    def reports(self, size: int, db: dbs.BenchDb) -> None:
        have = (dbs.PKG / "commands" / "report.py").exists()
        names: tuple[str, ...] = ()
        if have:
            from crm_tui.commands import report

            names = report.NAMES
        for name in REPORTS:
            f = self.fig(f"report.{name}@{size}")
            if name not in names:
                f.missing(f"crm report {name}")
                continue
            argv = [*crm_argv(), "--db", str(db.path), "report", name, "--as-of", db.as_of]
            argv += ["--format", "csv"]
            cpu: list[float] = []
            for _ in range(self.runs):
                run = run_timed(argv, self.env)
                if run.returncode != 0:
                    f.failed(run.stderr.strip()[-200:])
                    break
                f.runs.append(run.seconds)
                cpu.append(run.cpu_seconds)
            if f.runs:
                f.details = {"output_lines": run.stdout.count("\n"), "cpu_s": cpu}
                f.note = cpu_note(cpu)
        self.pandas(size, db)

    def pandas(self, size: int, db: dbs.BenchDb) -> None:
        pd_fig = self.fig(f"report.rfm_pandas@{size}")
        ratio = self.fig(f"report.rfm_vs_pandas@{size}")
        if not python_module_available("pandas") and (
            self.args.quick or not try_pip_install("pandas")
        ):
            pd_fig.missing("pandas (pip install pandas into the venv for the bench)")
            ratio.missing("pandas")
            return
        csv_path, how = dbs.orders_csv(db.path, self.work / f"orders-{size}.csv", self.env)
        argv = [sys.executable, str(ROOT / "bench" / "pandas_rfm.py"), str(csv_path), db.as_of]
        compute: list[float] = []
        pd_cpu: list[float] = []
        for _ in range(self.runs):
            run = run_timed(argv, self.env)
            if run.returncode != 0:
                pd_fig.failed(run.stderr.strip()[-200:])
                ratio.failed("pandas failed")
                return
            pd_fig.runs.append(run.seconds)
            pd_cpu.append(run.cpu_seconds)
            compute.append(json.loads(run.stderr.strip().splitlines()[-1])["compute_seconds"])
        pd_fig.note = f"orders CSV from {how}"
        pd_fig.details = {
            "compute_only_s": compute,
            "csv_rows": sum(1 for _ in csv_path.open()) - 1,
        }
        rfm = self.fig(f"report.rfm@{size}")
        if rfm.runs:
            ratio.runs = [rfm.median / p for p in pd_fig.runs]  # type: ignore[operator]
            ratio.note = "median crm rfm / each pandas run (both whole processes)"
        else:
            ratio.missing("crm report rfm") if rfm.status == "missing" else ratio.failed(
                "crm rfm failed"
            )

    # --- global ----------------------------------------------------------------

    def import_customers(self, rows: int) -> None:
        f = self.fig(f"import.customers@{rows}")
        if not dbs.IMPORT_COMMAND.exists():
            f.missing("crm_tui/commands/import.py")
            return
        if not self.dbs:
            f.failed("no demo database to take customers from")
            return
        source = self.dbs[max(self.dbs)].path
        csv_path = dbs.customers_csv(source, self.work / f"customers-{rows}.csv", rows)
        template = dbs.empty_db(self.work / "empty.db", self.env)
        runs = self.runs
        cpu: list[float] = []
        for n in range(runs):
            target = dbs.copy_db(template, self.work / f"import-{n}.db")
            argv = [*crm_argv(), "--db", str(target), "import", "customers", str(csv_path)]
            run = run_timed(argv, self.env, timeout=900)
            if run.returncode not in (0, 3):
                f.failed(f"exit {run.returncode}: {run.stderr.strip()[-200:]}")
                return
            f.runs.append(run.seconds)
            cpu.append(run.cpu_seconds)
            conn = sqlite3.connect(target)
            (imported,) = conn.execute("SELECT count(*) FROM customer").fetchone()
            conn.close()
            f.details = {
                "exit": run.returncode,
                "imported": imported,
                "csv_rows": rows,
                "cpu_s": cpu,
            }
            if run.returncode == 3:
                f.note = f"{rows - imported} rows rejected"
            target.unlink()
        f.note = f.note or f"{f.details['imported']:,} customers imported into a fresh database"
        f.note += f"; {cpu_note(cpu)}"

    # --- all -------------------------------------------------------------------

    def run(self) -> list[Figure]:
        sizes = self.args.sizes
        order: list[Figure] = []
        for f in global_specs(sizes, self.args.import_rows):
            self.figures[f.key] = f
        for size in sizes:
            for f in figure_specs(size):
                self.figures[f.key] = f
        self.build(sizes)
        for size in sizes:
            db = self.dbs.get(size)
            specs = figure_specs(size)
            if db is None:
                demo = self.fig(f"demo.build@{size}")
                for f in specs:
                    if demo.status == "error":
                        self.fig(f.key).failed(f"no database: {demo.note}")
                    else:
                        self.fig(f.key).missing("a demo database (crm demo)")
            else:
                self.log(f"measuring at {size:,} customers ...")
                work = self.working_copy(db)
                steps = (
                    ("startup", self.startup, (size, work, db.first_page_codes())),
                    ("due", self.due, (size, work)),
                    ("tui", self.tui, (size, work)),
                    ("reports", self.reports, (size, db)),
                )
                for name, step, step_args in steps:
                    if self.args.only and name not in self.args.only:
                        continue
                    t = time.perf_counter()
                    try:
                        step(*step_args)
                    except Exception as exc:  # noqa: BLE001 - report and carry on
                        self.log(f"  {name}: error {exc!r}")
                        for f in specs:
                            g = self.fig(f.key)
                            if not g.runs and g.status == "ok" and _step_of(g.key) == name:
                                g.failed(repr(exc))
                    self.log(f"  {name}: {time.perf_counter() - t:.1f} s")
            order += [self.fig(f.key) for f in specs]
        if not self.args.only or "import" in self.args.only:
            t = time.perf_counter()
            try:
                self.import_customers(self.args.import_rows)
            except Exception as exc:  # noqa: BLE001
                self.fig(f"import.customers@{self.args.import_rows}").failed(repr(exc))
            self.log(f"  import: {time.perf_counter() - t:.1f} s")
        order += [self.fig(f.key) for f in global_specs(sizes, self.args.import_rows)]
        for f in order:
            if self.args.only and not f.runs and f.status == "ok":
                f.failed("not measured (--only)")
        return order

    def cleanup(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def cpu_note(cpu: list[float]) -> str:
    return f"CPU {statistics.median(cpu):.3f} s" if cpu else ""


def _step_of(key: str) -> str:
    group = key.split(".")[0]
    return {"startup": "startup", "due": "due", "search": "tui", "switch": "tui",
            "memory": "tui", "report": "reports"}.get(group, group)  # fmt: skip


def meta(args: argparse.Namespace, started: float, load_before) -> dict:
    def version(mod: str) -> str:
        try:
            from importlib.metadata import version as v

            return v(mod)
        except Exception:  # noqa: BLE001
            return "?"

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "crm_tui"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()
    return {
        "finished_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(time.perf_counter() - started, 1),
        "quick": args.quick,
        "runs": args.runs,
        "sizes": args.sizes,
        "as_of": args.as_of,
        "seed": args.seed,
        "commit": commit + (" + uncommitted changes in crm_tui/" if dirty else ""),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "textual": version("textual"),
        "sqlmodel": version("sqlmodel"),
        "platform": platform.platform(),
    }  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="tiny database, one run each (smoke test)")
    p.add_argument("--customers", type=int, help="measure one database of N customers only")
    p.add_argument("--sizes", default="10000,100000", help="database sizes (default 10000,100000)")
    p.add_argument("--runs", type=int, help="runs per figure (default 5; --quick 1)")
    p.add_argument("--out", type=Path, default=RESULTS, help="folder for latest.json")
    p.add_argument("--data-dir", type=Path, help="where databases are built (default bench/data)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--as-of", default=dt.date.today().isoformat(), help="demo data as-of date")
    p.add_argument("--import-rows", type=int, help="rows of the import figure (default 100000)")
    p.add_argument("--only", help="comma-separated steps: startup,due,tui,reports,import")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes = [args.customers or 200]
        args.runs = args.runs or 1
        args.import_rows = args.import_rows or args.sizes[0]
        args.data_dir = args.data_dir or args.out / "data"
    else:
        args.sizes = [args.customers] if args.customers else [int(s) for s in args.sizes.split(",")]
        args.runs = args.runs or 5
        args.import_rows = args.import_rows or 100_000
        args.data_dir = args.data_dir or DATA
    args.only = set(args.only.split(",")) if args.only else set()
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()
    bench = Bench(args)
    try:
        figures = bench.run()
    finally:
        bench.cleanup()
    info = meta(args, started, load_before)
    table = text_table(figures)
    print(table)
    out = args.out / "latest.json"
    write_json(out, info, figures)
    print(f"\nwrote {out}", file=sys.stderr)
    if args.out.resolve() == RESULTS.resolve() and not args.quick and not args.only:
        write_json(ROOT / "bench" / "latest.json", info, figures)
        citable = ROOT / "bench" / "LATEST.md"
        citable.write_text(
            "# Latest full benchmark run\n\n"
            f"{info['finished_at']}, commit {info['commit']}, {info['cpus']} CPUs, load average "
            f"{info['load_average_before']} → {info['load_average_after']}, Python {info['python']}, "
            f"SQLite {info['sqlite']}, Textual {info['textual']}; medians of {args.runs} runs.\n\n"
            f"{markdown_table(figures)}\n\nRaw figures: `bench/latest.json`. Reproduce: `make bench`.\n",
            encoding="utf-8",
        )
        print(f"wrote {citable}", file=sys.stderr)
    return 0  # a missed target is a result, not a harness failure
