"""Run the real ``townplans`` command in a child process and measure it: exit code, output and
peak memory (RSS of the command's own process and the children it waited for, from ``wait4`` on
that one process, so other tests' children never count). No wall time: a clock fails on a busy machine and guards nothing
(timings belong in benchmarks/). A test not marked slow cannot run a build through it
(tests/build_guard.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str
    peak_mb: float

    @property
    def text(self) -> str:
        return self.out + self.err


def townplans(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float | None = 60
) -> Ran:
    """``townplans --root ROOT ARGS…`` as a user runs it (the console script of this venv);
    ``timeout`` None: no limit of its own (a test's ``pytest.mark.timeout`` guards it)."""
    command = [sys.executable, "-m", "townplans", "--root", str(root), *args]
    merged = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", **(env or {})}
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            command, stdout=out, stderr=err, env=merged, cwd=root if root.is_dir() else None
        )
        code, peak_kb = _waited(process, timeout)
        out.seek(0)
        err.seek(0)
        said = (out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"))
    return Ran(code, *said, peak_kb / 1024)


def _waited(process: subprocess.Popen[bytes], timeout: float | None) -> tuple[int, int]:
    """The exit code of ``process`` and the peak RSS (KB) of it and the children it waited for,
    from ``wait4``: the rusage of this one child, so another test's children never count. Killed
    after ``timeout`` seconds (then ``TimeoutExpired``)."""
    timer = threading.Timer(timeout, process.kill) if timeout is not None else None
    if timer is not None:
        timer.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        if timer is not None:
            timer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    if timer is not None and timer.finished.is_set() and process.returncode == -signal.SIGKILL:
        raise subprocess.TimeoutExpired(process.args, timeout or 0)
    return process.returncode, usage.ru_maxrss
