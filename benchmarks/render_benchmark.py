"""Render benchmark: townplans' DOCX and PDF paths against the named baselines, on the sample
district's own Markdown files.

- DOCX: townplans' writer (parse + write, every file) against pandoc run once per file
  (``pandoc FILE -o FILE.docx``), the way a planner would call it.
- PDF: townplans' PDF step (restricted URL fetcher, warning capture) against bare WeasyPrint
  (``weasyprint.HTML(string=...).write_pdf()``) on the same HTML, so the ratio is the cost of
  what townplans adds around WeasyPrint.

Each row is the best of ``--repeat`` runs over all files; the ratio is townplans / baseline.

    .venv/bin/python benchmarks/render_benchmark.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from townplans import mdparser
from townplans.render import html as html_render
from townplans.render.docx import DocxWriter
from townplans.render.pdf import html_to_pdf
from townplans.render.style import css, load_style

REPO = Path(__file__).resolve().parent.parent


def best_of(repeat: int, work: Callable[[], None]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    style = load_style(REPO / "templates/style.yaml")
    sheet = css(style)
    files = sorted((REPO / "towns").rglob("*.md"))
    files = [f for f in files if f.name != "README.md"]
    texts = {f: f.read_text(encoding="utf-8") for f in files}

    def ours_docx() -> None:
        for path, text in texts.items():
            writer = DocxWriter(style, REPO)
            writer.add_markdown(mdparser.parse(text), path.parent)
            writer.document.save(io.BytesIO())

    def pandoc_docx() -> None:
        with tempfile.TemporaryDirectory() as folder:
            for index, path in enumerate(files):
                subprocess.run(
                    [
                        "pandoc",
                        str(path),
                        "-o",
                        f"{folder}/{index}.docx",
                        f"--resource-path={path.parent}",
                    ],
                    check=True,
                    capture_output=True,
                )

    pages = {
        path: html_render.page(
            path.stem,
            html_render.render_body(
                [html_render.HtmlPart(mdparser.parse(text), path.parent, REPO)]
            ),
            sheet,
            cover=False,
            toc=False,
        )
        for path, text in texts.items()
    }
    mounts = {"workspace": REPO}

    def ours_pdf() -> None:
        for page in pages.values():
            html_to_pdf(page, mounts)

    # The same pages for bare WeasyPrint: images as plain file URLs, its default fetcher.
    bare_pages = [
        page.replace('src="workspace:', f'src="{REPO.as_uri()}/') for page in pages.values()
    ]

    def bare_pdf() -> None:
        import weasyprint

        for page in bare_pages:
            weasyprint.HTML(string=page).write_pdf()

    rows = [
        (
            "DOCX",
            ours_docx,
            "pandoc, once per file",
            pandoc_docx if shutil.which("pandoc") else None,
        )
    ]
    rows.append(("PDF from the same HTML", ours_pdf, "bare WeasyPrint", bare_pdf))
    print(f"{len(files)} Markdown files from towns/, best of {args.repeat}")
    print(f"{'step':<24} {'townplans s':>11} {'baseline':<24} {'baseline s':>10} {'ratio':>6}")
    for name, ours, baseline_name, baseline in rows:
        ours_time = best_of(args.repeat, ours)
        if baseline is None:
            print(f"{name:<24} {ours_time:>11.3f} {baseline_name:<24} {'(missing)':>10} {'—':>6}")
            continue
        base_time = best_of(args.repeat, baseline)
        print(
            f"{name:<24} {ours_time:>11.3f} {baseline_name:<24} {base_time:>10.3f} {ours_time / base_time:>6.2f}"
        )


if __name__ == "__main__":
    main()
