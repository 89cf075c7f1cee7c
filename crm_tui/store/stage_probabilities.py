"""A deal whose probability was not set by hand follows its stage's configured default.

Every deal stores its probability: the board's column sums, the forecast, the weekly
weighted pipeline and the due list read ``opportunity.probability`` through covering
indexes, so the effective probability is not computed in their queries. When
config.toml gives a stage another probability, the stored ones of the deals at that
stage that were not set by hand (``probability_overridden`` false) are brought to it the
next time the app or a command that reads or writes deals opens the database
(:func:`follow_stage_probabilities`).

``app_meta`` remembers the set last applied (under :data:`META_KEY`), so an unchanged
config costs one read of one row; only a changed stage's deals are rewritten. A file
that has no such row (made before this, restored, copied) gets every stage applied
once. The set travels with the file: a backup restored elsewhere, or a file opened
with another config, is brought to the config it is opened with.

Standard library only (the app's first frame and the commands must not wait for the
ORM).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping

from crm_tui.store import enums
from crm_tui.store.sqlite import immediate_transaction

#: app_meta key of the stage probabilities the stored ones follow (JSON, stage → %).
META_KEY = "stage_probabilities"


def configured(probabilities: Mapping[str, int] | None) -> dict[str, int]:
    """Every stage's default probability: DOMAIN.md's, overridden by config.toml's."""
    return {**enums.DEFAULT_PROBABILITY, **(probabilities or {})}


def _encode(probabilities: Mapping[str, int]) -> str:
    return json.dumps(dict(probabilities), sort_keys=True, separators=(",", ":"))


def applied(conn: sqlite3.Connection) -> dict[str, int] | None:
    """The stage probabilities the file's deals follow, or None when not known."""
    row = conn.execute("SELECT value FROM app_meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is None:
        return None
    try:
        value = json.loads(row[0])
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def follow_stage_probabilities(
    conn: sqlite3.Connection, probabilities: Mapping[str, int] | None
) -> int:
    """Give the deals not set by hand their stage's probability of ``probabilities``
    (``Settings.probabilities()``), when that is not the set last applied; returns how
    many deals changed.

    ``conn`` is in autocommit mode (``isolation_level = None``) and in no transaction:
    the changes and the new set are written in one transaction of their own, so a
    second program opening the file at the same moment finds either nothing to do or
    the whole change done.
    """
    wanted = configured(probabilities)
    text = _encode(wanted)
    row = conn.execute("SELECT value FROM app_meta WHERE key = ?", (META_KEY,)).fetchone()
    if row is not None and row[0] == text:
        return 0  # the usual case: one indexed read of one row
    changed = 0
    with immediate_transaction(conn):
        before = applied(conn)  # again, under the write lock: another program may have done it
        stages = [s for s, p in wanted.items() if before is None or before.get(s) != p]
        for stage in stages:
            changed += conn.execute(
                "UPDATE opportunity SET probability = ?1"
                " WHERE stage = ?2 AND probability <> ?1 AND NOT probability_overridden",
                (wanted[stage], stage),
            ).rowcount
        remember_applied(conn, wanted)
    return changed


def remember_applied(conn: sqlite3.Connection, probabilities: Mapping[str, int]) -> None:
    """Record that the deals not set by hand carry ``probabilities`` (inside the writing
    transaction that gave them those: the sample data's, say)."""
    conn.execute(
        "INSERT INTO app_meta(key, value) VALUES (?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (META_KEY, _encode(configured(probabilities))),
    )
