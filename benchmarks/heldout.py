"""Blind recall: score ``townplans check`` on held-out batches of mistakes nobody wrote a rule for.

A batch (``benchmarks/heldout/batch-N.yaml``) is written by someone who has seen the source plan,
the reference notes, the national standards and the sample district, but not the rules, the rule
list or the issue that asks for them. Each entry is a ``mistake`` (with the least severity a
reviewer would accept and every file a reviewer could point at) or a ``correct`` edit that looks
odd but is right. Entries are steps applied to a copy of the whole sample district: ``edit`` (first
occurrence of ``old`` replaced by ``new``), ``write``, ``copy``, ``remove`` and ``blank_image``.

After each entry ``check`` runs in-process on the copy (today = 2023-09-20, the sample's state). A
mistake is caught when a new finding (one the clean copy does not have) names one of its files,
as its place or in its message, with at least its severity. A correct edit is a false alarm when it
draws any new warning or error. New findings of a mistake that name none of its files are stray.
The first run of a batch, before any rule is written for it, is the figure that counts: record it
with ``--record first-run`` (``benchmarks/heldout/results/``) and never overwrite it.

    .venv/bin/python benchmarks/heldout.py [--batch 1] [--show] [--record LABEL]
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from townplans import pipeline
from townplans.check import Selection
from townplans.load.images import ProbeCache
from townplans.model import Finding, Severity

REPO = Path(__file__).resolve().parent.parent
BATCHES = REPO / "benchmarks" / "heldout"
RESULTS = BATCHES / "results"
TODAY = dt.date(2023, 9, 20)
RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
SEVERITY = {"error": Severity.ERROR, "warning": Severity.WARNING, "info": Severity.INFO}


class StepError(Exception):
    """An entry's step cannot be applied to the sample as it is now (the text it edits changed)."""


@dataclass(frozen=True)
class Entry:
    """One held-out mistake or correct edit, as its author wrote it."""

    key: str
    kind: str
    category: str
    description: str
    files: tuple[str, ...]
    steps: tuple[dict[str, Any], ...]
    severity: Severity | None = None


def load_batch(path: Path) -> list[Entry]:
    entries = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
        severity = raw.get("severity")
        entries.append(
            Entry(
                key=str(raw["key"]),
                kind=str(raw["kind"]),
                category=str(raw.get("category", "")),
                description=str(raw.get("description", "")),
                files=tuple(str(f) for f in raw.get("files", ())),
                steps=tuple(raw.get("steps", ())),
                severity=SEVERITY[severity] if severity else None,
            )
        )
    return entries


# -- applying steps --------------------------------------------------------------------------------


@dataclass
class Copy:
    """A working copy of the sample district beside a pristine one; ``restore`` undoes a step set."""

    root: Path
    pristine: Path
    touched: set[str] = field(default_factory=set)

    def apply(self, steps: Iterable[dict[str, Any]]) -> None:
        for step in steps:
            if "edit" in step:
                self._edit(step["edit"], str(step["old"]), str(step["new"]))
            elif "write" in step:
                self._put(step["write"]["path"], str(step["write"]["text"]).encode("utf-8"))
            elif "copy" in step:
                source = self.root / step["copy"]["from"]
                if not source.is_file():
                    raise StepError(f"copy: {step['copy']['from']} does not exist")
                self._put(step["copy"]["to"], source.read_bytes())
            elif "remove" in step:
                self._touch(step["remove"])
                (self.root / step["remove"]).unlink()
            elif "blank_image" in step:
                self._blank(
                    step["blank_image"]["path"], step["blank_image"].get("color", "#808080")
                )
            else:
                raise StepError(f"unknown step {step!r}")

    def _touch(self, relative: str) -> Path:
        if relative.startswith("/") or ".." in relative.split("/"):
            raise StepError(f"path outside the workspace: {relative}")
        self.touched.add(relative)
        return self.root / relative

    def _put(self, relative: str, data: bytes) -> None:
        target = self._touch(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)  # never write through to a shared inode
        target.write_bytes(data)

    def _edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text(encoding="utf-8") if path.is_file() else ""
        if old not in text:
            raise StepError(f"{relative}: {old[:40]!r} not found")
        self._put(relative, text.replace(old, new, 1).encode("utf-8"))

    def _blank(self, relative: str, color: str) -> None:
        from PIL import Image

        path = self.root / relative
        size, exif = (800, 600), None
        if path.is_file():
            with Image.open(path) as image:
                size, exif = image.size, image.info.get("exif")
        target = self._touch(relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        Image.new("RGB", size, color).save(target, "JPEG", **({"exif": exif} if exif else {}))

    def restore(self) -> None:
        for relative in self.touched:
            target, source = self.root / relative, self.pristine / relative
            target.unlink(missing_ok=True)
            if source.exists():
                shutil.copy2(source, target)
        self.touched.clear()


def make_copies(base: Path) -> tuple[Path, Path]:
    work, pristine = base / "ws", base / "pristine"
    for target in (work, pristine):
        shutil.copytree(REPO / "templates", target / "templates")
        shutil.copytree(REPO / "towns", target / "towns")
    return work, pristine


# -- judging ---------------------------------------------------------------------------------------

Key = tuple[str, str, str]


class Checker:
    """``check`` of the whole copy in-process; new findings are those the clean copy lacks."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cache = ProbeCache()
        self.baseline = collections.Counter(self._key(f) for f in self.findings())

    @staticmethod
    def _key(finding: Finding) -> Key:
        return finding.code, finding.ref.path, finding.message

    def findings(self) -> list[Finding]:
        _, result = pipeline.run_check(self.root, Selection(), TODAY, self.cache)
        return list(result.active)

    def new(self) -> list[Finding]:
        left = collections.Counter(self.baseline)
        fresh = []
        for finding in self.findings():
            key = self._key(finding)
            if left[key] > 0:
                left[key] -= 1
            else:
                fresh.append(finding)
        return fresh


def names(finding: Finding, files: Iterable[str]) -> bool:
    """Whether ``finding`` points at one of ``files``: its place is the file (or inside a named
    folder), or its message names the file."""
    path = finding.ref.path
    return any(path == f or path.startswith(f.rstrip("/") + "/") or f in finding.message
               for f in files)  # fmt: skip


@dataclass
class Outcome:
    entry: Entry
    findings: list[Finding]
    caught: bool = False
    false_alarm: bool = False
    error: str = ""

    @property
    def stray(self) -> list[Finding]:
        if self.entry.kind != "mistake":
            return []
        return [f for f in self.findings if not names(f, self.entry.files)]


def judge(entry: Entry, fresh: list[Finding]) -> Outcome:
    outcome = Outcome(entry, fresh)
    if entry.kind == "mistake":
        least = RANK[entry.severity or Severity.INFO]
        outcome.caught = any(names(f, entry.files) and RANK[f.severity] >= least for f in fresh)
    else:
        outcome.false_alarm = any(f.severity is not Severity.INFO for f in fresh)
    return outcome


def run(entries: Sequence[Entry]) -> tuple[list[Outcome], float]:
    start = time.monotonic()
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="townplans-heldout-") as tmp:
        work, pristine = make_copies(Path(tmp))
        copy, checker = Copy(work, pristine), Checker(work)
        for entry in entries:
            try:
                copy.apply(entry.steps)
            except StepError as exc:
                copy.restore()
                outcomes.append(Outcome(entry, [], error=str(exc)))
                continue
            outcomes.append(judge(entry, checker.new()))
            copy.restore()
    return outcomes, time.monotonic() - start


# -- reporting -------------------------------------------------------------------------------------


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"


def summary(batch: str, outcomes: Sequence[Outcome], seconds: float) -> list[str]:
    mistakes = [o for o in outcomes if o.entry.kind == "mistake"]
    correct = [o for o in outcomes if o.entry.kind != "mistake"]
    by_category: dict[str, list[Outcome]] = collections.defaultdict(list)
    for outcome in mistakes:
        by_category[outcome.entry.category].append(outcome)
    lines = [f"## 第 {batch} 批", "", "| 类别 | 错误 | 查出 | 查全率 |", "|---|---:|---:|---:|"]
    for category, group in sorted(by_category.items()):
        caught = sum(o.caught for o in group)
        lines.append(f"| {category} | {len(group)} | {caught} | {_pct(caught, len(group))} |")
    caught = sum(o.caught for o in mistakes)
    lines.append(f"| **合计** | {len(mistakes)} | {caught} | **{_pct(caught, len(mistakes))}** |")
    alarms = sum(o.false_alarm for o in correct)
    stray = sum(len(o.stray) for o in mistakes)
    new = sum(len(o.findings) for o in outcomes)
    unapplied = [o for o in outcomes if o.error]
    lines += [
        "",
        (
            f"正确修改 {len(correct)} 处，其中引起警告或错误（误报）的 {alarms} 处"
            f"（{_pct(alarms, len(correct))}）；错误引起的新增发现共 {new} 条，其中不指向所植文件的"
            f" {stray} 条（{_pct(stray, max(new, 1))}）；无法植入 {len(unapplied)} 条；"
            f"用时 {seconds:.0f} 秒。"
        ),
        "",
    ]
    for o in outcomes:
        if o.entry.kind == "mistake":
            mark = "查出" if o.caught else ("无法植入" if o.error else "漏报")
        else:
            mark = "误报" if o.false_alarm else "无误报"
        lines.append(f"- [{mark}] `{o.entry.key}`（{o.entry.category}）{o.entry.description}")
        lines += [f"    - {f.code} {f.severity.value} {f.ref}：{f.message}" for f in o.findings]
        if o.error:
            lines.append(f"    - 未植入：{o.error}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--batch", default="1", help="batch number (benchmarks/heldout/batch-N.yaml)"
    )
    parser.add_argument("--only", nargs="*", default=())
    parser.add_argument("--record", help="write the result to benchmarks/heldout/results/")
    args = parser.parse_args(argv)
    entries = [e for e in load_batch(BATCHES / f"batch-{args.batch}.yaml")
               if not args.only or e.key in args.only]  # fmt: skip
    outcomes, seconds = run(entries)
    lines = summary(args.batch, outcomes, seconds)
    print("\n".join(lines))
    if args.record:
        RESULTS.mkdir(exist_ok=True)
        target = RESULTS / f"batch-{args.batch}-{args.record}.md"
        if target.exists() and args.record == "first-run":
            print(f"{target} 已存在：首次结果不覆盖", file=sys.stderr)
            return 1
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        target.write_text(f"# 留出集第 {args.batch} 批：{args.record}（{stamp}）\n\n"
                          + "\n".join(lines) + "\n", encoding="utf-8")  # fmt: skip
        print(f"已写入 {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
