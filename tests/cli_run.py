"""Run the real ``townplans`` command in a child process and measure it: exit code, output and
peak memory (RSS of the command's own process tree, read by a small wrapper process so other
tests' children never count). No wall time: a clock fails on a busy machine and guards nothing
(timings belong in benchmarks/). A test not marked slow cannot run a build through it
(tests/build_guard.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

_WRAPPER = """
import json, resource, subprocess, sys
completed = subprocess.run(sys.argv[2:], capture_output=True, check=False)
peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(json.dumps({"code": completed.returncode, "peak_kb": peak_kb,
    "out": completed.stdout.decode("utf-8", "replace"),
    "err": completed.stderr.decode("utf-8", "replace")}))
"""


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
    completed = subprocess.run(
        [sys.executable, "-c", _WRAPPER, "--", *command],
        capture_output=True,
        check=False,
        env=merged,
        timeout=timeout,
        cwd=root if root.is_dir() else None,
    )
    data = json.loads(completed.stdout)
    return Ran(data["code"], data["out"], data["err"], data["peak_kb"] / 1024)
