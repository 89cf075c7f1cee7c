"""One TUI session driven by Textual's pilot, in its own process (``python -m bench.tui_session``).

Fresh process per run so that the first visit of each screen pays what a rep's
first visit pays (module import, compose, first query). It measures:

* keystrokes: ``/`` then a search typed one key at a time; per key the time from
  pressing it until the customer table holds the new result and the screen has been
  composited (``screen._on_timer_update()`` renders the dirty widgets — in headless
  mode only the final write to the terminal is skipped);
* switches: keys 2, 3, 4, 5 from the customers screen; "ready" is the new screen
  mounted, all its workers finished and the frame composited; for reports also the
  first frame before its workers finish;
* loaded rows per screen (VirtualTable.loaded_row_count, DataTable.row_count, cards);

and prints one JSON object. The parent reads the process's peak RSS (wait4) after it
has visited every screen.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import json
import sqlite3
import sys
import time

SCREENS = (
    ("2", "pipeline", "crm_tui.screens.pipeline"),
    ("3", "interactions", "crm_tui.screens.interactions"),
    ("4", "tasks", "crm_tui.screens.tasks"),
    ("5", "reports", "crm_tui.screens.reports"),
)


def is_placeholder(module: str) -> bool:
    """A screen module that is still the shell's placeholder (its issue has not landed)."""
    try:
        mod = importlib.import_module(module)
    except ImportError:
        return True
    return (mod.__doc__ or "").lstrip().lower().startswith("placeholder")


def search_query(db: str) -> str:
    """Part of a real customer name from the middle of the table: 1-, 2- and ≥3-key paths."""
    conn = sqlite3.connect(db)
    try:
        (n,) = conn.execute("SELECT count(*) FROM customer").fetchone()
        row = conn.execute(
            "SELECT name FROM customer ORDER BY id LIMIT 1 OFFSET ?", (n // 2,)
        ).fetchone()
    finally:
        conn.close()
    name = row[0] if row else "abc"
    if name.isascii():
        return name.split()[0][:6].lower()
    body = name[2:] if len(name) > 6 else name  # skip the city prefix (上海…)
    return body[:4]


def widget_rows(screen) -> dict[str, int]:
    """Rows each list widget of a screen holds in memory."""
    from textual.widgets import DataTable

    out: dict[str, int] = {}
    for n, w in enumerate(screen.walk_children()):
        name = f"{type(w).__name__}#{w.id or n}"
        if hasattr(w, "loaded_row_count"):
            out[name] = int(w.loaded_row_count())
        elif hasattr(w, "loaded_card_count"):
            out[name] = int(w.loaded_card_count())
        elif isinstance(w, DataTable):
            out[name] = int(w.row_count)
    return out


def send_key(app, key: str) -> None:
    """Post one key press exactly as ``Pilot.press`` does, without its idle-CPU waits.

    ``Pilot.press`` sleeps at least 2 × 20 ms per key (``wait_for_idle``) and up to a
    second on a busy machine; the bench waits on conditions instead.
    """
    from textual import events

    char = {"slash": "/", "escape": None}.get(key, key if len(key) == 1 else None)
    event = events.Key(key, char)
    event.set_sender(app)
    app._driver.send_message(event)


async def until(pilot, condition, limit: float = 30.0) -> bool:
    """Process messages until ``condition()`` holds (False after ``limit`` seconds)."""
    deadline = time.perf_counter() + limit
    while not condition():
        if time.perf_counter() > deadline:
            return False
        await pilot._wait_for_screen()
        await asyncio.sleep(0)
    return True


async def settle(app, pilot) -> None:
    """Wait until every worker has finished and every message is processed; composite."""
    for _ in range(50):
        await app.workers.wait_for_complete()
        await pilot._wait_for_screen()
        if not any(w.is_running for w in app.workers):
            break
    app.screen._on_timer_update()


async def session(db: str, query: str, rounds: int, width: int, height: int) -> dict:
    from textual.widgets import Input

    from crm_tui.app import make_app
    from crm_tui.widgets.virtual_table import VirtualTable

    app = make_app(db, lang="en")
    result: dict = {"query": query, "keystrokes": [], "switches": {}, "rows": {}}
    async with app.run_test(size=(width, height)) as pilot:
        await settle(app, pilot)  # first page shown, due badge counted, ORM warmed up
        screen = app.screen
        table = screen.query_one(VirtualTable)
        result["rows"]["customers"] = widget_rows(screen)
        result["first_page_rows"] = table.row_count
        search = screen.query_one("#search", Input)
        for _ in range(rounds):
            await pilot.press("slash")
            await until(pilot, lambda: search.has_focus)
            typed = ""
            for key in query:
                typed += key
                start, cpu = time.perf_counter(), time.process_time()
                send_key(app, key)
                ok = await until(
                    pilot,
                    lambda t=typed: search.value == t and getattr(table.source, "search", t) == t,
                )
                screen._on_timer_update()
                seconds = time.perf_counter() - start
                cpu = time.process_time() - cpu
                result["keystrokes"].append(
                    {
                        "typed": typed,
                        "seconds": seconds,
                        "cpu": cpu,
                        "rows": table.row_count,
                        "ok": ok,
                    }
                )
            await pilot.press("escape")  # clear search and filters, focus the table
            await settle(app, pilot)
        if search.value:
            search.value = ""
            await settle(app, pilot)
        table.focus()
        await settle(app, pilot)
        for key, mode, module in SCREENS:
            entry: dict = {"placeholder": is_placeholder(module)}
            start, cpu = time.perf_counter(), time.process_time()
            send_key(app, key)
            await until(pilot, lambda m=mode: app.current_mode == m and app.screen.is_mounted)
            await pilot._wait_for_screen()
            app.screen._on_timer_update()
            entry["first_frame"] = time.perf_counter() - start
            await settle(app, pilot)
            entry["ready"] = time.perf_counter() - start
            entry["ready_cpu"] = time.process_time() - cpu
            entry["screen"] = type(app.screen).__name__
            entry["mode"] = app.current_mode
            result["rows"][mode] = widget_rows(app.screen)
            # The second visit (screen kept by its mode; resume refreshes it).
            await pilot.press("1")
            await settle(app, pilot)
            start = time.perf_counter()
            send_key(app, key)
            await until(pilot, lambda m=mode: app.current_mode == m and app.screen.is_mounted)
            await settle(app, pilot)
            entry["ready_again"] = time.perf_counter() - start
            await pilot.press("1")
            await settle(app, pilot)
            result["switches"][mode] = entry
    return result


def main() -> int:
    # As `crm` starts the app (crm_tui.cli.main): the cycle collector paused until the
    # app has frozen what its start built.
    gc.disable()
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--query", default="")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--width", type=int, default=120)
    parser.add_argument("--height", type=int, default=40)
    args = parser.parse_args()
    query = args.query or search_query(args.db)
    result = asyncio.run(session(args.db, query, args.rounds, args.width, args.height))
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
