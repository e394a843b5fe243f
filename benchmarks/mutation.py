"""Mutation testing of the modules that guard (issue 20): do the tests notice when a guard breaks?

mutmut changes one thing at a time in a module (``>=`` to ``>``, a condition to its negation, a
string, a constant inside a function) and runs the tests that reach the changed function; a
mutant the tests do not notice *survives*. Each module of ``MODULES`` is run on its own, with the
few test files that aim at it (``Target.tests``), so that a run takes minutes: the end-to-end
builds reach these modules too, but rebuilding a town for every mutant would take hours.

Each module runs in a scratch copy of the workspace, ``build/mutation/<name>/``, whose
pyproject.toml gets a ``[tool.mutmut]`` section naming the module and its tests (mutmut reads its
settings from there only). Tests that run townplans in a subprocess import the unmutated package
and cannot kill a mutant, so the selections are in-process tests.

The table (module, mutants, killed, survived, timeout, no tests) is written between the markers
of benchmarks/mutation.md; every survivor must be explained there, by its mutant name, as an
equivalent mutant (with why) — a survivor that is not is printed and the run fails.

    .venv/bin/python benchmarks/mutation.py [--only fs …] [--jobs 2]

Not part of ``make test``: ``make mutation`` runs it (mutmut comes with the ``mutation`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SCRATCH = REPO / "build" / "mutation"
REPORT = REPO / "benchmarks" / "mutation.md"
BEGIN, END = "<!-- mutation table: begin -->", "<!-- mutation table: end -->"


@dataclass(frozen=True)
class Target:
    """One module (or a few that guard together) and the tests aimed at it."""

    name: str
    modules: tuple[str, ...]
    tests: tuple[str, ...]
    """pytest arguments selecting the tests (files, ``-k`` expressions)."""


MODULES = (
    Target(
        "fs",
        ("townplans/fs.py",),
        ("tests/test_fs.py", "tests/test_names.py", "tests/test_loader.py"),
    ),
    Target("package", ("townplans/package.py",), ("tests/test_package.py", "tests/test_verify.py")),
    Target("waivers", ("townplans/waivers.py",), ("tests/test_waivers.py",)),
    Target("serve.security", ("townplans/serve/security.py",), ("tests/test_serve_security.py",)),
    Target(
        "comparators",
        ("townplans/comparators.py", "townplans/rules/indicators.py"),
        ("tests/test_comparators.py", "tests/test_indicators.py"),
    ),
    Target("limits", ("townplans/limits.py",), ("tests/test_limits.py",)),
)

STATUSES = ("killed", "survived", "timeout", "no tests")
"""The columns of the table; mutmut's other verdicts (suspicious, segfault …) are listed apart."""


def _tracked_files() -> list[Path]:
    """The workspace's files as git knows them (committed or new, not ignored), from the work tree."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=True,
    ).stdout.decode()  # fmt: skip
    return [Path(name) for name in listed.split("\0") if name and (REPO / name).is_file()]


def _config(target: Target, also_copy: Sequence[str]) -> str:
    """The ``[tool.mutmut]`` section for one target."""
    lines = [
        "",
        "[tool.mutmut]",
        'source_paths = ["townplans"]',
        f"only_mutate = {json.dumps(list(target.modules))}",
        f"pytest_add_cli_args_test_selection = {json.dumps(list(target.tests))}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:xdist"]',
        f"also_copy = {json.dumps(list(also_copy))}",
        "use_git_change_detection = false",
    ]
    return "\n".join(lines) + "\n"


def _scratch(target: Target) -> Path:
    """A fresh copy of the workspace for one target, configured for mutmut."""
    folder = SCRATCH / target.name
    shutil.rmtree(folder, ignore_errors=True)
    files = _tracked_files()
    for relative in files:
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / relative, folder / relative)
    tops = sorted({f.parts[0] for f in files} - {"townplans", "tests", "pyproject.toml"})
    pyproject = folder / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text(encoding="utf-8") + _config(target, tops), encoding="utf-8"
    )
    return folder


def _mutmut() -> str:
    return str(Path(sys.executable).with_name("mutmut"))


def run(target: Target, jobs: int) -> tuple[Counter[str], dict[str, str], float]:
    """Run mutmut for one target: counts by status, the diff of every mutant not killed, seconds."""
    folder = _scratch(target)
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HYPOTHESIS_PROFILE": "townplans"}
    env.pop("CI", None)  # shared corpora are not in the scratch copy: those tests skip
    start = time.monotonic()
    done = subprocess.run(
        [_mutmut(), "run", "--max-children", str(jobs)],
        cwd=folder, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.monotonic() - start
    (folder / "mutmut.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise SystemExit(f"mutmut failed for {target.name} (see {folder}/mutmut.log):\n{tail}")
    counts: Counter[str] = Counter()
    diffs: dict[str, str] = {}
    for module in target.modules:
        meta = json.loads((folder / "mutants" / f"{module}.meta").read_text(encoding="utf-8"))
        for name, code in sorted(meta["exit_code_by_key"].items()):
            status = _status(code)
            counts[status] += 1
            if status != "killed":
                shown = subprocess.run(
                    [_mutmut(), "show", name],
                    cwd=folder, env=env, capture_output=True, text=True, check=False,
                ).stdout  # fmt: skip
                diffs[name] = f"{status}\n{shown}"
    return counts, diffs, seconds


def _status(code: int | None) -> str:
    from mutmut.stats import status_by_exit_code  # the mutation extra only

    return str(status_by_exit_code[code])


def _table(results: dict[str, tuple[Counter[str], float]], jobs: int) -> str:
    rows = [
        "| module | mutants | " + " | ".join(STATUSES) + " | other | minutes |",
        "| --- | ---: | " + " | ".join("---:" for _ in STATUSES) + " | ---: | ---: |",
    ]
    for name, (counts, seconds) in results.items():
        target = next(t for t in MODULES if t.name == name)
        other = sum(n for status, n in counts.items() if status not in STATUSES)
        cells = [str(counts[status]) for status in STATUSES]
        modules = ", ".join(f"`{m}`" for m in target.modules)
        rows.append(
            f"| {modules} | {sum(counts.values())} | {' | '.join(cells)} | {other} "
            f"| {seconds / 60:.1f} |"
        )
    tests = "; ".join(f"{t.name}: {' '.join(t.tests)}" for t in MODULES if t.name in results)
    return "\n".join(
        [*rows, "", f"mutmut {_version()}, {jobs} child processes. Tests per module — {tests}."]
    )


def _version() -> str:
    from importlib.metadata import version

    return version("mutmut")


def _write_table(table: str) -> None:
    text = REPORT.read_text(encoding="utf-8")
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    REPORT.write_text(f"{before}{BEGIN}\n{table}\n{END}{after}", encoding="utf-8")


def _unexplained(survivors: dict[str, str]) -> list[str]:
    """Mutants not killed whose name benchmarks/mutation.md does not mention (a timeout is
    caught: the tests did not pass)."""
    text = REPORT.read_text(encoding="utf-8")
    explained = set(re.findall(r"`(townplans\.[\w.ǁ]+__mutmut_\d+)`", text))
    return [
        name
        for name, shown in survivors.items()
        if not shown.startswith("timeout") and name not in explained
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="target names (fs, package, …)")
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("MUTATION_JOBS", "2")))
    args = parser.parse_args(argv)
    chosen = [t for t in MODULES if not args.only or t.name in args.only]
    results: dict[str, tuple[Counter[str], float]] = {}
    survivors: dict[str, str] = {}
    for target in chosen:
        print(f"{target.name}: {' '.join(target.modules)} ← {' '.join(target.tests)}", flush=True)
        counts, diffs, seconds = run(target, args.jobs)
        results[target.name] = (counts, seconds)
        survivors.update(diffs)
        print(f"  {dict(counts)} in {seconds / 60:.1f} min", flush=True)
    table = _table(results, args.jobs)
    print(table)
    listing = SCRATCH / "survivors.txt"
    listing.write_text("\n\n".join(f"{n}: {d}" for n, d in survivors.items()), encoding="utf-8")
    if not args.only:
        _write_table(table)
    missing = _unexplained(survivors)
    for name in missing:
        print(f"\nnot explained in {REPORT.relative_to(REPO)}: {name} {survivors[name]}")
    print(f"\n{len(survivors)} not killed ({len(missing)} unexplained); all in {listing}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
