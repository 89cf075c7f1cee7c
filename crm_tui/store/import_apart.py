"""An import's rows checked in a second process while this one writes them.

Checking a big customers file (CSV parsing, the row checks, dedupe) is pure Python
and writing it (rows, search index, indexes) is mostly SQLite: each is about half of
the work, so with a second core they overlap. The child is a fork of this process
taken after the importer has read what it needs from the database: it has the file,
the compiled checks and the existing customers already, and sends back each batch's
rows to write and its notes (``pipes``). It never touches the database connection,
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
#: Records of the child's first batch.
FIRST_BATCH = 500


_threads = threading.active_count


def can_fork() -> bool:
    return hasattr(os, "fork") and _threads() == 1


def batches(
    importer: Any, records: Records, size: int, *, apart: bool = False
) -> Iterator[tuple[int, int]]:
    """Check ``records`` in batches of ``size`` with ``importer.take()``: (records, line of
    the last one) per batch, yielded when the batch is ready to flush.

    ``apart``: in a child process when possible; the importer then also has
    ``handoff()`` (what take() made of a batch, taken out of the importer: rows to write,
    notes) and ``accept(payload)`` (another process's handoff, as if take() ran here).
    """
    if apart and can_fork():
        yield from _from_child(importer, records, size)
        return
    for batch in _batched(records, size):
        importer.take(batch)
        yield len(batch), batch[-1][0]


def _batched(records: Records, size: int) -> Iterator[list[tuple[int, list[str]]]]:
    """Batches of ``size`` records, the first one smaller: in a child process, the parent
    has nothing to write until it comes (and it comes the same way here)."""
    it = iter(records)
    batch = list(islice(it, min(size, FIRST_BATCH)))
    while batch:
        yield batch
        batch = list(islice(it, size))


def _from_child(importer: Any, records: Records, size: int) -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        yield from batches(importer, records, size)
        return
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(importer, records, size, write_fd)
    os.close(write_fd)
    status: int | None = None  # the child's, once reaped
    try:
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


def _child(importer: Any, records: Records, size: int, fd: int) -> None:
    """The forked child: check the batches, send each one's handoff; then leave at once."""
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        pipe = os.fdopen(fd, "wb")

        def send(*message: Any) -> None:
            send_message(pipe, message)

        try:
            for batch in _batched(records, size):
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
