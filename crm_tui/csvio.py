"""Writing CSV the way CLI.md wants it: UTF-8 with a BOM, comma separated, one header row."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import compress, count, islice, repeat
from operator import ne
from pathlib import Path
from typing import Any, TextIO

BOM = "\ufeff"
_SPECIAL = re.compile('["\r\n]')


@contextmanager
def private_file(path: Path | str) -> Iterator[TextIO]:
    """A UTF-8 text file readable by its owner only, put in place when the block succeeds.

    Written to a temporary file and renamed, so a reader never sees half a file and a
    failed write leaves any earlier file untouched. Customer data is confidential: 0600.
    A symbolic link's target is written (the link stays); a device or a pipe
    (``--out /dev/stdout``, a FIFO) is written into, never replaced by a file: run as
    root, ``--out /dev/null`` replaced the system's /dev/null.

    A file that other names reach (the existing target of a symbolic link, or a file
    with other hard links) is that one file, so it is written in place once the block
    succeeds (from a temporary file, so a failed export still leaves it untouched): it
    keeps its mode and its owner, and every name sees the new data. Replaced by a new
    file, it became 0600 behind the link and its other hard links kept the old data.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode  # (through a link)
    except OSError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            yield fh
        return
    if path.is_symlink():
        path = path.resolve()
        shared = mode is not None and stat.S_ISREG(mode)
    else:
        shared = mode is not None and stat.S_ISREG(mode) and os.stat(path).st_nlink > 1
    if shared:
        with _written_in_place(path) as fh:
            yield fh
        return
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:  # named as the user gave it, not as the hidden temporary
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        with open(fd, "w", encoding="utf-8", newline="") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def _written_in_place(path: Path) -> Iterator[TextIO]:
    """The block's text, gathered in an unnamed temporary file (the owner's only, gone
    when closed), then written over the existing file ``path`` (its inode, mode and
    other names kept): nothing of it is touched when the block fails."""
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
            text.flush()
            raw.seek(0)
            with open(path, "wb") as out:  # (truncated, not replaced)
                shutil.copyfileobj(raw, out)
        finally:
            text.detach()


def write_csv(
    rows: Iterable[Sequence[Any]], header: Sequence[str], out: TextIO | Path | str
) -> int:
    """Write a BOM, the header and the rows (streamed, never held in memory); returns the row count.

    ``out`` is a path (written atomically, readable by its owner only: a temporary file
    renamed into place) or a text
    stream opened with ``newline=""`` and a UTF-8 encoding (see :func:`utf8_stdout`).
    ``None`` cells are written empty.
    """
    if isinstance(out, str | Path):
        with private_file(out) as fh:
            return write_csv(rows, header, fh)
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(header)
    width = len(header)
    written = 0
    source = iter(rows)
    while batch := list(islice(source, 1000)):
        _write_batch(out, writer, batch, width)
        written += len(batch)
    return written


def _write_batch(out: TextIO, writer: Any, batch: list[Sequence[Any]], width: int) -> None:
    text = _joined(batch, width)
    if text is None:
        writer.writerows(batch)
    else:
        out.write(text)


def _joined(batch: list[Sequence[Any]], width: int) -> str | None:
    """The rows as ``csv.writer`` writes them, or None to leave it to the writer.

    ``csv.writer`` looks at every character (some 2 µs for a row of ten cells). A row of
    ``width`` strings (width > 1) comes out as the cells joined by commas unless a cell
    holds a comma, a quote or a line break (QUOTE_MINIMAL): so join every row, and let
    the writer redo only the rows with a comma too many or one of those characters.
    Batches with other values (numbers, None) or rows of other lengths go to the writer.
    """
    if not batch or width < 2:
        return None
    try:
        if set(map(len, batch)) != {width}:
            return None
        lines = list(map(",".join, batch))
    except TypeError:  # rows without a length, or cells that are not strings
        return None
    commas = map(str.count, lines, repeat(","))
    redo = list(compress(count(), map(ne, commas, repeat(width - 1))))
    flat = "".join(lines)  # a copy is cheap next to counting; `in` is cheaper still
    if '"' in flat or "\r" in flat or "\n" in flat:
        extra = set(redo)
        redo = [i for i, line in enumerate(lines) if i in extra or _SPECIAL.search(line)]
    del flat
    buf = io.StringIO()
    one = csv.writer(buf)
    for i in redo:
        buf.seek(0)
        buf.truncate()
        one.writerow(batch[i])
        lines[i] = buf.getvalue()[:-2]  # without its "\r\n"
    lines.append("")
    return "\r\n".join(lines)


@contextmanager
def utf8_stdout() -> Iterator[TextIO]:
    """Standard output as a UTF-8 text stream with ``newline=""``, whatever the locale says."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # already a text-only stream (some test harnesses)
        yield sys.stdout
        return
    sys.stdout.flush()
    stream = io.TextIOWrapper(buffer, encoding="utf-8", newline="", write_through=True)
    try:
        yield stream
        stream.flush()
    finally:
        stream.detach()
