"""Writing CSV the way CLI.md wants it: UTF-8 with a BOM, comma separated, one header row."""

from __future__ import annotations

import csv
import io
import os
import sys
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

BOM = "\ufeff"


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
        path = Path(out)
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # confidential data
            with open(fd, "w", encoding="utf-8", newline="") as fh:
                count = write_csv(rows, header, fh)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return count
    out.write(BOM)
    writer = csv.writer(out)
    writer.writerow(header)
    count = 0
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= 1000:
            writer.writerows(batch)
            count += len(batch)
            batch.clear()
    writer.writerows(batch)
    return count + len(batch)


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
