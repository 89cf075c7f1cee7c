"""The benchmark databases (built with `crm demo`, reused while their parameters match) and CSV inputs."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import ROOT, crm_argv, run_timed

PKG = ROOT / "crm_tui"
DEMO_COMMAND = PKG / "commands" / "demo.py"
DEMO_STORE = PKG / "store" / "demo.py"
IMPORT_COMMAND = PKG / "commands" / "import.py"
EXPORT_COMMAND = PKG / "commands" / "export.py"


def generator_fingerprint() -> str:
    """What decides a demo database's content: the generator and the schema migrations."""
    h = hashlib.sha256()
    files = [DEMO_COMMAND, DEMO_STORE, *sorted((PKG / "store" / "migrations").rglob("*.py"))]
    for f in files:
        if f.exists():
            h.update(f.relative_to(ROOT).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:12]


@dataclass
class BenchDb:
    path: Path
    customers: int
    seed: int
    as_of: str
    build_seconds: float | None  # None when not built by `crm demo` (fallback generator)
    build_cpu_seconds: float | None
    built_with: str
    built_now: bool
    first_code: str = ""  # code of the first customer on the default (name) sort

    def first_page_codes(self) -> list[str]:
        """Codes that can open the customer list whatever its default sort (first 20 of each)."""
        conn = sqlite3.connect(self.path)
        try:
            codes: list[str] = []
            for order in (
                "name COLLATE NOCASE, id",
                "last_interaction_at DESC NULLS LAST, id",
                "total_amount_cents DESC, id",
                "id",
                "id DESC",
            ):
                sql = f"SELECT code FROM customer ORDER BY {order} LIMIT 20"
                codes += [r[0] for r in conn.execute(sql) if r[0]]
            return list(dict.fromkeys(codes))
        finally:
            conn.close()

    counts: dict | None = None


def _meta_path(db: Path) -> Path:
    return db.with_suffix(".json")


def _first_code(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute(
            "SELECT code FROM customer ORDER BY name COLLATE NOCASE, id LIMIT 1"
        ).fetchone()
        return row[0] if row else ""
    finally:
        conn.close()


def _counts(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(path)
    try:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("customer", "contact", "opportunity", "interaction", "sales_order", "task")
        }
    finally:
        conn.close()


def ensure_db(
    data_dir: Path, customers: int, seed: int, as_of: str, env: dict[str, str], log=print
) -> BenchDb | None:
    """The demo database for these parameters: reused if present and complete, else built.

    Built with `crm demo` (timed: the `crm demo` figure); if that command does not exist
    yet, with ``crm_tui.store.demo.generate`` directly (untimed). None if neither exists.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    params = {
        "customers": customers,
        "seed": seed,
        "as_of": as_of,
        "generator": generator_fingerprint(),
        "demo_command": DEMO_COMMAND.exists(),
    }
    path = data_dir / f"crm-{customers}-s{seed}-{as_of}-{params['generator']}.db"
    meta_path = _meta_path(path)
    if path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("params") == params:
            log(f"reusing {path.name} (built {meta['built_at']})")
            return BenchDb(
                path, customers, seed, as_of, meta.get("build_seconds"),
                meta.get("build_cpu_seconds"), meta["built_with"], False,
                meta.get("first_code", ""), meta.get("counts"),
            )  # fmt: skip
    if not DEMO_COMMAND.exists() and not DEMO_STORE.exists():
        return None
    for stale in data_dir.glob(f"crm-{customers}-s{seed}-*"):
        stale.unlink()
    log(f"building {path.name} ({customers:,} customers) ...")
    if DEMO_COMMAND.exists():
        argv = [*crm_argv(), "--db", str(path), "demo", "--customers", str(customers)]
        argv += ["--seed", str(seed), "--as-of", as_of]
        run = run_timed(argv, env, timeout=3600)
        if run.returncode != 0:
            raise RuntimeError(f"crm demo failed ({run.returncode}): {run.stderr.strip()[-500:]}")
        seconds, built_with = run.seconds, "crm demo"
        cpu: float | None = run.cpu_seconds
    else:
        code = (
            "import datetime as dt, sys\n"
            "from crm_tui.store.demo import generate\n"
            "generate(sys.argv[1], customers=int(sys.argv[2]), seed=int(sys.argv[3]),"
            " as_of=dt.date.fromisoformat(sys.argv[4]))\n"
        )
        argv = [sys.executable, "-c", code, str(path), str(customers), str(seed), as_of]
        run = run_timed(argv, env, timeout=3600)
        if run.returncode != 0:
            raise RuntimeError(f"demo generate failed: {run.stderr.strip()[-500:]}")
        seconds, built_with = None, "crm_tui.store.demo.generate (no crm demo yet)"
        cpu = None
    first = _first_code(path)
    counts = _counts(path)
    meta = {
        "params": params,
        "build_seconds": seconds,
        "build_cpu_seconds": cpu,
        "built_with": built_with,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "first_code": first,
        "counts": counts,
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return BenchDb(path, customers, seed, as_of, seconds, cpu, built_with, True, first, counts)


def empty_db(path: Path, env: dict[str, str]) -> Path:
    """A created and migrated database without data (the import target template)."""
    if path.exists():
        path.unlink()
    code = (
        "import sys\nfrom crm_tui.store.database import Database\nDatabase(sys.argv[1]).close()\n"
    )
    run = run_timed([sys.executable, "-c", code, str(path)], env)
    if run.returncode != 0:
        raise RuntimeError(f"cannot create an empty database: {run.stderr.strip()[-500:]}")
    return path


def copy_db(src: Path, dst: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        p = Path(str(dst) + suffix)
        if p.exists():
            p.unlink()
    shutil.copyfile(src, dst)
    return dst


def _money(cents) -> str:
    if cents is None:
        return ""
    return f"{cents // 100}.{cents % 100:02d}"


CUSTOMER_COLUMNS = (
    "name", "code", "kind", "industry", "size", "source", "level", "status", "first_contact",
    "needs", "budget", "tags", "owner", "address", "contact_name", "contact_title",
    "contact_phone", "contact_email",
)  # fmt: skip


def customers_csv(src: Path, out: Path, rows: int) -> Path:
    """``rows`` customers (with their primary contact and tags) of a demo db as an import CSV.

    Names and codes get a ``B`` suffix/prefix so the file stays importable into a database
    that already holds the demo customers; the import target is an empty database anyway.
    """
    conn = sqlite3.connect(src)
    try:
        sql = """
        SELECT c.name, c.code, c.kind, c.industry, c.size, c.source, c.level, c.status,
               c.first_contact, c.needs, c.budget_cents,
               (SELECT group_concat(t.name, ';') FROM customer_tag ct JOIN tag t ON t.id = ct.tag_id
                 WHERE ct.customer_id = c.id),
               c.owner, coalesce(c.business_address, c.registered_address),
               p.name, p.title, coalesce(p.mobile, p.phone), p.email
        FROM customer c LEFT JOIN contact p ON p.id = c.primary_contact_id
        ORDER BY c.id LIMIT ?"""
        data = conn.execute(sql, (rows,)).fetchall()
    finally:
        conn.close()
    from crm_tui.store.validation import normalise_name

    names: set[str] = set()
    phones: set[str] = set()
    emails: set[str] = set()
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(CUSTOMER_COLUMNS)
        for n in range(rows):
            r = list(data[n % len(data)])
            copy = n // len(data)
            if copy:  # fewer demo customers than rows: make the copies distinct
                r[1] = f"{r[1]}-{copy}"
            # Every row a new customer (the demo has a few look-alike names, which the
            # import would skip as duplicates): the figure is 100,000 rows imported.
            base, k = r[0], 0
            while normalise_name(r[0]) in names:
                k += 1
                r[0] = f"{base} {k + copy * 1000}"
            names.add(normalise_name(r[0]))
            if r[16] in phones:
                r[16] = None
            if r[17] and r[17].lower() in emails:
                r[17] = None
            phones.add(r[16])
            emails.add((r[17] or "").lower())
            r[10] = _money(r[10])
            w.writerow(["" if v is None else v for v in r])
    return out


def orders_csv(src: Path, out: Path, env: dict[str, str]) -> tuple[Path, str]:
    """All orders as CSV: `crm export orders` when it exists, else the same columns via sqlite3."""
    if out.exists():
        out.unlink()
    if EXPORT_COMMAND.exists():
        run = run_timed([*crm_argv(), "--db", str(src), "export", "orders", "--out", str(out)], env)
        if run.returncode == 0 and out.exists():
            return out, "crm export orders"
    conn = sqlite3.connect(src)
    try:
        data = conn.execute(
            "SELECT c.code, c.name, o.order_date, o.amount_cents, o.product, o.order_no "
            "FROM sales_order o JOIN customer c ON c.id = o.customer_id ORDER BY o.id"
        ).fetchall()
    finally:
        conn.close()
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(("customer_code", "customer", "date", "amount", "product", "order_no"))
        for code, name, day, cents, product, no in data:
            w.writerow((code, name, day, _money(cents), product or "", no or ""))
    return out, "sqlite3 (no crm export yet)"
