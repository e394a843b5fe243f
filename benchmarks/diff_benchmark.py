"""Diff benchmark: a 10,000-character plan and a revision of it with 50 edits (numbers changed,
phrases inserted, sentences deleted; deterministic), compared by ``townplans diff``'s engine
(blocks, structural alignment, character diff with cleanup) beside two baselines on the same
texts: ``difflib.SequenceMatcher`` over characters, and ``git diff --word-diff-regex=.``.
Target: the engine under 1 s.

    .venv/bin/python benchmarks/diff_benchmark.py [--repeat 5] [--chars 10000] [--edits 50]
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from townplans.revision.align import align
from townplans.revision.blocks import blocks
from townplans.revision.model import Op

WORDS = [
    "镇区",
    "规划",
    "用地",
    "道路",
    "绿地",
    "居住",
    "公共服务",
    "设施",
    "供水",
    "排水",
    "燃气",
    "电力",
    "通信",
    "环卫",
    "防洪",
    "消防",
    "产业",
    "商贸",
    "物流",
    "农业",
    "生态",
    "景观",
]


def plan(chars: int, rng: random.Random) -> str:
    """Chapters of articles of sentences, a table per chapter, until ``chars`` characters."""
    parts: list[str] = []
    size = chapter = 0
    while size < chars:
        chapter += 1
        parts.append(f"# 第{chapter}章 {rng.choice(WORDS)}{rng.choice(WORDS)}规划\n")
        for article in range(1, 6):
            sentences = [
                f"{rng.choice(WORDS)}{rng.choice(WORDS)}面积{rng.randint(1, 500)}.{rng.randint(0, 9)}公顷，"
                f"占{rng.choice(WORDS)}用地的{rng.randint(1, 60)}%，{rng.choice(WORDS)}{rng.choice(WORDS)}按标准配置。"
                for _ in range(rng.randint(2, 5))
            ]
            parts.append(f"## 第{article}条 {rng.choice(WORDS)}\n\n{''.join(sentences)}\n")
        rows = "".join(
            f"| {rng.choice(WORDS)} | {rng.randint(1, 99)}.{rng.randint(0, 9)} |\n"
            for _ in range(5)
        )
        parts.append(f"| 项目 | 面积（公顷） |\n|---|---|\n{rows}")
        size = sum(len(p) for p in parts)
    return "\n".join(parts)


def revise(text: str, edits: int, rng: random.Random) -> str:
    """``edits`` edits at random places: a number changed, a phrase inserted, a sentence cut."""
    for _ in range(edits):
        kind = rng.randrange(3)
        at = rng.randrange(len(text))
        if kind == 0:
            digit = next((i for i in range(at, len(text)) if text[i].isdigit()), None)
            if digit is not None:
                text = text[:digit] + str((int(text[digit]) + 1) % 10) + text[digit + 1 :]
        elif kind == 1:
            stop = text.find("。", at)
            if stop != -1:
                text = text[:stop] + f"，并预留{rng.choice(WORDS)}发展空间" + text[stop:]
        else:
            start = text.find("。", at)
            end = text.find("。", start + 1)
            if start != -1 and end != -1 and "\n" not in text[start:end]:
                text = text[: start + 1] + text[end + 1 :]
    return text


def engine(old: str, new: str) -> int:
    steps = align(blocks(old, "a.md"), blocks(new, "b.md"))
    return sum(1 for s in steps if s.op is not Op.EQUAL)


def sequence_matcher(old: str, new: str) -> int:
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return sum(1 for tag, *_ in matcher.get_opcodes() if tag != "equal")


def git_word_diff(old: str, new: str) -> int:
    with tempfile.TemporaryDirectory() as folder:
        a, b = Path(folder) / "a.md", Path(folder) / "b.md"
        a.write_text(old, encoding="utf-8")
        b.write_text(new, encoding="utf-8")
        done = subprocess.run(
            ["git", "diff", "--no-index", "--word-diff=porcelain", "--word-diff-regex=.", str(a), str(b)],
            capture_output=True, check=False,
        )  # fmt: skip
        return sum(1 for line in done.stdout.splitlines() if line[:1] in (b"+", b"-"))


def timed(
    action: Callable[[str, str], int], old: str, new: str, repeat: int
) -> tuple[float, float, int]:
    times = []
    found = 0
    for _ in range(repeat):
        start = time.perf_counter()
        found = action(old, new)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times), found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--chars", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(13)
    old = plan(args.chars, rng)
    new = revise(old, args.edits, rng)
    print(f"plan: {len(old)} characters, revision: {len(new)} characters, {args.edits} edits\n")
    print(f"{'method':<42}{'best s':>10}{'median s':>10}{'changes':>10}")
    for label, action in (
        ("townplans diff engine (blocks+align+cleanup)", engine),
        ("difflib.SequenceMatcher (characters)", sequence_matcher),
        ("git diff --word-diff-regex=.", git_word_diff),
    ):
        best, median, found = timed(action, old, new, args.repeat)
        print(f"{label:<42}{best:>10.3f}{median:>10.3f}{found:>10}")


if __name__ == "__main__":
    main()
