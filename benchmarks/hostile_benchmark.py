"""Hostile-input benchmark: how long the writers take, and how much memory, on inputs built to be
expensive (issue 9): large GFM and raw-HTML tables, a raw-HTML cell with huge spans, long lines
without break opportunities (in a paragraph, a table cell, a code block).

Each case runs in a fresh process (so its peak memory is its own) through both writers: the DOCX
writer (parse + write + save) and the PDF path (parse + HTML + WeasyPrint), timed separately. CPU
seconds are shown beside wall seconds because the benchmark machine is often shared.

    .venv/bin/python benchmarks/hostile_benchmark.py [--only NAME …]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


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


CASES: dict[str, Callable[[], str]] = {
    "GFM table, 1,000 rows": lambda: gfm_table(1000),
    "GFM table, 2,000 rows": lambda: gfm_table(2000),
    "HTML table, 2,000 rows": lambda: html_table(2000),
    'HTML cell rowspan=colspan="100000"': lambda: (
        '<table><tr><td rowspan="100000" colspan="100000">x</td></tr></table>\n'
    ),
    "paragraph of 20 KB 'a'": lambda: "a" * 20_000 + "\n",
    "paragraph of 50 KB 'a'": lambda: "a" * 50_000 + "\n",
    "paragraph of 500 KB 'a'": lambda: "a" * 500_000 + "\n",
    "600 words of 63 letters (38 KB)": lambda: words(63, 600),
    "paragraph of 500 KB Chinese": lambda: "规划" * 85_000 + "\n",
    "table cell of 500 KB 'a'": lambda: "| 甲 | 乙 |\n|---|---|\n| " + "a" * 500_000 + " | x |\n",
    "code block of 500 KB 'a'": lambda: "```\n" + "a" * 500_000 + "\n```\n",
}


def run_case(name: str, writer: str) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, peak RSS in MB) of one writer on one case, in this process."""
    import weasyprint  # noqa: F401 - imported before timing, as in a build's worker

    from townplans import mdparser
    from townplans.render import html as html_render
    from townplans.render.docx import DocxWriter
    from townplans.render.pdf import html_to_pdf
    from townplans.render.style import css, load_style

    style = load_style(REPO / "templates/style.yaml")
    markdown = CASES[name]()
    cpu, wall = time.process_time(), time.perf_counter()
    tokens = mdparser.parse(markdown)
    if writer == "docx":
        docx_writer = DocxWriter(style, REPO)
        docx_writer.add_markdown(tokens, REPO)
        docx_writer.document.save(io.BytesIO())
    else:
        body = html_render.render_body([html_render.HtmlPart(tokens, REPO, REPO)])
        page = html_render.page(name, body, css(style), cover=False, toc=False)
        html_to_pdf(page, {"workspace": REPO})
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    return time.process_time() - cpu, time.perf_counter() - wall, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[], help="case names containing these words")
    args = parser.parse_args()
    names = [n for n in CASES if not args.only or any(word in n for word in args.only)]
    context = multiprocessing.get_context("spawn")
    print(f"{'case':<36} {'writer':<6} {'CPU s':>7} {'wall s':>7} {'peak MB':>8}", flush=True)
    for name in names:
        for writer in ("docx", "pdf"):
            with ProcessPoolExecutor(1, mp_context=context) as pool:
                cpu, wall, peak = pool.submit(run_case, name, writer).result()
            print(f"{name:<36} {writer:<6} {cpu:>7.2f} {wall:>7.2f} {peak:>8}", flush=True)


if __name__ == "__main__":
    main()
