"""Cold start to first frame, whole process, under a pseudo-terminal.

The child runs with a 120×40 pty as its terminal; we read everything it writes
and stop the clock when the expected text (a customer code from the first page,
or the bare app's title) appears in the output with escape sequences removed.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import re
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path

ANSI = re.compile(
    rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|P[^\x1b]*\x1b\\|[@-Z\\-_])"
)
COLS, ROWS = 120, 40
BARE_APP = Path(__file__).with_name("bare_app.py")


class StartupTimeout(Exception):
    pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a live process (all its threads) has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_frame(
    argv: list[str], needle: str | list[str], env: dict[str, str], cwd: Path, timeout: float = 60.0
) -> tuple[float, float]:
    """(wall, cpu) seconds from fork to the first output containing ``needle`` (or any of them).

    The CPU time (all threads of the child, from /proc) is what the start-up costs
    regardless of how busy the machine is; the child is killed afterwards.
    """
    targets = [n.encode() for n in ([needle] if isinstance(needle, str) else needle)]
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child: size the terminal, then become the program
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.chdir(cwd)
            os.execvpe(argv[0], argv, env)
        finally:
            os._exit(127)
    raw = bytearray()
    try:
        while True:
            remaining = start + timeout - time.perf_counter()
            if remaining <= 0:
                raise StartupTimeout(f"{needle!r} not seen in {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # child exited (EIO)
                chunk = b""
            if not chunk:
                tail = ANSI.sub(b"", bytes(raw[-2000:])).decode("utf-8", "replace")
                raise StartupTimeout(f"exited before showing {needle!r}: {tail.strip()[-300:]}")
            raw += chunk
            # Only recent output can complete the needle; strip escapes on a window.
            window = bytes(raw[-(len(chunk) + 4096) :])
            text = ANSI.sub(b"", window)
            if any(t in text for t in targets):
                return time.perf_counter() - start, cpu_seconds(pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


def bare_argv() -> list[str]:
    return [sys.executable, str(BARE_APP)]
