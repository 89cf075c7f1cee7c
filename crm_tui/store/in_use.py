"""Whether the app has a database open, so that `crm restore` never replaces the file
under it.

A running app keeps its connections on the file it opened: replaced (``os.replace``) it
would go on reading the old, unlinked file and every later save would be lost with it.
So the app holds a shared lock on a small file beside the database (``crm.db-inuse``)
for as long as it runs, and a restore takes that lock exclusively or refuses. Several
apps may share a file; the lock goes with the process, however it ends. ``flock``
locks are not SQLite's (POSIX byte-range locks on the database itself), so neither
disturbs the other. Where ``fcntl`` is missing (Windows) nothing is locked.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class InUse(Exception):
    """Another process (the app) has the database open."""


def marker_path(db_path: Path | str) -> Path:
    return Path(str(db_path) + "-inuse")


def _open(db_path: Path | str) -> int:
    return os.open(marker_path(db_path), os.O_RDWR | os.O_CREAT, 0o600)


def hold(db_path: Path | str) -> int | None:
    """Mark the database open for as long as the returned descriptor is (close it with
    :func:`release`); None where it cannot be marked (no ``fcntl``, a read-only folder,
    a restore running right now)."""
    if fcntl is None:
        return None
    try:
        fd = _open(db_path)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def release(fd: int | None) -> None:
    if fd is not None:
        os.close(fd)  # (closing drops the lock)


@contextmanager
def alone(db_path: Path | str) -> Iterator[None]:
    """Hold the database for a change no open app may see (a restore); raises
    :class:`InUse` while an app has it open."""
    if fcntl is None:
        yield
        return
    try:
        fd = _open(db_path)
    except OSError:  # no marker can be made, so no app holds one either
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise InUse(str(db_path)) from None
        yield
    finally:
        os.close(fd)
