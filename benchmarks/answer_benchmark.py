"""Answer benchmark: ``townplans check`` and a no-op ``build`` on the sample district as processes,
as a planner waits.

Issue 20 part 5 ("half-second answers") asks for ``check`` and a no-op ``build`` on the sample
district in at most 0.5 s each, median wall time of the whole process on a quiet machine. Each run
here is a fresh ``python -m townplans --root <copy> check`` (or ``build``); the table gives the
median and best wall time and
CPU time (user + sys of the process and its threads) over N runs, beside the figures of the last
two rounds, and the machine's load average before and after. On a shared machine wall time
follows the load; CPU time much less so, and the best of N least of all.

Scenarios, each on its own copy of towns/ and templates/:

- check after a build: build/.cache/images.json is there (the everyday case), so no image is probed;
- check on a fresh checkout: no probe cache, every image is probed (on 4 threads);
- no-op build: the district was built once (``build -j 2``) and nothing changed since; the build
  answers from what the last one left (``townplans.answers``);
- no-op build, no answer: the same with that answer removed before each run, so the build loads,
  checks and plans (the first build after any change costs this much).

Bytecode is compiled first (``compileall``): an installed wheel has it, but an editable checkout
under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module on every run and measure
that instead (``--as-is`` measures it so). With ``--against REV`` the same runs are made for
another revision (exported with ``git archive``), interleaved run by run so that the machine's
load weighs on both alike, and its output is compared with this tree's.

    .venv/bin/python benchmarks/answer_benchmark.py [--runs 10] [--against 6a4757b] [--as-is]
"""

from __future__ import annotations

import argparse
import compileall
import io
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

FORCED = "build --force -j 2"
LAST_ROUND_SECONDS = {"check": 0.85, "build": 1.23, FORCED: 27.8}
"""Issue 20 part 5: a reviewer's measurement of ``townplans --root … check`` and of a no-op
``build`` on the sample district, as processes, on a quiet 2-core machine, before this round."""
ROUND_BEFORE_SECONDS = {"check": 0.52, "build": 0.79, FORCED: 18.6}
"""The same measurements one round earlier, as quoted in issue 20 part 5."""
TARGET_SECONDS = {"check": 0.5, "build": 0.5}
"""Issue 20 part 5's goal: median wall time of the process on a quiet machine (a forced full
build has none: issue 20 quotes it as the regression it was)."""
FORCED_RUNS = 3
"""A forced full build takes half a minute: at most this many runs of it."""

_WRITE_CACHE = r"""
import sys
from pathlib import Path
from townplans import pipeline
from townplans.load.images import ProbeCache
from townplans.paths import WorkspacePaths
root = Path(sys.argv[1]).resolve()
cache = ProbeCache()
pipeline.open_session(root, probe_cache=cache)
paths = WorkspacePaths(root)
paths.probe_cache.parent.mkdir(parents=True, exist_ok=True)
paths.probe_cache.write_text(cache.to_json(), encoding="utf-8")
"""
"""What a build leaves for the next check: the probe cache, written by the revision measured."""


@dataclass
class Variant:
    """A revision of townplans: where its package is imported from (None: this tree)."""

    name: str
    package_root: Path | None

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        if self.package_root is not None:
            env["PYTHONPATH"] = str(self.package_root)
        return env


@dataclass
class Scenario:
    name: str
    cached: bool
    command: str = "check"
    """The command and its options, as typed after ``townplans --root …``."""
    built: bool = False
    """The district is built once first (a no-op build has nothing to do)."""
    forget: bool = False
    """The answer the last build left (build/.cache/answers.json) is removed before each run:
    the no-op build loads, checks and plans as it did before answers were remembered."""
    workspaces: dict[str, Path] = field(default_factory=dict)
    runs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    outputs: dict[str, bytes] = field(default_factory=dict)


def export(revision: str, target: Path) -> Path:
    """The package and sample of ``revision``, unpacked under ``target``."""
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", revision, "townplans", "towns", "templates"],
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def workspace(source: Path, target: Path, variant: Variant, cached: bool, built: bool) -> Path:
    """A copy of a sample district; after a build (``cached``), with its probe cache; ``built``,
    built in full."""
    for folder in ("towns", "templates"):
        shutil.copytree(source / folder, target / folder)
    if built:
        subprocess.run(
            [sys.executable, "-m", "townplans", "--root", str(target), "-q", "build", "-j", "2"],
            env=variant.environment(), cwd=target, capture_output=True, check=False,
        )  # fmt: skip
    elif cached:
        subprocess.run(
            [sys.executable, "-c", _WRITE_CACHE, str(target)],
            env=variant.environment(),
            cwd=target,
            check=True,
        )
    return target


def run_once(variant: Variant, root: Path, command: str = "check") -> tuple[float, float, bytes]:
    """Wall and CPU seconds of one ``check`` (or ``build``) process, and what it printed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "townplans", "--root", str(root), *command.split()],
        env=variant.environment(),
        cwd=root,  # never the repository: ``-m`` imports from the working folder first
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if done.returncode not in (0, 1):
        raise SystemExit(
            f"{variant.name}: {command} failed ({done.returncode}):\n{done.stderr.decode()}"
        )
    return wall, cpu, done.stdout


def compile_package(variant: Variant) -> None:
    folder = (variant.package_root or REPO) / "townplans"
    compileall.compile_dir(folder, quiet=1)


def table(scenarios: list[Scenario], variants: list[Variant]) -> None:
    head = (
        f"{'scenario':<24} {'revision':<10} {'runs':>4} {'wall med':>8} {'wall best':>9} "
        f"{'CPU med':>7} {'CPU best':>8} {'last round':>10} {'round before':>12} {'target':>6}"
    )
    print(head)
    print("-" * len(head))
    for scenario in scenarios:
        for variant in variants:
            rows = scenario.runs[variant.name]
            wall = [w for w, _ in rows]
            cpu = [c for _, c in rows]
            target = TARGET_SECONDS.get(scenario.command)
            print(
                f"{scenario.name:<24} {variant.name:<10} {len(rows):>4} "
                f"{statistics.median(wall):>8.3f} {min(wall):>9.3f} "
                f"{statistics.median(cpu):>7.3f} {min(cpu):>8.3f} "
                f"{LAST_ROUND_SECONDS[scenario.command]:>10.2f} "
                f"{ROUND_BEFORE_SECONDS[scenario.command]:>12.2f} "
                f"{f'{target:.2f}' if target is not None else '—':>6}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--against", metavar="REV", help="also measure this git revision")
    parser.add_argument("--as-is", action="store_true", help="do not compile bytecode first")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        temp = Path(folder)
        variants = [Variant("this tree", None)]
        sources = {"this tree": REPO}
        if args.against:
            exported = export(args.against, temp / "against")
            variants.append(Variant(args.against[:10], exported))
            sources[args.against[:10]] = exported
        if not args.as_is:
            for variant in variants:
                compile_package(variant)
        scenarios = [
            Scenario("check after a build", True),
            Scenario("check, fresh checkout", False),
            Scenario("no-op build", True, "build", built=True),
            Scenario("no-op build, no answer", True, "build", built=True, forget=True),
            Scenario("forced full build -j 2", True, FORCED, built=True),
        ]
        for number, scenario in enumerate(scenarios):
            for index, variant in enumerate(variants):
                target = temp / f"ws{number}-{index}"
                scenario.workspaces[variant.name] = workspace(
                    sources[variant.name], target, variant, scenario.cached, scenario.built
                )
                scenario.runs[variant.name] = []
        load_before = os.getloadavg()
        for scenario in scenarios:
            for variant in variants:  # one run each first: warm file caches, keep the output
                root = scenario.workspaces[variant.name]
                scenario.outputs[variant.name] = run_once(variant, root, scenario.command)[2]
            repeats = min(args.runs, FORCED_RUNS) if scenario.command == FORCED else args.runs
            for _ in range(repeats):
                for variant in variants:
                    root = scenario.workspaces[variant.name]
                    if scenario.forget:
                        (root / "build" / ".cache" / "answers.json").unlink(missing_ok=True)
                    wall, cpu, _ = run_once(variant, root, scenario.command)
                    scenario.runs[variant.name].append((wall, cpu))
        load_after = os.getloadavg()
        print(
            f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}; "
            f"{os.cpu_count()} CPUs; bytecode {'as found' if args.as_is else 'compiled first'}"
        )
        table(scenarios, variants)
        if len(variants) > 1:
            for scenario in scenarios:
                first, other = (scenario.outputs[v.name] for v in variants)
                same = "identical" if first == other else "DIFFERENT"
                print(f"{scenario.name}: output of {variants[1].name} and this tree {same}")


def _load(values: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in values)


if __name__ == "__main__":
    main()
