"""Opening a database file: create it, bring its schema up to date, hand out connections.

Opening checks the schema revision with the standard library alone; Alembic
(and SQLAlchemy) are imported only when the file actually needs migrating,
and the ORM engine only when something asks for a session.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from crm_tui.i18n import _, os_problem
from crm_tui.store import in_use
from crm_tui.store import sqlite as sq

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

#: The newest migration this program ships; a test keeps it equal to Alembic's head.
HEAD_REVISION = "0014"
KNOWN_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
    "0011",
    "0012",
    "0013",
    "0014",
)


class DatabaseError(Exception):
    """A database file that cannot be used; the message names the file and what to do."""


def _restore_hint(path: Path) -> str:
    """What to do next: the restore command, the newest automatic backup and where they are."""
    from crm_tui.store.backups import restore_hint

    return restore_hint(path)


def current_revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:
        return None
    return row[0] if row else None


def upgrade(path: Path, revision: str = "head") -> None:
    """Run Alembic migrations on the file up to ``revision``."""
    _migrate(path, "upgrade", revision)


def downgrade(path: Path, revision: str) -> None:
    """Undo Alembic migrations on the file down to ``revision``."""
    _migrate(path, "downgrade", revision)


def _migrate(path: Path, direction: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from crm_tui.store.sqlite import make_engine

    cfg = Config()
    cfg.set_main_option("script_location", "crm_tui.store:migrations")
    engine = make_engine(path)
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            getattr(command, direction)(cfg, revision)
    finally:
        engine.dispose()


def open_problem(path: Path, exc: BaseException) -> str:
    """Why ``path`` cannot be used, from the SQLite error met opening, migrating or reading
    it. Only a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) is told to restore a backup: a
    file or folder that cannot be opened or written needs its permissions changed, and a
    backup restored over it would fail the same way."""
    damage = sq.damage_in(exc)
    if damage is not None and damage.sqlite_errorcode & 0xFF == sqlite3.SQLITE_NOTADB:
        # not SQLite at all: most often --db names the wrong file (a CSV, say), and
        # restoring a backup over it would replace that file: the path comes first
        return _(
            "{path} is not a database file: check --db (or CRM_DB) names your crm"
            " database; if it is the crm database, it is damaged: {hint}"
        ).format(path=path, hint=_restore_hint(path))
    if damage is not None:
        return _("{path} is damaged ({problem}); {hint}").format(
            path=path, problem=damage, hint=_restore_hint(path)
        )
    error = sq.cannot_open_in(exc)
    if error is not None:
        return _(
            "{path} cannot be opened or written ({problem}): check that you may write to the"
            " file and to its folder {folder}, where SQLite also keeps its journal"
        ).format(path=path, problem=error, folder=path.absolute().parent)
    return _("cannot open {path}: {problem}").format(path=path, problem=sq.plain_problem(exc))


def prepare(path: Path | str) -> Path:
    """Create the file if needed, refuse unusable files, migrate older schemas in place."""
    path = Path(path).expanduser()
    if path.is_dir():  # not "damaged": there is nothing to restore
        raise DatabaseError(_("{path} is a folder, not a database file").format(path=path))
    exists = path.exists()
    if exists and not path.is_file():  # /dev/null, a pipe: SQLite fails on its writes
        raise DatabaseError(
            _(
                "{path} is not a regular file (a device or a pipe?): check --db (or CRM_DB)"
                " names your crm database"
            ).format(path=path)
        )
    from crm_tui.store.backups import emptied_problem, missing_problem

    # never taken for a new database: an emptied file, or a removed one, with backups
    # (a stat more only for a file that is not there)
    problem = emptied_problem(path) if exists else missing_problem(path)
    if problem is not None:
        raise DatabaseError(problem)
    try:
        sq.ensure_file(path)
    except OSError as exc:
        raise DatabaseError(
            _("cannot open {path}: {problem}").format(path=path, problem=os_problem(exc))
        ) from None
    try:
        # A plain connection, without the store's pragmas: another program's file (a
        # wrong --db) is refused before anything in it changes (its journal mode, a
        # -wal and -shm beside it). Reading sqlite_master changes nothing.
        conn = sqlite3.connect(path)
        try:
            conn.execute(f"PRAGMA busy_timeout = {sq.BUSY_TIMEOUT_MS}")
            revision = current_revision(conn)
            has_tables = conn.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
            ).fetchone()[0]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseError(open_problem(path, exc)) from None
    if revision == HEAD_REVISION:
        return path
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise DatabaseError(
            _(
                "{path} was written by a newer crm (schema {revision}); upgrade crm-tui or {hint}"
            ).format(path=path, revision=revision, hint=_restore_hint(path))
        )
    if revision is None and has_tables:
        # another program's file: restoring a crm backup over it would replace that
        # program's data, so only the choice of file is suggested
        raise DatabaseError(
            _(
                "{path} is a SQLite file but not a crm database (nothing in it was changed):"
                " check --db (or CRM_DB) names your crm database"
            ).format(path=path)
        )
    try:
        upgrade(path)
    except Exception as exc:  # SQLAlchemy's or Alembic's wrapping of a SQLite error
        if sq.sqlite_error_in(exc) is None:
            raise
        raise DatabaseError(open_problem(path, exc)) from None
    return path


class Database:
    """One database file: a lazily created stdlib connection and ORM engine."""

    def __init__(self, path: Path | str, *, hold_open: bool = False) -> None:
        """``hold_open``: mark the file open until close() (the app: see store.in_use)."""
        self.path = prepare(path)
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._in_use = in_use.hold(self.path) if hold_open else None

    def follow_stage_probabilities(self, probabilities: Mapping[str, int] | None) -> int:
        """Bring the deals not set by hand to their stage's configured probability when
        the configuration changed since it was last applied (one read of one row when it
        did not): see store.stage_probabilities. For the app and the commands that read
        or write deals; `crm due` does not pay for it."""
        from crm_tui.store.stage_probabilities import follow_stage_probabilities

        conn = sq.connect(self.path, create=False)
        conn.isolation_level = None
        try:
            return follow_stage_probabilities(conn, probabilities)
        finally:
            conn.close()

    def connect(self, *, readonly: bool = False) -> sqlite3.Connection:
        """A new standard-library connection (the caller closes it)."""
        return sq.connect(self.path, readonly=readonly, create=False)

    @contextmanager
    def reading(self, *, mmap: bool = False) -> Iterator[sqlite3.Connection]:
        """A short-lived stdlib connection for read-only fast paths (``mmap``: see sqlite.connect)."""
        conn = sq.connect(self.path, mmap=mmap, create=False)
        try:
            yield conn
        finally:
            conn.close()

    @property
    def engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = sq.make_engine(self.path)
            return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on error; objects stay readable."""
        from sqlmodel import Session

        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def close(self) -> None:
        in_use.release(self._in_use)
        self._in_use = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
