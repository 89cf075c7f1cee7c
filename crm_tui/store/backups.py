"""Backups and restore: online copies with SQLite's backup API, retention, verified atomic restore.

Standard library only (no ORM), so `crm backup` and the TUI's start-up check stay fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import shutil
import sqlite3
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

from crm_tui.i18n import _, os_problem
from crm_tui.store import in_use
from crm_tui.store import sqlite as sq

BACKUP_PREFIX = "crm-"
BACKUP_SUFFIX = ".db"
#: In a database's backup folder while its last backup was refused because the database
#: is damaged (the header warns); holds the problem. Removed by the next good backup.
REFUSED_NAME = "backup-refused.txt"
#: A copy being written and checked; renamed to its ``crm-*.db`` name only when healthy.
PARTIAL_SUFFIX = ".partial"
#: Prefix of the byte-for-byte copy of a damaged database that `crm restore` replaced.
#: Not ``crm-``: it is not a backup (never the newest, never counted or pruned).
DAMAGED_PREFIX = "damaged-"
#: An automatic backup is made when the newest one is older than this.
AUTO_BACKUP_AGE = dt.timedelta(days=1)


class BackupError(Exception):
    """A backup or restore that cannot be done; the message names the file and the problem."""


def backup_dir(db_path: Path | str) -> Path:
    """``<user data dir>/backups/<db name>-<hash of its full path>``: one folder per database.

    Each database keeps its own last N backups, so a scratch file opened with --db
    never pushes the real database's backups out.
    """
    import hashlib

    from crm_tui.settings import data_dir

    full = Path(db_path).expanduser().resolve()
    digest = hashlib.sha1(str(full).encode("utf-8")).hexdigest()[:8]
    return data_dir() / "backups" / f"{full.stem}-{digest}"


def _private_folder(folder: Path) -> None:
    """Create ``folder`` and any missing parents readable by the owner only (mode 0700)."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for path in reversed(missing):
        path.mkdir(mode=0o700, exist_ok=True)


def _backups(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    found = []
    for p in folder.iterdir():
        if not (p.name.startswith(BACKUP_PREFIX) and p.name.endswith(BACKUP_SUFFIX)):
            continue
        try:  # (another crm's prune may delete it meanwhile)
            st = p.stat()
        except OSError:
            continue
        if stat.S_ISREG(st.st_mode):
            found.append((st.st_mtime_ns, p.name, p))
    return [p for _mtime, _name, p in sorted(found)]


def list_backups(folder: Path) -> list[Path]:
    """The backups in the folder, oldest first."""
    return _backups(folder)


def last_backup_time(folder: Path) -> dt.datetime | None:
    """When the newest backup was made (for the TUI's status), or None if there is none."""
    for p in reversed(_backups(folder)):
        try:
            newest = p.stat().st_mtime
        except OSError:  # pruned by another crm meanwhile
            continue
        return dt.datetime.fromtimestamp(newest).replace(microsecond=0)
    return None


def restore_hint(db_path: Path | str, folder: Path | None = None) -> str:
    """How to get a damaged database back: the restore command, the newest automatic backup
    and the folder holding them all (for ``error:`` lines and the app's messages)."""
    import shlex

    db_path = Path(db_path).expanduser()
    folder = folder or backup_dir(db_path)
    backups = _backups(folder)
    if backups:
        return _(
            "restore a backup with `crm --db {db} restore FILE` (the newest automatic backup "
            "is {backup}; all are in {folder}) or open another file with --db"
        ).format(db=shlex.quote(str(db_path)), backup=backups[-1], folder=folder)
    return _(
        "restore a backup with `crm --db {db} restore FILE` (there is no automatic backup "
        "yet; they are kept in {folder}) or open another file with --db"
    ).format(db=shlex.quote(str(db_path)), folder=folder)


def damage_message(db_path: Path | str, problem: object) -> str:
    """What to tell the rep when reading ``db_path`` met a damaged page: the file, the
    problem and how to restore (the CLI's ``error:`` line, the app's dialog)."""
    return _("{path} is damaged ({problem}); {hint}").format(
        path=db_path, problem=problem, hint=restore_hint(db_path)
    )


def gone_message(db_path: Path | str) -> str:
    """What to tell the rep when the database file (or its folder) was removed while the
    app had it open: nothing more can be saved, and how to get it back."""
    return _(
        "the database file {path} is gone (it, or its folder, was removed while crm was"
        " open): nothing more is saved; quit, then {hint}"
    ).format(path=db_path, hint=restore_hint(db_path))


def emptied_problem(db_path: Path | str, folder: Path | None = None) -> str | None:
    """The damage message of a database file emptied to 0 bytes while it has backups, or
    None. SQLite takes an empty file for a new database: opened, it would show no
    customers, and its daily backups (empty, but healthy) would rotate the good ones out.
    An empty file without backups (``touch crm.db``) is a new database."""
    db_path = Path(db_path).expanduser()
    try:
        if not db_path.is_file() or db_path.stat().st_size != 0:
            return None
    except OSError:
        return None
    folder = folder or backup_dir(db_path)
    if not _backups(folder):
        return None
    return _("{path} is damaged ({problem}); {hint}").format(
        path=db_path, problem=_("emptied to 0 bytes"), hint=restore_hint(db_path, folder)
    )


def missing_problem(db_path: Path | str, folder: Path | None = None) -> str | None:
    """The message for a database file that is not there while backups of it exist, or
    None. Opened, SQLite would create a new, empty database (the app: "No customers
    yet"), whose daily backups would rotate the good ones out: its file or its folder was
    removed, and ``crm restore`` brings it back. ``--start-empty`` starts a new one
    anyway (:func:`set_aside`)."""
    import shlex

    db_path = Path(db_path).expanduser()
    try:
        if db_path.exists() or db_path.is_symlink():
            return None
    except OSError:
        return None
    folder = folder or backup_dir(db_path)
    found = _backups(folder)
    if not found:
        return None
    text = (
        _(
            "no database at {path}, but 1 backup of it exists ({newest}): `crm --db {db}"
            " restore {newest}` brings it back; `crm --db {db} --start-empty` starts a new,"
            " empty database there instead"
        )
        if len(found) == 1
        else _(
            "no database at {path}, but {n} backups of it exist (newest {newest}): `crm --db"
            " {db} restore {newest}` brings it back; `crm --db {db} --start-empty` starts a"
            " new, empty database there instead"
        )
    )
    return text.format(path=db_path, n=len(found), newest=found[-1], db=shlex.quote(str(db_path)))


def set_aside(db_path: Path | str, folder: Path | None = None) -> Path | None:
    """Before a new, empty database is started where one was removed (``--start-empty``):
    move the earlier database's backups into a subfolder of its backups folder
    (``earlier-YYYYMMDD-HHMMSS``), where they are kept and never pruned, so the new
    file's daily backups never rotate them out. Returns that subfolder (None: there
    were no backups)."""
    folder = folder or backup_dir(db_path)
    found = _backups(folder)
    if not found:
        return None
    for name in _default_names(folder, dt.datetime.now(), prefix="earlier-"):
        aside = name.with_name(name.name.removesuffix(BACKUP_SUFFIX))
        try:
            aside.mkdir(mode=0o700)
            break
        except FileExistsError:
            continue
    for p in found:
        os.replace(p, aside / p.name)
    _note_refusal(folder, None)  # (about the earlier file)
    return aside


def backup_problem(folder: Path) -> str | None:
    """Why the last backup into ``folder`` was refused (a damaged database), or None."""
    try:
        return (folder / REFUSED_NAME).read_text(encoding="utf-8").strip() or "?"
    except OSError:
        return None


def _note_refusal(folder: Path, problem: str | None) -> None:
    """Record (``problem``) or clear (None) that the database was found damaged."""
    marker = folder / REFUSED_NAME
    try:
        if problem is None:
            marker.unlink(missing_ok=True)
        else:
            _private_folder(folder)
            marker.write_text(problem + "\n", encoding="utf-8")
    except OSError:
        pass  # only a warning is lost; the backup itself was refused or made


def _default_names(
    folder: Path, now: dt.datetime, tag: str = "", prefix: str = BACKUP_PREFIX
) -> Iterator[Path]:
    """``crm-YYYYMMDD-HHMMSS{tag}.db``, then ``…-1.db``, ``…-2.db`` … (several in a second)."""
    stem = f"{prefix}{now:%Y%m%d-%H%M%S}{tag}"
    yield folder / f"{stem}{BACKUP_SUFFIX}"
    n = 1
    while True:
        yield folder / f"{stem}-{n}{BACKUP_SUFFIX}"
        n += 1


def _default_target(
    folder: Path, now: dt.datetime, tag: str = "", prefix: str = BACKUP_PREFIX
) -> Path:
    return next(p for p in _default_names(folder, now, tag, prefix) if not p.exists())


def _partial_name(target: Path) -> Path:
    """Where the copy of ``target`` is written and checked: a name of this process and
    thread alone. Two backups started in the same second (two windows opened together,
    cron's `crm backup` while the app starts) wrote one shared file under each other
    ("attempt to write a readonly database", "disk I/O error")."""
    return target.with_name(f".{target.name}.{os.getpid()}-{threading.get_ident()}{PARTIAL_SUFFIX}")


def _claim(partial: Path, names: Iterator[Path]) -> Path:
    """Move the checked copy to the first of ``names`` nobody holds, atomically: a hard
    link fails on a name another backup of the same second took meanwhile (a rename
    would replace it). Where links are not supported, the first free name is taken."""
    for target in names:
        if target.exists():
            continue
        try:
            os.link(partial, target)
        except FileExistsError:
            continue  # taken since it was looked at
        except OSError:  # no hard links here (some network or FAT file systems)
            os.replace(partial, target)
            return target
        partial.unlink(missing_ok=True)
        return target
    raise AssertionError("unreachable")  # pragma: no cover


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups in the folder; returns what was deleted."""
    backups = _backups(folder)
    doomed = backups[: max(len(backups) - max(keep, 1), 0)]
    for p in doomed:
        p.unlink(missing_ok=True)
    return doomed


def _remove_stale_partials(folder: Path) -> None:
    """Delete copies left half-written by a backup that was killed (over a day old)."""
    cutoff = (dt.datetime.now() - AUTO_BACKUP_AGE).timestamp()
    for p in folder.glob(f".{BACKUP_PREFIX}*{PARTIAL_SUFFIX}"):
        with contextlib.suppress(OSError):
            if p.stat().st_mtime < cutoff:
                p.unlink()


def make_backup(
    db_path: Path | str, out: Path | str | None = None, *, keep: int | None = None,
    folder: Path | None = None, tag: str = "",
) -> Path:  # fmt: skip
    """Copy the database with the online backup API (safe while others read and write).

    Without ``out`` the copy goes to ``folder`` (default: this database's folder under the user's backups) as
    ``crm-YYYYMMDD-HHMMSS.db`` and only the newest ``keep`` backups are kept there.
    The copy has mode 0600. ``out``'s folder must exist; ``out`` may be a folder
    (the copy is named as above, nothing is pruned).

    The copy is written beside its target, checked with ``PRAGMA quick_check`` and only
    then renamed into place. A damaged database (the backup API copies pages as they are)
    raises BackupError and leaves every earlier backup alone: a week of daily copies of a
    damaged file must never rotate out the last good ones. The fresh copy is checked
    rather than the live file, so no lock is held on the database meanwhile: 2–4 s at
    100,000 customers (an 880 MB file), about as long as the copy; the app runs both in its
    backup worker thread, off the UI.
    """
    db_path = Path(db_path)
    if not db_path.is_file():
        raise BackupError(_("{path}: no such database").format(path=db_path))
    folder = folder or backup_dir(db_path)
    if emptied_problem(db_path, folder) is not None:
        # (checked before anything is written: a copy of it is empty, and healthy)
        problem = _("emptied to 0 bytes")
        _note_refusal(folder, problem)
        raise BackupError(
            _(
                "{path} is damaged ({problem}): no backup was made and the earlier ones are kept; {hint}"
            ).format(path=db_path, problem=problem, hint=restore_hint(db_path, folder))
        )
    names = None  # a dated name in a folder: the first one free when the copy is ready
    now = dt.datetime.now()
    if out is None:
        _private_folder(folder)
        _remove_stale_partials(folder)
        names = _default_names(folder, now, tag)
        target = _default_target(folder, now, tag)
    else:
        target = Path(out).expanduser()
        if target.is_dir():  # a folder: the copy goes in it, named as the daily ones
            names = _default_names(target, now, tag)
            target = _default_target(target, now, tag)
        if target.is_symlink():  # its target is written; the link stays
            target = target.resolve()
        if target.exists() and not target.is_file():  # a device: never replaced by a file
            raise BackupError(
                _("{path} is not a file: a backup is written to a file or a folder").format(
                    path=target
                )
            )
        if sq.is_database_file(target, db_path):  # (its -wal or -shm too)
            raise BackupError(_("The backup cannot overwrite the database itself"))
        if not target.parent.is_dir():  # a mistyped path is not silently created
            raise BackupError(
                _("cannot write {path}: {reason}").format(
                    path=target, reason=os.strerror(errno.ENOENT)
                )
            )
    partial = _partial_name(target)
    problems: list[str] = []
    try:
        try:
            sq.backup(db_path, partial)
            os.chmod(partial, 0o600)
            conn = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
            try:
                problems = sq.integrity_problems(conn, quick=True)
            finally:
                conn.close()
            if not problems and names is not None:
                target = _claim(partial, names)
            elif not problems:
                os.replace(partial, target)
        except (sqlite3.Error, OSError) as exc:
            raise BackupError(
                _("Backup of {path} failed: {problem}").format(path=db_path, problem=exc)
            ) from None
    finally:
        partial.unlink(missing_ok=True)
    if problems:
        _note_refusal(folder, problems[0])
        raise BackupError(
            _(
                "{path} is damaged ({problem}): no backup was made and the earlier ones are kept; {hint}"
            ).format(path=db_path, problem=problems[0], hint=restore_hint(db_path, folder))
        )
    _note_refusal(folder, None)
    if out is None and keep is not None:
        prune(folder, keep)
    return target


def auto_backup_if_due(db_path: Path | str, settings, folder: Path | None = None) -> Path | None:
    """Make a backup when the newest one is older than a day (or none exists), or when
    the last attempt was refused (a damaged file); else None.

    Raises BackupError when the database is damaged (see :func:`make_backup`); no backup
    is then made, so the next start tries again.
    """
    folder = folder or backup_dir(db_path)
    last = last_backup_time(folder)
    recent = last is not None and dt.datetime.now() - last < AUTO_BACKUP_AGE
    if recent and backup_problem(folder) is None:
        return None
    # (a noted refusal is checked again: the app stops on it, and the file may have been
    # mended since, by other means than `crm restore`, which clears the note itself)
    if not Path(db_path).is_file():
        return None
    return make_backup(db_path, keep=getattr(settings, "backup_keep", 7), folder=folder)


def verify(path: Path | str) -> str:
    """Check a file is a healthy crm database this program can open; returns its schema revision.

    Raises BackupError naming the file and the problem (not SQLite, corrupt, unknown schema).
    """
    from crm_tui.store.database import KNOWN_REVISIONS, current_revision

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise BackupError(
            _("Cannot read {path}: {problem}").format(path=path, problem=os_problem(exc))
        ) from None
    if head != sq.SQLITE_HEADER:
        raise BackupError(_("{path} is not a SQLite database").format(path=path))
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            problems = sq.integrity_problems(conn)
            revision = current_revision(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(
            _("{path} is damaged: {problem}").format(path=path, problem=exc)
        ) from None
    if problems:
        raise BackupError(_("{path} is damaged: {problem}").format(path=path, problem=problems[0]))
    if revision is None:
        raise BackupError(_("{path} is not a crm database").format(path=path))
    if revision not in KNOWN_REVISIONS:
        raise BackupError(
            _("{path} has schema {revision}, newer than this program; upgrade crm-tui").format(
                path=path, revision=revision
            )
        )
    return revision


def restore(db_path: Path | str, source: Path | str, *, folder: Path | None = None) -> Path | None:
    """Replace the database with a verified copy of ``source``; returns the safety backup made.

    The current database is backed up first (if it exists); the new file is written
    beside it and moved into place atomically, so a crash leaves one or the other.
    Refused while the app has the file open (store.in_use).
    """
    db_path = Path(db_path)
    if db_path.is_symlink():  # the file it points to is replaced; the link stays
        db_path = db_path.resolve()
    source = Path(source).expanduser()
    verify(source)
    if db_path.exists() and source.resolve() == db_path.resolve():
        raise BackupError(_("{path} is the database itself").format(path=source))
    try:
        with in_use.alone(db_path):
            return _replace(db_path, source, folder)
    except in_use.InUse:
        raise BackupError(
            _(
                "crm is open on {path}: quit it first, then restore (what a running crm saves"
                " into a file replaced under it is lost)"
            ).format(path=db_path)
        ) from None


def _replace(db_path: Path, source: Path, folder: Path | None) -> Path | None:
    """restore() with the database held: the safety backup, then the verified copy."""
    safety = None
    folder = folder or backup_dir(db_path)
    if db_path.exists():
        try:
            safety = make_backup(db_path, folder=folder, tag="-before-restore")
        except BackupError:
            # A damaged current file still gets kept, byte for byte, but not as a backup:
            # it must never be the newest one offered, nor push a good one out.
            _private_folder(folder)
            safety = _default_target(folder, dt.datetime.now(), "-before-restore", DAMAGED_PREFIX)
            shutil.copyfile(db_path, safety)
            os.chmod(safety, 0o600)
    db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = db_path.with_name(db_path.name + ".restoring")
    try:
        sq.backup(source, tmp)
        os.chmod(tmp, 0o600)
        if db_path.exists():
            try:
                conn = sqlite3.connect(db_path)
                try:
                    conn.execute(f"PRAGMA busy_timeout = {sq.BUSY_TIMEOUT_MS}")
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                finally:
                    conn.close()
            except sqlite3.DatabaseError:
                pass
        os.replace(tmp, db_path)
    except (sqlite3.Error, OSError) as exc:
        tmp.unlink(missing_ok=True)
        raise BackupError(_("Restore failed: {problem}").format(problem=exc)) from None
    # the old file's write-ahead log must never be applied to the restored one
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    _note_refusal(folder, None)  # the damaged file, if it was, is gone
    return safety
