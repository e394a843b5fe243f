"""Hostile-input benchmark (issues 9 and 19): what ``townplans build`` costs, in time and memory,
for a town holding an input built to be expensive: large GFM and raw-HTML tables, a raw-HTML cell
with huge spans, long lines with and without break opportunities (in a paragraph, a table cell, a
code block), a plan with 10,000 ``revisions`` entries.

Each case is a fresh copy of two sample towns (渭城镇 and 周陵镇) with the input added to 渭城镇's
master plan (``01-general.md``: after its text, or in its front matter for ``revisions``), built
from nothing (every DOCX and PDF of the town) by ``townplans build --town weicheng -j 2`` in a child
process. The table shows wall seconds, CPU seconds of all the build's processes (user + system:
the benchmark machine is often shared, and wall time follows its load; the load average is
printed), the peak memory of the largest of them, and last round's figures where the tester gave
them. The first row is the town as committed: what an input costs is its difference from it.

    .venv/bin/python benchmarks/hostile_benchmark.py [--only WORD …] [--timeout SECONDS]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOWNS = ("weicheng", "zhouling")
CHAPTER = "towns/weicheng/master-plan/01-general.md"


def gfm_table(rows: int) -> str:
    header = "| 序号 | 地块名称 | 用地面积（公顷） |\n|---:|---|---:|\n"
    return header + "".join(f"| {i} | 地块{i}号 | {i * 1.5} |\n" for i in range(rows))


def html_table(rows: int) -> str:
    """Word-converted style: a header spanning two columns, every other row spanning two rows."""
    cells = []
    for i in range(rows):
        if i % 2 == 0:
            cells.append(f'<tr><td rowspan="2">{i}</td><td>地块{i}号</td><td>{i * 1.5}</td></tr>')
        else:
            cells.append(f"<tr><td>甲{i}</td><td>乙</td></tr>")
    return '<table><tr><th>序号</th><th colspan="2">地块</th></tr>' + "".join(cells) + "</table>\n"


def words(length: int, count: int) -> str:
    """``count`` words of ``length`` letters: at 63, each is a little wider than a body line."""
    return " ".join(["a" * length] * count) + "\n"


def cell(text: str) -> str:
    return "| 甲 | 乙 |\n|---|---|\n| " + text + " | x |\n"


def revisions(count: int) -> str:
    """``count`` entries of a plan's 修订记录 (version, date, status, summary)."""
    return "".join(
        f"  - version: v{n}.0\n    date: 2023-04-20\n    status: 征求意见稿\n"
        f"    summary: 第{n}次修订，调整镇区用地布局\n"
        for n in range(count)
    )


@dataclass(frozen=True)
class Case:
    make: Callable[[], str]
    front_matter: bool = False
    """The text goes into the chapter's ``revisions:`` list, not after its text."""


CASES: dict[str, Case] = {
    "the town as committed": Case(lambda: ""),
    "GFM table, 1,000 rows": Case(lambda: gfm_table(1000)),
    "GFM table, 2,000 rows": Case(lambda: gfm_table(2000)),
    "HTML table, 2,000 rows": Case(lambda: html_table(2000)),
    'HTML cell rowspan=colspan="100000"': Case(
        lambda: '<table><tr><td rowspan="100000" colspan="100000">x</td></tr></table>\n'
    ),
    "paragraph of 20 KB 'a'": Case(lambda: "a" * 20_000 + "\n"),
    "paragraph of 50 KB 'a'": Case(lambda: "a" * 50_000 + "\n"),
    "paragraph of 500 KB 'a'": Case(lambda: "a" * 500_000 + "\n"),
    "600 words of 63 letters (38 KB)": Case(lambda: words(63, 600)),
    "line of 170,000 Chinese characters": Case(lambda: "规划" * 85_000 + "\n"),
    "table cell of 170,000 'a'": Case(lambda: cell("a" * 170_000)),
    "table cell of 170,000 Chinese characters": Case(lambda: cell("规划" * 85_000)),
    "table cell of 500 KB 'a'": Case(lambda: cell("a" * 500_000)),
    "code block of 500 KB 'a'": Case(lambda: "```\n" + "a" * 500_000 + "\n```\n"),
    "revisions: 10,000 entries": Case(lambda: revisions(10_000), front_matter=True),
}

LAST_ROUND_SOURCE = "issue 19 (Hardening II), part 4: the tester's measurements of the round before"
LAST_ROUND: dict[str, tuple[float, int | None]] = {
    "GFM table, 2,000 rows": (43.0, 511),
    "HTML table, 2,000 rows": (43.0, 511),
    "line of 170,000 Chinese characters": (32.0, None),
    "revisions: 10,000 entries": (58.0, 938),
}
"""Last round's (seconds, peak MB) of ``LAST_ROUND_SOURCE``: "a 2,000-row table takes 43 s and
511 MB to build; a 170,000-character line 32 s; 10,000 revisions entries 58 s and 938 MB". One
figure was given for "a 2,000-row table": it stands beside both kinds."""

_WRAPPER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
try:
    done = subprocess.run(sys.argv[2:], capture_output=True, timeout=float(sys.argv[1]))
    code = done.returncode
except subprocess.TimeoutExpired:
    code = None
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code, "wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss // 1024}))
"""
"""Runs the build in a process of its own, so the CPU time and peak memory it reads are the
build's alone (its own children, reaped)."""


def workspace(target: Path, case: Case) -> Path:
    """The two towns, district.yaml listing just them, the case's input in 渭城镇's plan."""
    shutil.copytree(REPO / "templates", target / "templates")
    for town in TOWNS:
        shutil.copytree(REPO / "towns" / town, target / "towns" / town)
    district = (REPO / "towns/district.yaml").read_text(encoding="utf-8").splitlines(True)
    kept = [line for line in district if "slug:" not in line or any(t in line for t in TOWNS)]
    (target / "towns/district.yaml").write_text("".join(kept), encoding="utf-8")
    chapter = target / CHAPTER
    text = chapter.read_text(encoding="utf-8")
    added = case.make()
    if case.front_matter:
        text = text.replace("revisions:\n", "revisions:\n" + added, 1)
    elif added:
        text += "\n" + added
    chapter.write_text(text, encoding="utf-8")
    return target


@dataclass(frozen=True)
class Measured:
    code: int | None
    """The build's exit code; None when it was stopped at the timeout."""
    wall: float
    cpu: float
    peak_mb: int


def build(root: Path, timeout: float) -> Measured:
    command = [sys.executable, "-m", "townplans", "--root", str(root), "build"]
    command += ["--town", "weicheng", "-j", "2", "-q"]
    done = subprocess.run(
        [sys.executable, "-c", _WRAPPER, str(timeout), *command],
        capture_output=True,
        check=True,
        env={**os.environ, "NO_COLOR": "1"},
        cwd=root,  # in the workspace, as a planner runs it (never the repository's own code)
    )
    data = json.loads(done.stdout)
    return Measured(data["code"], data["wall"], data["cpu"], data["peak_mb"])


def row(name: str, measured: Measured, timeout: float) -> str:
    seconds, megabytes = LAST_ROUND.get(name, (None, None))
    last_s = f"{seconds:.0f}" if seconds is not None else ""
    last_mb = str(megabytes) if megabytes is not None else ""
    wall = f"{measured.wall:.1f}" if measured.code is not None else f">{timeout:.0f}"
    note = "" if measured.code in (0, None) else f" (exit {measured.code})"
    return f"| {name}{note} | {wall} | {measured.cpu:.1f} | {measured.peak_mb} | {last_s} | {last_mb} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="case names containing these words")
    parser.add_argument("--timeout", type=float, default=600, help="seconds a build may take")
    args = parser.parse_args()
    names = [n for n in CASES if not args.only or any(word in n for word in args.only)]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
    print(f"last round: {LAST_ROUND_SOURCE}\n", flush=True)
    print("| case | wall s | CPU s | peak MB | last round s | last round MB |")
    print("|---|---:|---:|---:|---:|---:|", flush=True)
    for name in names:
        with tempfile.TemporaryDirectory(prefix="hostile-") as folder:
            root = workspace(Path(folder) / "ws", CASES[name])
            measured = build(root, args.timeout)
        print(row(name, measured, args.timeout), flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end", flush=True)


if __name__ == "__main__":
    main()
