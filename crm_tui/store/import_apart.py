"""An import's rows checked in a second process while this one writes them.

Checking a big customers file (CSV parsing, the row checks, dedupe) is pure Python
and writing it (rows, search index, indexes) is mostly SQLite: each is about half of
the work, so with a second core they overlap. The child is a fork of this process
taken after the importer has read what it needs from the database and checked a first
small batch (written here while the child starts): it has the file, the compiled
checks and the existing customers already, and sends back each further batch's rows
to write and its notes (``pipes``). It never touches the database connection,
and leaves with ``os._exit`` so that nothing of this process (the connection,
buffered output) is closed or flushed twice.

A fork is only taken where it is safe: on POSIX, from a process with no other thread
(the TUI imports in a worker thread, and checks the rows itself). If the fork fails
the rows are checked here, as they always can be.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterable, Iterator
from contextlib import suppress
from itertools import islice
from typing import Any

from crm_tui.csvread import CsvError
from crm_tui.i18n import _
from crm_tui.store.import_common import ImportRefused
from crm_tui.store.pipes import receive_message, send_message

Records = Iterable[tuple[int, list[str]]]
Batch = list[tuple[int, list[str]]]
#: Records of the first batch (checked before the fork, written while the child starts).
FIRST_BATCH = 500


_threads = threading.active_count


def can_fork() -> bool:
    return hasattr(os, "fork") and _threads() == 1


def batches(
    importer: Any, records: Records, size: int, *, apart: bool = False
) -> Iterator[tuple[int, int]]:
    """Check ``records`` in batches (of up to ``size``) with ``importer.take()``: (records,
    line of the last one) per batch, yielded when the batch is ready to flush.

    ``apart``: in a child process when possible; the importer then also has
    ``handoff()`` (what take() made of a batch, taken out of the importer: rows to write,
    notes) and ``accept(payload)`` (another process's handoff, as if take() ran here).
    """
    if apart and can_fork():
        yield from _from_child(importer, _batched(records, size))
    else:
        yield from _checked_here(importer, _batched(records, size))


def _checked_here(importer: Any, batched: Iterable[Batch]) -> Iterator[tuple[int, int]]:
    for batch in batched:
        importer.take(batch)
        yield len(batch), batch[-1][0]


def _batched(records: Records, size: int) -> Iterator[Batch]:
    """Batches of ``FIRST_BATCH`` records, then each twice as big up to ``size``.

    With the rows checked in a child process the parent has nothing to write until a
    batch comes; growing batches keep that wait short at the start and, as the child
    checks a record in about half the time the parent takes to write it, the next
    batch is ready by the time the parent has written the last one.
    """
    it = iter(records)
    n = min(size, FIRST_BATCH)
    while batch := list(islice(it, n)):
        yield batch
        n = min(size, 2 * n)


def _from_child(importer: Any, batched: Iterator[Batch]) -> Iterator[tuple[int, int]]:
    # The first batch is checked here, before the fork: this process writes it while the
    # child starts.
    first = next(batched, None)
    if first is None:
        return
    importer.take(first)
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        yield len(first), first[-1][0]
        yield from _checked_here(importer, batched)
        return
    if pid == 0:  # the child: never returns
        _child(importer, batched, read_fd, write_fd)
    os.close(write_fd)
    status: int | None = None  # the child's, once reaped
    try:
        yield len(first), first[-1][0]
        with os.fdopen(read_fd, "rb") as pipe:
            while True:
                message = receive_message(pipe)
                if message is None:  # it is gone, halfway through a message or before
                    _pid, status = os.waitpid(pid, 0)
                    raise ImportRefused(
                        _(
                            "The process checking the rows stopped (exit status {status});"
                            " nothing was imported"
                        ).format(status=os.waitstatus_to_exitcode(status))
                    )
                kind, *payload = message
                if kind == "batch":
                    count, last, handoff = payload
                    importer.accept(handoff)
                    yield count, last
                elif kind == "done":
                    _pid, status = os.waitpid(pid, 0)
                    return
                elif kind == "refused":
                    raise CsvError(payload[0])
                else:  # a bug: as loud as it would be here
                    raise RuntimeError(f"checking the rows failed:\n{payload[0]}")
    finally:
        if status is None:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def _child(importer: Any, batched: Iterable[Batch], read_fd: int, write_fd: int) -> None:
    """The forked child: check the batches, send each one's handoff; then leave at once."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        os.close(read_fd)
        pipe = os.fdopen(write_fd, "wb")

        def send(*message: Any) -> None:
            send_message(pipe, message)

        try:
            importer.handoff()  # the batch checked before the fork is the parent's to write
            for batch in batched:
                importer.take(batch)
                send("batch", len(batch), batch[-1][0], importer.handoff())
            send("done")
        except CsvError as exc:
            send("refused", str(exc))
        except OSError:  # the parent stopped reading: it has failed or was stopped
            pass
        except BaseException:
            import traceback

            send("error", traceback.format_exc())
    except BaseException:
        pass
    finally:
        os._exit(0)
