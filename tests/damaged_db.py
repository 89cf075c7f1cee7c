"""Test helper: damage one page of a database file the way a failing disk does.

Overwriting a b-tree's root page with garbage is what the exploratory tester did to an
index of a real file: the database still opens and most screens work, but
``PRAGMA integrity_check`` stops with "database disk image is malformed".
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

#: An index nothing reads at the app's start or in `crm check`'s opening (payments are rare).
UNUSED_INDEX = "ix_payment_order_id"


def damage_page(path: Path | str, btree: str = UNUSED_INDEX) -> int:
    """Overwrite the root page of table or index ``btree`` with garbage; returns its number.

    Every connection to the file must be closed (the write-ahead log is checkpointed
    into the file first, so the garbage is not hidden behind a newer copy of the page).
    """
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        (page,) = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (btree,)
        ).fetchone()
        (size,) = conn.execute("PRAGMA page_size").fetchone()
    finally:
        conn.close()
    with open(path, "r+b") as fh:
        fh.seek((page - 1) * size)
        fh.write(b"\xde\xad" * (size // 2))
    return page
