"""Guards on the architecture: store and reports never import Textual; fast paths stay light."""

from __future__ import annotations

import ast
import pathlib
import re
import subprocess
import sys

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "crm_tui"


def imported_modules(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_store_and_reports_never_import_textual():
    for folder in ("store", "reports"):
        for path in (PACKAGE / folder).rglob("*.py"):
            bad = {m for m in imported_modules(path) if m.split(".")[0] in ("textual", "rich")}
            assert not bad, f"{path.relative_to(PACKAGE)} imports {bad}"


def test_screens_and_widgets_hold_no_sql():
    # whole words: Textual's ALLOW_SELECT is not SQL
    keywords = ("SELECT", "INSERT INTO", "UPDATE", "DELETE FROM")
    for folder in ("screens", "widgets"):
        for path in (PACKAGE / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for kw in keywords:
                found = re.search(rf"\b{kw}\s", text)
                assert not found, f"{path.relative_to(PACKAGE)} contains SQL ({kw})"


HEAVY = ("sqlalchemy", "sqlmodel", "textual", "alembic")


def heavy_modules_after(statements: str) -> list[str]:
    """The heavy packages a fresh interpreter has loaded after running ``statements``."""
    code = f"import sys\n{statements}\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.strip().split(",") if m]


def test_cli_help_does_not_import_the_orm_or_textual():
    assert heavy_modules_after("from crm_tui.cli import build_parser\nbuild_parser()") == []


def test_import_path_does_not_import_the_orm():
    """`crm import` checks rows with the ORM-free field specs (store/fields.py): loading
    SQLModel and SQLAlchemy would cost a third of a second of every import."""
    assert heavy_modules_after("import crm_tui.store.importing") == []
