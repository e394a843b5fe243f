"""CJK-friendly emphasis (issue 10): the amendment's conformance cases render as the reference
implementation's snapshot, text without CJK parses exactly as CommonMark says, and the documents
make ``依据**《城乡规划法》**和`` bold in Word and PDF."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from townplans import mdparser
from townplans.cjk_emphasis import cjk_friendly_plugin, is_cjk
from townplans.render import documents
from townplans.render.docx import DocxWriter
from townplans.render.layout import Origin
from townplans.render.style import load_style

REPO = Path(__file__).resolve().parent.parent
SNAPSHOT_FILES = {
    "** around Kana/Han is converted to <strong>": "strong.md",
    "** around Korean is converted to <strong>": "korean.md",
    "** around pseudo-emoji (CJK symbols that are also unqualified-emoji) is converted to <strong>": "pseudo-emoji.md",
    "process underscores around CJK punctuation": "underscore-cjk-punct.md",
    "recognizes non-BMP punctuation and symbols": "non-bmp.md",
}  # fmt: skip


def _friendly() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["strikethrough", "table"]).use(cjk_friendly_plugin)


def _snapshot(shared: Path) -> dict[str, str]:
    text = (shared / "corpora/cjk-friendly/markdown-it-expected.snap").read_text(encoding="utf-8")
    found = re.findall(
        r"exports\[`markdown-it-cjk-friendly > (.*?) 1`\] = `\n\"(.*?)\"\n`;", text, re.DOTALL
    )
    return {name: html.replace("\\`", "`").replace("\\\\", "\\") for name, html in found}


@pytest.mark.parametrize("case", sorted(SNAPSHOT_FILES))
def test_conformance_cases_render_as_the_reference(case: str, shared: Path) -> None:
    expected = _snapshot(shared)[case]
    source = (shared / "corpora/cjk-friendly" / SNAPSHOT_FILES[case]).read_text(encoding="utf-8")
    got = _friendly().render(source)
    for want, have in zip(expected.strip().split("\n"), got.strip().split("\n"), strict=True):
        assert have == want


def test_readme_examples(shared: Path) -> None:
    expected = _snapshot(shared)["Example Markdown in README"]
    for line in expected.strip().split("\n"):
        source = line.removeprefix("<p>").removesuffix("</p>").replace("<strong>", "**")
        source = source.replace("</strong>", "**")
        assert _friendly().render(source).strip() == line


def test_text_without_cjk_parses_as_before(shared: Path) -> None:
    source = (shared / "corpora/cjk-friendly/gfm-non-cjk.md").read_text(encoding="utf-8")
    plain = MarkdownIt("commonmark").enable(["strikethrough", "table"])
    assert _friendly().render(source) == plain.render(source)


def test_every_commonmark_example_still_passes(shared: Path) -> None:
    examples = json.loads(
        (shared / "corpora/commonmark/commonmark-spec-0.31.2.json").read_text(encoding="utf-8")
    )
    plain = MarkdownIt("commonmark")
    friendly = MarkdownIt("commonmark").use(cjk_friendly_plugin)
    changed = [
        e["example"]
        for e in examples
        if friendly.render(e["markdown"]) != plain.render(e["markdown"])
    ]
    assert changed == []
    passing = sum(friendly.render(e["markdown"]) == e["html"] for e in examples)
    assert passing == sum(plain.render(e["markdown"]) == e["html"] for e in examples) >= 649


def test_strikethrough_next_to_cjk(shared: Path) -> None:
    source = (shared / "corpora/cjk-friendly/gfm-strikethrough.md").read_text(encoding="utf-8")
    paragraphs = _friendly().render(source).strip().split("\n")
    assert all("<s>" in p and "~~" not in p for p in paragraphs), paragraphs


def test_character_classes() -> None:
    assert is_cjk("《") and is_cjk("，") and is_cjk("镇") and is_cjk("한") and is_cjk("〽")
    assert not is_cjk("a") and not is_cjk("«") and not is_cjk("😀") and not is_cjk("⌚")


LAW = "依据**《中华人民共和国城乡规划法》**和上位规划"


def test_the_documents_parser_makes_it_bold() -> None:
    tokens = mdparser.parse(LAW + "\n")
    kinds = [child.type for child in tokens[1].children or ()]
    assert kinds == ["text", "strong_open", "text", "strong_close", "text"]


def test_bold_in_word_and_pdf(tmp_path: Path) -> None:
    style = load_style(REPO / "templates/style.yaml")
    writer = DocxWriter(style, tmp_path)
    writer.add_markdown(mdparser.parse(LAW + "\n"), tmp_path)
    bold = [run.text for p in writer.document.paragraphs for run in p.runs if run.bold]
    assert bold == ["《中华人民共和国城乡规划法》"]
    spec = documents.DocumentSpec(
        "law", "依据", lambda: (documents.Part(tuple(mdparser.parse(LAW + "\n")), tmp_path, Origin("law.md")),),
        cover=False, toc=False,
    )  # fmt: skip
    html, _ = documents.to_html(spec, style, tmp_path)
    assert "<strong>《中华人民共和国城乡规划法》</strong>" in html and "**" not in html
    from townplans.render.pdf import html_to_pdf

    data, _ = html_to_pdf(html, {"workspace": tmp_path, "templates": tmp_path})
    text = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True)
    assert "**" not in text.stdout.decode() and "城乡规划法" in text.stdout.decode()
