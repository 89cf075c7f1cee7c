"""A one-line percentage on stderr for long commands (`crm demo`, `crm export`)."""

from __future__ import annotations

import sys
import time


class PercentLine:
    """``label  NN%`` on one line of stderr, redrawn at most ten times a second; close()
    ends the line. Only made when stderr is a terminal (see :func:`on_terminal`)."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.shown = -1
        self.last = 0.0

    def __call__(self, done: int, total: int) -> None:
        pct = 100 * done // max(1, total)
        now = time.monotonic()
        if pct != self.shown and (now - self.last >= 0.1 or pct == 100):
            self.shown, self.last = pct, now
            sys.stderr.write(f"\r{self.label} {pct:3d}%")
            sys.stderr.flush()

    def close(self) -> None:
        if self.shown >= 0:
            sys.stderr.write("\n")
            sys.stderr.flush()


def on_terminal(label: str) -> PercentLine | None:
    """A progress line when stderr is a terminal; None for a pipe or a file (no escapes
    in a log)."""
    return PercentLine(label) if sys.stderr.isatty() else None
