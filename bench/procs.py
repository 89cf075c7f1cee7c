"""Timing whole processes: wall clock from spawn to exit, and the child's peak RSS."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    seconds: float
    returncode: int
    stdout: str
    stderr: str
    maxrss_mb: float
    cpu_seconds: float = 0.0  # user + system: what the run costs however busy the machine is


def crm_argv() -> list[str]:
    """How a user starts the program: the venv's `crm` script (else `python -m crm_tui`)."""
    script = Path(sys.executable).with_name("crm")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "crm_tui"]


def bench_env(home: Path) -> dict[str, str]:
    """A clean environment: English, no user config or CRM_DB, a normal colour terminal."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRM_", "TEXTUAL"))}
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "share").mkdir(parents=True, exist_ok=True)
    env.update(
        CRM_LANG="en",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "share"),
        TERM="xterm-256color",
        COLORTERM="truecolor",
        PYTHONDONTWRITEBYTECODE="",
    )
    env.pop("PYTHONDONTWRITEBYTECODE")
    return env


def run_timed(
    argv: list[str], env: dict[str, str], *, cwd: Path | None = None, timeout: float = 600
) -> Run:
    """Run ``argv`` to completion; wall time from spawn to reaping, and its ru_maxrss."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env, cwd=cwd or ROOT
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds,
            proc.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            usage.ru_maxrss / 1024,  # Linux: KiB
            usage.ru_utime + usage.ru_stime,
        )


def python_module_available(module: str) -> bool:
    r = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, cwd=ROOT, check=False
    )
    return r.returncode == 0


def try_pip_install(package: str) -> bool:
    """Install a bench-only package into this venv (never a runtime dependency)."""
    pip = shutil.which("pip", path=str(Path(sys.executable).parent))
    argv = [pip] if pip else [sys.executable, "-m", "pip"]
    r = subprocess.run([*argv, "install", "--quiet", package], capture_output=True, check=False)
    return r.returncode == 0
