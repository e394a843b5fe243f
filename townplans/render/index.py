"""build/index.html: one self-contained page linking every town's documents, album and check
report, with the completeness matrix and the check summary. No external requests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from urllib.parse import quote

from townplans import __version__

KINDS = (("观摩图册", "观摩图册"), ("检查报告", "检查报告"))


def index_html(
    district: str,
    towns: Sequence[tuple[str, str]],
    outputs: Mapping[str, Sequence[Path]],
    district_files: Sequence[Path],
    matrix_header: Sequence[str],
    matrix_rows: Sequence[Sequence[str]],
    summary: str,
    build_dir: Path,
) -> str:
    """``towns``: (slug, name) in district order; ``outputs``: slug -> files in the order they
    are listed (the district's document order, ``targets.in_reading_order``); links are
    relative."""

    def link(path: Path) -> str:
        relative = path.relative_to(build_dir).as_posix()
        return f'<a href="{quote(relative)}">{escape(path.name)}</a>'

    head = "".join(f"<th>{escape(h)}</th>" for h in matrix_header)
    rows = "".join(
        "<tr>" + "".join(f'<td class="{_state(c)}">{escape(c)}</td>' for c in row) + "</tr>"
        for row in matrix_rows
    )
    sections = []
    for slug, name in towns:
        items = "".join(f"<li>{link(p)}</li>" for p in outputs.get(slug, ()))
        sections.append(
            f'<section><h2 id="{escape(slug)}">{escape(name)}</h2><ul>{items}</ul></section>'
        )
    district_items = "".join(f"<li>{link(p)}</li>" for p in district_files)
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{escape(district)} 小城镇建设成果</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Microsoft YaHei", sans-serif; max-width: 72em; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; }} th, td {{ border: 1px solid #ccc; padding: .3em .7em; text-align: center; }}
.present {{ color: #070; }} .incomplete {{ color: #a60; font-weight: bold; }} .missing {{ color: #b00; font-weight: bold; }}
section {{ display: inline-block; vertical-align: top; width: 22em; margin: 0 1em 1em 0; }}
h2 {{ border-bottom: 2px solid #c00; }} ul {{ padding-left: 1.2em; }} li {{ margin: .2em 0; }}
</style></head><body>
<h1>{escape(district)} 小城镇建设成果</h1>
<p>{escape(summary)}</p>
<table><tr>{head}</tr>{rows}</table>
<h2>区级</h2><ul>{district_items}</ul>
{"".join(sections)}
<p><small>townplans {__version__}</small></p>
</body></html>
"""


def _state(text: str) -> str:
    return {"齐全": "present", "不完整": "incomplete", "缺失": "missing"}.get(text, "")
