"""Check benchmark: the sample district and a synthetic district of 100 towns, end to end.

Each scenario runs in a fresh Python process (so peak memory is its own) and is timed over a few
repeats; the table shows the best and median wall time and the peak resident memory. Baselines
side by side: "load only" (reading and parsing everything, no rules) shows what the rules
themselves cost; the sample district is the everyday case (target: well under a second).

    .venv/bin/python benchmarks/check_benchmark.py [--towns 100] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_MEASURE = r"""
import json, resource, sys, time
from pathlib import Path
from townplans import pipeline
root, mode = Path(sys.argv[1]), sys.argv[2]
start = time.perf_counter()
if mode == "load":
    session = pipeline.open_session(root)
    count = len(session.findings)
else:
    session, result = pipeline.run_check(root)
    count = len(result.findings)
elapsed = time.perf_counter() - start
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
towns = len(session.workspace.district.towns)
print(json.dumps({"seconds": elapsed, "peak_mb": peak_kb / 1024, "findings": count, "towns": towns}))
"""


def synthetic_district(target: Path, towns: int) -> int:
    """``towns`` towns cloned round-robin from the sample (images hard-linked); returns file count."""
    shutil.copytree(REPO / "templates", target / "templates")
    samples = sorted(p for p in (REPO / "towns").iterdir() if (p / "town.yaml").is_file())
    lines = (REPO / "towns/district.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("towns:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("  -"))
    entries = []
    for number in range(towns):
        source = samples[number % len(samples)]
        slug = f"{source.name}{number:03d}"
        shutil.copytree(source, target / "towns" / slug, copy_function=_link)
        entries.append(f"  - {{slug: {slug}, name: 第{number}镇}}")
    (target / "towns/district.yaml").write_text(
        "\n".join([*lines[: start + 1], *entries, *lines[end:]]) + "\n", encoding="utf-8"
    )
    return sum(1 for path in (target / "towns").rglob("*") if path.is_file())


def _link(source: str, destination: str) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def measure(root: Path, mode: str, repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        output = subprocess.run(
            [sys.executable, "-c", _MEASURE, str(root), mode],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs.append(json.loads(output))
    seconds = [run["seconds"] for run in runs]
    return {
        "best": min(seconds),
        "median": statistics.median(seconds),
        "peak_mb": max(run["peak_mb"] for run in runs),
        "findings": runs[0]["findings"],
        "towns": runs[0]["towns"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--towns", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        big = Path(folder) / "district"
        files = synthetic_district(big, args.towns)
        sample_files = sum(1 for path in (REPO / "towns").rglob("*") if path.is_file())
        rows = [
            ("sample district: load only (baseline)", REPO, "load", sample_files),
            ("sample district: check", REPO, "check", sample_files),
            (f"{args.towns} towns: load only (baseline)", big, "load", files),
            (f"{args.towns} towns: check", big, "check", files),
        ]
        print(
            f"{'scenario':<38} {'towns':>5} {'files':>6} {'best s':>7} {'median s':>8} {'peak MB':>8} {'findings':>8}"
        )
        for name, root, mode, count in rows:
            result = measure(root, mode, args.repeat)
            print(
                f"{name:<38} {result['towns']:>5.0f} {count:>6} {result['best']:>7.3f} "
                f"{result['median']:>8.3f} {result['peak_mb']:>8.1f} {result['findings']:>8.0f}"
            )


if __name__ == "__main__":
    main()
